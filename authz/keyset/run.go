package keyset

import (
	"context"
	"errors"
	"sync"
	"time"
)

// idleWait is how long Run sleeps when no issuer is registered.
const idleWait = time.Hour

// Run keeps every registered issuer's set fresh until ctx ends: it fetches
// each issuer's set at start (and each issuer added later at once), then
// again at about 80% of its max-age, or every DefaultRefresh without one;
// after a failed fetch it retries from MinRefetchInterval, doubling up to a
// minute. Fetches of different issuers run side by side. Run returns nil
// when ctx ends, and an error only when it is already running.
func (c *Cache) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("run key cache: already running")
	}
	defer c.running.Store(false)

	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		timer.Reset(c.startDue(ctx, &wg))
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		case <-c.kick:
		}
	}
}

// startDue starts a refresh of every issuer that is due and not being
// fetched, and returns how long until the next one is due.
func (c *Cache) startDue(ctx context.Context, wg *sync.WaitGroup) time.Duration {
	c.mu.RLock()
	all := make([]*issuer, 0, len(c.issuers))
	for _, is := range c.issuers {
		all = append(all, is)
	}
	c.mu.RUnlock()

	now := c.now()
	wait := idleWait
	for _, is := range all {
		is.mu.Lock()
		busy := is.queued || is.fetching
		due := !now.Before(is.nextRefresh)
		if !busy && due {
			is.queued = true
		} else if !busy {
			wait = min(wait, is.nextRefresh.Sub(now))
		}
		is.mu.Unlock()
		if busy || !due {
			continue
		}

		wg.Go(func() {
			_, _ = c.fetch(ctx, is, true) // fetchOnce logs and counts failures
			is.mu.Lock()
			is.queued = false
			is.mu.Unlock()
			c.wake()
		})
	}
	return wait
}
