package agentcard_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/agentidp/agentidp/internal/store/testdb"
)

func BenchmarkServe(b *testing.B) {
	e := newEnv(b, testdb.SQLite(b))
	a := e.newAgent(b)
	for _, bc := range []struct{ name, path string }{
		{"card", "/agents/" + a.ID + "/card"},
		{"badge", "/agents/" + a.ID + "/.well-known/vcs.json"},
		{"status list cached", "/status-lists/0"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				e.mux.ServeHTTP(w, httptest.NewRequestWithContext(b.Context(), http.MethodGet, bc.path, nil))
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
