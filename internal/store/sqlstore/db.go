package sqlstore

import (
	"context"
	"errors"
	"strings"
)

// ErrNoRows is what a backend's Row.Scan returns when the query matched no
// row, in place of its driver's own sentinel.
var ErrNoRows = errors.New("sqlstore: no rows")

// Querier runs statements. Queries use $1, $2, ... placeholders.
type Querier interface {
	// Exec runs a statement and returns the number of rows it affected.
	// Without arguments the statement may hold several commands.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	// Query runs a query returning rows; the caller closes them.
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	// QueryRow runs a query expected to return at most one row; its
	// errors surface from Scan.
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// DB is a backend's connection handle as sqlstore sees it.
type DB interface {
	Querier

	// InTx runs fn in one read-write transaction, once. It commits when fn
	// returns nil and rolls back otherwise, returning fn's error unchanged.
	// Retrying is the caller's business.
	InTx(ctx context.Context, fn func(q Querier) error) error
}

// Scanner reads the columns of the current row into dest.
type Scanner interface {
	Scan(dest ...any) error
}

// Row is the result of QueryRow. Scan returns ErrNoRows when there was no
// row.
type Row interface {
	Scanner
}

// Rows is the result of Query, read with Next and Scan. Close may be called
// more than once.
type Rows interface {
	Scanner
	Next() bool
	Err() error
	Close()
}

// Dialect describes what differs between the SQL engines. Every field must
// be set.
type Dialect struct {
	// Name names the engine, e.g. "postgres".
	Name string
	// ForUpdate is appended to the SELECTs of Tx methods to lock the rows
	// they read: " FOR UPDATE" where the engine has row locks, "" where a
	// write transaction already excludes every other writer.
	ForUpdate string
	// Identity is the column definition of an auto-assigned, ever-growing
	// BIGINT primary key, substituted for {{identity}} in migrations.
	Identity string
	// TableExists is a query with one parameter, a table name, returning
	// the number of tables of that name in the current schema.
	TableExists string

	// IsUniqueViolation reports whether err is a unique or primary key
	// violation; such writes fail with store.ErrConflict.
	IsUniqueViolation func(err error) bool
	// IsForeignKeyViolation reports whether err is a foreign key violation:
	// the parent row is missing within the organisation, so such writes
	// fail with store.ErrNotFound.
	IsForeignKeyViolation func(err error) bool
	// IsRetryable reports whether err means the transaction lost a race
	// (serialisation failure, deadlock, busy database) and may be run again.
	IsRetryable func(err error) bool
}

// render fills the dialect's parts into a migration's SQL.
func (d *Dialect) render(sql string) string {
	return strings.ReplaceAll(sql, "{{identity}}", d.Identity)
}

// validate reports a Dialect with a missing part.
func (d *Dialect) validate() error {
	if d.Name == "" || d.Identity == "" || d.TableExists == "" ||
		d.IsUniqueViolation == nil || d.IsForeignKeyViolation == nil ||
		d.IsRetryable == nil {
		return errors.New("sqlstore: incomplete dialect")
	}
	return nil
}
