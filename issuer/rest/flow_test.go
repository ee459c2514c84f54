package rest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store"
)

// ecJWK returns a fresh P-256 public JWK as a JSON object and its RFC 7638
// thumbprint.
func ecJWK(t testing.TB) (map[string]any, string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	key, err := jwk.FromRaw(&priv.PublicKey)
	require.NoError(t, err)
	sum, err := key.Thumbprint(crypto.SHA256)
	require.NoError(t, err)

	data, err := json.Marshal(key)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	return m, base64.RawURLEncoding.EncodeToString(sum)
}

func TestScriptFlow(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			testScriptFlow(t, newEnv(t, b.open(t)))
		})
	}
}

// testScriptFlow drives the smallest REST surface of DESIGN.md the way a
// script would.
func testScriptFlow(t *testing.T, e *env) {
	orgID := e.org("Acme")
	created := e.must(201, "POST", "/v1/orgs/"+orgID+"/keys", e.adminKey,
		map[string]any{"role": "owner"})
	key := created["key"].(string)
	require.True(t, strings.HasPrefix(key, "aidp."+created["id"].(string)+"."))

	agent := e.must(201, "POST", "/v1/agents", key,
		map[string]any{"name": "billing-bot", "scopes": []string{"invoices:read"}})
	id := agent["id"].(string)
	got := e.must(200, "GET", "/v1/agents/"+id, key, nil)
	require.Equal(t, "active", got["status"])
	require.Equal(t, []any{"invoices:read"}, got["scopes"])

	sec := e.must(201, "POST", "/v1/agents/"+id+"/secrets", key, nil)
	require.Equal(t, id, sec["client_id"])
	raw, err := base64.RawURLEncoding.DecodeString(sec["client_secret"].(string))
	require.NoError(t, err)
	require.Len(t, raw, 32, "client secrets carry 256 random bits")

	pub, kid := ecJWK(t)
	k := e.must(201, "POST", "/v1/agents/"+id+"/keys", key, map[string]any{"jwk": pub})
	require.Equal(t, kid, k["kid"])
	require.Equal(t, "ES256", k["alg"])

	for _, step := range []struct{ action, status string }{
		{"suspend", "suspended"}, {"reactivate", "active"}, {"revoke", "revoked"},
	} {
		out := e.must(200, "POST", "/v1/agents/"+id+"/"+step.action, key, nil)
		require.Equal(t, step.status, out["status"])
	}
	requireAllRevoked(t, e, key, id)
	requireFlowAudit(t, e, key, orgID)
	requireFlowEvents(t, e, key, sec["client_secret"].(string))
}

// requireAllRevoked checks that revoking the agent revoked its credentials.
func requireAllRevoked(t *testing.T, e *env, key, agentID string) {
	for _, kind := range []string{"secrets", "keys"} {
		var list struct{ Items []map[string]any }
		e.do("GET", "/v1/agents/"+agentID+"/"+kind, key, nil).json(t, &list)
		require.Len(t, list.Items, 1)
		require.Equal(t, "revoked", list.Items[0]["status"], kind)
	}
}

// requireFlowAudit checks the audit trail of the flow and its chain.
func requireFlowAudit(t *testing.T, e *env, key, orgID string) {
	var list struct{ Items []auditView }
	e.do("GET", "/v1/audit", key, nil).json(t, &list)

	var actions []string
	for _, r := range list.Items {
		actions = append(actions, r.Action)
		require.Equal(t, "success", r.Outcome)
		require.NotEmpty(t, r.RequestID)
	}
	require.Equal(t, []string{"agent.revoke", "agent.reactivate", "agent.suspend",
		"agentkey.create", "secret.create", "agent.create", "apikey.create", "org.create"},
		actions)
	require.True(t, strings.HasPrefix(list.Items[0].Actor, "apikey:key_"))
	require.True(t, strings.HasPrefix(list.Items[len(actions)-1].Actor, "admin:adm_"))

	recs := audit(t, e.st, orgID)
	slices.Reverse(recs)
	prev := store.GenesisHash
	for _, r := range recs {
		require.Equal(t, prev, r.PrevHash)
		require.Equal(t, store.ChainHash(r.PrevHash, r.AuditEntry, r.Seq), r.Hash)
		prev = r.Hash
	}
}

// requireFlowEvents checks the outbox events of the flow: the right types,
// and never a secret in a payload.
func requireFlowEvents(t *testing.T, e *env, key, clientSecret string) {
	var types []string
	for _, ev := range events(t, e.st) {
		types = append(types, ev.Type)
		require.NotContains(t, string(ev.Payload), clientSecret)
		require.NotContains(t, string(ev.Payload), key)
		require.True(t, json.Valid(ev.Payload))
	}
	require.Equal(t, []string{"org.created", "apikey.created", "agent.created",
		"credential.created", "credential.created", "agent.suspended", "agent.reactivated",
		"agent.revoked", "credential.revoked", "credential.revoked"}, types)
}
