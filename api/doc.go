// Package api holds the OpenAPI document of AgentIdP's REST API, the
// authority for every /v1 route, embedded in the binary so that the
// server can publish it. It holds no code that depends on the rest of the
// module and must never import it.
package api
