package auditlog_test

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/agentidp/agentidp/internal/auditlog"
	"github.com/agentidp/agentidp/internal/store"
)

// benchWriters is how many goroutines per CPU record at once, standing for
// the token endpoint's concurrent requests.
const benchWriters = 16

// BenchmarkRecord measures records per second from many goroutines: through
// the writer ("grouped": Record, then one Flush at the end, inside the
// timing), and one transaction per record as a baseline ("per-record":
// AppendAudit and Enqueue in their own WithTx), on each backend.
func BenchmarkRecord(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name+"/grouped", func(b *testing.B) { benchGrouped(b, be.open(b)) })
		b.Run(be.name+"/per-record", func(b *testing.B) { benchPerRecord(b, be.open(b)) })
	}
}

func benchGrouped(b *testing.B, st store.Store) {
	w, err := auditlog.New(auditlog.Config{Store: st})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = w.Run(ctx) }()
	orgs := newOrgs(3)
	var n atomic.Int64

	b.SetParallelism(benchWriters)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			org, target := orgs[i%3], "t"+strconv.FormatInt(i, 10)
			if err := w.Record(ctx, entry(org, target), event(org, target)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	if err := w.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	reportRate(b)

	if err := w.Close(ctx); err != nil {
		b.Fatal(err)
	}
}

func benchPerRecord(b *testing.B, st store.Store) {
	ctx := context.Background()
	orgs := newOrgs(3)
	var n atomic.Int64

	b.SetParallelism(benchWriters)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			org, target := orgs[i%3], "t"+strconv.FormatInt(i, 10)
			e, ev := entry(org, target), event(org, target)
			err := st.WithTx(ctx, func(tx store.Tx) error {
				if _, err := tx.AppendAudit(ctx, e); err != nil {
					return err
				}
				return tx.Enqueue(ctx, *ev)
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportRate(b)
}

// reportRate reports committed records per second of the timed run.
func reportRate(b *testing.B) {
	b.StopTimer()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(b.N)/s, "records/s")
	}
}
