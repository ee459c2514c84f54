package sqlstore

import (
	"context"
	"fmt"

	"github.com/agentidp/agentidp/internal/store"
)

const orgCols = "id, name, status, created_at, updated_at, token_ttl"

// orgRow holds an organisation's columns as scanned.
type orgRow struct {
	o                     store.Org
	status                string
	created, updated, ttl int64
}

// dest returns the scan destinations of orgCols, in order.
func (r *orgRow) dest() []any {
	return []any{&r.o.ID, &r.o.Name, &r.status, &r.created, &r.updated, &r.ttl}
}

// org decodes the scanned columns.
func (r *orgRow) org() store.Org {
	o := r.o
	o.Status = store.OrgStatus(r.status)
	o.CreatedAt, o.UpdatedAt = fromMicros(r.created), fromMicros(r.updated)
	o.TokenTTL = fromDurationMicros(r.ttl)
	return o
}

func scanOrg(s Scanner) (store.Org, error) {
	var r orgRow
	if err := s.Scan(r.dest()...); err != nil {
		return store.Org{}, err
	}
	return r.org(), nil
}

func getOrg(ctx context.Context, q Querier, lock, id string) (store.Org, error) {
	o, err := queryOne(ctx, q, scanOrg,
		"SELECT "+orgCols+" FROM orgs WHERE id = $1"+lock, id)
	return o, wrap(fmt.Sprintf("get org %q", id), err)
}

// GetOrg implements store.Reader.
func (s *Store) GetOrg(ctx context.Context, id string) (store.Org, error) {
	return getOrg(ctx, s.db, "", id)
}

// ListOrgs implements store.Reader.
func (s *Store) ListOrgs(ctx context.Context, page store.Page) ([]store.Org, error) {
	orgs, err := queryAll(ctx, s.db, scanOrg,
		"SELECT "+orgCols+" FROM orgs WHERE id > $1 ORDER BY id LIMIT $2",
		page.After, clampLimit(page.Limit))
	return orgs, wrap("list orgs", err)
}

// CreateOrg implements store.Tx.
func (t *tx) CreateOrg(ctx context.Context, o store.Org) error {
	_, err := t.q.Exec(ctx,
		"INSERT INTO orgs ("+orgCols+") VALUES ($1, $2, $3, $4, $5, $6)",
		o.ID, o.Name, string(o.Status), micros(o.CreatedAt), micros(o.UpdatedAt),
		durationMicros(o.TokenTTL))
	return t.writeErr(fmt.Sprintf("create org %q", o.ID), err)
}

// GetOrg implements store.Tx.
func (t *tx) GetOrg(ctx context.Context, id string) (store.Org, error) {
	return getOrg(ctx, t.q, t.d.ForUpdate, id)
}

// UpdateOrg implements store.Tx. It writes every field but ID and
// CreatedAt.
func (t *tx) UpdateOrg(ctx context.Context, o store.Org) error {
	n, err := t.q.Exec(ctx,
		"UPDATE orgs SET name = $2, status = $3, updated_at = $4, token_ttl = $5 "+
			"WHERE id = $1",
		o.ID, o.Name, string(o.Status), micros(o.UpdatedAt), durationMicros(o.TokenTTL))
	return t.updated(fmt.Sprintf("update org %q", o.ID), n, err)
}
