package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/agentidp/agentidp/internal/store/sqlstore"
)

// SQLSTATE codes the backend acts on (PostgreSQL manual, appendix A).
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeDuplicateSchema      = "42P06"
)

// dialect is PostgreSQL's part of the shared SQL.
var dialect = sqlstore.Dialect{
	Name:      "postgres",
	ForUpdate: " FOR UPDATE",
	Identity:  "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY",
	TableExists: "SELECT count(*) FROM information_schema.tables " +
		"WHERE table_schema = current_schema() AND table_name = $1",
	IsUniqueViolation: func(err error) bool {
		return sqlState(err) == codeUniqueViolation
	},
	IsForeignKeyViolation: func(err error) bool {
		return sqlState(err) == codeForeignKeyViolation
	},
	IsRetryable: func(err error) bool {
		c := sqlState(err)
		return c == codeSerializationFailure || c == codeDeadlockDetected
	},
}

// sqlState returns the SQLSTATE carried by err, or "".
func sqlState(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}
