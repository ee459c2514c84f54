package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"strings"

	// The driver registers itself as "sqlite".
	_ "modernc.org/sqlite"

	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/sqlstore"
)

// busyTimeout is how long a connection waits for another process's lock
// before failing with SQLITE_BUSY, in milliseconds. Within one process the
// writer connection is never contended, so this only matters when another
// program holds the file.
const busyTimeout = "5000"

// Connection settings. The writer begins every transaction IMMEDIATE, so it
// takes the write lock up front instead of failing to upgrade a read lock
// halfway; readers cannot write at all.
const (
	common   = "_pragma=busy_timeout(" + busyTimeout + ")&_pragma=foreign_keys(1)"
	writeDSN = common + "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_txlock=immediate"
	readDSN = common + "&_pragma=query_only(1)"
)

// Store is store.Store on one SQLite database file. It is safe for
// concurrent use: writes queue for the single writer connection, reads run
// in parallel beside them (WAL).
type Store struct {
	*sqlstore.Store
	db db
}

var _ store.Store = (*Store)(nil)

// Open opens (creating it if needed) the database file at path. It does
// not migrate: call Migrate. path must name a file, not ":memory:", since
// readers and the writer use separate connections.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, ":") {
		return nil, fmt.Errorf("open sqlite %q: want a plain file path", path)
	}

	write, err := openPool(ctx, path+"?"+writeDSN, 1)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}
	// The reader pool opens after the writer has switched the file to WAL.
	read, err := openPool(ctx, path+"?"+readDSN, max(4, runtime.NumCPU()))
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("open sqlite %q: %w", path, err)
	}

	d := newDB(read, write)
	ss, err := sqlstore.New(d, dialect)
	if err != nil {
		_ = d.close()
		return nil, err
	}
	return &Store{Store: ss, db: d}, nil
}

// openPool opens a pool of at most n connections and checks that one can
// be made.
func openPool(ctx context.Context, dsn string, n int) (*sql.DB, error) {
	pool, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(n)
	pool.SetMaxIdleConns(n)
	pool.SetConnMaxLifetime(0)

	if err := pool.PingContext(ctx); err != nil {
		_ = pool.Close()
		return nil, err
	}
	return pool, nil
}

func (d db) close() error {
	d.readStmts.close()
	d.writeStmts.close()
	return errors.Join(d.read.Close(), d.write.Close())
}

// Migrate applies the pending embedded migrations.
func (s *Store) Migrate(ctx context.Context) error {
	if err := sqlstore.Migrate(ctx, s.db, dialect); err != nil {
		return fmt.Errorf("migrate sqlite: %w", err)
	}
	return nil
}

// MigrationStatus reports every embedded migration and whether it was
// applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]sqlstore.MigrationStatus, error) {
	st, err := sqlstore.Status(ctx, s.db, dialect)
	if err != nil {
		return nil, fmt.Errorf("sqlite migration status: %w", err)
	}
	return st, nil
}

// Exec runs a statement outside the store's model, on the writer
// connection. It is meant for tests (tampering with the audit chain) and
// operator tooling, never for the request path.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	_, err := s.db.Exec(ctx, query, args...)
	return err
}

// Ping implements store.Store. It checks a reader connection, so that it
// does not queue behind a long write transaction.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// Close implements store.Store.
func (s *Store) Close() error {
	return s.db.close()
}
