package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/agentidp/agentidp/internal/store"
)

// maxAttempts bounds how often WithTx runs a transaction that keeps losing
// races; the backoff between attempts grows from about 2ms to 30ms.
const maxAttempts = 5

// Store is the shared SQL implementation of store.Reader and of
// store.Store's WithTx. A backend embeds it and adds Ping and Close. It is
// safe for concurrent use.
//
// Inside WithTx, a Tx method that fails leaves the transaction unusable on
// PostgreSQL (it aborts at the first failed statement), so fn should give
// up and return an error, as it would on any backend.
type Store struct {
	db DB
	d  Dialect
}

// New returns a Store that runs its queries on db in dialect d.
func New(db DB, d Dialect) (*Store, error) {
	if db == nil {
		return nil, errors.New("new sql store: nil DB")
	}
	if err := d.validate(); err != nil {
		return nil, fmt.Errorf("new sql store: %w", err)
	}
	return &Store{db: db, d: d}, nil
}

// WithTx runs fn in one transaction, running it again (at most maxAttempts
// times in all) when the transaction fails because it lost a race with
// another one. fn's own errors are returned unchanged.
func (s *Store) WithTx(ctx context.Context, fn func(tx store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.db.InTx(ctx, func(q Querier) error {
			return fn(&tx{q: q, d: &s.d})
		})
		if err == nil || attempt == maxAttempts || !s.d.IsRetryable(err) {
			return err
		}

		if backoff(ctx, attempt) != nil {
			return err
		}
	}
}

// backoff waits before the next attempt, with jitter so that the losers of
// one race do not meet again, or until ctx ends.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(1<<attempt) * time.Millisecond
	d += rand.N(d) //nolint:gosec // G404: jitter needs spread, not unpredictability.

	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// tx implements store.Tx on one transaction.
type tx struct {
	q Querier
	d *Dialect

	// heads are the audit chain heads this transaction has locked, as it
	// last moved them. The lock lasts until the transaction ends, so no
	// other writer can move a head meanwhile, and a batch of records for
	// one organisation locks its head once rather than once a record.
	heads map[string]store.AuditHead
	// outboxLocked is set once this transaction holds the outbox lock.
	outboxLocked bool
}

var _ store.Tx = (*tx)(nil)

// writeErr maps a failed write to the store's sentinels, naming the
// operation.
func (t *tx) writeErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case t.d.IsUniqueViolation(err):
		return fmt.Errorf("%s: %w", op, store.ErrConflict)
	case t.d.IsForeignKeyViolation(err):
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
}

// updated checks an UPDATE's outcome: no row affected means the row does
// not exist within the organisation.
func (t *tx) updated(op string, n int64, err error) error {
	if err != nil {
		return t.writeErr(op, err)
	}
	if n == 0 {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	return nil
}

// wrap names the operation in an error, keeping nil as nil.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}
