// Package postgres owns the production storage backend: store.Store on
// PostgreSQL through a pgx connection pool, shared by every instance of a
// deployment.
//
// It owns connecting (pool size, connect timeout, the schema used as
// search_path), the advisory lock that lets several instances migrate one
// database at once, and the mapping of PostgreSQL's SQLSTATE codes onto
// sqlstore's Dialect. Every query and the migrations belong to sqlstore;
// business rules belong to the callers.
//
// Only this package, pgtest and their tests may import pgx; it must never
// import another backend or anything above the store.
package postgres
