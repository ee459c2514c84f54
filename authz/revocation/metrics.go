package revocation

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the feed's counters and its position in the outbox.
type metrics struct {
	syncs, failures, applied prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, f *Feed) (*metrics, error) {
	m := &metrics{
		syncs: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentidp_authz_revocation_syncs_total",
			Help: "Full reads of the revocation state by the edge.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentidp_authz_revocation_read_failures_total",
			Help: "Failed reads of the revocation state or the outbox; the last state keeps serving.",
		}),
		applied: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "agentidp_authz_revocation_changes_total",
			Help: "Revocation changes applied from the outbox.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	denials := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "agentidp_authz_revocation_denials",
		Help: "Tokens, agents and organisations the edge refuses, all kinds together.",
	}, func() float64 {
		t, a, o := f.deny.Len()
		return float64(t + a + o)
	})
	for _, c := range []prometheus.Collector{m.syncs, m.failures, m.applied, denials} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register revocation metrics: %w", err)
		}
	}
	return m, nil
}
