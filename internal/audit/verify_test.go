package audit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/audit"
	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/pgtest"
	"github.com/agentidp/agentidp/internal/store/postgres"
	"github.com/agentidp/agentidp/internal/store/sqlite"
)

// rawStore is a backend that also runs raw SQL, to tamper with the chain.
type rawStore interface {
	store.Store
	Exec(ctx context.Context, sql string, args ...any) error
}

// backends opens a fresh, migrated store of each kind.
var backends = []struct {
	name string
	open func(t *testing.T) rawStore
}{
	{"sqlite", func(t *testing.T) rawStore {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "a.db"))
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, st.Close()) })
		require.NoError(t, st.Migrate(t.Context()))
		return st
	}},
	{"postgres", func(t *testing.T) rawStore {
		url, schema := pgtest.New(t)
		st, err := postgres.Open(t.Context(), postgres.Config{URL: url, Schema: schema})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, st.Close()) })
		require.NoError(t, st.Migrate(t.Context()))
		return st
	}},
}

// chainLen is the length of the chain each test tampers with.
const chainLen = 10

// build stores an organisation with a chain of n records and returns them.
func build(t *testing.T, st store.Store, n int) (string, []store.AuditRecord) {
	ctx := t.Context()
	org := ids.New(ids.Org)
	var recs []store.AuditRecord
	err := st.WithTx(ctx, func(tx store.Tx) error {
		return tx.CreateOrg(ctx, store.Org{ID: org, Status: store.OrgActive})
	})
	require.NoError(t, err)

	for i := range n {
		var r store.AuditRecord
		err := st.WithTx(ctx, func(tx store.Tx) error {
			var err error
			r, err = tx.AppendAudit(ctx, store.AuditEntry{OrgID: org,
				Actor: "apikey:key_1", Action: "agent.create",
				Target: fmt.Sprintf("agt_%d", i), Outcome: store.OutcomeSuccess,
				Time: time.Date(2030, 1, 1, 0, i, 0, 0, time.UTC)})
			return err
		})
		require.NoError(t, err)
		recs = append(recs, r)
	}
	return org, recs
}

func TestIntactChains(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			st := b.open(t)
			a, _ := build(t, st, chainLen)
			gone, _ := build(t, st, 3)
			empty, _ := build(t, st, 0)
			// A chain outlives its organisation.
			require.NoError(t, st.Exec(t.Context(), "DELETE FROM orgs WHERE id = $1", gone))

			rep, err := audit.Verify(t.Context(), st)
			require.NoError(t, err)
			require.True(t, rep.OK(), rep.String())
			require.ElementsMatch(t, []audit.Chain{
				{OrgID: a, Records: chainLen, HasHead: true, HeadSeq: chainLen},
				{OrgID: gone, Records: 3, HasHead: true, HeadSeq: 3},
				{OrgID: empty},
			}, rep.Chains)
		})
	}
}

// tamper is one edit of organisation org's chain and what Verify must say.
type tamper struct {
	name string
	edit func(t *testing.T, st rawStore, org string, recs []store.AuditRecord)
	seq  int64
	kind audit.Kind
}

// exec runs raw SQL that must succeed.
func exec(t *testing.T, st rawStore, sql string, args ...any) {
	t.Helper()
	require.NoError(t, st.Exec(t.Context(), sql, args...))
}

// rewrite edits record seq's actor and stores the hash recomputed to match,
// as someone who knows the hash function would.
func rewrite(t *testing.T, st rawStore, org string, recs []store.AuditRecord, seq int64) {
	r := recs[seq-1]
	r.Actor = "apikey:key_mallory"
	hash := store.ChainHash(r.PrevHash, r.AuditEntry, r.Seq)
	exec(t, st, "UPDATE audit_records SET actor = $3, hash = $4 WHERE org_id = $1 AND seq = $2",
		org, seq, r.Actor, hash)
}

var tampers = []tamper{
	{"an edited field is changed", func(t *testing.T, st rawStore, org string,
		_ []store.AuditRecord) {
		exec(t, st, "UPDATE audit_records SET actor = 'x' WHERE org_id = $1 AND seq = 4", org)
	}, 4, audit.Changed},
	{"an edited time is changed", func(t *testing.T, st rawStore, org string,
		_ []store.AuditRecord) {
		exec(t, st, "UPDATE audit_records SET occurred_at = occurred_at + 1 "+
			"WHERE org_id = $1 AND seq = 7", org)
	}, 7, audit.Changed},
	{"a record rewritten with its hash recomputed is changed", func(t *testing.T,
		st rawStore, org string, recs []store.AuditRecord) {
		rewrite(t, st, org, recs, 4)
	}, 4, audit.Changed},
	{"the last record rewritten with its hash recomputed is changed", func(t *testing.T,
		st rawStore, org string, recs []store.AuditRecord) {
		rewrite(t, st, org, recs, chainLen)
	}, chainLen, audit.Changed},
	{"a deleted middle record is removed", func(t *testing.T, st rawStore, org string,
		_ []store.AuditRecord) {
		exec(t, st, "DELETE FROM audit_records WHERE org_id = $1 AND seq = 5", org)
	}, 5, audit.Removed},
	{"a deleted first record is removed", func(t *testing.T, st rawStore, org string,
		_ []store.AuditRecord) {
		exec(t, st, "DELETE FROM audit_records WHERE org_id = $1 AND seq = 1", org)
	}, 1, audit.Removed},
	{"swapped records are reordered", func(t *testing.T, st rawStore, org string,
		_ []store.AuditRecord) {
		const q = "UPDATE audit_records SET seq = $2 WHERE org_id = $1 AND seq = $3"
		exec(t, st, q, org, -1, 3)
		exec(t, st, q, org, 3, 6)
		exec(t, st, q, org, 6, -1)
	}, 3, audit.Reordered},
	{"a deleted last record is truncated", func(t *testing.T, st rawStore, org string,
		_ []store.AuditRecord) {
		exec(t, st, "DELETE FROM audit_records WHERE org_id = $1 AND seq = $2", org, chainLen)
	}, chainLen, audit.Truncated},
	{"a deleted chain is truncated", func(t *testing.T, st rawStore, org string,
		_ []store.AuditRecord) {
		exec(t, st, "DELETE FROM audit_records WHERE org_id = $1", org)
	}, 1, audit.Truncated},
	{"a deleted head leaves the chain unanchored", func(t *testing.T, st rawStore,
		org string, _ []store.AuditRecord) {
		exec(t, st, "DELETE FROM audit_heads WHERE org_id = $1", org)
	}, 1, audit.Unanchored},
	{"a record forged after the head is unanchored", func(t *testing.T, st rawStore,
		org string, recs []store.AuditRecord) {
		last := recs[len(recs)-1]
		e := last.AuditEntry
		e.Action = "agent.delete"
		exec(t, st, "INSERT INTO audit_records (org_id, seq, prev_hash, hash, occurred_at, "+
			"actor, action, target, request_id, outcome) "+
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
			org, last.Seq+1, last.Hash, store.ChainHash(last.Hash, e, last.Seq+1),
			e.Time.UnixMicro(), e.Actor, e.Action, e.Target, e.RequestID, string(e.Outcome))
	}, chainLen + 1, audit.Unanchored},
}

func TestTamperedChains(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			for _, tc := range tampers {
				t.Run(tc.name, func(t *testing.T) {
					st := b.open(t)
					org, recs := build(t, st, chainLen)
					other, _ := build(t, st, 3)
					tc.edit(t, st, org, recs)

					rep, err := audit.Verify(t.Context(), st)
					require.NoError(t, err)
					requireFirst(t, rep, org, other, tc.seq, tc.kind)
				})
			}
		})
	}
}

// requireFirst checks that the report names only org's chain as broken,
// with the given first problem.
func requireFirst(t *testing.T, rep audit.Report, org, other string, seq int64,
	kind audit.Kind) {
	t.Helper()
	require.False(t, rep.OK())
	p, ok := rep.First()
	require.True(t, ok)
	require.Equal(t, org, p.OrgID, rep.String())
	require.Equal(t, kind, p.Kind, rep.String())
	require.Equal(t, seq, p.Seq, rep.String())

	for _, c := range rep.Chains {
		if c.OrgID == other {
			require.Nil(t, c.Problem, "the other chain is intact")
		}
	}
	out := rep.String()
	require.Contains(t, out, "1 broken")
	require.Contains(t, out, fmt.Sprintf("first problem: org %s, seq %d: %s", org, seq, kind))
}
