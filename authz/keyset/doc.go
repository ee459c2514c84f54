// Package keyset is the edge's cache of token issuers' verification keys:
// for each registered issuer (the local issuer, later federated partners)
// it holds the issuer's current JWKS, parsed and checked once, as an
// immutable map from kid to public key, so that the ext_authz service finds
// the key of a token without waiting on a remote call.
//
// It fetches key sets through a Source (an HTTPS JWKS URL, or a function
// serving the in-process issuer's set), refreshes them in the background
// ahead of their Cache-Control max-age, collapses concurrent fetches of one
// issuer into one, limits how often an unknown kid may trigger a refetch and
// remembers kids that stayed unknown, and keeps serving the last good set
// for a bounded time when fetches fail. Only EC P-256 (ES256), EC P-384
// (ES384), Ed25519 (EdDSA) and RSA of 2048 bits or more (RS256) public
// signing keys are ever returned.
//
// It leaves token parsing and signature verification to package authz, and
// discovering which issuers to trust (and their JWKS URLs) to its callers.
//
// It must never import a database driver, any internal/store package or
// anything under issuer/: the edge reads keys over their published
// contract, the JWKS, never from the issuer's storage.
package keyset
