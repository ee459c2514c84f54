package oauth

import (
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus collectors. Their labels hold
// endpoint paths, status codes, OAuth error codes and authentication
// method names only: never a client id, a token or a secret.
type metrics struct {
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	issued   *prometheus.CounterVec
}

// newMetrics builds the collectors and registers them on reg, if any.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "agentidp", Subsystem: "oauth", Name: "requests_total",
			Help: "OAuth requests by endpoint and status code.",
		}, []string{"endpoint", "code"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "agentidp", Subsystem: "oauth", Name: "errors_total",
			Help: "OAuth refusals by endpoint and OAuth error code.",
		}, []string{"endpoint", "error"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "agentidp", Subsystem: "oauth", Name: "request_duration_seconds",
			Help:    "OAuth request latency by endpoint.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"endpoint"}),
		issued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "agentidp", Subsystem: "oauth", Name: "tokens_issued_total",
			Help: "Access tokens issued, by client authentication method.",
		}, []string{"auth_method"}),
	}
	if reg == nil {
		return m, nil
	}

	for _, c := range []prometheus.Collector{m.requests, m.errors, m.latency, m.issued} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

// observe counts one finished request.
func (m *metrics) observe(endpoint, status, errCode string, elapsed time.Duration) {
	m.requests.WithLabelValues(endpoint, status).Inc()
	if errCode != "" {
		m.errors.WithLabelValues(endpoint, errCode).Inc()
	}
	m.latency.WithLabelValues(endpoint).Observe(elapsed.Seconds())
}

// endpointLabel returns the path of a ServeMux pattern, or "unmatched".
func endpointLabel(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	if pattern == "" {
		return "unmatched"
	}
	return pattern
}
