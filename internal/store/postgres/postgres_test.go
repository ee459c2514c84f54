package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/pgtest"
	"github.com/agentidp/agentidp/internal/store/postgres"
	"github.com/agentidp/agentidp/internal/store/sqlstore"
	"github.com/agentidp/agentidp/internal/store/storetest"
)

// openIn opens the store on the schema and closes it when tb ends.
func openIn(tb testing.TB, url, schema string) *postgres.Store {
	tb.Helper()
	st, err := postgres.Open(context.Background(), postgres.Config{URL: url, Schema: schema})
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, st.Close()) })
	return st
}

// open returns a fresh, migrated store in a schema of its own.
func open(tb testing.TB) *postgres.Store {
	tb.Helper()
	url, schema := pgtest.New(tb)
	st := openIn(tb, url, schema)
	require.NoError(tb, st.Migrate(context.Background()))
	return st
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

// TestConcurrentMigrate starts several instances on one fresh schema at
// once, as a deployment rolling out does: all succeed and each migration is
// applied once.
func TestConcurrentMigrate(t *testing.T) {
	url, schema := pgtest.New(t)
	const instances = 5

	var wg sync.WaitGroup
	errs := make(chan error, instances)
	for range instances {
		wg.Go(func() {
			st, err := postgres.Open(t.Context(), postgres.Config{URL: url, Schema: schema})
			if err != nil {
				errs <- err
				return
			}
			defer st.Close()
			errs <- st.Migrate(t.Context())
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	all, err := sqlstore.Migrations()
	require.NoError(t, err)
	require.Equal(t, int64(len(all)), countRows(t, url, schema+".schema_migrations"))
	status, err := openIn(t, url, schema).MigrationStatus(t.Context())
	require.NoError(t, err)
	for _, m := range status {
		require.True(t, m.Applied, "migration %d", m.Version)
	}
}

// countRows counts a table's rows on a connection of its own.
func countRows(t *testing.T, url, table string) int64 {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.Background())

	var n int64
	err = conn.QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n)
	require.NoError(t, err)
	return n
}

func TestOpenCreatesSchema(t *testing.T) {
	url, parent := pgtest.New(t)
	// Mixed case and a space: the name is used exactly, never folded.
	schema := parent + "_Created Here"
	quoted := pgx.Identifier{schema}.Sanitize()
	st := openIn(t, url, schema)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		require.NoError(t, st.Exec(ctx, "DROP SCHEMA "+quoted+" CASCADE"))
	})

	require.NoError(t, st.Migrate(t.Context()))
	require.Zero(t, countRows(t, url, quoted+".agents"), "tables live in the schema")
}

func TestMigrationStatus(t *testing.T) {
	ctx := t.Context()
	url, schema := pgtest.New(t)
	st := openIn(t, url, schema)

	before, err := st.MigrationStatus(ctx)
	require.NoError(t, err)
	require.NotEmpty(t, before)
	for _, m := range before {
		require.False(t, m.Applied, "migration %d before Migrate", m.Version)
	}

	require.NoError(t, st.Migrate(ctx))
	after, err := st.MigrationStatus(ctx)
	require.NoError(t, err)
	for _, m := range after {
		require.True(t, m.Applied, "migration %d after Migrate", m.Version)
		require.WithinDuration(t, time.Now(), m.AppliedAt, time.Minute)
	}

	require.NoError(t, st.Migrate(ctx))
	again, err := st.MigrationStatus(ctx)
	require.NoError(t, err)
	require.Equal(t, after, again, "a second Migrate applies nothing")
}

func TestOpenFailsFast(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := postgres.Open(ctx, postgres.Config{
		URL: "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"})
	require.Error(t, err)
}

func BenchmarkCreateAgent(b *testing.B) {
	storetest.BenchCreateAgent(b, open(b))
}
