package rest

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the server's Prometheus collectors. Their labels hold route
// patterns, methods and status codes only: never an id, a key or a secret.
type metrics struct {
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	limited  *prometheus.CounterVec
}

// newMetrics builds the collectors and registers them on reg, if any.
func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "agentidp", Subsystem: "rest", Name: "requests_total",
			Help: "REST requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "agentidp", Subsystem: "rest", Name: "request_duration_seconds",
			Help:    "REST request latency by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
		limited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "agentidp", Subsystem: "rest", Name: "rate_limited_total",
			Help: "REST requests refused by a rate limit, by limit (global or org).",
		}, []string{"limit"}),
	}
	if reg == nil {
		return m, nil
	}

	for _, c := range []prometheus.Collector{m.requests, m.latency, m.limited} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

// knownMethods bounds the method label: any other method counts as OTHER.
var knownMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true,
	"DELETE": true, "OPTIONS": true,
}

// methodLabel returns the metric label of an HTTP method.
func methodLabel(m string) string {
	if knownMethods[m] {
		return m
	}
	return "OTHER"
}
