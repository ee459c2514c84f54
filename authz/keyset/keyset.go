package keyset

import (
	"context"
	"crypto"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"
)

// Defaults of Config.
const (
	DefaultMinRefetchInterval = 5 * time.Second
	DefaultUnknownKIDTTL      = 30 * time.Second
	DefaultUnknownKIDMax      = 10000
	DefaultMaxStale           = 15 * time.Minute
	DefaultMinMaxAge          = 30 * time.Second
	DefaultMaxMaxAge          = time.Hour
	DefaultRefresh            = 5 * time.Minute
	DefaultFetchTimeout       = 5 * time.Second
)

// Key is one verification key. A Cache never changes a Key it returned.
type Key struct {
	// KID is the key's id in its issuer's set.
	KID string
	// Alg is the one algorithm the key verifies: ES256, ES384, EdDSA or
	// RS256.
	Alg string
	// Public is *ecdsa.PublicKey (ES256, ES384), ed25519.PublicKey (EdDSA)
	// or *rsa.PublicKey (RS256). Callers must not modify it.
	Public crypto.PublicKey
}

// Config configures a Cache. Zero values take their defaults; negative
// ones are refused.
type Config struct {
	// MinRefetchInterval is how often, at most, an unknown kid (or a set
	// missing or past MaxStale) makes an issuer's set be fetched again. It
	// bounds the load a flood of made-up kids puts on an issuer, and how
	// long a key published moments after a fetch stays unknown. 5s by
	// default.
	MinRefetchInterval time.Duration
	// UnknownKIDTTL is how long a kid still unknown after a refetch is
	// refused without another look. 30s by default.
	UnknownKIDTTL time.Duration
	// UnknownKIDMax bounds the unknown kids remembered, across issuers;
	// at the bound, expired ones and then arbitrary ones are forgotten to
	// make room. 10000 by default.
	UnknownKIDMax int
	// MaxStale is how long, from its fetch, a set keeps serving while
	// fetches fail; past it Key returns ErrUnavailable. It also caps the
	// refresh period. 15 minutes by default.
	MaxStale time.Duration
	// MinMaxAge and MaxMaxAge bound the Cache-Control max-age a source
	// gives: 30s and 1h by default.
	MinMaxAge, MaxMaxAge time.Duration
	// DefaultRefresh is the refresh period of a set fetched without a
	// max-age (FuncSource, or no usable Cache-Control). 5 minutes by
	// default.
	DefaultRefresh time.Duration
	// FetchTimeout bounds each fetch, whoever waits on it. 5s by default.
	FetchTimeout time.Duration
	// Logger receives fetch failures and skipped keys; nil discards.
	Logger *slog.Logger
	// Registerer receives the Cache's metrics; nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// Cache holds the verification keys of registered issuers. Its methods are
// safe for concurrent use.
type Cache struct {
	cfg Config
	log *slog.Logger
	now func() time.Time
	m   *metrics

	// sets is the hot path: issuer -> its current set. Every set also
	// lives in its issuer's atomic pointer, which is the authority when
	// ristretto dropped or evicted an entry.
	sets *ristretto.Cache[string, *keySet]

	mu      sync.RWMutex
	issuers map[string]*issuer // guarded by mu; sets is written under mu too

	unknownMu sync.Mutex
	unknown   map[unknownKID]time.Time // remembered unknown kid -> expiry

	kick    chan struct{} // wakes Run to look at the schedule again
	running atomic.Bool
}

// keySet is one issuer's parsed set. It never changes once built.
type keySet struct {
	keys      map[string]Key
	fetchedAt time.Time
	maxAge    time.Duration // as bounded by the Config; 0 when none given
}

// usable reports whether s may serve at now: it exists and is no older
// than maxStale.
func (s *keySet) usable(now time.Time, maxStale time.Duration) bool {
	return s != nil && now.Sub(s.fetchedAt) <= maxStale
}

// issuer is one registered issuer. Add replaces it whole, so a fetch that
// ends after its issuer was replaced or removed changes nothing.
type issuer struct {
	name   string
	src    Source
	flight singleflight.Group
	set    atomic.Pointer[keySet]

	mu          sync.Mutex
	lastAttempt time.Time // start of the last fetch; zero before the first
	lastErr     error     // outcome of the last fetch
	fetching    bool      // a fetch runs now
	queued      bool      // Run has started a refresh that has not ended
	failures    int       // fetches failed in a row
	nextRefresh time.Time // when Run refreshes next; zero: at once
}

// unknownKID names a remembered unknown kid.
type unknownKID struct {
	is  *issuer
	kid string
}

// New returns a Cache with no issuers. Call Close when done with it.
func New(cfg Config) (*Cache, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, err
	}

	sets, err := ristretto.NewCache(&ristretto.Config[string, *keySet]{
		NumCounters:        1 << 14,
		MaxCost:            1 << 12, // issuers; past it, misses fall back to issuers
		BufferItems:        64,
		IgnoreInternalCost: true,
	})
	if err != nil {
		return nil, fmt.Errorf("new key cache: %w", err)
	}
	c := &Cache{
		cfg:     cfg,
		log:     cfg.Logger,
		now:     cfg.Now,
		sets:    sets,
		issuers: make(map[string]*issuer),
		unknown: make(map[unknownKID]time.Time),
		kick:    make(chan struct{}, 1),
	}
	if c.m, err = newMetrics(cfg.Registerer, c.oldestAge); err != nil {
		sets.Close()
		return nil, fmt.Errorf("new key cache: %w", err)
	}
	return c, nil
}

// withDefaults checks cfg and fills in its zero values.
func withDefaults(cfg Config) (Config, error) {
	durations := []struct {
		name string
		v    *time.Duration
		def  time.Duration
	}{
		{"MinRefetchInterval", &cfg.MinRefetchInterval, DefaultMinRefetchInterval},
		{"UnknownKIDTTL", &cfg.UnknownKIDTTL, DefaultUnknownKIDTTL},
		{"MaxStale", &cfg.MaxStale, DefaultMaxStale},
		{"MinMaxAge", &cfg.MinMaxAge, DefaultMinMaxAge},
		{"MaxMaxAge", &cfg.MaxMaxAge, DefaultMaxMaxAge},
		{"DefaultRefresh", &cfg.DefaultRefresh, DefaultRefresh},
		{"FetchTimeout", &cfg.FetchTimeout, DefaultFetchTimeout},
	}
	for _, d := range durations {
		if *d.v < 0 {
			return cfg, fmt.Errorf("%w: %s must not be negative", ErrInvalidConfig, d.name)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if cfg.UnknownKIDMax < 0 {
		return cfg, fmt.Errorf("%w: UnknownKIDMax must not be negative", ErrInvalidConfig)
	}
	if cfg.UnknownKIDMax == 0 {
		cfg.UnknownKIDMax = DefaultUnknownKIDMax
	}
	if cfg.MinMaxAge > cfg.MaxMaxAge {
		return cfg, fmt.Errorf("%w: MinMaxAge is above MaxMaxAge", ErrInvalidConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg, nil
}

// Close stops the ristretto cache's goroutines. Call it once, when no Key
// or Has call runs or will start (ristretto's Close must not race a Get);
// fetches still in flight are safe. Whatever is called later is answered
// from the issuers' own copies of their sets, more slowly.
func (c *Cache) Close() {
	// Every ristretto write happens under mu; holding it keeps them off
	// the channels Close closes.
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sets.Close()
}

// Add registers issuer with the source of its key set, replacing any
// source it had: the replaced issuer's set and remembered unknown kids
// are dropped, and the new one's set is fetched when Run next looks, or
// on the first Key.
func (c *Cache) Add(issuer string, src Source) {
	is := newIssuer(issuer, src)
	c.mu.Lock()
	old := c.issuers[issuer]
	c.issuers[issuer] = is
	c.sets.Del(issuer)
	c.mu.Unlock()

	if old != nil {
		c.forget(old)
	}
	c.wake()
}

// newIssuer returns an issuer that has never been fetched.
func newIssuer(name string, src Source) *issuer {
	return &issuer{name: name, src: src}
}

// Remove unregisters issuer: its keys stop serving at once. Removing an
// issuer that is not registered does nothing.
func (c *Cache) Remove(issuer string) {
	c.mu.Lock()
	old := c.issuers[issuer]
	delete(c.issuers, issuer)
	c.sets.Del(issuer)
	c.mu.Unlock()

	if old != nil {
		c.forget(old)
	}
}

// lookup returns the registered issuer of that name, or nil.
func (c *Cache) lookup(name string) *issuer {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.issuers[name]
}

// Key returns issuer's key kid. A known kid of a set no older than
// MaxStale costs a ristretto Get and a map lookup. Otherwise Key may wait
// for one fetch of the issuer's set (joining one in flight; at most one
// per MinRefetchInterval per issuer), bounded by ctx and FetchTimeout.
// Errors: ErrUnknownIssuer, ErrUnknownKey, or *UnavailableError.
func (c *Cache) Key(ctx context.Context, issuer, kid string) (Key, error) {
	now := c.now()
	if set, ok := c.sets.Get(issuer); ok && set.usable(now, c.cfg.MaxStale) {
		if k, ok := set.keys[kid]; ok {
			return k, nil
		}
	}
	return c.keySlow(ctx, issuer, kid, now)
}

// Has reports, without ever fetching, whether kid is in issuer's current
// set, as long as that set is no older than MaxStale. authz calls it on
// decision-cache hits, so that a key removed from the JWKS stops admitting
// cached tokens.
func (c *Cache) Has(issuer, kid string) bool {
	now := c.now()
	set, ok := c.sets.Get(issuer)
	if !ok {
		is := c.lookup(issuer)
		if is == nil {
			return false
		}
		set = is.set.Load()
	}
	if !set.usable(now, c.cfg.MaxStale) {
		return false
	}
	_, ok = set.keys[kid]
	return ok
}

// Refresh fetches issuer's set now, joining a fetch in flight, and
// returns the fetch's error; the set held keeps serving when it fails.
// Call it when a key rotation is announced.
func (c *Cache) Refresh(ctx context.Context, issuer string) error {
	is := c.lookup(issuer)
	if is == nil {
		return fmt.Errorf("refresh keys of %q: %w", issuer, ErrUnknownIssuer)
	}
	ran, err := c.fetch(ctx, is, true)
	if err == nil && !ran {
		// It joined a flight that decided not to fetch; fetch now.
		_, err = c.fetch(ctx, is, true)
	}
	if err != nil {
		return fmt.Errorf("refresh keys of %q: %w", issuer, err)
	}
	return nil
}

// oldestAge returns the age of the oldest set held, in seconds.
func (c *Cache) oldestAge() float64 {
	now := c.now()
	var oldest time.Duration
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, is := range c.issuers {
		if set := is.set.Load(); set != nil {
			oldest = max(oldest, now.Sub(set.fetchedAt))
		}
	}
	return oldest.Seconds()
}
