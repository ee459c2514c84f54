package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/sqlstore"
)

// DefaultConnectTimeout bounds establishing one connection when the URL
// sets no connect_timeout.
const DefaultConnectTimeout = 5 * time.Second

// migrationLockClass is the first key of the advisory lock migrators take;
// the second is derived from the schema, so that deployments sharing a
// database in different schemas do not wait for each other.
const migrationLockClass = 0x41494450 // "AIDP"

// Config says how to reach the database.
type Config struct {
	// URL is a libpq-style connection URL or keyword/value string.
	URL string
	// MaxConns caps the pool; zero keeps pgx's default (the larger of 4
	// and the number of CPUs). Migrate holds one connection for its run.
	MaxConns int32
	// Schema, when set, is the search_path of every connection; Open
	// creates it when missing. Empty uses the server's default path.
	Schema string
}

// Store is store.Store on a PostgreSQL connection pool. It is safe for
// concurrent use. Statement and connection deadlines come from the
// contexts passed to its methods.
type Store struct {
	*sqlstore.Store
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database described by cfg, creating cfg.Schema if
// needed, and checks the connection. It does not migrate: call Migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	pc, err := poolConfig(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Schema != "" {
		if err := createSchema(ctx, pc.ConnConfig, cfg.Schema); err != nil {
			return nil, err
		}
	}

	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open postgres pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("ping postgres: %w", err)
	}

	ss, err := sqlstore.New(newDB(pool), dialect)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{Store: ss, pool: pool}, nil
}

// poolConfig turns cfg into a pool configuration.
func poolConfig(cfg Config) (*pgxpool.Config, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// pgx leaves the password out of its parse errors.
		return nil, fmt.Errorf("parse postgres url: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	if cfg.Schema != "" {
		// Quoted, so that the name means what CREATE SCHEMA made of it.
		pc.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{cfg.Schema}.Sanitize()
	}
	return pc, nil
}

// createSchema creates the schema on a connection of its own, tolerating a
// concurrent creator.
func createSchema(ctx context.Context, cc *pgx.ConnConfig, schema string) error {
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return fmt.Errorf("connect postgres: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))

	_, err = conn.Exec(ctx,
		"CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize())
	// Two creators can both pass IF NOT EXISTS; the loser sees a duplicate.
	if c := sqlState(err); c == codeUniqueViolation || c == codeDuplicateSchema {
		err = nil
	}
	if err != nil {
		return fmt.Errorf("create schema %q: %w", schema, err)
	}
	return nil
}

// Migrate applies the pending embedded migrations. It holds an advisory
// lock on one connection for the whole run and migrates through that
// connection, so instances starting together apply each migration once.
func (s *Store) Migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate postgres: acquire connection: %w", err)
	}
	defer conn.Release()

	const key = "$1, hashtext(coalesce(current_schema(), ''))"
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock("+key+")",
		migrationLockClass); err != nil {
		return fmt.Errorf("migrate postgres: take lock: %w", err)
	}
	defer unlock(ctx, conn, key)

	if err := sqlstore.Migrate(ctx, newDB(conn), dialect); err != nil {
		return fmt.Errorf("migrate postgres: %w", err)
	}
	return nil
}

// unlock releases the migration lock even when ctx has ended. A connection
// that cannot release it is closed instead, which releases it too.
func unlock(ctx context.Context, conn *pgxpool.Conn, key string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()

	_, err := conn.Exec(ctx, "SELECT pg_advisory_unlock("+key+")", migrationLockClass)
	if err != nil {
		_ = conn.Conn().Close(ctx)
	}
}

// MigrationStatus reports every embedded migration and whether it was
// applied.
func (s *Store) MigrationStatus(ctx context.Context) ([]sqlstore.MigrationStatus, error) {
	st, err := sqlstore.Status(ctx, querier{s.pool}, dialect)
	if err != nil {
		return nil, fmt.Errorf("postgres migration status: %w", err)
	}
	return st, nil
}

// Exec runs a statement outside the store's model. It is meant for tests
// (tampering with the audit chain) and operator tooling, never for the
// request path.
func (s *Store) Exec(ctx context.Context, sql string, args ...any) error {
	_, err := s.pool.Exec(ctx, sql, args...)
	return err
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// Close implements store.Store. It waits for connections in use to be
// returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}
