package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

// Opener returns a fresh, migrated and empty store for one test and
// arranges for it to be closed when the test ends.
type Opener func(t *testing.T) store.Store

// Run runs the conformance suite against the backend that open creates,
// one fresh store per subtest.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		run  func(t *testing.T, st store.Store)
	}{
		{"orgs round trip", testOrgs},
		{"times are stored in UTC to the microsecond", testTimes},
		{"operators round trip", testOperators},
		{"api keys round trip", testAPIKeys},
		{"admin keys round trip", testAdminKeys},
		{"agents round trip", testAgents},
		{"client secrets round trip", testClientSecrets},
		{"agent keys round trip", testAgentKeys},
		{"missing rows are not found", testNotFound},
		{"duplicates conflict", testConflicts},
		{"listings page by id", testPagination},
		{"listings clamp their limit", testLimits},
		{"agent filters", testAgentFilters},
		{"audit filters", testAuditFilters},
		{"organisations are isolated", testTenancy},
		{"failed transactions leave no trace", testAtomicity},
		{"transaction errors come back unchanged", testTxError},
		{"locked reads prevent lost updates", testLockedUpdates},
		{"audit records form a chain", testAuditChain},
		{"concurrent audit appends never fork", testConcurrentAudit},
		{"one transaction appends to several chains", testBatchedAudit},
		{"outbox events come in order", testOutbox},
		{"token lifetimes round trip", testTokenTTLs},
		{"agents are found by id alone with their organisation", testFindAgent},
		{"revoked tokens are kept until they expire", testRevokedTokens},
		{"used client assertions refuse replays until they expire", testUsedAssertions},
		{"signing keys round trip", testSigningKeys},
		{"signing key writes fail with sentinels", testSigningKeyErrors},
		{"locked signing key reads make rotations take turns", testSigningKeyLock},
		{"agents get status indexes that are never reused", testStatusIndexes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, open(t))
		})
	}
}

// now returns the current time at the stored precision.
func now() time.Time {
	return store.Truncate(time.Now())
}

// mustTx runs fn in a transaction that must succeed.
func mustTx(t testing.TB, st store.Store, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, st.WithTx(ctx, func(tx store.Tx) error { return fn(ctx, tx) }))
}

// tryTx runs fn in a transaction and returns its error.
func tryTx(st store.Store, fn func(ctx context.Context, tx store.Tx) error) error {
	ctx := context.Background()
	return st.WithTx(ctx, func(tx store.Tx) error { return fn(ctx, tx) })
}

// newOrg stores a new active organisation.
func newOrg(t testing.TB, st store.Store) store.Org {
	t.Helper()
	o := store.Org{
		ID:        ids.New(ids.Org),
		Name:      "org " + ids.New(""),
		Status:    store.OrgActive,
		CreatedAt: now(),
		UpdatedAt: now(),
	}
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error { return tx.CreateOrg(ctx, o) })
	return o
}

// agentFixture returns an agent of the organisation, not yet stored.
func agentFixture(orgID, name string) store.Agent {
	return store.Agent{
		ID:          ids.New(ids.Agent),
		OrgID:       orgID,
		Name:        name,
		Description: "summarises tickets",
		Owner:       "team-support",
		Metadata:    map[string]string{"env": "prod", "tier": "gold"},
		Scopes:      []string{"tickets:read", "tickets:write", "a:b"},
		Status:      store.AgentActive,
		CreatedAt:   now(),
		UpdatedAt:   now(),
	}
}

// newAgent stores a new agent of the organisation.
func newAgent(t testing.TB, st store.Store, orgID, name string) store.Agent {
	t.Helper()
	a := agentFixture(orgID, name)
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error { return tx.CreateAgent(ctx, a) })
	return a
}

// entry returns an audit entry of the organisation.
func entry(orgID string, i int) store.AuditEntry {
	return store.AuditEntry{
		OrgID:     orgID,
		Actor:     "apikey:key_test",
		Action:    "agent.create",
		Target:    fmt.Sprintf("agt_%d", i),
		RequestID: ids.New(ids.Request),
		Outcome:   store.OutcomeSuccess,
		Time:      time.Now(),
	}
}

// appendAudit appends one entry in its own transaction.
func appendAudit(t testing.TB, st store.Store, e store.AuditEntry) store.AuditRecord {
	t.Helper()
	var rec store.AuditRecord
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		var err error
		rec, err = tx.AppendAudit(ctx, e)
		return err
	})
	return rec
}

// scanAll returns an organisation's chain in order.
func scanAll(t testing.TB, st store.Store, orgID string) []store.AuditRecord {
	t.Helper()
	var recs []store.AuditRecord
	err := st.ScanAudit(context.Background(), orgID, func(r store.AuditRecord) error {
		recs = append(recs, r)
		return nil
	})
	require.NoError(t, err)
	return recs
}

// requireChain checks that recs are exactly seqs 1..n, each linked to the
// one before and hashed as store.ChainHash says.
func requireChain(t testing.TB, recs []store.AuditRecord, n int) {
	t.Helper()
	require.Len(t, recs, n)
	prev := store.GenesisHash
	for i, r := range recs {
		require.Equal(t, int64(i+1), r.Seq, "record %d", i)
		require.Equal(t, prev, r.PrevHash, "record %d links to the previous one", r.Seq)
		require.Equal(t, store.ChainHash(r.PrevHash, r.AuditEntry, r.Seq), r.Hash,
			"record %d hash", r.Seq)
		prev = r.Hash
	}
}
