package sqlstore

import (
	"context"
	"fmt"

	"github.com/agentidp/agentidp/internal/store"
)

const eventCols = "seq, id, org_id, event_type, subject, payload, created_at"

func scanEvent(s Scanner) (store.Event, error) {
	var e store.Event
	var payload string
	var created int64
	err := s.Scan(&e.Seq, &e.ID, &e.OrgID, &e.Type, &e.Subject, &payload, &created)
	if err != nil {
		return store.Event{}, err
	}
	e.Payload = fromText(payload)
	e.CreatedAt = fromMicros(created)
	return e, nil
}

// ListEvents implements store.Reader. limit is clamped like a Page's.
// Events become visible in Seq order: once an event is seen, no event with
// a lower Seq can appear later (see Enqueue), so a reader may resume after
// the last Seq it saw.
func (s *Store) ListEvents(ctx context.Context, afterSeq int64, limit int) (
	[]store.Event, error) {
	events, err := queryAll(ctx, s.db, scanEvent,
		"SELECT "+eventCols+" FROM outbox_events WHERE seq > $1 ORDER BY seq LIMIT $2",
		afterSeq, clampLimit(limit))
	return events, wrap("list events", err)
}

// Enqueue implements store.Tx. The store assigns the event's Seq; the
// payload is stored as text, so it must be UTF-8 (JSON always is).
//
// Where transactions run side by side (PostgreSQL), Enqueue first locks the
// outbox until the transaction ends, so Seq order is commit order and a
// reader that resumes after the last Seq it saw never skips an event that
// committed late. Enqueue is best called last in a transaction, since
// event-producing transactions queue behind each other from there.
func (t *tx) Enqueue(ctx context.Context, e store.Event) error {
	op := fmt.Sprintf("enqueue event %q", e.ID)
	if t.d.ForUpdate != "" && !t.outboxLocked {
		var id int64
		err := t.q.QueryRow(ctx,
			"SELECT id FROM outbox_lock WHERE id = 1"+t.d.ForUpdate).Scan(&id)
		if err != nil {
			return fmt.Errorf("%s: lock outbox: %w", op, err)
		}
		// Held until the transaction ends: later events need not ask.
		t.outboxLocked = true
	}

	_, err := t.q.Exec(ctx,
		"INSERT INTO outbox_events (id, org_id, event_type, subject, payload, created_at) "+
			"VALUES ($1, $2, $3, $4, $5, $6)",
		e.ID, e.OrgID, e.Type, e.Subject, string(e.Payload), micros(e.CreatedAt))
	return t.writeErr(op, err)
}
