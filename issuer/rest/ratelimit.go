package rest

import (
	"container/list"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate limit defaults.
const (
	DefaultGlobalRPS   = 500
	DefaultGlobalBurst = 1000
	DefaultOrgRPS      = 50
	DefaultOrgBurst    = 100
	// maxOrgLimiters bounds the per-organisation buckets kept in memory;
	// the least recently used one is dropped beyond it, which at worst
	// gives that organisation a fresh burst.
	maxOrgLimiters = 10000
)

// limiter holds a global token bucket and one per organisation.
type limiter struct {
	global   *rate.Limiter
	orgRate  rate.Limit
	orgBurst int

	mu   sync.Mutex
	orgs map[string]*list.Element
	lru  *list.List // of *orgBucket, most recently used first
}

// orgBucket is the token bucket of one key in the LRU list.
type orgBucket struct {
	key string
	lim *rate.Limiter
}

// newLimiter builds a limiter from cfg, filling in defaults.
func newLimiter(cfg RateLimit) *limiter {
	if cfg.GlobalRPS <= 0 {
		cfg.GlobalRPS = DefaultGlobalRPS
	}
	if cfg.GlobalBurst <= 0 {
		cfg.GlobalBurst = DefaultGlobalBurst
	}
	if cfg.OrgRPS <= 0 {
		cfg.OrgRPS = DefaultOrgRPS
	}
	if cfg.OrgBurst <= 0 {
		cfg.OrgBurst = DefaultOrgBurst
	}
	return &limiter{
		global:  rate.NewLimiter(rate.Limit(cfg.GlobalRPS), cfg.GlobalBurst),
		orgRate: rate.Limit(cfg.OrgRPS), orgBurst: cfg.OrgBurst,
		orgs: make(map[string]*list.Element), lru: list.New(),
	}
}

// allowGlobal takes a token from the global bucket. When none is left it
// returns false and how long to wait.
func (l *limiter) allowGlobal(now time.Time) (time.Duration, bool) {
	return take(l.global, now)
}

// allowOrg takes a token from the bucket of key.
func (l *limiter) allowOrg(key string, now time.Time) (time.Duration, bool) {
	return take(l.bucket(key), now)
}

// bucket returns the bucket of key, creating it and evicting the least
// recently used one as needed.
func (l *limiter) bucket(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()

	if e, ok := l.orgs[key]; ok {
		l.lru.MoveToFront(e)
		return e.Value.(*orgBucket).lim
	}
	if l.lru.Len() >= maxOrgLimiters {
		oldest := l.lru.Back()
		l.lru.Remove(oldest)
		delete(l.orgs, oldest.Value.(*orgBucket).key)
	}
	b := &orgBucket{key: key, lim: rate.NewLimiter(l.orgRate, l.orgBurst)}
	l.orgs[key] = l.lru.PushFront(b)
	return b.lim
}

// take takes one token from lim at now, or reports the wait for one
// without taking it.
func take(lim *rate.Limiter, now time.Time) (time.Duration, bool) {
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return time.Second, false
	}
	d := r.DelayFrom(now)
	if d == 0 {
		return 0, true
	}
	r.CancelAt(now)
	return d, false
}

// retryAfter renders a wait as whole seconds, rounded up, at least 1.
func retryAfter(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}
