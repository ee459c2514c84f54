// Package loadtest holds what the load tools under cmd/ share: reading an
// instance's bootstrap.json, provisioning a test agent over the REST API,
// fetching access tokens from the token endpoint, running a fixed number
// of concurrent workers for a bounded time while recording latencies,
// quantiles of those latencies, fixed-width result tables, a helper child
// process that announces itself on stdout, and the CPU time and resident
// memory of a process read from /proc.
//
// It speaks the outward contracts only (REST /v1, OAuth 2.0, bootstrap.json)
// and must never import the issuer, the authz service or a storage
// backend: the tools it serves measure those from the outside.
//
// Secrets it handles (the super-admin key, client secrets, access tokens)
// never appear in the errors it returns: errors name a route and a status.
package loadtest
