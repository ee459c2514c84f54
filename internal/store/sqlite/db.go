package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/agentidp/agentidp/internal/store/sqlstore"
)

// sqlQuerier is what *sql.DB and *sql.Tx share.
type sqlQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// querier adapts database/sql to sqlstore.Querier.
type querier struct {
	q sqlQuerier
}

// Exec implements sqlstore.Querier.
func (q querier) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := q.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Query implements sqlstore.Querier.
func (q querier) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := q.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return sqlRows{rows}, nil
}

// QueryRow implements sqlstore.Querier.
func (q querier) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return sqlRow{q.q.QueryRowContext(ctx, query, args...)}
}

// sqlRow maps database/sql's no-rows sentinel onto sqlstore's.
type sqlRow struct {
	r *sql.Row
}

// Scan implements sqlstore.Row.
func (r sqlRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return err
}

// sqlRows drops the error of Close, which Err reports.
type sqlRows struct {
	*sql.Rows
}

// Close implements sqlstore.Rows.
func (r sqlRows) Close() {
	_ = r.Rows.Close()
}

// db is the backend's sqlstore.DB: statements outside a transaction read
// through the read-only pool, except Exec, which writes; transactions run
// on the single writer connection.
type db struct {
	read, write *sql.DB
	// readStmts and writeStmts keep each pool's prepared statements.
	readStmts, writeStmts *stmtCache
}

func newDB(read, write *sql.DB) db {
	return db{read: read, write: write, readStmts: newStmtCache(read),
		writeStmts: newStmtCache(write)}
}

// Exec implements sqlstore.Querier on the writer connection.
func (d db) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	return querier{cachedQuerier{d.writeStmts}}.Exec(ctx, query, args...)
}

// Query implements sqlstore.Querier on the reader pool.
func (d db) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	return querier{cachedQuerier{d.readStmts}}.Query(ctx, query, args...)
}

// QueryRow implements sqlstore.Querier on the reader pool.
func (d db) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return querier{cachedQuerier{d.readStmts}}.QueryRow(ctx, query, args...)
}

// InTx runs fn in a BEGIN IMMEDIATE transaction on the writer connection.
func (d db) InTx(ctx context.Context, fn func(q sqlstore.Querier) error) error {
	tx, err := d.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// Rolling back after a commit does nothing; the deferred call also
	// ends the transaction when fn panics.
	defer func() { _ = tx.Rollback() }()

	if err := fn(querier{txQuerier{tx: tx, c: d.writeStmts}}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	// The connection is free again: prepare what the transaction ran
	// unprepared, for the next ones.
	d.writeStmts.prepareWanted(ctx)
	return nil
}
