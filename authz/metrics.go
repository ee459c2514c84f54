package authz

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics counts decisions. The counters of every decision and reason are
// made up front, so that the hot path looks one up in a map rather than
// hashing label values.
type metrics struct {
	allow, deny map[string]prometheus.Counter
	latency     prometheus.Histogram
	cache       *prometheus.CounterVec
	hit, miss   prometheus.Counter
	refused     prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	decisions := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "agentidp_authz_decisions_total",
		Help: "Check decisions, by decision (allow or deny) and reason code.",
	}, []string{"decision", "reason"})
	latency := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "agentidp_authz_check_duration_seconds",
		Help:    "Time to decide a Check, from its arrival to its answer.",
		Buckets: []float64{5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 1e-3, 1e-2, 0.1, 1},
	})
	cache := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "agentidp_authz_decision_cache_total",
		Help: "Decision cache lookups of presented tokens, by result (hit, refusal_hit, miss).",
	}, []string{"result"})
	m := &metrics{allow: map[string]prometheus.Counter{}, deny: map[string]prometheus.Counter{},
		latency: latency, cache: cache, hit: cache.WithLabelValues("hit"),
		miss: cache.WithLabelValues("miss"), refused: cache.WithLabelValues("refusal_hit")}
	for _, r := range reasons {
		m.allow[r] = decisions.WithLabelValues("allow", r)
		m.deny[r] = decisions.WithLabelValues("deny", r)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{decisions, latency, cache} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register authz metrics: %w", err)
		}
	}
	return m, nil
}

// observe counts one decision and its latency.
func (m *metrics) observe(allowed bool, reason string, start, end time.Time) {
	counters := m.deny
	if allowed {
		counters = m.allow
	}
	if c, ok := counters[reason]; ok {
		c.Inc()
	}
	m.latency.Observe(end.Sub(start).Seconds())
}

func (m *metrics) cacheHit()   { m.hit.Inc() }
func (m *metrics) cacheMiss()  { m.miss.Inc() }
func (m *metrics) refusalHit() { m.refused.Inc() }
