package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/agentidp/agentidp/internal/store"
)

const auditCols = "org_id, seq, prev_hash, hash, occurred_at, actor, action, target, " +
	"request_id, outcome"

func scanAudit(s Scanner) (store.AuditRecord, error) {
	var r store.AuditRecord
	var at int64
	var outcome string
	err := s.Scan(&r.OrgID, &r.Seq, &r.PrevHash, &r.Hash, &at, &r.Actor, &r.Action,
		&r.Target, &r.RequestID, &outcome)
	if err != nil {
		return store.AuditRecord{}, err
	}
	r.Time = fromMicros(at)
	r.Outcome = store.Outcome(outcome)
	return r, nil
}

// ListAudit implements store.Reader. Since is inclusive and Until
// exclusive; Limit is clamped like a Page's.
func (s *Store) ListAudit(ctx context.Context, orgID string,
	af store.AuditFilter) ([]store.AuditRecord, error) {
	var f filter
	f.add("org_id = %s", orgID)
	if af.BeforeSeq > 0 {
		f.add("seq < %s", af.BeforeSeq)
	}
	f.addIf("action = %s", af.Action)
	f.addIf("actor = %s", af.Actor)
	f.addIf("target = %s", af.Target)
	if !af.Since.IsZero() {
		f.add("occurred_at >= %s", micros(af.Since))
	}
	if !af.Until.IsZero() {
		f.add("occurred_at < %s", micros(af.Until))
	}

	query := "SELECT " + auditCols + " FROM audit_records" + f.where() +
		" ORDER BY seq DESC LIMIT " + f.arg(clampLimit(af.Limit))
	recs, err := queryAll(ctx, s.db, scanAudit, query, f.args...)
	return recs, wrap("list audit records", err)
}

// ScanAudit implements store.Reader. fn's error is returned unchanged.
func (s *Store) ScanAudit(ctx context.Context, orgID string,
	fn func(store.AuditRecord) error) error {
	rows, err := s.db.Query(ctx,
		"SELECT "+auditCols+" FROM audit_records WHERE org_id = $1 ORDER BY seq", orgID)
	if err != nil {
		return fmt.Errorf("scan audit records: %w", err)
	}
	defer rows.Close()

	for rows.Next() {
		r, err := scanAudit(rows)
		if err != nil {
			return fmt.Errorf("scan audit records: %w", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return wrap("scan audit records", rows.Err())
}

// AuditHeads implements store.Reader, ordered by organisation id.
func (s *Store) AuditHeads(ctx context.Context) ([]store.AuditHead, error) {
	heads, err := queryAll(ctx, s.db, scanHead,
		"SELECT org_id, seq, hash FROM audit_heads ORDER BY org_id")
	return heads, wrap("list audit heads", err)
}

func scanHead(s Scanner) (store.AuditHead, error) {
	var h store.AuditHead
	err := s.Scan(&h.OrgID, &h.Seq, &h.Hash)
	return h, err
}

// AppendAudit implements store.Tx. The entry's time is truncated to the
// stored precision before it is hashed, and a zero time is taken as now.
//
// The organisation's head row is locked first, so concurrent appends to one
// chain queue behind each other until the first commits; the head row and
// the records have no foreign keys, so a chain outlives its organisation.
func (t *tx) AppendAudit(ctx context.Context, e store.AuditEntry) (store.AuditRecord, error) {
	if e.OrgID == "" {
		return store.AuditRecord{}, errors.New("append audit record: empty organisation id")
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = store.Truncate(e.Time)

	head, locked := t.heads[e.OrgID]
	if !locked {
		var err error
		if head, err = t.lockHead(ctx, e.OrgID); err != nil {
			return store.AuditRecord{}, fmt.Errorf("append audit record: %w", err)
		}
	}

	r := store.AuditRecord{AuditEntry: e, Seq: head.Seq + 1, PrevHash: head.Hash}
	r.Hash = store.ChainHash(r.PrevHash, e, r.Seq)
	if err := t.insertAudit(ctx, r); err != nil {
		return store.AuditRecord{}, err
	}
	if t.heads == nil {
		t.heads = map[string]store.AuditHead{}
	}
	t.heads[e.OrgID] = store.AuditHead{OrgID: e.OrgID, Seq: r.Seq, Hash: r.Hash}
	return r, nil
}

// lockHead returns the organisation's chain head, locked for this
// transaction, creating it at the genesis when the chain is new. Two
// transactions creating the same head race on the insert: the loser's
// insert does nothing, and its locking read then waits for the winner.
func (t *tx) lockHead(ctx context.Context, orgID string) (store.AuditHead, error) {
	const sel = "SELECT org_id, seq, hash FROM audit_heads WHERE org_id = $1"
	h, err := queryOne(ctx, t.q, scanHead, sel+t.d.ForUpdate, orgID)
	if !errors.Is(err, store.ErrNotFound) {
		return h, wrap("lock audit head", err)
	}

	_, err = t.q.Exec(ctx,
		"INSERT INTO audit_heads (org_id, seq, hash) VALUES ($1, 0, $2) "+
			"ON CONFLICT (org_id) DO NOTHING",
		orgID, store.GenesisHash)
	if err != nil {
		return store.AuditHead{}, fmt.Errorf("create audit head: %w", err)
	}

	h, err = queryOne(ctx, t.q, scanHead, sel+t.d.ForUpdate, orgID)
	return h, wrap("lock audit head", err)
}

// insertAudit stores a linked record and moves the head to it.
func (t *tx) insertAudit(ctx context.Context, r store.AuditRecord) error {
	_, err := t.q.Exec(ctx,
		"INSERT INTO audit_records ("+auditCols+") "+
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
		r.OrgID, r.Seq, r.PrevHash, r.Hash, micros(r.Time), r.Actor, r.Action,
		r.Target, r.RequestID, string(r.Outcome))
	if err != nil {
		return t.writeErr("insert audit record", err)
	}

	n, err := t.q.Exec(ctx,
		"UPDATE audit_heads SET seq = $2, hash = $3 WHERE org_id = $1 AND seq = $4",
		r.OrgID, r.Seq, r.Hash, r.Seq-1)
	if err == nil && n != 1 {
		err = errors.New("head moved under a lock")
	}
	return wrap("move audit head", err)
}
