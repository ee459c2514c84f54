package rest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPublicKeyKinds(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	key := e.key(e.org("Acme"), "admin")
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	r2048, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	p256, _ := ecJWK(t)

	tests := []struct {
		name string
		jwk  map[string]any
		alg  string
	}{
		{"a P-256 key is used with ES256", p256, "ES256"},
		{"a P-384 key is used with ES384", jwkMap(&p384.PublicKey), "ES384"},
		{"an Ed25519 key is used with EdDSA", testJWKs()["ed25519"], "EdDSA"},
		{"an RSA key of 2048 bits is used with RS256", jwkMap(&r2048.PublicKey), "RS256"},
		{"a kid of the client's own is replaced by the thumbprint",
			with(jwkMap(&p384.PublicKey), "kid", "mine"), "ES384"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			agent := e.registerAgent(key, "a")
			out := e.must(201, "POST", "/v1/agents/"+agent+"/keys", key,
				map[string]any{"jwk": tc.jwk})

			require.Equal(t, tc.alg, out["alg"])
			stored := out["jwk"].(map[string]any)
			require.Equal(t, out["kid"], stored["kid"])
			require.Equal(t, tc.alg, stored["alg"])
			require.Equal(t, "sig", stored["use"])
			require.NotContains(t, stored, "d")
		})
	}
}

func TestSecretRotation(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	key := e.key(e.org("Acme"), "admin")
	agent := e.registerAgent(key, "a")
	path := "/v1/agents/" + agent + "/secrets"
	now := e.clock.Now()

	first := e.must(201, "POST", path, key, nil)
	require.Equal(t, now.Add(90*24*time.Hour).Format(time.RFC3339), first["expires_at"])
	short := e.must(201, "POST", path, key, map[string]any{"expires_in_seconds": 600})

	second := e.must(201, "POST", path, key, map[string]any{"rotate_overlap_seconds": 3600})
	secrets := byID(t, e, key, path)
	require.Equal(t, now.Add(time.Hour).Format(time.RFC3339),
		secrets[first["id"].(string)]["expires_at"], "the old secret lives on for the overlap")
	require.Equal(t, now.Add(10*time.Minute).Format(time.RFC3339),
		secrets[short["id"].(string)]["expires_at"], "a sooner expiry is kept")
	require.Equal(t, "active", secrets[second["id"].(string)]["status"])

	recs := audit(t, e.st, e.must(200, "GET", "/v1/org", key, nil)["id"].(string))
	require.Equal(t, "secret.rotate", recs[0].Action)
	require.Equal(t, second["id"], recs[0].Target)
	evs := events(t, e.st)
	last := evs[len(evs)-1]
	require.Equal(t, "credential.rotated", last.Type)
	require.Contains(t, string(last.Payload), first["id"].(string))

	third := e.must(201, "POST", path, key, map[string]any{"rotate_overlap_seconds": 0})
	for id, s := range byID(t, e, key, path) {
		if id != third["id"] && s["status"] == "active" {
			require.Fail(t, "a zero overlap must expire the others at once", id)
		}
	}
}

// byID lists credentials and indexes them by id.
func byID(t *testing.T, e *env, key, path string) map[string]map[string]any {
	var list struct{ Items []map[string]any }
	e.do("GET", path, key, nil).json(t, &list)
	out := map[string]map[string]any{}
	for _, item := range list.Items {
		id, _ := item["id"].(string)
		if id == "" {
			id = item["kid"].(string)
		}
		out[id] = item
	}
	return out
}

func TestLiveCredentialsAreCapped(t *testing.T) {
	for _, kind := range []string{"secrets", "keys"} {
		t.Run("the eleventh live "+kind+" conflicts", func(t *testing.T) {
			e := newEnv(t, openSQLite(t))
			key := e.key(e.org("Acme"), "admin")
			agent := e.registerAgent(key, "a")
			path := "/v1/agents/" + agent + "/" + kind
			body := func(extra map[string]any) map[string]any {
				if kind == "keys" {
					pub, _ := ecJWK(t)
					extra["jwk"] = pub
				}
				return extra
			}
			for range 10 {
				e.must(201, "POST", path, key, body(map[string]any{}))
			}

			before := state(t, e.st)
			r := e.do("POST", path, key, body(map[string]any{}))
			require.Equal(t, 409, r.status)
			require.Equal(t, "conflict", r.problemType(t))
			require.Equal(t, before, state(t, e.st))

			e.must(201, "POST", path, key, body(map[string]any{"rotate_overlap_seconds": 0}))
		})
	}
}

func TestSuspendedAgentCredentials(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	key := e.key(e.org("Acme"), "admin")
	agent := e.registerAgent(key, "a")
	base := "/v1/agents/" + agent
	sec := e.must(201, "POST", base+"/secrets", key, nil)["id"].(string)
	pub, kid := ecJWK(t)
	e.must(201, "POST", base+"/keys", key, map[string]any{"jwk": pub})
	e.must(200, "POST", base+"/suspend", key, nil)

	t.Run("they are listed", func(t *testing.T) {
		require.Len(t, e.must(200, "GET", base+"/secrets", key, nil)["items"], 1)
		require.Len(t, e.must(200, "GET", base+"/keys", key, nil)["items"], 1)
	})
	t.Run("they are revoked", func(t *testing.T) {
		out := e.must(200, "POST", base+"/secrets/"+sec+"/revoke", key, nil)
		require.Equal(t, "revoked", out["status"])
		out = e.must(200, "POST", base+"/keys/"+kid+"/revoke", key, nil)
		require.Equal(t, "revoked", out["status"])
	})
	t.Run("new ones may be prepared", func(*testing.T) {
		e.must(201, "POST", base+"/secrets", key, nil)
	})
}
