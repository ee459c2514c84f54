package keyset

import (
	"context"
	"fmt"
	"time"
)

// maxRetryDelay caps the delay before Run retries a failed fetch.
const maxRetryDelay = time.Minute

// outcome is what a caller waiting on a flight learns.
type outcome struct {
	ran bool  // the flight fetched (it may have found the last fetch too recent)
	err error // the fetch's error, or the last fetch's when none ran
}

// keySlow is Key past the hot path: the issuer's set is missing from
// ristretto, past MaxStale, or lacks kid.
func (c *Cache) keySlow(ctx context.Context, name, kid string, now time.Time) (Key, error) {
	// 1. Only registered issuers, and only kids a set could hold.
	is := c.lookup(name)
	if is == nil {
		return Key{}, fmt.Errorf("find key of %q: %w", name, ErrUnknownIssuer)
	}
	if kid == "" || len(kid) > MaxKIDLength {
		return Key{}, c.rejectUnknown(name)
	}

	// 2. The set held may have it (ristretto dropped or evicted the entry),
	//    or know it as unknown.
	set := is.set.Load()
	if set.usable(now, c.cfg.MaxStale) {
		if k, ok := set.keys[kid]; ok {
			c.recache(is, set)
			return k, nil
		}
		if c.remembered(is, kid, now) {
			return Key{}, c.rejectUnknown(name)
		}
	}

	// 3. Fetch, unless the last fetch is too recent: then decide on what
	//    it gave.
	if allowed, wait, lastErr := is.mayFetch(now, c.cfg.MinRefetchInterval); !allowed {
		if set.usable(now, c.cfg.MaxStale) && lastErr == nil {
			return Key{}, c.rejectUnknown(name)
		}
		return Key{}, &UnavailableError{RetryAfter: retryAfter(wait), Err: lastErr}
	}
	ran, err := c.fetch(ctx, is, false)

	// 4. Decide on the set the fetch left.
	now = c.now()
	if set = is.set.Load(); set.usable(now, c.cfg.MaxStale) {
		if k, ok := set.keys[kid]; ok {
			return k, nil
		}
	}
	if err != nil || !set.usable(now, c.cfg.MaxStale) {
		_, wait, _ := is.mayFetch(now, c.cfg.MinRefetchInterval)
		return Key{}, &UnavailableError{RetryAfter: retryAfter(wait), Err: err}
	}
	if ran {
		c.remember(is, kid, now)
	}
	return Key{}, c.rejectUnknown(name)
}

// rejectUnknown counts and returns an unknown-kid refusal.
func (c *Cache) rejectUnknown(name string) error {
	c.m.unknownKID.Inc()
	return fmt.Errorf("find key of %q: %w", name, ErrUnknownKey)
}

// mayFetch reports whether a caller that needs a fresh set may have a
// fetch: one is in flight (and may be joined), or the last one started at
// least interval ago. When not, it also returns how long until one is
// allowed, and the last fetch's error.
func (is *issuer) mayFetch(now time.Time, interval time.Duration) (bool, time.Duration, error) {
	is.mu.Lock()
	defer is.mu.Unlock()
	wait := is.lastAttempt.Add(interval).Sub(now)
	if is.fetching || is.lastAttempt.IsZero() || wait <= 0 {
		return true, 0, nil
	}
	return false, wait, is.lastErr
}

// fetch runs or joins is's flight and waits for it, or for ctx. force
// fetches even when the last fetch is more recent than MinRefetchInterval.
// The flight itself is not bound to ctx: it ends within FetchTimeout, for
// whoever still waits.
func (c *Cache) fetch(ctx context.Context, is *issuer, force bool) (bool, error) {
	ch := is.flight.DoChan("", func() (any, error) {
		return c.fetchOnce(is, force), nil
	})
	select {
	case r := <-ch:
		o, _ := r.Val.(outcome)
		return o.ran, o.err
	case <-ctx.Done():
		return false, fmt.Errorf("wait for keys of %q: %w", is.name, ctx.Err())
	}
}

// fetchOnce is the body of a flight: fetch, parse and install is's set,
// and schedule the next refresh.
func (c *Cache) fetchOnce(is *issuer, force bool) outcome {
	start := c.now()
	is.mu.Lock()
	if !force && !is.lastAttempt.IsZero() &&
		start.Sub(is.lastAttempt) < c.cfg.MinRefetchInterval {
		err := is.lastErr
		is.mu.Unlock()
		return outcome{err: err}
	}
	is.lastAttempt, is.fetching = start, true
	recovering := is.failures > 0
	is.mu.Unlock()

	set, err := c.load(is, start)
	is.mu.Lock()
	if err == nil {
		is.failures = 0
		is.nextRefresh = start.Add(c.refreshDelay(set.maxAge))
	} else {
		is.failures++
		is.nextRefresh = start.Add(c.retryDelay(is.failures))
	}
	is.mu.Unlock()

	// The set is installed while fetching still holds, so that no caller
	// decides, between the two, on the set this fetch replaces.
	if err == nil {
		c.install(is, set)
	}
	is.mu.Lock()
	is.fetching, is.lastErr = false, err
	is.mu.Unlock()

	switch {
	case err != nil:
		c.m.fetches.WithLabelValues(resultError).Inc()
		c.log.Warn("jwks fetch failed", logIssuer, is.name, logError, err)
	case recovering:
		c.m.fetches.WithLabelValues(resultOK).Inc()
		c.log.Info("jwks fetch recovered", logIssuer, is.name, logKeys, len(set.keys))
	default:
		c.m.fetches.WithLabelValues(resultOK).Inc()
	}
	c.wake() // Run learns the new schedule
	return outcome{ran: true, err: err}
}

// load fetches and parses is's set; start becomes its fetch time.
func (c *Cache) load(is *issuer, start time.Time) (*keySet, error) {
	// The flight serves every waiter, so no one caller's context bounds it.
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.FetchTimeout)
	defer cancel()
	doc, err := is.src.Fetch(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetch keys of %q: %w", is.name, err)
	}

	keys, skipped, err := parseJWKS(doc.JWKS)
	if err != nil {
		return nil, fmt.Errorf("fetch keys of %q: %w", is.name, err)
	}
	for _, s := range skipped {
		c.log.Warn("jwks key skipped", logIssuer, is.name, logKID, s.kid,
			logIndex, s.index, logReason, s.reason)
	}
	c.m.skipped.Add(float64(len(skipped)))
	return &keySet{keys: keys, fetchedAt: start, maxAge: c.boundMaxAge(doc.MaxAge)}, nil
}

// install makes set is's current one, unless is was replaced or removed
// meanwhile. Once it returns, Key sees set.
func (c *Cache) install(is *issuer, set *keySet) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.issuers[is.name] != is {
		return
	}
	is.set.Store(set)
	c.sets.Set(is.name, set, 1)
	c.sets.Wait()
}

// recache puts is's set back into ristretto after a miss.
func (c *Cache) recache(is *issuer, set *keySet) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.issuers[is.name] == is && is.set.Load() == set {
		c.sets.Set(is.name, set, 1)
	}
}

// boundMaxAge applies MinMaxAge and MaxMaxAge to a given max-age; 0 (none
// given) stays 0.
func (c *Cache) boundMaxAge(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return min(max(d, c.cfg.MinMaxAge), c.cfg.MaxMaxAge)
}

// refreshDelay is how long after a fetch Run fetches again: at 80% of the
// max-age, or DefaultRefresh without one, and always well within MaxStale
// so that a set never goes stale while its issuer answers.
func (c *Cache) refreshDelay(maxAge time.Duration) time.Duration {
	d := c.cfg.DefaultRefresh
	if maxAge > 0 {
		d = maxAge / 5 * 4
	}
	return min(d, c.cfg.MaxStale/5*4)
}

// retryDelay is how long after the failures-th failed fetch in a row Run
// tries again: MinRefetchInterval, doubling, up to a minute.
func (c *Cache) retryDelay(failures int) time.Duration {
	d := c.cfg.MinRefetchInterval
	for i := 1; i < failures && d < maxRetryDelay; i++ {
		d *= 2
	}
	return max(min(d, maxRetryDelay), c.cfg.MinRefetchInterval)
}

// remembered reports whether kid is a remembered unknown kid of is.
func (c *Cache) remembered(is *issuer, kid string, now time.Time) bool {
	c.unknownMu.Lock()
	defer c.unknownMu.Unlock()
	k := unknownKID{is: is, kid: kid}
	expiry, ok := c.unknown[k]
	if ok && !now.Before(expiry) {
		delete(c.unknown, k)
		return false
	}
	return ok
}

// remember records kid as unknown to is for UnknownKIDTTL. At
// UnknownKIDMax it first drops expired entries, then an arbitrary one.
func (c *Cache) remember(is *issuer, kid string, now time.Time) {
	c.unknownMu.Lock()
	defer c.unknownMu.Unlock()
	k := unknownKID{is: is, kid: kid}
	if _, ok := c.unknown[k]; !ok && len(c.unknown) >= c.cfg.UnknownKIDMax {
		for old, expiry := range c.unknown {
			if !now.Before(expiry) {
				delete(c.unknown, old)
			}
		}
		for old := range c.unknown {
			if len(c.unknown) < c.cfg.UnknownKIDMax {
				break
			}
			delete(c.unknown, old)
		}
	}
	c.unknown[k] = now.Add(c.cfg.UnknownKIDTTL)
}

// forget drops the remembered unknown kids of is.
func (c *Cache) forget(is *issuer) {
	c.unknownMu.Lock()
	defer c.unknownMu.Unlock()
	for k := range c.unknown {
		if k.is == is {
			delete(c.unknown, k)
		}
	}
}

// wake tells Run to look at the schedule again.
func (c *Cache) wake() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}
