package auditlog

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the writer's Prometheus collectors. They carry no labels:
// never an organisation id, an actor or anything else a record holds.
type metrics struct {
	batchSize  prometheus.Histogram
	commitTime prometheus.Histogram
	failures   prometheus.Counter
	duplicates prometheus.Counter
	depth      prometheus.GaugeFunc
}

// newMetrics builds the collectors and registers them on reg, if any;
// depth is read at every scrape.
func newMetrics(reg prometheus.Registerer, depth func() float64) (*metrics, error) {
	const ns, sub = "agentidp", "auditlog"
	m := &metrics{
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "batch_size",
			Help:    "Audit records per committed transaction.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 13),
		}),
		commitTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "commit_duration_seconds",
			Help:    "Time taken by each audit batch transaction, failed ones included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "commit_failures_total",
			Help: "Audit batch transactions that failed, or whose outcome could not be checked.",
		}),
		duplicates: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "duplicate_events_total",
			Help: "Outbox events left out of a batch because the outbox held their id.",
		}),
		depth: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "queue_depth",
			Help: "Audit records queued and not yet taken into a batch.",
		}, depth),
	}
	if reg == nil {
		return m, nil
	}

	for _, c := range []prometheus.Collector{m.batchSize, m.commitTime, m.failures,
		m.duplicates, m.depth} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	return m, nil
}
