package telemetry

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, h http.Handler, path string) (int, string, http.Header) {
	t.Helper()
	req := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, err := io.ReadAll(rec.Result().Body)
	require.NoError(t, err)
	return rec.Code, string(body), rec.Header()
}

func TestOpsHandlerReadiness(t *testing.T) {
	ok := Check{Name: "ok", Run: func(context.Context) error { return nil }}
	down := Check{Name: "store", Run: func(context.Context) error {
		return errors.New("dial postgres://app:hunter2@db: refused")
	}}
	stuck := Check{Name: "stuck", Run: func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	}}
	deaf := make(chan struct{})
	t.Cleanup(func() { close(deaf) })
	ignoresCtx := Check{Name: "deaf", Run: func(context.Context) error {
		<-deaf
		return nil
	}}

	tests := []struct {
		name     string
		checks   []Check
		wantCode int
		wantBody string
	}{
		{"no checks means ready", nil, http.StatusOK, `{"status":"ready"}`},
		{"passing checks", []Check{ok, ok}, http.StatusOK, `{"status":"ready"}`},
		{"a failed check is named but its error is not shown", []Check{ok, down},
			http.StatusServiceUnavailable, `{"status":"unavailable","failed":["store"]}`},
		{"a check that runs out of time fails", []Check{stuck, down},
			http.StatusServiceUnavailable, `{"status":"unavailable","failed":["stuck","store"]}`},
		{"a check that ignores its context is abandoned", []Check{ignoresCtx, ok},
			http.StatusServiceUnavailable, `{"status":"unavailable","failed":["deaf"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log, err := NewLogger(&logs, "info", "json")
			require.NoError(t, err)
			h := NewOpsHandler(OpsConfig{
				Gatherer:     prometheus.NewRegistry(),
				Checks:       tt.checks,
				Logger:       log,
				CheckTimeout: 50 * time.Millisecond,
			})

			code, body, header := get(t, h, "/readyz")
			require.Equal(t, tt.wantCode, code)
			require.JSONEq(t, tt.wantBody, body)
			require.Equal(t, "application/json", header.Get("Content-Type"))
			require.NotContains(t, body, "hunter2")
			require.NotContains(t, logs.String(), "hunter2")
		})
	}
}

func TestOpsHandlerLivenessAndMetrics(t *testing.T) {
	reg := NewRegistry()
	hits := prometheus.NewCounter(prometheus.CounterOpts{Name: "test_hits_total", Help: "Hits."})
	reg.MustRegister(hits)
	hits.Inc()
	h := NewOpsHandler(OpsConfig{Gatherer: reg})

	code, body, _ := get(t, h, "/healthz")
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"status":"ok"}`, body)

	code, body, _ = get(t, h, "/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "test_hits_total 1")
	require.Contains(t, body, "go_goroutines")
	require.Contains(t, body, "process_start_time_seconds")

	code, _, _ = get(t, h, "/nope")
	require.Equal(t, http.StatusNotFound, code)

	req := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/healthz", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)
}
