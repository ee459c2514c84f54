// Package auditlog owns the group-commit writer for high-rate audit
// records: a bounded in-memory queue that request handlers fill with audit
// entries (each with an optional outbox event), and one flusher that writes
// them, many to a transaction, through store.Store. It decides when a batch
// is ready, retries a batch whose transaction failed, and tells callers when
// audit is unavailable so that they can refuse the work it would record.
//
// Linking and hashing the chain belong to the store (store.Tx.AppendAudit),
// deciding what to audit to the callers, and verifying chains to
// internal/audit. A change that must commit together with its audit record,
// such as an agent's suspension, does not go through this package: its own
// transaction appends the record.
//
// This package must never import a database driver or a store backend: it
// works on the store.Store interface alone.
package auditlog
