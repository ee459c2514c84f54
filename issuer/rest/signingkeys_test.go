package rest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/keys"
)

// states returns the state of every listed signing key by kid.
func states(t *testing.T, e *env) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, item := range e.must(200, "GET", "/v1/signing-keys", e.adminKey, nil)["items"].([]any) {
		k := item.(map[string]any)
		out[k["kid"].(string)] = k["state"].(string)
	}
	return out
}

func TestSigningKeyLifecycle(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			testSigningKeyLifecycle(t, newEnv(t, b.open(t)))
		})
	}
}

func testSigningKeyLifecycle(t *testing.T, e *env) {
	list := e.must(200, "GET", "/v1/signing-keys", e.adminKey, nil)["items"].([]any)
	require.Len(t, list, 1)
	first := list[0].(map[string]any)
	require.Equal(t, "active", first["state"])
	require.Equal(t, "ES256", first["alg"])
	require.Equal(t, true, first["signing"])
	require.NotContains(t, first, "retired_at")
	a := first["kid"].(string)

	// 1. A normal rotation publishes a pending key ahead of its turn.
	pending := e.must(201, "POST", "/v1/signing-keys/rotate", e.adminKey, nil)
	b := pending["kid"].(string)
	require.Equal(t, "pending", pending["state"])
	require.Equal(t, false, pending["signing"])
	activates, err := time.Parse(time.RFC3339, pending["activates_at"].(string))
	require.NoError(t, err)
	require.Equal(t, e.clock.Now().Add(keys.DefaultPublishAhead), activates)

	// 2. A second one is refused while b waits, naming b.
	r := e.do("POST", "/v1/signing-keys/rotate", e.adminKey, map[string]any{"immediate": false})
	require.Equal(t, 409, r.status)
	require.Equal(t, "invalid-transition", r.problemType(t))
	require.Contains(t, string(r.body), b)

	// 3. Neither the pending nor the active key can be removed.
	for _, kid := range []string{a, b} {
		r := e.do("DELETE", "/v1/signing-keys/"+kid, e.adminKey, nil)
		require.Equal(t, 409, r.status, kid)
		require.Equal(t, "invalid-transition", r.problemType(t))
	}

	// 4. An immediate rotation signs at once, retires a and drops b.
	now := e.must(201, "POST", "/v1/signing-keys/rotate", e.adminKey,
		map[string]any{"immediate": true})
	c := now["kid"].(string)
	require.Equal(t, "active", now["state"])
	require.Equal(t, true, now["signing"])
	require.Equal(t, map[string]string{a: "retired", c: "active"}, states(t, e))
	_, signer, err := e.signing.Sign([]byte(`{}`), keys.TypeAccessToken)
	require.NoError(t, err)
	require.Equal(t, c, signer)

	// 5. The retired key can be removed, once.
	e.must(204, "DELETE", "/v1/signing-keys/"+a, e.adminKey, nil)
	require.Equal(t, map[string]string{c: "active"}, states(t, e))
	require.NotContains(t, string(e.signing.JWKS()), a)
	r = e.do("DELETE", "/v1/signing-keys/"+a, e.adminKey, nil)
	require.Equal(t, 404, r.status)
	require.Equal(t, "not-found", r.problemType(t))
}

func TestRetiredSigningKeysShowWhenTheyLeave(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	old := e.signing.Keys()[0].KID
	e.must(201, "POST", "/v1/signing-keys/rotate", e.adminKey, map[string]any{"immediate": true})

	for _, item := range e.must(200, "GET", "/v1/signing-keys", e.adminKey, nil)["items"].([]any) {
		k := item.(map[string]any)
		if k["kid"] != old {
			continue
		}
		require.Equal(t, "retired", k["state"])
		require.Equal(t, false, k["signing"])
		require.Equal(t, e.clock.Now().UTC().Format(time.RFC3339), k["retired_at"])
		require.Contains(t, k, "remove_after")
		return
	}
	t.Fatal("the retired key is not listed")
}

func TestSigningKeyRoutesWithoutAManager(t *testing.T) {
	e := newEnv(t, openSQLite(t), func(c *Config) { c.SigningKeys = nil })
	for _, rt := range []struct{ method, path string }{
		{"GET", "/v1/signing-keys"},
		{"POST", "/v1/signing-keys/rotate"},
		{"DELETE", "/v1/signing-keys/" + e.signing.Keys()[0].KID},
	} {
		r := e.do(rt.method, rt.path, e.adminKey, nil)
		require.Equal(t, 404, r.status, rt.path)
		require.Equal(t, "not-found", r.problemType(t))
	}
}

func TestTokenLifetimes(t *testing.T) {
	e := newEnv(t, openSQLite(t), func(c *Config) { c.MaxTokenTTL = 2 * time.Hour })

	t.Run("an organization inherits the deployment's lifetime unless it sets one",
		func(t *testing.T) {
			org := e.must(201, "POST", "/v1/orgs", e.adminKey, map[string]any{"name": "a"})
			require.EqualValues(t, 0, org["token_ttl_seconds"])
			id := org["id"].(string)

			out := e.must(200, "PATCH", "/v1/orgs/"+id, e.adminKey,
				map[string]any{"token_ttl_seconds": 7200})
			require.EqualValues(t, 7200, out["token_ttl_seconds"])
			require.Equal(t, "a", out["name"], "the name is kept")
			out = e.must(200, "PATCH", "/v1/orgs/"+id, e.adminKey, map[string]any{"name": "b"})
			require.EqualValues(t, 7200, out["token_ttl_seconds"], "the lifetime is kept")
			out = e.must(200, "PATCH", "/v1/orgs/"+id, e.adminKey,
				map[string]any{"token_ttl_seconds": 0})
			require.EqualValues(t, 0, out["token_ttl_seconds"])

			set := e.must(201, "POST", "/v1/orgs", e.adminKey,
				map[string]any{"name": "c", "token_ttl_seconds": 60})
			require.EqualValues(t, 60, set["token_ttl_seconds"])
			require.EqualValues(t, 60, e.must(200, "GET", "/v1/orgs/"+set["id"].(string),
				e.adminKey, nil)["token_ttl_seconds"])
		})

	t.Run("an agent inherits its organization's lifetime unless it sets one",
		func(t *testing.T) {
			key := e.key(e.org("Acme"), "admin")
			agent := e.must(201, "POST", "/v1/agents", key, map[string]any{"name": "x"})
			require.EqualValues(t, 0, agent["token_ttl_seconds"])
			id := agent["id"].(string)

			out := e.must(200, "PATCH", "/v1/agents/"+id, key,
				map[string]any{"token_ttl_seconds": 900})
			require.EqualValues(t, 900, out["token_ttl_seconds"])
			require.EqualValues(t, 900, e.must(200, "GET", "/v1/agents/"+id, key,
				nil)["token_ttl_seconds"])
			out = e.must(200, "PATCH", "/v1/agents/"+id, key,
				map[string]any{"token_ttl_seconds": 0})
			require.EqualValues(t, 0, out["token_ttl_seconds"])

			r := e.do("POST", "/v1/agents", key,
				map[string]any{"name": "y", "token_ttl_seconds": 7201})
			require.Equal(t, 400, r.status)
			var p problem
			r.json(t, &p)
			require.Equal(t, []fieldError{{Field: "token_ttl_seconds",
				Message: "must be 0 (inherit) or between 60 and 7200 seconds"}}, p.Errors)
		})
}
