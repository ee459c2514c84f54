// Package storetest owns the storage conformance suite: the behaviour every
// store.Store backend must show (round trips, sentinel errors, pagination,
// tenancy isolation, atomicity, the audit chain under concurrency, outbox
// order, signing keys and the lock that makes their rotations take turns),
// run by each backend's tests through Run, and the shared body of the
// backends' benchmarks.
//
// It leaves opening, migrating and cleaning up a store to the backend's
// test, which hands Run an Opener. Only tests may import it; it must never
// import a database driver or a backend, so that it tests nothing but the
// store interface.
package storetest
