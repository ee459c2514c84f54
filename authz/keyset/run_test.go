package keyset_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/authz/keyset"
)

// startRun runs c.Run until the test ends and checks that it returns nil.
func startRun(t *testing.T, c *keyset.Cache) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done, "Run returns nil when its context ends")
	})
}

func eventually(t *testing.T, cond func() bool, msg string) {
	t.Helper()
	require.Eventually(t, cond, 5*time.Second, 5*time.Millisecond, msg)
}

func TestRunRefreshesAhead(t *testing.T) {
	testKeys(t)
	srv := newJWKSServer(t, nil)
	srv.serve(docOf(t, jwkOf(t, p256Key.Public(), "k1")), "max-age=60")
	clk := newClock()
	cfg, _, _ := testConfig(clk)
	c := newCache(t, cfg)
	c.Add(iss, srv.source(t))
	startRun(t, c)

	// 1. The first fetch happens at start, without any Key.
	eventually(t, func() bool { return c.Has(iss, "k1") }, "Run fetches at start")
	require.Equal(t, int64(1), srv.fetches.Load())
	start := clk.Now()
	require.Equal(t, start.Add(48*time.Second), c.NextRefresh(iss), "at 80% of max-age")

	// 2. At 80% of max-age the set is fetched again, with the rotated key.
	srv.serve(docOf(t, jwkOf(t, p256Key.Public(), "k1"), jwkOf(t, edKey.Public(), "k2")),
		"max-age=60")
	clk.Advance(48 * time.Second)
	c.Kick()
	eventually(t, func() bool { return c.Has(iss, "k2") }, "Run refreshes ahead of expiry")
	require.Equal(t, int64(2), srv.fetches.Load())

	// 3. An issuer added while Run runs is fetched at once.
	var calls atomic.Int64
	c.Add("https://partner.example", funcSource(docOf(t, jwkOf(t, edKey.Public(), "p1")),
		&calls))
	eventually(t, func() bool { return c.Has("https://partner.example", "p1") },
		"a new issuer is fetched")
	require.Equal(t, int64(1), calls.Load())
	require.Equal(t, clk.Now().Add(keyset.DefaultRefresh), c.NextRefresh("https://partner.example"),
		"a set without max-age refreshes every DefaultRefresh")
}

func TestRunRetriesWithBackoff(t *testing.T) {
	testKeys(t)
	srv := newJWKSServer(t, docOf(t, jwkOf(t, p256Key.Public(), "k1")))
	srv.mode.Store(failing)
	clk := newClock()
	cfg, _, _ := testConfig(clk)
	c := newCache(t, cfg)
	c.Add(iss, srv.source(t))
	startRun(t, c)

	eventually(t, func() bool { return srv.fetches.Load() == 1 }, "the first fetch fails")
	eventually(t, func() bool {
		return c.NextRefresh(iss).Equal(clk.Now().Add(keyset.DefaultMinRefetchInterval))
	}, "the first retry is after MinRefetchInterval")

	clk.Advance(keyset.DefaultMinRefetchInterval)
	c.Kick()
	eventually(t, func() bool {
		return c.NextRefresh(iss).Equal(clk.Now().Add(2 * keyset.DefaultMinRefetchInterval))
	}, "the second retry waits twice as long")
	require.Equal(t, int64(2), srv.fetches.Load())

	srv.mode.Store(healthy)
	clk.Advance(2 * keyset.DefaultMinRefetchInterval)
	c.Kick()
	eventually(t, func() bool { return c.Has(iss, "k1") }, "service is restored")
}

func TestRunOnlyOnce(t *testing.T) {
	clk := newClock()
	cfg, _, _ := testConfig(clk)
	c := newCache(t, cfg)
	c.Add(iss, funcSource(docOf(t), nil))
	startRun(t, c)
	eventually(t, func() bool {
		_, ok := c.SetMaxAge(iss)
		return ok
	}, "Run runs")

	require.Error(t, c.Run(t.Context()), "a second Run is refused")
}
