// Package sqlstore owns the one SQL implementation of store.Store that both
// database backends share: every query, the row mapping, the audit chain
// append, the transaction retry loop and the embedded schema migrations with
// their migrator.
//
// It leaves connecting, pooling, driver error codes and session settings to
// the backends (postgres, sqlite), which adapt their driver to the small DB
// interface defined here and describe their differences in a Dialect.
//
// The schema is written once for both engines: times are BIGINT unix
// microseconds (0 means unset), maps and lists are JSON in TEXT, hashes are
// hex TEXT and no column is nullable. Every placeholder is PostgreSQL's $n,
// which SQLite also accepts.
//
// This package must never import a database driver (pgx, modernc.org/sqlite
// or any other): the backends adapt to it, not the other way round.
package sqlstore
