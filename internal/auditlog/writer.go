package auditlog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentidp/agentidp/internal/store"
)

// Defaults of Config.
const (
	DefaultMaxBatch  = 256
	DefaultMaxDelay  = 10 * time.Millisecond
	DefaultQueueSize = 8192
)

// Errors of Record, Flush and Close. Callers test them with errors.Is.
var (
	// ErrUnavailable means a record could not be queued before the
	// caller's context ended, because the queue stayed full: audit is
	// unavailable, and a caller that must not act unaudited refuses to.
	ErrUnavailable = errors.New("auditlog: audit unavailable")
	// ErrClosed means Close has been called: no record is accepted after.
	ErrClosed = errors.New("auditlog: writer closed")
	// ErrInvalid means a record the store would refuse on every attempt.
	// It is refused at once instead of stalling the queue behind it.
	ErrInvalid = errors.New("auditlog: invalid record")
)

// Config configures a Writer. Zero values take their defaults.
type Config struct {
	// Store receives the records; required.
	Store store.Store
	// MaxBatch is the most records written in one transaction:
	// DefaultMaxBatch, or QueueSize if that is smaller. Larger batches
	// spread a commit over more records but keep the chain heads of their
	// organisations locked for longer.
	MaxBatch int
	// MaxDelay is how long the first record of a batch may wait for others
	// before the batch is written anyway; DefaultMaxDelay by default. It is
	// the latency a lone record pays under light load; under heavy load
	// batches fill up before it passes.
	MaxDelay time.Duration
	// QueueSize bounds how many records wait to be written;
	// DefaultQueueSize by default. Record blocks while the queue is full,
	// so this is how long a stall of the database callers ride out
	// unaware: at 5,000 records a second the default lasts 1.6 seconds.
	// Memory for the queue is reserved up front; one batch being written
	// is held beside it.
	QueueSize int
	// Logger receives failed commits (error), skipped duplicate events
	// (warn) and committed batches (debug); nil discards them. Nothing an
	// entry holds is logged beyond organisation ids and actions, and those
	// only at debug level.
	Logger *slog.Logger
	// Registerer receives the writer's metrics; nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// Now stamps entries and events recorded with a zero time; nil means
	// time.Now.
	Now func() time.Time
}

// Writer queues audit records and writes them in batches, one transaction
// per batch. Record, Flush and Close are safe for concurrent use; Run is
// the single flusher (concurrent calls take turns).
//
// Records are written in the order Record accepted them, so each
// organisation's chain holds its records in submission order, and the
// outbox receives their events in that order.
type Writer struct {
	st       store.Store
	maxBatch int
	maxDelay time.Duration
	now      func() time.Time
	log      *slog.Logger
	m        *metrics

	// flusher is held by whoever writes batches: Run, or Close when no Run
	// is there. Its holder alone touches held.
	flusher chan struct{}
	held    *batch
	// wake tells the flusher that the queue has changed: a first record, a
	// full batch, a Flush or Close.
	wake chan struct{}

	mu        sync.Mutex
	q         ring
	accepted  uint64        // records Record has queued, ever
	taken     uint64        // records the flusher has taken from the queue
	committed uint64        // records committed; the first ones accepted
	flushTo   uint64        // a Flush waits for records up to here
	room      chan struct{} // closed when a full queue gets room
	commits   chan struct{} // closed when a batch commits
	closed    bool
	drained   chan struct{} // closed once closed and all committed
	isDrained bool
}

// New returns a Writer built from cfg. It writes nothing until Run (or
// Close) is called.
func New(cfg Config) (*Writer, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, fmt.Errorf("new audit writer: %w", err)
	}

	w := &Writer{
		st:       cfg.Store,
		maxBatch: cfg.MaxBatch,
		maxDelay: cfg.MaxDelay,
		now:      cfg.Now,
		log:      cfg.Logger,
		flusher:  make(chan struct{}, 1),
		wake:     make(chan struct{}, 1),
		q:        newRing(cfg.QueueSize),
		room:     make(chan struct{}),
		commits:  make(chan struct{}),
		drained:  make(chan struct{}),
	}
	w.m, err = newMetrics(cfg.Registerer, w.depth)
	if err != nil {
		return nil, fmt.Errorf("new audit writer: %w", err)
	}
	return w, nil
}

// withDefaults checks cfg and fills in its zero values.
func withDefaults(cfg Config) (Config, error) {
	switch {
	case cfg.Store == nil:
		return cfg, errors.New("nil Store")
	case cfg.MaxBatch < 0, cfg.MaxDelay < 0, cfg.QueueSize < 0:
		return cfg, errors.New("negative MaxBatch, MaxDelay or QueueSize")
	}

	if cfg.QueueSize == 0 {
		cfg.QueueSize = DefaultQueueSize
	}
	if cfg.MaxBatch == 0 {
		cfg.MaxBatch = min(DefaultMaxBatch, cfg.QueueSize)
	}
	if cfg.MaxBatch > cfg.QueueSize {
		return cfg, fmt.Errorf("MaxBatch %d exceeds QueueSize %d", cfg.MaxBatch, cfg.QueueSize)
	}
	if cfg.MaxDelay == 0 {
		cfg.MaxDelay = DefaultMaxDelay
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg, nil
}

// Record queues e, and ev if it is not nil, to be written together in a
// later transaction: nil means queued, not yet committed (Flush waits for
// that). It copies e and *ev, payload included, so the caller keeps
// ownership of both. A zero e.Time or ev.CreatedAt becomes the time of the
// call.
//
// Record does not block while the queue has room. When it is full, Record
// waits for room until ctx ends and then returns an error wrapping both
// ErrUnavailable and ctx's error; it never drops a record to make room.
// After Close it returns ErrClosed, and for a record the store would
// always refuse (no organisation id, an event without an id, text that is
// not UTF-8 or holds a NUL byte), ErrInvalid.
func (w *Writer) Record(ctx context.Context, e store.AuditEntry, ev *store.Event) error {
	if err := check(e, ev); err != nil {
		return err
	}
	it := w.newItem(e, ev)

	for {
		room, err := w.enqueue(it)
		if room == nil {
			return err
		}

		select {
		case <-room:
		case <-ctx.Done():
			return fmt.Errorf("%w: queue full: %w", ErrUnavailable, context.Cause(ctx))
		}
	}
}

// enqueue queues it when there is room. Otherwise it returns the channel
// that is closed when room appears, or ErrClosed.
func (w *Writer) enqueue(it item) (chan struct{}, error) {
	w.mu.Lock()
	defer w.mu.Unlock()

	switch {
	case w.closed:
		return nil, ErrClosed
	case w.q.full():
		return w.room, nil
	}
	w.q.push(it)
	w.accepted++

	// The flusher needs to hear of the first record (to start the delay)
	// and of a full batch (to end it); the records between change nothing.
	if n := w.q.len(); n == 1 || n == w.maxBatch {
		w.poke()
	}
	return nil, nil
}

// newItem copies a record into the form the writer keeps.
func (w *Writer) newItem(e store.AuditEntry, ev *store.Event) item {
	now := w.now()
	if e.Time.IsZero() {
		e.Time = now
	}
	it := item{entry: e, queued: time.Now()}
	if ev == nil {
		return it
	}

	c := *ev
	c.Payload = bytes.Clone(ev.Payload)
	if c.CreatedAt.IsZero() {
		c.CreatedAt = now
	}
	it.event = &c
	return it
}

// check refuses what the store would refuse on every attempt: a record the
// writer retried forever would hold up every record queued behind it.
// PostgreSQL's text columns take neither invalid UTF-8 nor NUL bytes.
func check(e store.AuditEntry, ev *store.Event) error {
	if e.OrgID == "" {
		return fmt.Errorf("%w: empty organisation id", ErrInvalid)
	}
	for _, s := range [...]string{e.OrgID, e.Actor, e.Action, e.Target, e.RequestID,
		string(e.Outcome)} {
		if !isText(s) {
			return fmt.Errorf("%w: audit entry field not UTF-8 text", ErrInvalid)
		}
	}
	if ev == nil {
		return nil
	}

	if ev.ID == "" {
		return fmt.Errorf("%w: event without id", ErrInvalid)
	}
	for _, s := range [...]string{ev.ID, ev.OrgID, ev.Type, ev.Subject} {
		if !isText(s) {
			return fmt.Errorf("%w: event field not UTF-8 text", ErrInvalid)
		}
	}
	if !utf8.Valid(ev.Payload) || bytes.IndexByte(ev.Payload, 0) >= 0 {
		return fmt.Errorf("%w: event payload not UTF-8 text", ErrInvalid)
	}
	return nil
}

// isText reports whether s is valid UTF-8 without NUL bytes.
func isText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// Flush waits until every record accepted before the call has committed,
// or until ctx ends. It makes the flusher write what is queued at once,
// without waiting for MaxDelay. It needs a running Run (or a Close) to
// return nil.
func (w *Writer) Flush(ctx context.Context) error {
	w.mu.Lock()
	target := w.accepted
	w.flushTo = max(w.flushTo, target)
	w.mu.Unlock()
	w.poke()

	for {
		w.mu.Lock()
		done, commits := w.committed >= target, w.commits
		w.mu.Unlock()
		if done {
			return nil
		}

		select {
		case <-commits:
		case <-ctx.Done():
			return fmt.Errorf("flush audit records: %w", context.Cause(ctx))
		}
	}
}

// Close stops accepting records (Record returns ErrClosed from now on,
// including calls waiting for room), then waits until everything accepted
// has committed, and returns nil.
//
// When Run is running, Run writes the rest, retrying failures as ever, and
// then returns; Close waits for it. When no Run is running (never started,
// or its context ended), Close writes the rest itself, giving each batch
// one attempt, and returns the first failure. When ctx ends first, Close
// returns its error. Either way the records not yet committed stay queued:
// a later Close, or Run, tries them again. Close is safe to call more than
// once and concurrently with everything else.
func (w *Writer) Close(ctx context.Context) error {
	w.shutdown()

	select {
	case <-w.drained:
		return nil
	case w.flusher <- struct{}{}:
		defer func() { <-w.flusher }()
		return w.drain(ctx)
	case <-ctx.Done():
		return fmt.Errorf("close audit writer: %d records not committed: %w",
			w.pending(), context.Cause(ctx))
	}
}

// shutdown stops Record from accepting and wakes whoever waits for room,
// or for records, so that they notice.
func (w *Writer) shutdown() {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.room)
		w.room = make(chan struct{})
	}
	w.mu.Unlock()
	w.poke()
}

// poke wakes the flusher, unless it is due to wake already.
func (w *Writer) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// pending returns how many accepted records have not committed.
func (w *Writer) pending() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.accepted - w.committed
}

// depth returns how many records wait in the queue, not counting a batch
// being written.
func (w *Writer) depth() float64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return float64(w.q.len())
}
