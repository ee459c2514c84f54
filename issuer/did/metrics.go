package did

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the resolver's collectors. Their labels are DID method
// families and resolution error codes only, never a DID.
type metrics struct {
	resolutions *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		resolutions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "agentidp", Subsystem: "did", Name: "resolutions_total",
			Help: "DID resolutions by source (local, key, remote, cache, none) and outcome.",
		}, []string{"source", "outcome"}),
	}
	if reg != nil {
		if err := reg.Register(m.resolutions); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}

// count records one resolution.
func (m *metrics) count(source string, res *Result) {
	outcome := res.Meta.Error
	if outcome == "" {
		outcome = "ok"
	}
	m.resolutions.WithLabelValues(source, outcome).Inc()
}
