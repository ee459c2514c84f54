package rest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/secret"
)

// fixture is a store populated with one object in every state the refusal
// tests need.
type fixture struct {
	*env
	orgA, orgB, orgS, orgD string
	// Keys of orgA by role, plus an expired, a revoked and a forged one.
	owner, admin, viewer, expired, revoked, forged string
	// Owner keys of orgB, of the suspended orgS and of the deleted orgD.
	ownerB, ownerS, ownerD string
	// Agents of orgA: active (with a secret and a key) and revoked.
	agent, revokedAgent, secretID, revokedSecret, kid string
	// jwk is the public key registered for agent, as JSON.
	jwk string
	// operator is an admin operator of orgA.
	operator string
	// signingKid is the deployment's active signing key.
	signingKid string
}

// newFixture builds the fixture on a fresh store.
func newFixture(t *testing.T, b backend) *fixture {
	f := &fixture{env: newEnv(t, b.open(t))}
	f.orgA, f.orgB, f.orgS, f.orgD = f.org("A"), f.org("B"), f.org("S"), f.org("D")
	f.owner, f.admin, f.viewer = f.key(f.orgA, "owner"), f.key(f.orgA, "admin"),
		f.key(f.orgA, "viewer")
	f.ownerB, f.ownerS, f.ownerD = f.key(f.orgB, "owner"), f.key(f.orgS, "owner"),
		f.key(f.orgD, "owner")
	f.expired = f.must(201, "POST", "/v1/orgs/"+f.orgA+"/keys", f.adminKey,
		map[string]any{"role": "owner", "expires_in_seconds": 60})["key"].(string)
	f.revoked = f.key(f.orgA, "owner")
	f.must(200, "POST", "/v1/api-keys/"+keyID(f.revoked)+"/revoke", f.owner, nil)
	f.forged = "aidp." + keyID(f.owner) + "." + secret.Random()

	f.agent = f.registerAgent(f.owner, "worker")
	f.secretID = f.must(201, "POST", "/v1/agents/"+f.agent+"/secrets", f.owner, nil)["id"].(string)
	pub, kid := ecJWK(t)
	f.must(201, "POST", "/v1/agents/"+f.agent+"/keys", f.owner, map[string]any{"jwk": pub})
	f.kid = kid
	data, err := json.Marshal(pub)
	require.NoError(t, err)
	f.jwk = string(data)
	f.revokedAgent = f.registerAgent(f.owner, "retired")
	f.revokedSecret = f.must(201, "POST", "/v1/agents/"+f.revokedAgent+"/secrets", f.owner,
		nil)["id"].(string)
	f.must(200, "POST", "/v1/agents/"+f.revokedAgent+"/revoke", f.owner, nil)
	f.operator = f.must(201, "POST", "/v1/operators", f.owner, map[string]any{
		"name": "Ada", "email": "ada@example.com", "role": "admin"})["id"].(string)
	f.registerAgent(f.ownerB, "b-worker")
	f.must(201, "POST", "/v1/operators", f.ownerB, map[string]any{
		"name": "Bob", "subject": "idp|bob", "role": "owner"})

	f.signingKid = f.signing.Keys()[0].KID

	f.must(200, "POST", "/v1/orgs/"+f.orgS+"/suspend", f.adminKey, nil)
	f.must(204, "DELETE", "/v1/orgs/"+f.orgD, f.adminKey, nil)
	f.clock.Advance(2 * time.Minute)
	return f
}

// keyID returns the id part of an API key.
func keyID(key string) string {
	return strings.Split(key, ".")[1]
}
