package auditlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/agentidp/agentidp/internal/store"
)

// errDuplicateEvent says that an attempt failed on an event the outbox
// already holds, which the next attempt leaves out: it is tried at once.
var errDuplicateEvent = errors.New("outbox already holds an event of the batch")

// How long the flusher waits before trying a failed batch again: the wait
// doubles after each failure, from minRetry up to maxRetry.
const (
	minRetry = 10 * time.Millisecond
	maxRetry = 5 * time.Second
)

// Run writes queued records until ctx ends or the writer is closed and
// drained, then returns nil. It takes up to MaxBatch records at a time,
// waiting at most MaxDelay after the first for others to join, and writes
// each batch in one transaction; a batch whose transaction fails is tried
// again, whole and before anything queued after it, until it commits.
//
// When ctx ends, Run returns at once. A batch it was writing stays held and
// the rest stays queued, Record keeps accepting while there is room, and
// Close (or a later Run) writes all of it. A transaction that ctx cut
// short either committed or did not; the next attempt finds out which
// before writing anything, so no record is written twice.
//
// Only one Run writes at a time: a concurrent call waits for the first to
// return, or for its own ctx to end.
func (w *Writer) Run(ctx context.Context) error {
	select {
	case w.flusher <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	defer func() { <-w.flusher }()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		b, ok := w.next(ctx, timer)
		if !ok || !w.commit(ctx, b) {
			return nil
		}
	}
}

// next returns the batch to write: the one held since a failure, or the
// next one from the queue once it is ready. It reports false when ctx
// ends, or when the writer is closed and everything has committed.
func (w *Writer) next(ctx context.Context, timer *time.Timer) (*batch, bool) {
	if w.held != nil {
		return w.held, true
	}
	for {
		b, wait, done := w.take()
		switch {
		case b != nil:
			w.held = b
			return b, true
		case done:
			return nil, false
		}

		var fire <-chan time.Time
		if wait > 0 {
			timer.Reset(wait)
			fire = timer.C
		}
		select {
		case <-w.wake:
		case <-fire:
		case <-ctx.Done():
			return nil, false
		}
	}
}

// take removes the next batch from the queue when one is ready: MaxBatch
// records are queued, the oldest has waited MaxDelay, a Flush waits for
// them, or the writer is closing. Otherwise it returns how long the oldest
// record has left to wait (zero when the queue is empty), or done when the
// writer is closed and drained. Its caller holds the flusher role.
func (w *Writer) take() (b *batch, wait time.Duration, done bool) {
	w.mu.Lock()
	defer w.mu.Unlock()

	n := w.q.len()
	if n == 0 {
		if w.closed && !w.isDrained {
			w.isDrained = true
			close(w.drained)
		}
		return nil, 0, w.closed
	}

	wait = w.maxDelay - time.Since(w.q.front().queued)
	if n < w.maxBatch && wait > 0 && !w.closed && w.flushTo <= w.taken {
		return nil, wait, false
	}

	wasFull := w.q.full()
	items := w.q.pop(make([]item, 0, min(n, w.maxBatch)), w.maxBatch)
	w.taken += uint64(len(items))
	if wasFull {
		close(w.room)
		w.room = make(chan struct{})
	}
	return newBatch(items), 0, false
}

// commit writes b until it commits, waiting longer after each failure. It
// reports false, with b still held, when ctx ends first.
func (w *Writer) commit(ctx context.Context, b *batch) bool {
	delay := minRetry
	for {
		err := w.attempt(ctx, b)
		if err == nil {
			w.finish(b)
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		if errors.Is(err, errDuplicateEvent) {
			continue
		}

		w.log.ErrorContext(ctx, "audit batch not committed; will retry",
			logRecords, len(b.items), logRetryIn, delay, logError, err)
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return false
		}
		delay = min(2*delay, maxRetry)
	}
}

// drain writes everything still held or queued on behalf of Close: one
// attempt per batch, stopping at the first failure. The writer is closed,
// so every batch is ready at once. Its caller holds the flusher role.
func (w *Writer) drain(ctx context.Context) error {
	for {
		b := w.held
		if b == nil {
			var done bool
			if b, _, done = w.take(); done {
				return nil
			}
			w.held = b
		}

		err := w.attempt(ctx, b)
		if errors.Is(err, errDuplicateEvent) {
			continue
		}
		if err != nil {
			return fmt.Errorf("close audit writer: %d records not committed: %w",
				w.pending(), err)
		}
		w.finish(b)
	}
}

// finish lets go of a committed batch and wakes whoever Flushes.
func (w *Writer) finish(b *batch) {
	w.held = nil

	w.mu.Lock()
	w.committed += uint64(len(b.items))
	close(w.commits)
	w.commits = make(chan struct{})
	w.mu.Unlock()
}

// attempt writes b in one transaction, first making sure that an earlier
// attempt whose commit failed did not in fact commit.
func (w *Writer) attempt(ctx context.Context, b *batch) error {
	if b.probe != nil {
		landed, err := w.landed(ctx, *b.probe)
		if err != nil {
			w.m.failures.Inc()
			return fmt.Errorf("check earlier commit of audit batch: %w", err)
		}
		b.probe = nil
		if landed {
			w.committedBatch(ctx, b, 0)
			return nil
		}
	}

	start := time.Now()
	b.reset()
	err := w.st.WithTx(ctx, b.write(ctx))
	took := time.Since(start)
	w.m.commitTime.Observe(took.Seconds())
	if err == nil {
		w.committedBatch(ctx, b, took)
		return nil
	}

	if ctx.Err() == nil {
		w.m.failures.Inc()
	}
	if w.prepareRetry(ctx, b) {
		return errDuplicateEvent
	}
	return fmt.Errorf("write audit batch: %w", err)
}

// committedBatch accounts for a batch that committed.
func (w *Writer) committedBatch(ctx context.Context, b *batch, took time.Duration) {
	w.m.batchSize.Observe(float64(len(b.items)))
	if w.log.Enabled(ctx, slog.LevelDebug) {
		w.log.DebugContext(ctx, "audit batch committed",
			logRecords, len(b.items), logDuration, took)
	}
}

// landed reports whether rec, the last record of an attempt whose commit
// failed, is stored all the same (a commit can succeed and its reply be
// lost). The transaction was all or nothing, so rec stands for the whole
// batch; and an equal hash means the same record, since the hash covers
// the entry, its seq and every record before it.
func (w *Writer) landed(ctx context.Context, rec store.AuditRecord) (bool, error) {
	recs, err := w.st.ListAudit(ctx, rec.OrgID,
		store.AuditFilter{BeforeSeq: rec.Seq + 1, Limit: 1})
	if err != nil {
		return false, err
	}
	return len(recs) == 1 && recs[0].Seq == rec.Seq && recs[0].Hash == rec.Hash, nil
}

// batch is records taken from the queue to be written in one transaction.
// Only the holder of the flusher role touches it.
type batch struct {
	items []item
	// order lists items by organisation id, each organisation's in queue
	// order. Appending in this order takes the chain heads' locks in one
	// global order, so two writers (two instances of a deployment) never
	// deadlock on them.
	order []int

	// State of the last attempt, reset by each run of the transaction.
	last     store.AuditRecord // the last record appended
	complete bool              // every statement succeeded
	conflict int               // index of the item whose event conflicted, or -1

	// probe, when set, is the last record of an attempt that failed only at
	// commit: it may have committed after all.
	probe *store.AuditRecord
}

// newBatch returns a batch of items in queue order.
func newBatch(items []item) *batch {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return strings.Compare(items[a].entry.OrgID, items[b].entry.OrgID)
	})
	return &batch{items: items, order: order, conflict: -1}
}

// write returns the transaction that writes b: its audit records first,
// then its events in queue order, since an outbox write is best last.
// It may run more than once (the store retries lost races), so it starts
// each run afresh.
func (b *batch) write(ctx context.Context) func(store.Tx) error {
	return func(tx store.Tx) error {
		b.reset()
		for _, i := range b.order {
			rec, err := tx.AppendAudit(ctx, b.items[i].entry)
			if err != nil {
				return err
			}
			b.last = rec
		}

		for i := range b.items {
			ev := b.items[i].event
			if ev == nil {
				continue
			}
			if err := tx.Enqueue(ctx, *ev); err != nil {
				if errors.Is(err, store.ErrConflict) {
					b.conflict = i
				}
				return err
			}
		}
		b.complete = true
		return nil
	}
}

// reset forgets what the last attempt learnt, before another starts.
func (b *batch) reset() {
	b.last, b.complete, b.conflict = store.AuditRecord{}, false, -1
}

// prepareRetry readies b for its next attempt after a failed one, and
// reports whether it removed the cause of the failure: a duplicate event.
//
// An event that conflicts has an id the outbox already holds. Event ids
// are unique, so the outbox holds this very event, recorded twice by its
// caller: it is left out of the next attempt, or it would fail forever.
func (w *Writer) prepareRetry(ctx context.Context, b *batch) bool {
	if b.complete {
		last := b.last
		b.probe = &last
	}
	if b.conflict < 0 {
		return false
	}

	it := &b.items[b.conflict]
	w.m.duplicates.Inc()
	w.log.WarnContext(ctx, "outbox already holds an audit batch's event; leaving it out")
	w.log.DebugContext(ctx, "duplicate event left out",
		logOrgID, it.entry.OrgID, logAction, it.entry.Action)
	it.event = nil
	return true
}
