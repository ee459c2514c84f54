package rest

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
)

// BenchmarkAPIKeyAuth measures authenticating a request by API key on each
// backend: the service path alone (look the key up, hash, compare, load
// the organisation) and a whole request through the handler (GET /v1/org).
func BenchmarkAPIKeyAuth(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			e := newEnv(b, be.open(b), func(c *Config) {
				c.Logger = slog.New(slog.DiscardHandler)
				c.RateLimit = RateLimit{GlobalRPS: 1e9, GlobalBurst: 1e9, OrgRPS: 1e9,
					OrgBurst: 1e9}
			})
			key := e.key(e.org("Acme"), "admin")

			b.Run("service", func(b *testing.B) {
				ctx := context.Background()
				for b.Loop() {
					if _, err := e.srv.svc.Authenticate(ctx, key); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("handler", func(b *testing.B) {
				h := e.srv.Handler()
				for b.Loop() {
					req := httptest.NewRequestWithContext(b.Context(), "GET", "/v1/org", nil)
					req.Header.Set("Authorization", "Bearer "+key)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatalf("status %d: %s", rec.Code, rec.Body)
					}
				}
			})
		})
	}
}
