// Package sqlite owns the embedded storage backend: store.Store on a single
// SQLite file through modernc.org/sqlite (pure Go, no cgo), for `agentidp
// dev` and single-node deployments.
//
// It owns the connection settings (WAL journal, busy timeout, foreign keys,
// immediate write transactions), the split between one writer connection
// and a pool of read-only ones, and the mapping of SQLite's result codes
// onto sqlstore's Dialect. Every query and the migrations belong to
// sqlstore; business rules belong to the callers.
//
// Only this package and its tests may import the SQLite driver; it must
// never import another backend or anything above the store.
package sqlite
