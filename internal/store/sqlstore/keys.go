package sqlstore

import (
	"context"
	"fmt"

	"github.com/agentidp/agentidp/internal/store"
)

const apiKeyCols = "id, org_id, operator_id, name, role, hash, " +
	"created_at, expires_at, revoked_at, created_by"

func scanAPIKey(s Scanner) (store.APIKey, error) {
	var k store.APIKey
	var role string
	var created, expires, revoked int64
	err := s.Scan(&k.ID, &k.OrgID, &k.OperatorID, &k.Name, &role, &k.Hash,
		&created, &expires, &revoked, &k.CreatedBy)
	if err != nil {
		return store.APIKey{}, err
	}
	k.Role = store.Role(role)
	k.CreatedAt, k.ExpiresAt = fromMicros(created), fromMicros(expires)
	k.RevokedAt = fromMicros(revoked)
	return k, nil
}

// GetAPIKey implements store.Reader: the key is found by id alone, since
// authentication learns the organisation from it.
func (s *Store) GetAPIKey(ctx context.Context, id string) (store.APIKey, error) {
	k, err := queryOne(ctx, s.db, scanAPIKey,
		"SELECT "+apiKeyCols+" FROM api_keys WHERE id = $1", id)
	return k, wrap(fmt.Sprintf("get api key %q", id), err)
}

// ListAPIKeys implements store.Reader.
func (s *Store) ListAPIKeys(ctx context.Context, orgID string,
	page store.Page) ([]store.APIKey, error) {
	keys, err := queryAll(ctx, s.db, scanAPIKey,
		"SELECT "+apiKeyCols+" FROM api_keys WHERE org_id = $1 AND id > $2 "+
			"ORDER BY id LIMIT $3",
		orgID, page.After, clampLimit(page.Limit))
	return keys, wrap("list api keys", err)
}

// CreateAPIKey implements store.Tx.
func (t *tx) CreateAPIKey(ctx context.Context, k store.APIKey) error {
	_, err := t.q.Exec(ctx,
		"INSERT INTO api_keys ("+apiKeyCols+") "+
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
		k.ID, k.OrgID, k.OperatorID, k.Name, string(k.Role), k.Hash,
		micros(k.CreatedAt), micros(k.ExpiresAt), micros(k.RevokedAt), k.CreatedBy)
	return t.writeErr(fmt.Sprintf("create api key %q", k.ID), err)
}

// GetAPIKey implements store.Tx.
func (t *tx) GetAPIKey(ctx context.Context, orgID, id string) (store.APIKey, error) {
	k, err := queryOne(ctx, t.q, scanAPIKey,
		"SELECT "+apiKeyCols+" FROM api_keys WHERE org_id = $1 AND id = $2"+
			t.d.ForUpdate,
		orgID, id)
	return k, wrap(fmt.Sprintf("get api key %q", id), err)
}

// UpdateAPIKey implements store.Tx. It writes Name, Role, ExpiresAt and
// RevokedAt; the key's identity, owner and hash never change.
func (t *tx) UpdateAPIKey(ctx context.Context, k store.APIKey) error {
	n, err := t.q.Exec(ctx,
		"UPDATE api_keys SET name = $3, role = $4, expires_at = $5, revoked_at = $6 "+
			"WHERE org_id = $1 AND id = $2",
		k.OrgID, k.ID, k.Name, string(k.Role), micros(k.ExpiresAt), micros(k.RevokedAt))
	return t.updated(fmt.Sprintf("update api key %q", k.ID), n, err)
}

const adminKeyCols = "id, name, hash, created_at, expires_at, revoked_at"

func scanAdminKey(s Scanner) (store.AdminKey, error) {
	var k store.AdminKey
	var created, expires, revoked int64
	err := s.Scan(&k.ID, &k.Name, &k.Hash, &created, &expires, &revoked)
	if err != nil {
		return store.AdminKey{}, err
	}
	k.CreatedAt, k.ExpiresAt = fromMicros(created), fromMicros(expires)
	k.RevokedAt = fromMicros(revoked)
	return k, nil
}

// GetAdminKey implements store.Reader.
func (s *Store) GetAdminKey(ctx context.Context, id string) (store.AdminKey, error) {
	k, err := queryOne(ctx, s.db, scanAdminKey,
		"SELECT "+adminKeyCols+" FROM admin_keys WHERE id = $1", id)
	return k, wrap(fmt.Sprintf("get admin key %q", id), err)
}

// CountAdminKeys implements store.Reader.
func (s *Store) CountAdminKeys(ctx context.Context) (int, error) {
	var n int64
	err := s.db.QueryRow(ctx, "SELECT count(*) FROM admin_keys").Scan(&n)
	return int(n), wrap("count admin keys", err)
}

// CreateAdminKey implements store.Tx.
func (t *tx) CreateAdminKey(ctx context.Context, k store.AdminKey) error {
	_, err := t.q.Exec(ctx,
		"INSERT INTO admin_keys ("+adminKeyCols+") VALUES ($1, $2, $3, $4, $5, $6)",
		k.ID, k.Name, k.Hash, micros(k.CreatedAt), micros(k.ExpiresAt),
		micros(k.RevokedAt))
	return t.writeErr(fmt.Sprintf("create admin key %q", k.ID), err)
}
