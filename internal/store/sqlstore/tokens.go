package sqlstore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/agentidp/agentidp/internal/store"
)

// findAgentQuery reads an agent and its organisation in one round trip:
// the token endpoint's lookup runs on every request.
var findAgentQuery = "SELECT " + qualify("a", agentCols) + ", " + qualify("o", orgCols) +
	" FROM agents a JOIN orgs o ON o.id = a.org_id WHERE a.id = $1"

// qualify prefixes every column of a column list with a table alias.
func qualify(alias, cols string) string {
	parts := strings.Split(cols, ", ")
	for i, c := range parts {
		parts[i] = alias + "." + c
	}
	return strings.Join(parts, ", ")
}

// agentAndOrg is one row of findAgentQuery.
type agentAndOrg struct {
	agent store.Agent
	org   store.Org
}

// scanAgentAndOrg reads the agent's columns, then the organisation's.
func scanAgentAndOrg(s Scanner) (agentAndOrg, error) {
	var ar agentRow
	var or orgRow
	if err := s.Scan(append(ar.dest(), or.dest()...)...); err != nil {
		return agentAndOrg{}, err
	}
	a, err := ar.agent()
	if err != nil {
		return agentAndOrg{}, err
	}
	return agentAndOrg{agent: a, org: or.org()}, nil
}

// findClientQuery reads an agent, its organisation and its client secrets
// in one round trip: one row per secret, or one row of empty secret
// columns for an agent that has none.
var findClientQuery = "SELECT " + qualify("a", agentCols) + ", " + qualify("o", orgCols) +
	", COALESCE(s.id, ''), COALESCE(s.hash, ''), COALESCE(s.created_at, 0), " +
	"COALESCE(s.expires_at, 0), COALESCE(s.revoked_at, 0)" +
	" FROM agents a JOIN orgs o ON o.id = a.org_id" +
	" LEFT JOIN client_secrets s ON s.org_id = a.org_id AND s.agent_id = a.id" +
	" WHERE a.id = $1 ORDER BY s.id"

// clientRow is one row of findClientQuery.
type clientRow struct {
	agentAndOrg
	secret store.ClientSecret // ID is empty when the agent has no secret
}

func scanClient(s Scanner) (clientRow, error) {
	var ar agentRow
	var or orgRow
	var r clientRow
	var created, expires, revoked int64
	dest := append(ar.dest(), or.dest()...)
	dest = append(dest, &r.secret.ID, &r.secret.Hash, &created, &expires, &revoked)
	if err := s.Scan(dest...); err != nil {
		return clientRow{}, err
	}
	a, err := ar.agent()
	if err != nil {
		return clientRow{}, err
	}
	r.agent, r.org = a, or.org()
	r.secret.OrgID, r.secret.AgentID = a.OrgID, a.ID
	r.secret.CreatedAt, r.secret.ExpiresAt = fromMicros(created), fromMicros(expires)
	r.secret.RevokedAt = fromMicros(revoked)
	return r, nil
}

// FindClient implements store.Reader.
func (s *Store) FindClient(ctx context.Context, id string) (store.Agent, store.Org,
	[]store.ClientSecret, error) {
	rows, err := queryAll(ctx, s.db, scanClient, findClientQuery, id)
	if err != nil {
		return store.Agent{}, store.Org{}, nil, wrap(fmt.Sprintf("find client %q", id), err)
	}
	if len(rows) == 0 {
		return store.Agent{}, store.Org{}, nil, fmt.Errorf("find client %q: %w", id, store.ErrNotFound)
	}
	secrets := []store.ClientSecret{}
	for _, r := range rows {
		if r.secret.ID != "" {
			secrets = append(secrets, r.secret)
		}
	}
	return rows[0].agent, rows[0].org, secrets, nil
}

// FindAgent implements store.Reader.
func (s *Store) FindAgent(ctx context.Context, id string) (store.Agent, store.Org, error) {
	r, err := queryOne(ctx, s.db, scanAgentAndOrg, findAgentQuery, id)
	if err != nil {
		return store.Agent{}, store.Org{}, wrap(fmt.Sprintf("find agent %q", id), err)
	}
	return r.agent, r.org, nil
}

const revokedCols = "jti, org_id, agent_id, expires_at, revoked_at"

func scanRevoked(s Scanner) (store.RevokedToken, error) {
	var t store.RevokedToken
	var expires, revoked int64
	if err := s.Scan(&t.JTI, &t.OrgID, &t.AgentID, &expires, &revoked); err != nil {
		return store.RevokedToken{}, err
	}
	t.ExpiresAt, t.RevokedAt = fromMicros(expires), fromMicros(revoked)
	return t, nil
}

// IsTokenRevoked implements store.Reader.
func (s *Store) IsTokenRevoked(ctx context.Context, jti string) (bool, error) {
	var n int64
	err := s.db.QueryRow(ctx, "SELECT count(*) FROM revoked_tokens WHERE jti = $1", jti).
		Scan(&n)
	return n > 0, wrap("look up token revocation", err)
}

// ListRevokedTokens implements store.Reader.
func (s *Store) ListRevokedTokens(ctx context.Context,
	since time.Time) ([]store.RevokedToken, error) {
	out, err := queryAll(ctx, s.db, scanRevoked,
		"SELECT "+revokedCols+" FROM revoked_tokens WHERE revoked_at >= $1 "+
			"ORDER BY revoked_at, jti",
		micros(since))
	return out, wrap("list revoked tokens", err)
}

// RevokeToken implements store.Tx.
func (t *tx) RevokeToken(ctx context.Context, rt store.RevokedToken) error {
	_, err := t.q.Exec(ctx,
		"INSERT INTO revoked_tokens ("+revokedCols+") VALUES ($1, $2, $3, $4, $5)",
		rt.JTI, rt.OrgID, rt.AgentID, micros(rt.ExpiresAt), micros(rt.RevokedAt))
	return t.writeErr(fmt.Sprintf("revoke token %q", rt.JTI), err)
}

// PruneRevokedTokens implements store.Tx. A revocation without an expiry
// is kept.
func (t *tx) PruneRevokedTokens(ctx context.Context, before time.Time) (int64, error) {
	n, err := t.q.Exec(ctx,
		"DELETE FROM revoked_tokens WHERE expires_at > 0 AND expires_at <= $1",
		micros(before))
	return n, wrap("prune revoked tokens", err)
}

// UseAssertion implements store.Tx.
func (t *tx) UseAssertion(ctx context.Context, clientID, jti string,
	expiresAt time.Time) error {
	_, err := t.q.Exec(ctx,
		"INSERT INTO used_assertions (client_id, jti, expires_at) VALUES ($1, $2, $3)",
		clientID, jti, micros(expiresAt))
	return t.writeErr(fmt.Sprintf("use assertion of client %q", clientID), err)
}

// PruneUsedAssertions implements store.Tx. An assertion without an expiry
// is kept.
func (t *tx) PruneUsedAssertions(ctx context.Context, before time.Time) (int64, error) {
	n, err := t.q.Exec(ctx,
		"DELETE FROM used_assertions WHERE expires_at > 0 AND expires_at <= $1",
		micros(before))
	return n, wrap("prune used assertions", err)
}

// durationMicros encodes a duration as stored: whole microseconds.
func durationMicros(d time.Duration) int64 {
	return d.Microseconds()
}

// fromDurationMicros decodes a stored duration.
func fromDurationMicros(us int64) time.Duration {
	return time.Duration(us) * time.Microsecond
}
