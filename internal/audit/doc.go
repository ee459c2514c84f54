// Package audit owns the verification of the audit chains: it walks every
// organisation's chain through store.Reader, recomputes each record's hash,
// checks the links between records and against the recorded chain head, and
// reports the first problem of every chain in a form a CLI can print.
//
// Appending to a chain belongs to the store (store.Tx.AppendAudit and
// store.ChainHash); deciding what to audit belongs to the callers. This
// package must never import a database driver or a store backend: it reads
// through the store interface only.
package audit
