// Package store owns the persistent model of AgentIdP: organisations,
// operators, API keys, agents, their credentials, the audit chain, the
// event outbox and the deployment's signing keys (kept sealed, never
// opened here), and the interface every storage backend implements.
//
// Business rules (which transitions are allowed, who may do what) belong to
// the callers; the store guarantees tenancy (every organisation-owned row is
// read and written through its organisation id), atomicity (a change, its
// audit record and its outbox event commit together through Tx) and an
// unforked audit chain per organisation.
//
// The backends live in subpackages (postgres, sqlite) and share their SQL
// through sqlstore. This package must never import a database driver.
package store
