package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the environment variable holding the test database URL.
const EnvURL = "AGENTIDP_TEST_DATABASE_URL"

// DefaultURL is the test database used when EnvURL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// pingTimeout bounds the check that the database is there.
const pingTimeout = 3 * time.Second

// URL returns the test database URL: EnvURL's value or DefaultURL.
func URL() string {
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return DefaultURL
}

// New returns the test database URL and a fresh schema in it that is
// dropped when t ends. When the database cannot be reached the test is
// skipped, or fails when the environment says CI=true, since CI must always
// run against PostgreSQL.
func New(t testing.TB) (url, schema string) {
	t.Helper()
	url = URL()
	conn := connect(t, url)
	defer conn.Close(context.Background())

	schema = "t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}

	t.Cleanup(func() { dropSchema(t, url, schema) })
	return url, schema
}

// unreachable remembers, by URL, why a database could not be reached, so
// that the tests after the first one skip at once instead of waiting out
// the ping again.
var unreachable sync.Map

// connect opens one connection, skipping or failing t when it cannot.
func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := reach(url)
	if err == nil {
		return conn
	}

	const msg = "PostgreSQL test database unreachable (set %s): %v"
	if os.Getenv("CI") == "true" {
		t.Fatalf(msg, EnvURL, err)
	}
	t.Skipf(msg, EnvURL, err)
	return nil
}

// reach connects to url unless an earlier attempt failed.
func reach(url string) (*pgx.Conn, error) {
	if err, ok := unreachable.Load(url); ok {
		return nil, err.(error)
	}

	ctx, cancel := context.WithTimeout(context.Background(), pingTimeout)
	defer cancel()
	conn, err := ping(ctx, url)
	if err != nil {
		unreachable.Store(url, err)
	}
	return conn, err
}

// ping connects and checks the connection.
func ping(ctx context.Context, url string) (*pgx.Conn, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := conn.Ping(ctx); err != nil {
		_ = conn.Close(ctx)
		return nil, err
	}
	return conn, nil
}

// dropSchema removes a test schema and everything in it.
func dropSchema(t testing.TB, url, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Errorf("drop test schema: %v", err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
		t.Errorf("drop test schema: %v", err)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	// crypto/rand.Read never fails on supported platforms.
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
