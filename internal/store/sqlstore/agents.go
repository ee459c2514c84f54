package sqlstore

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/agentidp/agentidp/internal/store"
)

const agentCols = "id, org_id, name, description, owner, metadata, scopes, status, " +
	"created_at, updated_at, token_ttl"

// agentRow holds an agent's columns as scanned.
type agentRow struct {
	a                     store.Agent
	meta, scopes, status  string
	created, updated, ttl int64
}

// dest returns the scan destinations of agentCols, in order.
func (r *agentRow) dest() []any {
	return []any{&r.a.ID, &r.a.OrgID, &r.a.Name, &r.a.Description, &r.a.Owner, &r.meta,
		&r.scopes, &r.status, &r.created, &r.updated, &r.ttl}
}

// agent decodes the scanned columns.
func (r *agentRow) agent() (store.Agent, error) {
	a := r.a
	var err error
	if a.Metadata, err = decodeMap(r.meta); err != nil {
		return store.Agent{}, fmt.Errorf("decode agent metadata: %w", err)
	}
	if a.Scopes, err = decodeList(r.scopes); err != nil {
		return store.Agent{}, fmt.Errorf("decode agent scopes: %w", err)
	}
	a.Status = store.AgentStatus(r.status)
	a.CreatedAt, a.UpdatedAt = fromMicros(r.created), fromMicros(r.updated)
	a.TokenTTL = fromDurationMicros(r.ttl)
	return a, nil
}

func scanAgent(s Scanner) (store.Agent, error) {
	var r agentRow
	if err := s.Scan(r.dest()...); err != nil {
		return store.Agent{}, err
	}
	return r.agent()
}

// encodeAgent returns the stored forms of an agent's metadata and scopes.
func encodeAgent(a store.Agent) (meta, scopes string, err error) {
	if meta, err = encodeMap(a.Metadata); err != nil {
		return "", "", fmt.Errorf("encode agent metadata: %w", err)
	}
	if scopes, err = encodeList(a.Scopes); err != nil {
		return "", "", fmt.Errorf("encode agent scopes: %w", err)
	}
	return meta, scopes, nil
}

func getAgent(ctx context.Context, q Querier, lock, orgID, id string) (store.Agent, error) {
	a, err := queryOne(ctx, q, scanAgent,
		"SELECT "+agentCols+" FROM agents WHERE org_id = $1 AND id = $2"+lock,
		orgID, id)
	return a, wrap(fmt.Sprintf("get agent %q", id), err)
}

// GetAgent implements store.Reader.
func (s *Store) GetAgent(ctx context.Context, orgID, id string) (store.Agent, error) {
	return getAgent(ctx, s.db, "", orgID, id)
}

// ListAgents implements store.Reader. NamePrefix compares characters
// exactly (case-sensitive, no wildcards).
func (s *Store) ListAgents(ctx context.Context, orgID string,
	af store.AgentFilter) ([]store.Agent, error) {
	var f filter
	f.add("org_id = %s", orgID)
	f.add("id > %s", af.After)
	f.addIf("status = %s", string(af.Status))
	f.addIf("owner = %s", af.Owner)
	if af.NamePrefix != "" {
		n := utf8.RuneCountInString(af.NamePrefix)
		f.conds = append(f.conds,
			fmt.Sprintf("substr(name, 1, %s) = %s", f.arg(n), f.arg(af.NamePrefix)))
	}

	query := "SELECT " + agentCols + " FROM agents" + f.where() +
		" ORDER BY id LIMIT " + f.arg(clampLimit(af.Limit))
	agents, err := queryAll(ctx, s.db, scanAgent, query, f.args...)
	return agents, wrap("list agents", err)
}

// CreateAgent implements store.Tx. It also assigns the agent its status
// index.
func (t *tx) CreateAgent(ctx context.Context, a store.Agent) error {
	op := fmt.Sprintf("create agent %q", a.ID)
	meta, scopes, err := encodeAgent(a)
	if err != nil {
		return wrap(op, err)
	}

	_, err = t.q.Exec(ctx,
		"INSERT INTO agents ("+agentCols+") "+
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
		a.ID, a.OrgID, a.Name, a.Description, a.Owner, meta, scopes,
		string(a.Status), micros(a.CreatedAt), micros(a.UpdatedAt), durationMicros(a.TokenTTL))
	if err != nil {
		return t.writeErr(op, err)
	}
	return t.assignStatusIndex(ctx, a.ID)
}

// GetAgent implements store.Tx.
func (t *tx) GetAgent(ctx context.Context, orgID, id string) (store.Agent, error) {
	return getAgent(ctx, t.q, t.d.ForUpdate, orgID, id)
}

// UpdateAgent implements store.Tx. It writes every field but ID, OrgID and
// CreatedAt.
func (t *tx) UpdateAgent(ctx context.Context, a store.Agent) error {
	op := fmt.Sprintf("update agent %q", a.ID)
	meta, scopes, err := encodeAgent(a)
	if err != nil {
		return wrap(op, err)
	}

	n, err := t.q.Exec(ctx,
		"UPDATE agents SET name = $3, description = $4, owner = $5, metadata = $6, "+
			"scopes = $7, status = $8, updated_at = $9, token_ttl = $10 "+
			"WHERE org_id = $1 AND id = $2",
		a.OrgID, a.ID, a.Name, a.Description, a.Owner, meta, scopes,
		string(a.Status), micros(a.UpdatedAt), durationMicros(a.TokenTTL))
	return t.updated(op, n, err)
}
