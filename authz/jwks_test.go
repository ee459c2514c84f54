package authz

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/authz/keyset"
)

// jwksEndpoint is an issuer's JWKS over real HTTPS that a test can break.
type jwksEndpoint struct {
	srv     *httptest.Server
	doc     []byte
	fetches atomic.Int64
	down    atomic.Bool
}

func newJWKSEndpoint(t *testing.T, doc []byte) *jwksEndpoint {
	j := &jwksEndpoint{doc: doc}
	j.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		j.fetches.Add(1)
		if j.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(j.doc)
	}))
	t.Cleanup(j.srv.Close)
	return j
}

// remoteEnv is an env whose local issuer's keys come from a JWKS endpoint.
func remoteEnv(t *testing.T, kcfg keyset.Config) (*env, *jwksEndpoint) {
	e := newEnv(t, nil)
	j := newJWKSEndpoint(t, jwks(t, e.signing))
	kcfg.Now = e.clock.Now
	ks, err := keyset.New(kcfg)
	require.NoError(t, err)
	t.Cleanup(ks.Close)
	src, err := keyset.NewHTTPSource(j.srv.URL+"/.well-known/jwks.json", j.srv.Client())
	require.NoError(t, err)
	ks.Add(testIssuer, src)
	e.keys = ks
	e.srv, err = New(Config{Keys: ks, Denylist: e.deny, LocalIssuer: testIssuer, Now: e.clock.Now})
	require.NoError(t, err)
	t.Cleanup(e.srv.Close)
	return e, j
}

func TestUnknownKidFloodCausesOneFetch(t *testing.T) {
	e, j := remoteEnv(t, keyset.Config{MinRefetchInterval: time.Minute})
	require.Equal(t, allowed(), answerOf(e.check(t, request(bearer(token(t, e.signing,
		e.claims())), nil))))
	require.Equal(t, int64(1), j.fetches.Load())

	// Past the refetch interval, 1,000 concurrent requests with distinct
	// tokens naming a kid the issuer never published.
	e.clock.Advance(2 * time.Minute)
	rogue := newKey(t, jose.ES256, "k-made-up")
	toks := make([]string, 1000)
	for i := range toks {
		toks[i] = token(t, rogue, e.claims())
	}
	var wg sync.WaitGroup
	answers := make([]answer, len(toks))
	for i, tok := range toks {
		wg.Go(func() { answers[i] = answerOf(e.check(t, request(bearer(tok), nil))) })
	}
	wg.Wait()
	for _, a := range answers {
		require.Equal(t, invalid(ReasonKey), a)
	}
	require.Equal(t, int64(2), j.fetches.Load(), "one refetch for all of them")

	// More made-up tokens soon after cost no fetch at all.
	for range 100 {
		require.Equal(t, invalid(ReasonKey), answerOf(e.check(t, request(bearer(token(t,
			rogue, e.claims())), nil))))
	}
	require.Equal(t, int64(2), j.fetches.Load())
}

func TestJWKSEndpointGoesDownAndComesBack(t *testing.T) {
	e, j := remoteEnv(t, keyset.Config{MaxStale: time.Minute,
		MinRefetchInterval: 5 * time.Second})
	tok := token(t, e.signing, e.claims())
	admit := func() answer { return answerOf(e.check(t, request(bearer(tok), nil))) }
	require.Equal(t, allowed(), admit())
	e.srv.cache.wait()

	// Down: the last good keys keep serving for max_stale...
	j.down.Store(true)
	e.clock.Advance(30 * time.Second)
	require.Equal(t, allowed(), admit())
	fresh := token(t, e.signing, e.claims())
	require.Equal(t, allowed(), answerOf(e.check(t, request(bearer(fresh), nil))),
		"a token first seen now still verifies with the stale keys")

	// ...and after it, the edge cannot decide: 503, never an allow.
	e.clock.Advance(45 * time.Second)
	got := admit()
	require.Equal(t, 503, got.HTTP)
	require.Equal(t, ReasonUnavailable, got.Meta[MetaReason])
	require.NotEmpty(t, got.Headers["retry-after"])

	// Back: the next fetch restores service.
	j.down.Store(false)
	e.clock.Advance(time.Minute)
	require.Equal(t, allowed(), admit())
}
