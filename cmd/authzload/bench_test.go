package main

import (
	"crypto/x509"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/loadtest"
)

// BenchmarkCheckAgainstNoop is the floor under every figure the tool
// prints: one Check over gRPC with TLS to the no-op server, client and
// server in this process, over four connections.
func BenchmarkCheckAgainstNoop(b *testing.B) {
	cert, certPEM, err := loadtest.SelfSigned("bench")
	require.NoError(b, err)
	var lc net.ListenConfig
	ln, err := lc.Listen(b.Context(), "tcp", "127.0.0.1:0")
	require.NoError(b, err)
	srv := newNoopServer(cert)
	go func() { _ = srv.Serve(ln) }()
	defer srv.Stop()

	roots := x509.NewCertPool()
	require.True(b, roots.AppendCertsFromPEM(certPEM))
	t, err := dial(b.Context(), "noop", ln.Addr().String(), roots, 4, 2*time.Second)
	require.NoError(b, err)
	defer t.close()
	req := newCheckRequest("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln")

	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			c := t.clients[next.Add(1)%uint64(len(t.clients))]
			resp, err := c.Check(b.Context(), req)
			if err != nil || wantAllow.check(resp) != nil {
				b.Error("the no-op server did not allow")
				return
			}
		}
	})
}
