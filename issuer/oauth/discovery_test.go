package oauth_test

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store/testdb"
	"github.com/agentidp/agentidp/issuer/oauth"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// issuerPlaceholder stands for the test server's URL in golden files.
const issuerPlaceholder = "https://issuer.test"

func TestDiscoveryDocument(t *testing.T) {
	e := newEnv(t, testdb.SQLite(t), nil)
	resp := e.get(t, e.issuer+oauth.PathDiscovery)
	require.Equal(t, http.StatusOK, resp.status)
	require.Equal(t, "application/json", resp.header.Get("Content-Type"))

	got := strings.ReplaceAll(resp.body, e.issuer, issuerPlaceholder)
	golden := filepath.Join("testdata", "discovery.json")
	if *update {
		var pretty map[string]any
		require.NoError(t, json.Unmarshal([]byte(got), &pretty))
		b, err := json.MarshalIndent(pretty, "", "  ")
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(golden, append(b, '\n'), 0o600))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	require.JSONEq(t, string(want), got)
}

func TestDiscoveryServesARelyingParty(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		doc := e.discover(t)

		// OIDC Discovery section 4.3: the issuer is the URL the document
		// was fetched under.
		require.Equal(t, e.issuer, doc["issuer"])
		for _, field := range []string{"issuer", "token_endpoint", "jwks_uri",
			"introspection_endpoint", "revocation_endpoint", "userinfo_endpoint",
			"grant_types_supported", "response_types_supported", "subject_types_supported",
			"id_token_signing_alg_values_supported", "token_endpoint_auth_methods_supported",
			"scopes_supported", "claims_supported"} {
			require.Contains(t, doc, field)
		}
		require.Equal(t, []any{"ES256"}, doc["id_token_signing_alg_values_supported"],
			"the algorithm of the published key")

		// Every URL in it answers: the JWKS and userinfo to GET, the
		// others to POST (an empty POST is refused, but by the endpoint).
		for field, v := range doc {
			u, ok := v.(string)
			if !ok || !strings.HasPrefix(u, "https://") || field == "issuer" {
				continue
			}
			rq := request{method: http.MethodPost, path: strings.TrimPrefix(u, e.issuer),
				header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}
			if field == "jwks_uri" || field == "userinfo_endpoint" {
				rq.method = http.MethodGet
			}
			require.True(t, strings.HasPrefix(u, e.issuer), "%s is on the issuer", field)
			resp := e.do(t, rq)
			require.Contains(t, []int{200, 400, 401}, resp.status, "%s answers %s", field, u)
			require.True(t, json.Valid([]byte(resp.body)), "%s answers JSON", field)
		}
	})
}

func TestJWKSIsPublishedTwice(t *testing.T) {
	e := newEnv(t, testdb.SQLite(t), nil)
	fromDoc := e.get(t, e.discover(t)["jwks_uri"].(string))
	wellKnown := e.get(t, e.issuer+oauth.PathJWKS)
	require.Equal(t, http.StatusOK, wellKnown.status)
	require.Equal(t, fromDoc.body, wellKnown.body)
	require.Equal(t, string(e.keys.JWKS()), wellKnown.body)

	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal([]byte(wellKnown.body), &set))
	require.Len(t, set.Keys, 1)
	k := set.Keys[0]
	require.True(t, k.IsPublic(), "only public keys are published")
	require.Equal(t, []string{e.keys.Keys()[0].KID, "ES256", "sig"},
		[]string{k.KeyID, k.Algorithm, k.Use})
}
