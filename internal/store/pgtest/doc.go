// Package pgtest owns the test fixture for PostgreSQL: it finds the test
// database, skips (or, in CI, fails) a test when there is none, and gives
// each test a schema of its own that is dropped when the test ends.
//
// It leaves opening the store to the postgres package and the tests to
// their packages. Only tests may import it; it must never import a store
// backend or anything above the store.
package pgtest
