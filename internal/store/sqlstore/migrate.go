package sqlstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one embedded schema change, named NNNN_name.sql.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// MigrationStatus says whether one migration has been applied and when.
type MigrationStatus struct {
	Version   int
	Name      string
	Applied   bool
	AppliedAt time.Time // zero when not applied
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at BIGINT  NOT NULL
)`

// Migrations returns the embedded migrations in the order they apply.
func Migrations() ([]Migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}

	var ms []Migration
	for _, name := range names {
		m, err := readMigration(name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b Migration) int { return a.Version - b.Version })

	for i := 1; i < len(ms); i++ {
		if ms[i].Version == ms[i-1].Version {
			return nil, fmt.Errorf("migration version %d used twice", ms[i].Version)
		}
	}
	return ms, nil
}

// readMigration reads one embedded file, taking its version and name from
// the file name.
func readMigration(file string) (Migration, error) {
	base := strings.TrimSuffix(path.Base(file), ".sql")
	num, name, ok := strings.Cut(base, "_")
	version, err := strconv.Atoi(num)
	if !ok || err != nil || version <= 0 || name == "" {
		return Migration{}, fmt.Errorf("migration file %q: want NNNN_name.sql", file)
	}

	b, err := migrationFiles.ReadFile(file)
	if err != nil {
		return Migration{}, fmt.Errorf("read migration %q: %w", file, err)
	}
	return Migration{Version: version, Name: name, SQL: string(b)}, nil
}

// Migrate applies the pending migrations in order, each in its own
// transaction that also records it in schema_migrations.
//
// Each transaction checks again that its migration is still pending, which
// is enough where write transactions exclude each other (SQLite). Where they
// do not (PostgreSQL), the backend must hold a lock that excludes other
// migrators for the whole run and pass a db bound to that session.
func Migrate(ctx context.Context, db DB, d Dialect) error {
	ms, err := Migrations()
	if err != nil {
		return err
	}
	if _, err := db.Exec(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}

	for _, m := range ms {
		if err := apply(ctx, db, &d, m); err != nil {
			return fmt.Errorf("apply migration %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return nil
}

// apply runs one migration unless it was already applied.
func apply(ctx context.Context, db DB, d *Dialect, m Migration) error {
	return db.InTx(ctx, func(q Querier) error {
		var n int64
		err := q.QueryRow(ctx,
			"SELECT count(*) FROM schema_migrations WHERE version = $1", m.Version).Scan(&n)
		if err != nil || n > 0 {
			return err
		}

		if _, err := q.Exec(ctx, d.render(m.SQL)); err != nil {
			return err
		}
		_, err = q.Exec(ctx,
			"INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
			m.Version, m.Name, time.Now().UnixMicro())
		return err
	})
}

// Status reports every embedded migration and whether it was applied. It
// writes nothing, so it works on a database never migrated.
func Status(ctx context.Context, db Querier, d Dialect) ([]MigrationStatus, error) {
	ms, err := Migrations()
	if err != nil {
		return nil, err
	}
	applied, err := appliedMigrations(ctx, db, &d)
	if err != nil {
		return nil, err
	}

	out := make([]MigrationStatus, 0, len(ms))
	for _, m := range ms {
		st := MigrationStatus{Version: m.Version, Name: m.Name}
		if at, ok := applied[m.Version]; ok {
			st.Applied, st.AppliedAt = true, fromMicros(at)
		}
		out = append(out, st)
	}
	return out, nil
}

// appliedMigrations returns the applied versions and their times, none when
// schema_migrations does not exist yet.
func appliedMigrations(ctx context.Context, db Querier, d *Dialect) (map[int]int64, error) {
	var tables int64
	err := db.QueryRow(ctx, d.TableExists, "schema_migrations").Scan(&tables)
	if err != nil {
		return nil, fmt.Errorf("look up schema_migrations: %w", err)
	}
	applied := map[int]int64{}
	if tables == 0 {
		return applied, nil
	}

	type row struct{ version, at int64 }
	rows, err := queryAll(ctx, db, func(s Scanner) (row, error) {
		var r row
		err := s.Scan(&r.version, &r.at)
		return r, err
	}, "SELECT version, applied_at FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	for _, r := range rows {
		applied[int(r.version)] = r.at
	}
	return applied, nil
}
