package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/agentidp/agentidp/internal/store"
)

// assignStatusIndex gives a new agent the next status index. The
// identity column never hands a number out twice (see the dialects).
func (t *tx) assignStatusIndex(ctx context.Context, agentID string) error {
	_, err := t.q.Exec(ctx, "INSERT INTO agent_status_indexes (agent_id) VALUES ($1)", agentID)
	return t.writeErr(fmt.Sprintf("assign status index of agent %q", agentID), err)
}

// AgentStatusIndex implements store.Reader.
func (s *Store) AgentStatusIndex(ctx context.Context, agentID string) (int64, error) {
	idx, err := queryOne(ctx, s.db, scanInt,
		"SELECT idx FROM agent_status_indexes WHERE agent_id = $1", agentID)
	return idx, wrap(fmt.Sprintf("get status index of agent %q", agentID), err)
}

// ListStatusIndexes implements store.Reader.
func (s *Store) ListStatusIndexes(ctx context.Context,
	sf store.StatusIndexFilter) ([]int64, error) {
	if sf.To <= sf.From || len(sf.AgentStatuses)+len(sf.OrgStatuses) == 0 {
		return []int64{}, nil
	}

	var f filter
	f.add("s.idx >= %s", sf.From)
	f.add("s.idx < %s", sf.To)
	var either []string
	if len(sf.AgentStatuses) > 0 {
		either = append(either, "a.status IN ("+placeholders(&f, sf.AgentStatuses)+")")
	}
	if len(sf.OrgStatuses) > 0 {
		either = append(either, "o.status IN ("+placeholders(&f, sf.OrgStatuses)+")")
	}
	f.conds = append(f.conds, "("+strings.Join(either, " OR ")+")")

	query := "SELECT s.idx FROM agent_status_indexes s " +
		"JOIN agents a ON a.id = s.agent_id JOIN orgs o ON o.id = a.org_id" +
		f.where() + " ORDER BY s.idx"
	out, err := queryAll(ctx, s.db, scanInt, query, f.args...)
	return out, wrap("list status indexes", err)
}

// placeholders adds every value as an argument of f and returns their
// placeholders, comma-separated.
func placeholders[S ~string](f *filter, vals []S) string {
	ph := make([]string, len(vals))
	for i, v := range vals {
		ph[i] = f.arg(string(v))
	}
	return strings.Join(ph, ", ")
}

func scanInt(s Scanner) (int64, error) {
	var n int64
	err := s.Scan(&n)
	return n, err
}
