package keyset_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/authz/keyset"
)

const iss = "https://issuer.example"

func TestKeyAndHas(t *testing.T) {
	testKeys(t)
	clk := newClock()
	cfg, _, _ := testConfig(clk)
	c := newCache(t, cfg)
	var calls atomic.Int64
	c.Add(iss, funcSource(docOf(t, jwkOf(t, p256Key.Public(), "k1")), &calls))

	require.False(t, c.Has(iss, "k1"), "Has never fetches")
	k, err := c.Key(t.Context(), iss, "k1")
	require.NoError(t, err, "the first Key fetches")
	require.Equal(t, "k1", k.KID)
	require.Equal(t, keyset.ES256, k.Alg)
	require.True(t, p256Key.PublicKey.Equal(k.Public))
	require.True(t, c.Has(iss, "k1"))
	require.False(t, c.Has(iss, "k2"))
	require.False(t, c.Has("https://other.example", "k1"))

	for range 3 {
		_, err = c.Key(t.Context(), iss, "k1")
		require.NoError(t, err)
	}
	require.Equal(t, int64(1), calls.Load(), "a known kid costs no fetch")

	_, err = c.Key(t.Context(), "https://other.example", "k1")
	require.ErrorIs(t, err, keyset.ErrUnknownIssuer)
	_, err = c.Key(t.Context(), iss, "k2")
	require.ErrorIs(t, err, keyset.ErrUnknownKey)
	_, err = c.Key(t.Context(), iss, "")
	require.ErrorIs(t, err, keyset.ErrUnknownKey)
}

func TestRemoveAndReplace(t *testing.T) {
	testKeys(t)
	clk := newClock()
	cfg, _, _ := testConfig(clk)
	c := newCache(t, cfg)
	c.Add(iss, funcSource(docOf(t, jwkOf(t, p256Key.Public(), "old")), nil))
	_, err := c.Key(t.Context(), iss, "old")
	require.NoError(t, err)

	c.Add(iss, funcSource(docOf(t, jwkOf(t, edKey.Public(), "new")), nil))
	require.False(t, c.Has(iss, "old"), "a replaced issuer's set is dropped")
	k, err := c.Key(t.Context(), iss, "new")
	require.NoError(t, err)
	require.Equal(t, keyset.EdDSA, k.Alg)
	_, err = c.Key(t.Context(), iss, "old")
	require.ErrorIs(t, err, keyset.ErrUnknownKey)

	c.Remove(iss)
	require.False(t, c.Has(iss, "new"))
	_, err = c.Key(t.Context(), iss, "new")
	require.ErrorIs(t, err, keyset.ErrUnknownIssuer)
	require.ErrorIs(t, c.Refresh(t.Context(), iss), keyset.ErrUnknownIssuer)
	c.Remove(iss) // removing twice does nothing
}

// The required flood test: concurrent callers of one unknown kid share one
// fetch, and made-up kids within MinRefetchInterval cause none.
func TestUnknownKIDFlood(t *testing.T) {
	testKeys(t)
	srv := newJWKSServer(t, docOf(t, jwkOf(t, p256Key.Public(), "real")))
	clk := newClock()
	cfg, reg, _ := testConfig(clk)
	c := newCache(t, cfg)
	c.Add(iss, srv.source(t))

	_, err := c.Key(t.Context(), iss, "real")
	require.NoError(t, err)
	require.Equal(t, int64(1), srv.fetches.Load())
	clk.Advance(keyset.DefaultMinRefetchInterval) // a refetch is allowed again

	flood := func(kid func(i int) string) {
		var wg sync.WaitGroup
		errs := make([]error, 1000)
		for i := range errs {
			wg.Go(func() {
				_, errs[i] = c.Key(t.Context(), iss, kid(i))
			})
		}
		wg.Wait()
		for _, err := range errs {
			require.ErrorIs(t, err, keyset.ErrUnknownKey)
		}
	}
	flood(func(int) string { return "ghost" })
	require.Equal(t, int64(2), srv.fetches.Load(), "1,000 callers of one unknown kid, one fetch")

	flood(func(i int) string { return fmt.Sprintf("made-up-%d", i) })
	require.Equal(t, int64(2), srv.fetches.Load(),
		"1,000 made-up kids within MinRefetchInterval, no fetch")
	require.InDelta(t, 2000,
		metricValue(t, reg, "agentidp_authz_jwks_unknown_kid_rejections_total"), 0)

	// Past the interval a remembered kid still costs nothing, a new one
	// costs one fetch, and a forgotten one another.
	clk.Advance(keyset.DefaultMinRefetchInterval)
	_, err = c.Key(t.Context(), iss, "ghost")
	require.ErrorIs(t, err, keyset.ErrUnknownKey)
	require.Equal(t, int64(2), srv.fetches.Load(), "a remembered unknown kid is not refetched")
	_, err = c.Key(t.Context(), iss, "another")
	require.ErrorIs(t, err, keyset.ErrUnknownKey)
	require.Equal(t, int64(3), srv.fetches.Load())

	clk.Advance(keyset.DefaultUnknownKIDTTL)
	_, err = c.Key(t.Context(), iss, "ghost")
	require.ErrorIs(t, err, keyset.ErrUnknownKey)
	require.Equal(t, int64(4), srv.fetches.Load(), "an unknown kid is forgotten after its TTL")

	// A kid that appeared in the set since is found by its refetch.
	clk.Advance(keyset.DefaultMinRefetchInterval)
	srv.serve(docOf(t, jwkOf(t, p256Key.Public(), "real"), jwkOf(t, edKey.Public(), "new")), "")
	k, err := c.Key(t.Context(), iss, "new")
	require.NoError(t, err)
	require.Equal(t, keyset.EdDSA, k.Alg)
	require.Equal(t, int64(5), srv.fetches.Load())
}

func TestUnknownKIDMemoryIsBounded(t *testing.T) {
	testKeys(t)
	clk := newClock()
	cfg, _, _ := testConfig(clk)
	cfg.UnknownKIDMax = 3
	c := newCache(t, cfg)
	c.Add(iss, funcSource(docOf(t, jwkOf(t, p256Key.Public(), "real")), nil))

	for i := range 10 {
		clk.Advance(keyset.DefaultMinRefetchInterval)
		_, err := c.Key(t.Context(), iss, fmt.Sprintf("ghost-%d", i))
		require.ErrorIs(t, err, keyset.ErrUnknownKey)
		require.LessOrEqual(t, c.RememberedUnknown(), 3)
	}
	require.Equal(t, 3, c.RememberedUnknown())

	c.Remove(iss)
	require.Zero(t, c.RememberedUnknown(), "a removed issuer's unknown kids are forgotten")
}

func TestEndpointDown(t *testing.T) {
	testKeys(t)
	srv := newJWKSServer(t, docOf(t, jwkOf(t, p256Key.Public(), "k1")))
	clk := newClock()
	cfg, reg, logs := testConfig(clk)
	cfg.FetchTimeout = 200 * time.Millisecond
	c := newCache(t, cfg)
	c.Add(iss, srv.source(t))
	_, err := c.Key(t.Context(), iss, "k1")
	require.NoError(t, err)

	// 1. Failing: the last good keys keep serving up to MaxStale.
	srv.mode.Store(failing)
	clk.Advance(keyset.DefaultRefresh)
	require.Error(t, c.Refresh(t.Context(), iss))
	clk.Advance(keyset.DefaultMaxStale - keyset.DefaultRefresh)
	_, err = c.Key(t.Context(), iss, "k1")
	require.NoError(t, err, "a set exactly MaxStale old still serves")
	require.True(t, c.Has(iss, "k1"))
	require.NotContains(t, logs.String(), "upstream secret detail", "no response body is logged")

	// 2. Past MaxStale: one fetch per MinRefetchInterval, else unavailable.
	clk.Advance(time.Second)
	require.False(t, c.Has(iss, "k1"), "a set past MaxStale is not used")
	before := srv.fetches.Load()
	_, err = c.Key(t.Context(), iss, "k1")
	requireUnavailable(t, err, keyset.DefaultMinRefetchInterval)
	require.Equal(t, before+1, srv.fetches.Load())
	clk.Advance(2 * time.Second)
	_, err = c.Key(t.Context(), iss, "k1")
	requireUnavailable(t, err, 3*time.Second)
	require.Equal(t, before+1, srv.fetches.Load(), "no fetch within MinRefetchInterval")

	// 3. Hanging: the fetch times out; a caller's own deadline ends its wait.
	srv.mode.Store(hanging)
	clk.Advance(keyset.DefaultMinRefetchInterval)
	_, err = c.Key(t.Context(), iss, "k1")
	requireUnavailable(t, err, keyset.DefaultMinRefetchInterval)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	clk.Advance(keyset.DefaultMinRefetchInterval)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = c.Key(ctx, iss, "k1")
	requireUnavailable(t, err, time.Second)
	require.ErrorIs(t, err, context.Canceled)

	// 4. Back up: the next fetch restores service.
	srv.mode.Store(healthy)
	clk.Advance(keyset.DefaultMinRefetchInterval)
	k, err := c.Key(t.Context(), iss, "k1")
	require.NoError(t, err)
	require.Equal(t, "k1", k.KID)
	require.True(t, c.Has(iss, "k1"))
	require.Contains(t, logs.String(), "jwks fetch recovered")
	require.InDelta(t, 2, metricValue(t, reg, `agentidp_authz_jwks_fetches_total{result="ok"}`), 0)
	require.GreaterOrEqual(t,
		metricValue(t, reg, `agentidp_authz_jwks_fetches_total{result="error"}`), 3.0)
}

// requireUnavailable checks that err is an *UnavailableError with the
// given RetryAfter.
func requireUnavailable(t *testing.T, err error, retry time.Duration) {
	t.Helper()
	require.ErrorIs(t, err, keyset.ErrUnavailable)
	var ue *keyset.UnavailableError
	require.ErrorAs(t, err, &ue)
	require.Equal(t, retry, ue.RetryAfter)
}

func TestNeverFetchedIsUnavailable(t *testing.T) {
	clk := newClock()
	cfg, _, _ := testConfig(clk)
	c := newCache(t, cfg)
	var calls atomic.Int64
	c.Add(iss, keyset.FuncSource(func(context.Context) ([]byte, error) {
		calls.Add(1)
		return nil, errors.New("issuer not started")
	}))

	_, err := c.Key(t.Context(), iss, "k1")
	requireUnavailable(t, err, keyset.DefaultMinRefetchInterval)
	require.ErrorContains(t, err, "issuer not started")
	_, err = c.Key(t.Context(), iss, "k2")
	requireUnavailable(t, err, keyset.DefaultMinRefetchInterval)
	require.Equal(t, int64(1), calls.Load())
	require.False(t, c.Has(iss, "k1"))
}

func TestUnknownKIDRefetchFailureIsUnavailable(t *testing.T) {
	testKeys(t)
	srv := newJWKSServer(t, docOf(t, jwkOf(t, p256Key.Public(), "k1")))
	clk := newClock()
	cfg, _, _ := testConfig(clk)
	c := newCache(t, cfg)
	c.Add(iss, srv.source(t))
	_, err := c.Key(t.Context(), iss, "k1")
	require.NoError(t, err)

	srv.mode.Store(failing)
	clk.Advance(keyset.DefaultMinRefetchInterval)
	_, err = c.Key(t.Context(), iss, "k2")
	requireUnavailable(t, err, keyset.DefaultMinRefetchInterval)
	_, err = c.Key(t.Context(), iss, "k3")
	requireUnavailable(t, err, keyset.DefaultMinRefetchInterval)
	_, err = c.Key(t.Context(), iss, "k1")
	require.NoError(t, err, "known keys keep serving")
}

func TestFailedFetchKeepsTheSet(t *testing.T) {
	testKeys(t)
	big := make([]byte, keyset.DefaultMaxJWKSBytes+1)
	for i := range big {
		big[i] = ' '
	}
	copy(big, `{"keys":[]}`)
	tests := []struct {
		name string
		doc  []byte
	}{
		{"a body over the size limit", big},
		{"a body that is not JSON", []byte("<html>secret page</html>")},
		{"a document without keys", []byte(`{"secret":"page"}`)},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is a failed fetch", func(t *testing.T) {
			srv := newJWKSServer(t, docOf(t, jwkOf(t, p256Key.Public(), "k1")))
			clk := newClock()
			cfg, reg, logs := testConfig(clk)
			c := newCache(t, cfg)
			c.Add(iss, srv.source(t))
			_, err := c.Key(t.Context(), iss, "k1")
			require.NoError(t, err)

			srv.serve(tt.doc, "")
			require.Error(t, c.Refresh(t.Context(), iss))
			_, err = c.Key(t.Context(), iss, "k1")
			require.NoError(t, err, "the previous good set keeps serving")
			require.InDelta(t, 1,
				metricValue(t, reg, `agentidp_authz_jwks_fetches_total{result="error"}`), 0)
			require.NotContains(t, logs.String(), "secret", "no response body is logged")
		})
	}
}

func TestSkippedKeysAreLoggedAndCounted(t *testing.T) {
	testKeys(t)
	clk := newClock()
	cfg, reg, logs := testConfig(clk)
	c := newCache(t, cfg)
	c.Add(iss, funcSource(docOf(t,
		jwkOf(t, p256Key.Public(), "good"),
		map[string]any{"kty": "oct", "kid": "hmac", "k": "c2VjcmV0LWtleQ"},
		jwkOf(t, rsa1024Key.Public(), "small"),
	), nil))
	require.NoError(t, c.Refresh(t.Context(), iss))

	require.True(t, c.Has(iss, "good"))
	require.False(t, c.Has(iss, "hmac"))
	require.False(t, c.Has(iss, "small"))
	require.InDelta(t, 2, metricValue(t, reg, "agentidp_authz_jwks_keys_skipped_total"), 0)
	require.Contains(t, logs.String(), `"kid":"hmac"`)
	require.Contains(t, logs.String(), `"kid":"small"`)
	require.NotContains(t, logs.String(), "c2VjcmV0LWtleQ", "no key material is logged")
}

func TestMaxAgeIsBounded(t *testing.T) {
	testKeys(t)
	tests := []struct {
		name         string
		cacheControl string
		maxAge       time.Duration
		refresh      time.Duration
	}{
		{"a max-age of 1s is raised to MinMaxAge", "max-age=1",
			keyset.DefaultMinMaxAge, keyset.DefaultMinMaxAge * 4 / 5},
		// Refreshing at 80% of an hour would let the set pass MaxStale
		// first; refreshes stay at 80% of MaxStale.
		{"a max-age of a week is lowered to MaxMaxAge", "public, max-age=604800",
			keyset.DefaultMaxMaxAge, keyset.DefaultMaxStale * 4 / 5},
		{"a max-age within the bounds is kept", "max-age=600", 10 * time.Minute, 8 * time.Minute},
		{"no max-age refreshes every DefaultRefresh", "", 0, keyset.DefaultRefresh},
		{"no-store refreshes every DefaultRefresh", "no-store, max-age=600", 0,
			keyset.DefaultRefresh},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newJWKSServer(t, docOf(t, jwkOf(t, p256Key.Public(), "k1")))
			srv.serve(docOf(t, jwkOf(t, p256Key.Public(), "k1")), tt.cacheControl)
			clk := newClock()
			cfg, _, _ := testConfig(clk)
			c := newCache(t, cfg)
			c.Add(iss, srv.source(t))
			require.NoError(t, c.Refresh(t.Context(), iss))

			got, ok := c.SetMaxAge(iss)
			require.True(t, ok)
			require.Equal(t, tt.maxAge, got)
			require.Equal(t, clk.Now().Add(tt.refresh), c.NextRefresh(iss))
		})
	}
}

func TestOldestSetAge(t *testing.T) {
	testKeys(t)
	clk := newClock()
	cfg, reg, _ := testConfig(clk)
	c := newCache(t, cfg)
	gauge := func() float64 {
		return metricValue(t, reg, "agentidp_authz_jwks_oldest_set_age_seconds")
	}
	require.Zero(t, gauge(), "no set held")

	c.Add("a", funcSource(docOf(t), nil))
	c.Add("b", funcSource(docOf(t), nil))
	require.NoError(t, c.Refresh(t.Context(), "a"))
	clk.Advance(90 * time.Second)
	require.NoError(t, c.Refresh(t.Context(), "b"))
	clk.Advance(10 * time.Second)
	require.InDelta(t, 100, gauge(), 0)
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  keyset.Config
	}{
		{"a negative MaxStale is refused", keyset.Config{MaxStale: -time.Second}},
		{"a negative FetchTimeout is refused", keyset.Config{FetchTimeout: -time.Second}},
		{"a negative UnknownKIDMax is refused", keyset.Config{UnknownKIDMax: -1}},
		{"MinMaxAge above MaxMaxAge is refused", keyset.Config{MinMaxAge: 2 * time.Hour}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := keyset.New(tt.cfg)
			require.ErrorIs(t, err, keyset.ErrInvalidConfig)
		})
	}

	reg := prometheus.NewRegistry()
	c := newCache(t, keyset.Config{Registerer: reg})
	require.NotNil(t, c)
	_, err := keyset.New(keyset.Config{Registerer: reg})
	require.Error(t, err, "registering the metrics twice fails")
}

// metricValue returns the value of the counter or gauge of reg named
// name, or name{label="value"} for one of several.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	name, label, _ := strings.Cut(name, "{")
	label = strings.TrimSuffix(label, "}")
	mfs, err := reg.Gather()
	require.NoError(t, err)
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, lp := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
			}
			if strings.Join(labels, ",") != label {
				continue
			}
			if m.GetCounter() != nil {
				return m.GetCounter().GetValue()
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s{%s}", name, label)
	return 0
}

func TestKeysServeAfterClose(t *testing.T) {
	testKeys(t)
	clk := newClock()
	cfg, _, _ := testConfig(clk)
	c, err := keyset.New(cfg)
	require.NoError(t, err)
	c.Add(iss, funcSource(docOf(t, jwkOf(t, p256Key.Public(), "k1")), nil))
	require.NoError(t, c.Refresh(t.Context(), iss))

	c.Close()
	k, err := c.Key(t.Context(), iss, "k1")
	require.NoError(t, err, "the issuer's own copy answers")
	require.Equal(t, "k1", k.KID)
	require.True(t, c.Has(iss, "k1"))
	clk.Advance(keyset.DefaultMinRefetchInterval)
	require.NoError(t, c.Refresh(t.Context(), iss))
}
