// Package issuer is the service layer of AgentIdP's issuer: the business
// rules of organisations, operators, API keys, agents and their credentials
// (client secrets and public keys), the token lifetimes organisations and
// agents may set, the super-admin administration of the deployment's
// signing keys (through a KeyManager, which internal/keys implements), and
// the authentication and authorisation of the callers who manage them. The
// OAuth 2.0 and OIDC endpoints are the subpackage oauth, beside rest.
//
// Every change goes through one store transaction that writes the change,
// its audit record and its outbox event together, so a refused request
// leaves nothing half-written. Transport concerns (HTTP routes, JSON bodies,
// problem documents, rate limits) belong to the subpackage rest.
//
// This package must never import net/http itself, a storage backend or a
// database driver: it talks to storage only through the store interfaces
// (internal/archtest and deps_test.go keep this true).
package issuer
