package oauth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/auditlog"
	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/testdb"
	"github.com/agentidp/agentidp/internal/testclock"
	"github.com/agentidp/agentidp/issuer/oauth"
)

// BenchmarkTokenEndpoint measures POST /oauth2/token in process
// (client_secret_post, so one agent lookup, one secrets read, a signature
// and an audit record) beside a baseline handler that only signs fixed
// claims with the same key. Each endpoint run measures the baseline just
// before itself and reports its rate as a share of the baseline's:
// rate/baseline = baseline ns/op ÷ endpoint ns/op.
func BenchmarkTokenEndpoint(b *testing.B) {
	b.Run("baseline", func(b *testing.B) {
		runParallel(b, baselineHandler(startKeys(b, testdb.SQLite(b), testclock.New(time.Now()))),
			func() *http.Request { return httptest.NewRequestWithContext(b.Context(), http.MethodPost, "/", nil) })
	})
	base := baselineHandler(startKeys(b, testdb.SQLite(b), testclock.New(time.Now())))
	for _, bk := range testdb.Backends {
		for _, rec := range []string{"auditlog", "tx-per-record"} {
			b.Run(bk.Name+"/client_secret_post/"+rec, func(b *testing.B) {
				st := bk.Open(b)
				var audit oauth.Recorder = &syncRecorder{st: st}
				if rec == "auditlog" {
					audit = startAuditLog(b, st)
				}
				e := newEnv(b, st, func(c *oauth.Config) { c.Audit = audit })
				f := e.newFixture(b, nil)
				body := []byte(secretForm(f, nil).Encode())

				baseNs := nsPerRequest(b, base, func() *http.Request {
					return httptest.NewRequestWithContext(b.Context(), http.MethodPost, "/", nil)
				})
				runParallel(b, e.srv.Handler(), func() *http.Request {
					r := httptest.NewRequestWithContext(b.Context(), http.MethodPost, oauth.PathToken,
						bytes.NewReader(body))
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					return r
				})
				perOp := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				b.ReportMetric(baseNs/perOp, "rate/baseline")
			})
		}
	}
}

// runParallel serves requests from all benchmark goroutines and checks
// that each succeeds.
func runParallel(b *testing.B, h http.Handler, newRequest func() *http.Request) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, newRequest())
			if w.Code != http.StatusOK {
				b.Errorf("status %d: %s", w.Code, w.Body.String())
				return
			}
		}
	})
}

// baselineHandler only signs fixed claims of the shape the token endpoint
// mints, and answers with the token.
func baselineHandler(m *keys.Manager) http.Handler {
	claims := map[string]any{"iss": "https://idp.example.com", "sub": "agt_bench",
		"aud": "https://idp.example.com", "exp": 1, "iat": 1, "nbf": 1, "jti": "jti",
		"client_id": "agt_bench", "scope": "tickets:read tickets:write", "org_id": "org_bench",
		"agent_did": "did:web:idp.example.com:agents:agt_bench"}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		payload, _ := json.Marshal(claims)
		tok, _, err := m.Sign(payload, keys.TypeAccessToken)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": string(tok),
			"token_type": "Bearer", "expires_in": 600})
	})
}

// nsPerRequest times a fixed number of requests to h, served from as many
// goroutines as a parallel benchmark uses, and returns the wall time per
// request: the same measure as a RunParallel benchmark's ns/op. A nested
// testing.Benchmark would deadlock inside a running benchmark.
func nsPerRequest(b *testing.B, h http.Handler, newRequest func() *http.Request) float64 {
	const n = 2000
	workers := runtime.GOMAXPROCS(0)
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range n / workers {
				w := httptest.NewRecorder()
				h.ServeHTTP(w, newRequest())
				if w.Code != http.StatusOK {
					b.Errorf("baseline status %d", w.Code)
					return
				}
			}
		})
	}
	wg.Wait()
	return float64(time.Since(start).Nanoseconds()) / float64(n/workers*workers)
}

// startAuditLog runs a group-commit audit writer on st until b ends, then
// closes it so that every record it took is committed.
func startAuditLog(b *testing.B, st store.Store) *auditlog.Writer {
	w, err := auditlog.New(auditlog.Config{Store: st})
	require.NoError(b, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	b.Cleanup(func() {
		require.NoError(b, w.Close(context.Background()))
		cancel()
		require.NoError(b, <-done)
	})
	return w
}
