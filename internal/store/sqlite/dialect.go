package sqlite

import (
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/agentidp/agentidp/internal/store/sqlstore"
)

// dialect is SQLite's part of the shared SQL. Write transactions begin
// IMMEDIATE on a single connection, so they exclude each other and need no
// row locks.
var dialect = sqlstore.Dialect{
	Name:      "sqlite",
	ForUpdate: "",
	// AUTOINCREMENT never hands out a number again, even after the rows
	// holding the highest ones were deleted.
	Identity:              "INTEGER PRIMARY KEY AUTOINCREMENT",
	TableExists:           "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
	IsUniqueViolation:     isUniqueViolation,
	IsForeignKeyViolation: isForeignKeyViolation,
	IsRetryable:           isBusy,
}

// code returns SQLite's extended result code carried by err, or 0.
func code(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func isUniqueViolation(err error) bool {
	c := code(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isForeignKeyViolation(err error) bool {
	return code(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// isBusy reports SQLITE_BUSY and its extended forms: another process held
// the database longer than the busy timeout.
func isBusy(err error) bool {
	return code(err)&0xff == sqlite3.SQLITE_BUSY
}
