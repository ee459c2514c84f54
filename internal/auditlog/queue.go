package auditlog

import (
	"time"

	"github.com/agentidp/agentidp/internal/store"
)

// item is one queued record: an audit entry and the outbox event that goes
// with it, if any. The writer owns both; event is a private copy.
type item struct {
	entry  store.AuditEntry
	event  *store.Event
	queued time.Time // when Record accepted it, with a monotonic reading
}

// ring is a fixed-capacity FIFO of items. It is not safe for concurrent
// use: the Writer's mutex guards it.
type ring struct {
	buf  []item
	head int // index of the oldest item
	n    int // number of items
}

// newRing returns an empty ring that holds at most size items.
func newRing(size int) ring {
	return ring{buf: make([]item, size)}
}

func (r *ring) len() int   { return r.n }
func (r *ring) full() bool { return r.n == len(r.buf) }

// front returns the oldest item; the ring must not be empty.
func (r *ring) front() *item {
	return &r.buf[r.head]
}

// push adds it after the newest item; the ring must not be full.
func (r *ring) push(it item) {
	r.buf[(r.head+r.n)%len(r.buf)] = it
	r.n++
}

// pop removes up to limit items, oldest first, and appends them to dst.
// The slots it empties are zeroed so that the ring keeps no reference to
// records already handed on.
func (r *ring) pop(dst []item, limit int) []item {
	k := min(limit, r.n)
	for range k {
		dst = append(dst, r.buf[r.head])
		r.buf[r.head] = item{}
		r.head = (r.head + 1) % len(r.buf)
	}
	r.n -= k
	return dst
}
