// Command tokenload measures the token endpoint of a running AgentIdP
// instance over real HTTPS with keep-alive connections, beside a baseline
// measured in the same run: a bare HTTPS server (this same binary, started
// as a child process) that only signs a fixed set of claims with the same
// key type. The ratio of the two rates is the cost of everything the
// issuer does beyond signing: client authentication, storage and audit.
//
// It provisions its own organisation, agent and client secret through the
// REST API with the super-admin key from the instance's bootstrap.json, so
// it needs nothing but a running instance:
//
//	agentidp dev --data-dir .data &
//	tokenload --bootstrap .data/bootstrap.json --concurrency 1,8,64
//
// It owns no server logic and imports nothing of the issuer: it speaks the
// outward contracts (REST, OAuth 2.0) only.
package main
