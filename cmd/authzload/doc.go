// Command authzload measures the ext_authz service of a running AgentIdP
// instance: it drives envoy.service.auth.v3.Authorization/Check over real
// gRPC with TLS, with requests shaped like Envoy's, beside a baseline
// measured in the same run: a no-op ext_authz server (this same binary,
// started as a child process) that answers every Check with a fixed OK.
// The ratio of the two rates, and the server CPU time per request read
// from /proc, are the cost of everything the service does beyond gRPC and
// TLS: parsing and verifying the token and applying the route's rules.
//
// It provisions its own organisation and agent through the REST API with
// the super-admin key from the instance's bootstrap.json and fetches its
// tokens from /oauth2/token, so it needs nothing but a running instance:
//
//	agentidp dev --data-dir .data &
//	authzload --bootstrap .data/bootstrap.json --server-pid $!
//
// Three scenarios: one valid token replayed (cached), many distinct valid
// tokens in turn (distinct), and one token with a tampered signature
// (invalid), which the service must deny with 401. Every answer is checked;
// the tool exits non-zero when any was not the one expected.
//
// It owns no server logic and imports nothing of the issuer or of authz:
// it speaks the outward contracts (REST, OAuth 2.0, ext_authz v3) only.
package main
