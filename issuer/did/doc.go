// Package did owns the decentralised identifiers of AgentIdP: the syntax
// of DIDs (W3C DID Core 1.0 section 3.1), the did:web identifiers of the
// deployment (did:web:<host>, at /.well-known/did.json) and of its agents
// (did:web:<host>:agents:<id>, at /agents/<id>/did.json), their DID
// documents, built from the published signing keys and the agents'
// registered public keys, and DID resolution at GET /1.0/identifiers/{did}
// in the DIF universal-resolver shape.
//
// Resolution answers the deployment's own identifiers from the store and
// the key set, decodes did:key locally, and fetches the did:web documents
// of other hosts over HTTPS only from the hosts the operator allowed, with
// the dialled address checked too, a timeout, a size limit and a bounded
// cache. Every failure is a DID resolution error code; nothing a caller
// sends makes it answer internalError.
//
// Agent cards and badges are the sibling package agentcard; partner trust
// is federation's. This package must never import a storage backend, a
// database driver or the issuer's service layer (internal/archtest keeps
// this true).
package did
