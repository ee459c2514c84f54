package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/agentidp/agentidp/internal/config"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/postgres"
	"github.com/agentidp/agentidp/internal/store/sqlite"
	"github.com/agentidp/agentidp/internal/store/sqlstore"
	"github.com/agentidp/agentidp/internal/telemetry"
)

// backend is a store together with its schema migrations, as both SQL
// backends provide.
type backend interface {
	store.Store
	Migrate(ctx context.Context) error
	MigrationStatus(ctx context.Context) ([]sqlstore.MigrationStatus, error)
}

// openStore opens the backend cfg selects. With mustExist, a SQLite file
// that is not there yet is an error instead of being created, so that a
// mistyped path is not mistaken for an empty deployment.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger, mustExist bool) (backend, error) {
	switch cfg.Storage.Driver {
	case config.DriverPostgres:
		pg := cfg.Storage.Postgres
		log.InfoContext(ctx, "opening store", slog.String("driver", "postgres"),
			slog.Any("url", telemetry.DSN(pg.URL)), slog.String("schema", pg.Schema))
		return postgres.Open(ctx, postgres.Config{URL: pg.URL, MaxConns: pg.MaxConns, Schema: pg.Schema})

	case config.DriverSQLite:
		path, err := filepath.Abs(cfg.SQLitePath())
		if err != nil {
			return nil, fmt.Errorf("resolve sqlite path: %w", err)
		}
		if mustExist {
			if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("no database at %q", path)
			}
		}
		log.InfoContext(ctx, "opening store", slog.String("driver", "sqlite"), slog.String("path", path))
		return sqlite.Open(ctx, path)

	default:
		return nil, fmt.Errorf("unknown storage driver %q", cfg.Storage.Driver)
	}
}

// closeStore closes st, logging rather than returning a failure: by then
// the process is stopping anyway.
func closeStore(ctx context.Context, st backend, log *slog.Logger) {
	if err := st.Close(); err != nil {
		log.ErrorContext(ctx, "close store", slog.Any("error", err))
	}
}
