package sqlstore

import (
	"context"
	"fmt"

	"github.com/agentidp/agentidp/internal/store"
)

//nolint:gosec // G101: column names, not a credential.
const secretCols = "id, org_id, agent_id, hash, created_at, expires_at, revoked_at"

func scanSecret(s Scanner) (store.ClientSecret, error) {
	var cs store.ClientSecret
	var created, expires, revoked int64
	err := s.Scan(&cs.ID, &cs.OrgID, &cs.AgentID, &cs.Hash, &created, &expires, &revoked)
	if err != nil {
		return store.ClientSecret{}, err
	}
	cs.CreatedAt, cs.ExpiresAt = fromMicros(created), fromMicros(expires)
	cs.RevokedAt = fromMicros(revoked)
	return cs, nil
}

func listSecrets(ctx context.Context, q Querier, lock, orgID, agentID string) (
	[]store.ClientSecret, error) {
	secrets, err := queryAll(ctx, q, scanSecret,
		"SELECT "+secretCols+" FROM client_secrets WHERE org_id = $1 AND agent_id = $2 "+
			"ORDER BY id"+lock,
		orgID, agentID)
	return secrets, wrap("list client secrets", err)
}

// ListClientSecrets implements store.Reader.
func (s *Store) ListClientSecrets(ctx context.Context, orgID, agentID string) (
	[]store.ClientSecret, error) {
	return listSecrets(ctx, s.db, "", orgID, agentID)
}

// CreateClientSecret implements store.Tx. An agent missing from the
// secret's organisation is store.ErrNotFound.
func (t *tx) CreateClientSecret(ctx context.Context, cs store.ClientSecret) error {
	_, err := t.q.Exec(ctx,
		"INSERT INTO client_secrets ("+secretCols+") VALUES ($1, $2, $3, $4, $5, $6, $7)",
		cs.ID, cs.OrgID, cs.AgentID, cs.Hash, micros(cs.CreatedAt), micros(cs.ExpiresAt),
		micros(cs.RevokedAt))
	return t.writeErr(fmt.Sprintf("create client secret %q", cs.ID), err)
}

// ListClientSecrets implements store.Tx; the rows stay locked until the
// transaction ends.
func (t *tx) ListClientSecrets(ctx context.Context, orgID, agentID string) (
	[]store.ClientSecret, error) {
	return listSecrets(ctx, t.q, t.d.ForUpdate, orgID, agentID)
}

// UpdateClientSecret implements store.Tx. It writes ExpiresAt and
// RevokedAt.
func (t *tx) UpdateClientSecret(ctx context.Context, cs store.ClientSecret) error {
	n, err := t.q.Exec(ctx,
		"UPDATE client_secrets SET expires_at = $4, revoked_at = $5 "+
			"WHERE org_id = $1 AND agent_id = $2 AND id = $3",
		cs.OrgID, cs.AgentID, cs.ID, micros(cs.ExpiresAt), micros(cs.RevokedAt))
	return t.updated(fmt.Sprintf("update client secret %q", cs.ID), n, err)
}

const agentKeyCols = "kid, org_id, agent_id, algorithm, jwk, " +
	"created_at, expires_at, revoked_at"

func scanAgentKey(s Scanner) (store.AgentKey, error) {
	var k store.AgentKey
	var jwk string
	var created, expires, revoked int64
	err := s.Scan(&k.KID, &k.OrgID, &k.AgentID, &k.Algorithm, &jwk,
		&created, &expires, &revoked)
	if err != nil {
		return store.AgentKey{}, err
	}
	k.JWK = fromText(jwk)
	k.CreatedAt, k.ExpiresAt = fromMicros(created), fromMicros(expires)
	k.RevokedAt = fromMicros(revoked)
	return k, nil
}

func listAgentKeys(ctx context.Context, q Querier, lock, orgID, agentID string) (
	[]store.AgentKey, error) {
	keys, err := queryAll(ctx, q, scanAgentKey,
		"SELECT "+agentKeyCols+" FROM agent_keys WHERE org_id = $1 AND agent_id = $2 "+
			"ORDER BY kid"+lock,
		orgID, agentID)
	return keys, wrap("list agent keys", err)
}

// ListAgentKeys implements store.Reader.
func (s *Store) ListAgentKeys(ctx context.Context, orgID, agentID string) (
	[]store.AgentKey, error) {
	return listAgentKeys(ctx, s.db, "", orgID, agentID)
}

// CreateAgentKey implements store.Tx. The JWK is stored as text, so it must
// be UTF-8 (JSON always is). A kid already registered for the agent is
// store.ErrConflict; an agent missing from the key's organisation is
// store.ErrNotFound.
func (t *tx) CreateAgentKey(ctx context.Context, k store.AgentKey) error {
	_, err := t.q.Exec(ctx,
		"INSERT INTO agent_keys ("+agentKeyCols+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		k.KID, k.OrgID, k.AgentID, k.Algorithm, string(k.JWK), micros(k.CreatedAt),
		micros(k.ExpiresAt), micros(k.RevokedAt))
	return t.writeErr(fmt.Sprintf("create agent key %q", k.KID), err)
}

// ListAgentKeys implements store.Tx; the rows stay locked until the
// transaction ends.
func (t *tx) ListAgentKeys(ctx context.Context, orgID, agentID string) (
	[]store.AgentKey, error) {
	return listAgentKeys(ctx, t.q, t.d.ForUpdate, orgID, agentID)
}

// UpdateAgentKey implements store.Tx. It writes ExpiresAt and RevokedAt.
func (t *tx) UpdateAgentKey(ctx context.Context, k store.AgentKey) error {
	n, err := t.q.Exec(ctx,
		"UPDATE agent_keys SET expires_at = $4, revoked_at = $5 "+
			"WHERE org_id = $1 AND agent_id = $2 AND kid = $3",
		k.OrgID, k.AgentID, k.KID, micros(k.ExpiresAt), micros(k.RevokedAt))
	return t.updated(fmt.Sprintf("update agent key %q", k.KID), n, err)
}
