package did_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store/testdb"
	"github.com/agentidp/agentidp/issuer/did"
)

func BenchmarkResolve(b *testing.B) {
	host, _ := remoteHost(b)
	e := newEnv(b, testdb.SQLite(b), func(c *did.Config) {
		c.Remote.AllowedHosts = []string{"127.0.0.1"}
		c.Remote.AllowedNetworks = loopback
	})
	f := e.newFixture(b)
	remote := "did:web:" + host + ":ok"
	require.Empty(b, e.srv.Resolve(b.Context(), remote).Meta.Error)

	for _, bc := range []struct{ name, did string }{
		{"deployment", e.srv.DID()},
		{"agent", e.srv.AgentDID(f.agent.ID)},
		{"remote cached", remote},
		{"did:key", "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if res := e.srv.Resolve(b.Context(), bc.did); res.Meta.Error != "" {
					b.Fatal(res.Meta.Error)
				}
			}
		})
	}
}

func BenchmarkServeDeploymentDocument(b *testing.B) {
	e := newEnv(b, testdb.SQLite(b), nil)
	mux := http.NewServeMux()
	e.srv.Register(mux)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		r := httptest.NewRequestWithContext(b.Context(), http.MethodGet,
			did.PathDeploymentDocument, nil)
		mux.ServeHTTP(w, r)
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), e.srv.DID()) {
			b.Fatal(w.Code)
		}
	}
}
