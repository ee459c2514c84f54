package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/sqlite"
	"github.com/agentidp/agentidp/internal/store/sqlstore"
	"github.com/agentidp/agentidp/internal/store/storetest"
)

// openAt opens the database at path and closes it when tb ends.
func openAt(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), path)
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, st.Close()) })
	return st
}

// open returns a fresh, migrated store in tb's temporary directory.
func open(tb testing.TB) *sqlite.Store {
	tb.Helper()
	st := openAt(tb, filepath.Join(tb.TempDir(), "agentidp.db"))
	require.NoError(tb, st.Migrate(context.Background()))
	return st
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestDataSurvivesReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "agentidp.db")
	first, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, first.Migrate(ctx))

	o := store.Org{ID: ids.New(ids.Org), Name: "kept", Status: store.OrgActive,
		CreatedAt: store.Truncate(time.Now())}
	var rec store.AuditRecord
	err = first.WithTx(ctx, func(tx store.Tx) error {
		if err := tx.CreateOrg(ctx, o); err != nil {
			return err
		}
		rec, err = tx.AppendAudit(ctx, store.AuditEntry{OrgID: o.ID, Action: "org.create"})
		return err
	})
	require.NoError(t, err)
	require.NoError(t, first.Close())

	second := openAt(t, path)
	require.NoError(t, second.Migrate(ctx), "migrating again is a no-op")
	got, err := second.GetOrg(ctx, o.ID)
	require.NoError(t, err)
	require.Equal(t, o, got)
	recs, err := second.ListAudit(ctx, o.ID, store.AuditFilter{})
	require.NoError(t, err)
	require.Equal(t, []store.AuditRecord{rec}, recs)
}

func TestMigrationStatus(t *testing.T) {
	ctx := t.Context()
	st := openAt(t, filepath.Join(t.TempDir(), "agentidp.db"))
	all, err := sqlstore.Migrations()
	require.NoError(t, err)
	require.NotEmpty(t, all)

	before, err := st.MigrationStatus(ctx)
	require.NoError(t, err)
	require.Len(t, before, len(all))
	for _, m := range before {
		require.False(t, m.Applied, "migration %d before Migrate", m.Version)
	}

	require.NoError(t, st.Migrate(ctx))
	after, err := st.MigrationStatus(ctx)
	require.NoError(t, err)
	for i, m := range after {
		require.Equal(t, all[i].Version, m.Version)
		require.Equal(t, all[i].Name, m.Name)
		require.True(t, m.Applied, "migration %d after Migrate", m.Version)
		require.WithinDuration(t, time.Now(), m.AppliedAt, time.Minute)
	}

	require.NoError(t, st.Migrate(ctx))
	again, err := st.MigrationStatus(ctx)
	require.NoError(t, err)
	require.Equal(t, after, again, "a second Migrate applies nothing")
}

func TestOpenRefusesNonFiles(t *testing.T) {
	tests := []struct {
		name string
		path string
	}{
		{"empty path", ""},
		{"in-memory database", ":memory:"},
		{"path with a query", "db.sqlite?mode=ro"},
	}
	for _, tc := range tests {
		_, err := sqlite.Open(t.Context(), tc.path)
		require.Error(t, err, tc.name)
	}
}

func BenchmarkCreateAgent(b *testing.B) {
	storetest.BenchCreateAgent(b, open(b))
}
