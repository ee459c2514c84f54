// Package authz is the Envoy ext_authz v3 service: it answers
// envoy.service.auth.v3.Authorization/Check for every request that passes
// a gateway, from memory alone.
//
// It owns the edge's decision: reading the bearer token, verifying it
// (strict algorithm list, kid, signature, issuer, lifetime with leeway,
// audience, typ), refusing revoked tokens and tokens of suspended or
// revoked agents and organisations, applying the per-route requirements
// the control plane sets in context_extensions, and writing the answer
// Envoy acts on: identity headers and dynamic metadata on allow, an RFC
// 6750 challenge with a stable reason code on deny. It caches decisions
// (ristretto, keyed by a hash of the token, never the token) and counts
// every decision by outcome and reason.
//
// It leaves the issuers' keys to authz/keyset and the revocation state's
// sources to whoever feeds a Denylist (authz/revocation reads the store's
// outbox in the background; federation will gossip). A Check never waits
// on a database: when what it needs cannot be had from memory or a key
// fetch, it denies with 503.
//
// Every policy outcome is a CheckResponse with a nil gRPC error; an error
// is returned only when the request itself is unusable. No token ever
// appears in a log line, a metric label or a response.
//
// It must never import a database driver, a storage backend or anything
// under issuer/ (internal/archtest keeps this true).
package authz
