package issuer

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/agentidp/agentidp/internal/store"
)

// AuditQuery selects audit records in ListAudit. Empty fields match
// everything.
type AuditQuery struct {
	// Cursor is the Next of a previous page.
	Cursor string
	Limit  int
	Action string
	Actor  string
	Target string
	// Since (inclusive) and Until (exclusive) bound the record time.
	Since time.Time
	Until time.Time
}

// ListAudit lists the caller's organisation's audit records, newest first.
func (s *Service) ListAudit(ctx context.Context, p Principal,
	q AuditQuery) (List[store.AuditRecord], error) {
	if err := s.Permit(ctx, p, OpAuditList, ""); err != nil {
		return List[store.AuditRecord]{}, err
	}
	f, err := checkAuditQuery(q)
	if err != nil {
		return List[store.AuditRecord]{}, err
	}

	limit := f.Limit
	f.Limit++
	rows, err := s.store.ListAudit(ctx, p.OrgID, f)
	if err != nil {
		return List[store.AuditRecord]{}, fmt.Errorf("list audit: %w", err)
	}
	return paginate(rows, limit, func(r store.AuditRecord) string {
		return strconv.FormatInt(r.Seq, 10)
	}), nil
}

// checkAuditQuery validates q and turns it into a store filter.
func checkAuditQuery(q AuditQuery) (store.AuditFilter, error) {
	var v problems
	f := store.AuditFilter{Limit: pageSize(&v, q.Limit), Action: q.Action, Actor: q.Actor,
		Target: q.Target, Since: store.Truncate(q.Since), Until: store.Truncate(q.Until)}
	if q.Cursor != "" {
		seq, err := strconv.ParseInt(q.Cursor, 10, 64)
		if err != nil || seq < 1 {
			v.add("cursor", "is not a cursor of this listing")
		}
		f.BeforeSeq = seq
	}
	checkText(&v, "action", q.Action, 0, MaxNameLen)
	checkText(&v, "actor", q.Actor, 0, MaxNameLen)
	checkText(&v, "target", q.Target, 0, MaxNameLen)
	if !f.Since.IsZero() && !f.Until.IsZero() && !f.Until.After(f.Since) {
		v.add("until", "must be after since")
	}
	return f, v.err()
}
