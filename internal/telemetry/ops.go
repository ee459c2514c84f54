package telemetry

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultCheckTimeout bounds one readiness check.
const DefaultCheckTimeout = 2 * time.Second

// NewRegistry returns a Prometheus registry holding the Go runtime,
// process and build-info collectors. Components register their own
// metrics on it through the prometheus.Registerer they are handed.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	)
	return reg
}

// Check is one readiness check, such as pinging the store.
type Check struct {
	// Name identifies the check in the /readyz body and in logs.
	Name string
	// Run returns nil when the dependency can serve. It must return when
	// its context is done.
	Run func(ctx context.Context) error
}

// OpsConfig configures the operations handler.
type OpsConfig struct {
	// Gatherer serves /metrics.
	Gatherer prometheus.Gatherer
	// Checks run, concurrently, on every /readyz request.
	Checks []Check
	// Logger receives the errors of failed checks, which never reach the
	// response.
	Logger *slog.Logger
	// CheckTimeout bounds each check; zero means DefaultCheckTimeout.
	CheckTimeout time.Duration
}

// NewOpsHandler returns the handler of the operations listener:
//
//   - /metrics: the Prometheus exposition of Gatherer;
//   - /healthz: liveness, 200 as long as the process serves HTTP;
//   - /readyz: 200 when every check passes within its timeout, otherwise
//     503 with a JSON body naming the failed checks.
func NewOpsHandler(cfg OpsConfig) http.Handler {
	if cfg.CheckTimeout <= 0 {
		cfg.CheckTimeout = DefaultCheckTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}

	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, healthBody{Status: "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		failed := runChecks(r.Context(), cfg)
		if len(failed) > 0 {
			writeJSON(w, http.StatusServiceUnavailable, healthBody{Status: "unavailable", Failed: failed})
			return
		}
		writeJSON(w, http.StatusOK, healthBody{Status: "ready"})
	})
	return mux
}

// healthBody is the JSON body of /healthz and /readyz. Failed holds check
// names only: an error string may hold a host name or worse.
type healthBody struct {
	Status string   `json:"status"`
	Failed []string `json:"failed,omitempty"`
}

// errTimedOut stands for a check that did not return in time.
var errTimedOut = errors.New("check did not return within its timeout")

// runChecks runs every check concurrently and returns the names of those
// that failed or did not return within cfg.CheckTimeout, in configuration
// order. A check that ignores its context is abandoned, not waited for.
func runChecks(ctx context.Context, cfg OpsConfig) []string {
	ctx, cancel := context.WithTimeout(ctx, cfg.CheckTimeout)
	defer cancel()

	type result struct {
		i   int
		err error
	}
	results := make(chan result, len(cfg.Checks))
	for i, c := range cfg.Checks {
		go func() { results <- result{i, c.Run(ctx)} }()
	}

	errs := make([]error, len(cfg.Checks))
	for i := range errs {
		errs[i] = errTimedOut
	}
collect:
	for range cfg.Checks {
		select {
		case r := <-results:
			errs[r.i] = r.err
		case <-ctx.Done():
			break collect
		}
	}

	var failed []string
	for i, err := range errs {
		if err != nil {
			failed = append(failed, cfg.Checks[i].Name)
			cfg.Logger.WarnContext(ctx, "readiness check failed",
				slog.String("check", cfg.Checks[i].Name), slog.Any("error", err))
		}
	}
	return failed
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
