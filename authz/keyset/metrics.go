package keyset

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Values of the result label of the fetch counter.
const (
	resultOK    = "ok"
	resultError = "error"
)

// metrics are the Cache's Prometheus collectors. Their labels are bounded:
// a fetch result, never an issuer, a kid or anything from a token.
type metrics struct {
	fetches    *prometheus.CounterVec
	skipped    prometheus.Counter
	unknownKID prometheus.Counter
	oldestAge  prometheus.GaugeFunc
}

// newMetrics builds the collectors and registers them on reg, if any;
// oldest is read at every scrape.
func newMetrics(reg prometheus.Registerer, oldest func() float64) (*metrics, error) {
	const ns, sub = "agentidp", "authz_jwks"
	m := &metrics{
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "fetches_total",
			Help: "Key set fetches, by result (ok, error).",
		}, []string{"result"}),
		skipped: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "keys_skipped_total",
			Help: "Keys left out of fetched key sets as not acceptable.",
		}),
		unknownKID: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "unknown_kid_rejections_total",
			Help: "Key lookups refused because the kid is not in the issuer's set.",
		}),
		oldestAge: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "oldest_set_age_seconds",
			Help: "Age of the oldest key set held, since it was fetched; 0 when none is held.",
		}, oldest),
	}
	// Both results exist from the start, so that rates can be taken.
	m.fetches.WithLabelValues(resultOK)
	m.fetches.WithLabelValues(resultError)
	if reg == nil {
		return m, nil
	}

	for _, c := range []prometheus.Collector{m.fetches, m.skipped, m.unknownKID, m.oldestAge} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}
