// Package fakeissuer is a stand-in AgentIdP issuer for the tests of the
// load tools: an HTTPS server with the few REST routes that provisioning
// drives (organisation, owner key, agent, client secret), the discovery
// document and a client_credentials token endpoint that hands out
// JWS-shaped tokens nobody can verify. It checks the credentials each
// route needs, so a test sees the tools send the right key to the right
// route.
//
// It is for tests only and must never import the issuer: it mimics the
// outward contract, so that the tools' tests need no running instance.
package fakeissuer
