// Package revocation keeps the edge's revocation state (an authz.Denylist)
// in step with the deployment's store, so that a Check never reads the
// database: it loads the whole state at start (revoked tokens, suspended
// and revoked agents, suspended and deleted organisations), then applies
// the outbox events that announce changes, reading them in the background
// every half second or so, and reloads everything now and then.
//
// It works on the store.Reader interface alone and must never import a
// storage backend or a database driver (internal/archtest keeps this
// true). Gossip between instances, when federation brings it, is another
// feed of the same Denylist.
package revocation
