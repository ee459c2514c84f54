// Package oauth serves the OAuth 2.0 and OpenID Connect endpoints of the
// issuer: the token endpoint (client_credentials, with client_secret_basic,
// client_secret_post and private_key_jwt client authentication), token
// introspection (RFC 7662), token revocation (RFC 7009), the agent's claims
// at /agent-info (like OIDC userinfo), OIDC discovery and the JWKS.
//
// It owns client authentication, the rules of scopes, audiences and token
// lifetimes, the claims of access tokens (RFC 9068) and ID tokens, and the
// checks that make a presented access token active. It leaves the signing
// keys to a Signer (internal/keys), storage to the store interfaces and the
// audit writer to a Recorder; the management API is issuer and issuer/rest.
//
// Every refusal is an RFC 6749 section 5.2 error written by one writer,
// which keeps the message shown to the client apart from the error that is
// only logged. No token, secret or client assertion is ever logged, put in
// a metric label or in an error.
//
// It must never import a storage backend or a database driver
// (deps_test.go keeps this true).
package oauth
