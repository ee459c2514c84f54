package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/agentidp/agentidp/internal/store/sqlstore"
)

// pgxQuerier is what a pool, a single connection and a transaction share.
type pgxQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// pgxBeginner is a pool or a single connection.
type pgxBeginner interface {
	pgxQuerier
	Begin(ctx context.Context) (pgx.Tx, error)
}

// querier adapts pgx to sqlstore.Querier.
type querier struct {
	q pgxQuerier
}

// Exec implements sqlstore.Querier.
func (q querier) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := q.q.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

// Query implements sqlstore.Querier.
func (q querier) Query(ctx context.Context, sql string, args ...any) (sqlstore.Rows, error) {
	rows, err := q.q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return rows, nil
}

// QueryRow implements sqlstore.Querier.
func (q querier) QueryRow(ctx context.Context, sql string, args ...any) sqlstore.Row {
	return pgxRow{q.q.QueryRow(ctx, sql, args...)}
}

// pgxRow maps pgx's no-rows sentinel onto sqlstore's.
type pgxRow struct {
	r pgx.Row
}

// Scan implements sqlstore.Row.
func (r pgxRow) Scan(dest ...any) error {
	err := r.r.Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return sqlstore.ErrNoRows
	}
	return err
}

// db is the backend's sqlstore.DB on a pool or on one connection.
type db struct {
	querier
	b pgxBeginner
}

// newDB returns the sqlstore.DB of a pool or of one connection.
func newDB(b pgxBeginner) db {
	return db{querier: querier{b}, b: b}
}

// InTx runs fn in a READ COMMITTED transaction; the shared SQL locks the
// rows it must (SELECT ... FOR UPDATE) instead of relying on isolation.
func (d db) InTx(ctx context.Context, fn func(q sqlstore.Querier) error) error {
	tx, err := d.b.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	// Rolling back after a commit does nothing; the deferred call also
	// ends the transaction when fn panics. A rollback that fails leaves
	// nothing committed, so its error is dropped.
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	if err := fn(querier{tx}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}
