// Package testdb opens migrated stores for tests: an embedded SQLite store
// in the test's temporary directory, and a PostgreSQL store in a schema of
// its own (internal/store/pgtest) that is dropped when the test ends.
// Tests that must hold on both backends range over Backends.
//
// It is for tests only, and imports both backends for them; no production
// package may import it.
package testdb

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/pgtest"
	"github.com/agentidp/agentidp/internal/store/postgres"
	"github.com/agentidp/agentidp/internal/store/sqlite"
)

// Backend names a storage backend and opens a fresh, migrated store of it.
type Backend struct {
	Name string
	Open func(t testing.TB) store.Store
}

// Backends are every storage backend, SQLite first.
var Backends = []Backend{
	{Name: "sqlite", Open: func(t testing.TB) store.Store { return SQLite(t) }},
	{Name: "postgres", Open: func(t testing.TB) store.Store { return Postgres(t) }},
}

// SQLite returns a migrated SQLite store in t's temporary directory,
// closed when t ends.
func SQLite(t testing.TB) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "agentidp.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	require.NoError(t, st.Migrate(ctx))
	return st
}

// Postgres returns a migrated PostgreSQL store in a fresh schema, closed
// and dropped when t ends. It skips t when no database answers, except
// under CI=true, where that fails it (pgtest decides).
func Postgres(t testing.TB) *postgres.Store {
	t.Helper()
	ctx := context.Background()
	u, schema := pgtest.New(t)
	st, err := postgres.Open(ctx, postgres.Config{URL: u, Schema: schema})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	require.NoError(t, st.Migrate(ctx))
	return st
}
