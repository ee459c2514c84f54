package auditlog_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/auditlog"
	"github.com/agentidp/agentidp/internal/store"
)

// TestManyWritersAcrossOrgs is the load the writer exists for: many
// goroutines recording at once, in few transactions.
func TestManyWritersAcrossOrgs(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) store.Store) {
		const total, writers = 10_000, 32
		st := &countingStore{Store: open(t)}
		w := newWriter(t, auditlog.Config{Store: st})
		_, done := start(t, w)
		orgs := newOrgs(3)

		var wg sync.WaitGroup
		for g := range writers {
			wg.Go(func() {
				for i := g; i < total; i += writers {
					org, target := orgs[i%len(orgs)], fmt.Sprintf("g%d-%d", g, i)
					require.NoError(t, w.Record(t.Context(), entry(org, target), event(org, target)))
				}
			})
		}
		wg.Wait()
		require.NoError(t, w.Close(t.Context()))
		require.NoError(t, <-done, "Run returns once closed and drained")

		var chained []string
		for _, org := range orgs {
			got := targets(t, st, org)
			requireSubmissionOrder(t, got)
			chained = append(chained, got...)
		}
		require.Len(t, chained, total)
		requireIntact(t, st)

		events := subjects(outbox(t, st))
		requireSubmissionOrder(t, events)
		requireSameSet(t, chained, events, "every record's event is in the outbox, once")

		txs := st.txs.Load()
		t.Logf("%d records in %d transactions", total, txs)
		require.LessOrEqual(t, txs, int64(total/10), "records are written in batches")
	})
}

// requireSubmissionOrder checks that targets named "g<goroutine>-<i>" by
// one goroutine appear in the order it recorded them.
func requireSubmissionOrder(t *testing.T, targets []string) {
	t.Helper()
	last := map[string]int{}
	for _, tg := range targets {
		g, i, ok := strings.Cut(tg, "-")
		require.True(t, ok, tg)
		n, err := strconv.Atoi(i)
		require.NoError(t, err)
		if prev, seen := last[g]; seen {
			require.Greater(t, n, prev, "goroutine %s: record %d after %d", g, n, prev)
		}
		last[g] = n
	}
}

// requireSameSet checks that a and b hold the same strings the same number
// of times (require.ElementsMatch, but in n log n).
func requireSameSet(t *testing.T, a, b []string, msg string) {
	t.Helper()
	a, b = slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b))
	require.Equal(t, a, b, msg)
}

func TestChainsKeepSubmissionOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		w := newWriter(t, auditlog.Config{Store: st, MaxBatch: 50})
		start(t, w)
		orgs := newOrgs(3)

		want := map[string][]string{}
		var wantEvents []string
		for i, name := range names("r", 600) {
			org := orgs[(i*7/5)%len(orgs)]
			require.NoError(t, w.Record(t.Context(), entry(org, name), event(org, name)))
			want[org] = append(want[org], name)
			wantEvents = append(wantEvents, name)
		}
		require.NoError(t, w.Flush(t.Context()))

		for _, org := range orgs {
			require.Equal(t, want[org], targets(t, st, org), "org %s", org)
		}
		require.Equal(t, wantEvents, subjects(outbox(t, st)))
		requireIntact(t, st)
	})
}

func TestCloseDrainsTheQueue(t *testing.T) {
	tests := []struct {
		name   string
		run    bool // start Run before recording
		cancel bool // cancel Run's context before Close
	}{
		{name: "a running Run writes the rest before Close returns", run: true},
		{name: "Close writes the queue itself when Run never started"},
		{name: "Close writes what a cancelled Run left queued", run: true, cancel: true},
	}
	forEachBackend(t, func(t *testing.T, open func(testing.TB) store.Store) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				st := open(t)
				// Nothing is written before Close unless the delay passes.
				w := newWriter(t, auditlog.Config{Store: st, MaxDelay: time.Hour})
				var done <-chan error
				var cancel context.CancelFunc
				if tc.run {
					cancel, done = start(t, w)
				}
				org := newOrgs(1)[0]
				want := names("c", 300)
				for _, n := range want {
					require.NoError(t, w.Record(t.Context(), entry(org, n), event(org, n)))
				}
				if tc.cancel {
					cancel()
					require.NoError(t, <-done)
				}

				require.NoError(t, w.Close(t.Context()))
				require.Equal(t, want, targets(t, st, org))
				require.Equal(t, want, subjects(outbox(t, st)))
				if tc.run && !tc.cancel {
					require.NoError(t, <-done, "Run returns once closed and drained")
				}

				err := w.Record(t.Context(), entry(org, "late"), nil)
				require.ErrorIs(t, err, auditlog.ErrClosed)
				require.NoError(t, w.Close(t.Context()), "a second Close has nothing to do")
			})
		}
	})
}

func TestCloseReportsWhatItCouldNotWrite(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) store.Store) {
		st := newFlaky(open(t), failBefore, 1)
		w := newWriter(t, auditlog.Config{Store: st})
		org := newOrgs(1)[0]
		want := names("f", 10)
		for _, n := range want {
			require.NoError(t, w.Record(t.Context(), entry(org, n), nil))
		}

		err := w.Close(t.Context())
		require.ErrorIs(t, err, errInjected)
		require.ErrorContains(t, err, "10 records not committed")
		require.ErrorIs(t, w.Record(t.Context(), entry(org, "late"), nil), auditlog.ErrClosed)

		require.NoError(t, w.Close(t.Context()), "a later Close tries again")
		require.Equal(t, want, targets(t, st, org))
	})
}

func TestCloseGivesUpWhenItsContextEnds(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) store.Store) {
		st := newFlaky(open(t), failBefore, 1<<40)
		w := newWriter(t, auditlog.Config{Store: st})
		cancelRun, done := start(t, w)
		org := newOrgs(1)[0]
		require.NoError(t, w.Record(t.Context(), entry(org, "kept"), nil))
		require.Eventually(t, func() bool { return st.calls.Load() > 0 },
			5*time.Second, time.Millisecond, "Run is writing")

		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		err := w.Close(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.ErrorContains(t, err, "1 records not committed")

		cancelRun()
		require.NoError(t, <-done)
		st.left.Store(0)
		require.NoError(t, w.Close(t.Context()), "the record waited for the database")
		require.Equal(t, []string{"kept"}, targets(t, st, org))
	})
}

func TestFlush(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		w := newWriter(t, auditlog.Config{Store: st, MaxDelay: time.Hour})
		org := newOrgs(1)[0]
		require.NoError(t, w.Record(t.Context(), entry(org, "early"), nil))

		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		require.ErrorIs(t, w.Flush(ctx), context.DeadlineExceeded,
			"with no flusher Flush waits until its context ends")

		start(t, w)
		want := append([]string{"early"}, names("flushed", 20)...)
		for _, n := range want[1:] {
			require.NoError(t, w.Record(t.Context(), entry(org, n), nil))
		}
		require.NoError(t, w.Flush(t.Context()), "Flush does not wait out MaxDelay")
		require.Equal(t, want, targets(t, st, org), "everything recorded before Flush is stored")
		require.NoError(t, w.Flush(t.Context()), "a Flush with nothing queued returns at once")
	})
}

func TestALoneRecordIsWrittenAfterMaxDelay(t *testing.T) {
	st := openSQLite(t)
	w := newWriter(t, auditlog.Config{Store: st, MaxDelay: 20 * time.Millisecond})
	start(t, w)
	org := newOrgs(1)[0]

	require.NoError(t, w.Record(t.Context(), entry(org, "alone"), nil))
	require.Eventually(t, func() bool { return len(chain(t, st, org)) == 1 },
		5*time.Second, 5*time.Millisecond)
}

func TestFullQueueAppliesBackpressure(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		w := newWriter(t, auditlog.Config{Store: st, QueueSize: 4})
		org := newOrgs(1)[0]
		want := names("q", 4)
		for _, n := range want {
			require.NoError(t, w.Record(t.Context(), entry(org, n), nil), "room in the queue")
		}

		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		err := w.Record(ctx, entry(org, "timed out"), nil)
		require.ErrorIs(t, err, auditlog.ErrUnavailable)
		require.ErrorIs(t, err, context.DeadlineExceeded)

		cancelled, cancel := context.WithCancel(t.Context())
		cancel()
		err = w.Record(cancelled, entry(org, "cancelled"), nil)
		require.ErrorIs(t, err, auditlog.ErrUnavailable)
		require.ErrorIs(t, err, context.Canceled)

		waited := make(chan error, 1)
		go func() { waited <- w.Record(context.Background(), entry(org, "waited"), nil) }()
		start(t, w)
		require.NoError(t, <-waited, "room appears once Run writes")
		require.NoError(t, w.Flush(t.Context()))
		require.Equal(t, append(want, "waited"), targets(t, st, org),
			"refused records are not written, the one that waited is")
	})
}

func TestCloseRefusesARecordWaitingForRoom(t *testing.T) {
	st := openSQLite(t)
	w := newWriter(t, auditlog.Config{Store: st, QueueSize: 1})
	org := newOrgs(1)[0]
	require.NoError(t, w.Record(t.Context(), entry(org, "queued"), nil))

	waited := make(chan error, 1)
	go func() { waited <- w.Record(context.Background(), entry(org, "refused"), nil) }()
	require.NoError(t, w.Close(t.Context()))
	require.ErrorIs(t, <-waited, auditlog.ErrClosed)
	require.Equal(t, []string{"queued"}, targets(t, st, org))
}

func TestFailedTransactionsAreRetried(t *testing.T) {
	modes := []failMode{failBefore, failRollback, failReply}
	forEachBackend(t, func(t *testing.T, open func(testing.TB) store.Store) {
		for _, mode := range modes {
			name := fmt.Sprintf("a transaction failing %s is retried without loss or duplication", mode)
			t.Run(name, func(t *testing.T) {
				st := newFlaky(open(t), mode, 3)
				w := newWriter(t, auditlog.Config{Store: st, MaxBatch: 64})
				start(t, w)
				orgs := newOrgs(3)

				var wg sync.WaitGroup
				for g := range 4 {
					wg.Go(func() {
						for i := range 150 {
							org, tg := orgs[i%3], fmt.Sprintf("g%d-%d", g, i)
							require.NoError(t, w.Record(t.Context(), entry(org, tg), event(org, tg)))
						}
					})
				}
				wg.Wait()
				require.NoError(t, w.Close(t.Context()))

				var chained []string
				for _, org := range orgs {
					got := targets(t, st, org)
					requireSubmissionOrder(t, got)
					chained = append(chained, got...)
				}
				require.Len(t, chained, 600)
				requireSameSet(t, chained, subjects(outbox(t, st)), "every event once")
				requireIntact(t, st)
			})
		}
	})
}

func TestDuplicateEventsAreLeftOut(t *testing.T) {
	forEachBackend(t, func(t *testing.T, open func(testing.TB) store.Store) {
		st := open(t)
		w := newWriter(t, auditlog.Config{Store: st})
		start(t, w)
		org := newOrgs(1)[0]

		first := event(org, "first")
		require.NoError(t, w.Record(t.Context(), entry(org, "first"), first))
		require.NoError(t, w.Flush(t.Context()))
		// Once in a later batch, once twice in the same batch.
		again, other := event(org, "again"), event(org, "other")
		again.ID = first.ID
		require.NoError(t, w.Record(t.Context(), entry(org, "again"), again))
		require.NoError(t, w.Record(t.Context(), entry(org, "other"), other))
		require.NoError(t, w.Record(t.Context(), entry(org, "other again"), other))
		require.NoError(t, w.Flush(t.Context()), "a duplicate event does not stall the queue")

		require.Equal(t, []string{"first", "again", "other", "other again"}, targets(t, st, org))
		require.Equal(t, []string{"first", "other"}, subjects(outbox(t, st)))
		requireIntact(t, st)
	})
}

func TestRecordRefusesWhatTheStoreWouldRefuse(t *testing.T) {
	w := newWriter(t, auditlog.Config{Store: openSQLite(t)})
	org := newOrgs(1)[0]
	withEvent := func(f func(ev *store.Event)) *store.Event {
		ev := event(org, "t")
		f(ev)
		return ev
	}
	tests := []struct {
		name string
		e    store.AuditEntry
		ev   *store.Event
	}{
		{"an entry without organisation is refused", entry("", "t"), nil},
		{"a NUL byte in a target is refused", entry(org, "a\x00b"), nil},
		{"an actor that is not UTF-8 is refused",
			store.AuditEntry{OrgID: org, Actor: "\xff"}, nil},
		{"an event without id is refused", entry(org, "t"),
			withEvent(func(ev *store.Event) { ev.ID = "" })},
		{"an event type that is not UTF-8 is refused", entry(org, "t"),
			withEvent(func(ev *store.Event) { ev.Type = "\xc3" })},
		{"a payload holding a NUL byte is refused", entry(org, "t"),
			withEvent(func(ev *store.Event) { ev.Payload = []byte("{\x00}") })},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.ErrorIs(t, w.Record(t.Context(), tc.e, tc.ev), auditlog.ErrInvalid)
		})
	}
	require.NoError(t, w.Record(t.Context(), entry(org, "t"), event(org, "t")),
		"a well-formed record is accepted")
}

func TestRecordCopiesAndStampsTheRecord(t *testing.T) {
	st := openSQLite(t)
	at := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	w := newWriter(t, auditlog.Config{Store: st, Now: func() time.Time { return at }})
	start(t, w)
	org := newOrgs(1)[0]

	ev := event(org, "stamped")
	ev.Payload = []byte(`{"v":1}`)
	require.NoError(t, w.Record(t.Context(), entry(org, "stamped"), ev))
	ev.Payload[5] = '2'
	ev.Subject = "changed"
	require.NoError(t, w.Flush(t.Context()))

	recs := chain(t, st, org)
	require.Len(t, recs, 1)
	require.True(t, at.Equal(recs[0].Time), "zero entry time becomes the time of Record")
	events := outbox(t, st)
	require.Len(t, events, 1)
	require.True(t, at.Equal(events[0].CreatedAt), "zero event time becomes the time of Record")
	require.JSONEq(t, `{"v":1}`, string(events[0].Payload), "the payload was copied")
	require.Equal(t, "stamped", events[0].Subject, "the event was copied")
}

func TestNewRefusesBadConfig(t *testing.T) {
	st := openSQLite(t)
	tests := []struct {
		name string
		cfg  auditlog.Config
	}{
		{"a config without store is refused", auditlog.Config{}},
		{"a negative batch size is refused", auditlog.Config{Store: st, MaxBatch: -1}},
		{"a negative delay is refused", auditlog.Config{Store: st, MaxDelay: -time.Second}},
		{"a negative queue size is refused", auditlog.Config{Store: st, QueueSize: -1}},
		{"a batch larger than the queue is refused",
			auditlog.Config{Store: st, MaxBatch: 10, QueueSize: 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := auditlog.New(tc.cfg)
			require.Error(t, err)
		})
	}

	_, err := auditlog.New(auditlog.Config{Store: st, QueueSize: 5})
	require.NoError(t, err, "the default batch size shrinks to a small queue")
}

// TestRunsTakeTurns checks that a second Run waits for the first and
// takes over when it returns.
func TestRunsTakeTurns(t *testing.T) {
	st := openSQLite(t)
	w := newWriter(t, auditlog.Config{Store: st})
	cancelFirst, first := start(t, w)
	_, second := start(t, w)
	org := newOrgs(1)[0]

	want := names("turn", 100)
	for _, n := range want[:50] {
		require.NoError(t, w.Record(t.Context(), entry(org, n), nil))
	}
	require.NoError(t, w.Flush(t.Context()))
	cancelFirst()
	require.NoError(t, <-first)

	for _, n := range want[50:] {
		require.NoError(t, w.Record(t.Context(), entry(org, n), nil))
	}
	require.NoError(t, w.Flush(t.Context()), "the other Run writes")
	require.NoError(t, w.Close(t.Context()))
	require.NoError(t, <-second)
	require.Equal(t, want, targets(t, st, org))
}
