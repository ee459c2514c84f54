// Package agentcard owns what the deployment says about each agent to
// other agents: its A2A AgentCard at /agents/<id>/card, built from the
// agent's registration and metadata, and its AGNTCY agent badge at
// /agents/<id>/.well-known/vcs.json, a W3C Verifiable Credential 2.0 of
// type AgentBadge issued by the deployment's DID and secured as a JOSE
// credential (application/vc+jwt). A badge stops being valid when its
// agent is revoked: each one points into a W3C Bitstring Status List
// credential, served at /status-lists/<n>, whose bit the revocation sets.
//
// It leaves DIDs and their documents to issuer/did, signing to a Signer
// (internal/keys) and storage to the store interfaces. It must never
// import a storage backend, a database driver or the issuer's service
// layer (internal/archtest keeps this true).
package agentcard
