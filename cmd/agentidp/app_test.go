package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/config"
)

// A stop signal lets a request in flight finish while new connections are
// refused.
func TestShutdownFinishesInFlightRequests(t *testing.T) {
	cfg := config.Default()
	cfg.Server.ShutdownTimeout = 10 * time.Second
	in := &instance{cfg: &cfg, log: slog.New(slog.DiscardHandler)}

	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "finished")
	})
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	url := "http://" + ln.Addr().String() + "/"

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.serve("test", in.httpServer(h, nil), ln)(ctx) }()

	type result struct {
		body string
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			inflight <- result{err: err}
			return
		}
		defer func() { _ = resp.Body.Close() }()
		b, err := io.ReadAll(resp.Body)
		inflight <- result{string(b), err}
	}()
	<-started
	cancel()

	// Once the listener is closed, new requests are refused...
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	require.Eventually(t, func() bool {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		resp, err := fresh.Do(req)
		if err == nil {
			_ = resp.Body.Close()
		}
		return err != nil
	}, 5*time.Second, 10*time.Millisecond)

	// ...while the one in flight still completes.
	close(release)
	r := <-inflight
	require.NoError(t, r.err)
	require.Equal(t, "finished", r.body)
	require.NoError(t, <-done)
}
