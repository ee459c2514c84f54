package rest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOrganizationsAreIsolated(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			testIsolation(t, newFixture(t, b))
		})
	}
}

// testIsolation has orgB's owner ask for everything of orgA: each request
// must find nothing, as if it did not exist, and change nothing.
func testIsolation(t *testing.T, f *fixture) {
	notFound := []struct {
		name, method, path string
		body               any
	}{
		{"another organization's agent is not found", "GET", "/v1/agents/{agent}", nil},
		{"another organization's agent cannot be changed", "PATCH", "/v1/agents/{agent}",
			map[string]any{"name": "mine"}},
		{"another organization's agent cannot be suspended", "POST",
			"/v1/agents/{agent}/suspend", nil},
		{"another organization's agent cannot be revoked", "POST",
			"/v1/agents/{agent}/revoke", nil},
		{"another organization's secrets are not listed", "GET", "/v1/agents/{agent}/secrets",
			nil},
		{"another organization's agent gets no secret", "POST", "/v1/agents/{agent}/secrets",
			nil},
		{"another organization's secret cannot be revoked", "POST",
			"/v1/agents/{agent}/secrets/{secret}/revoke", nil},
		{"another organization's keys are not listed", "GET", "/v1/agents/{agent}/keys", nil},
		{"another organization's key cannot be revoked", "POST",
			"/v1/agents/{agent}/keys/{kid}/revoke", nil},
		{"another organization's operator is not found", "GET", "/v1/operators/{operator}",
			nil},
		{"another organization's operator cannot be changed", "PATCH",
			"/v1/operators/{operator}", map[string]any{"role": "viewer"}},
		{"another organization's operator cannot be disabled", "DELETE",
			"/v1/operators/{operator}", nil},
		{"another organization's API key cannot be revoked", "POST",
			"/v1/api-keys/{ownerKeyID}/revoke", nil},
	}
	for _, tc := range notFound {
		t.Run(tc.name, func(t *testing.T) {
			checkRefusal(t, f, refusal{method: tc.method, path: tc.path, key: "ownerB",
				body: tc.body, status: 404, slug: "not-found"})
		})
	}

	t.Run("listings show only the caller's own organization", func(t *testing.T) {
		for _, path := range []string{"/v1/agents", "/v1/operators", "/v1/api-keys",
			"/v1/audit"} {
			var list struct{ Items []map[string]any }
			f.do("GET", path, f.ownerB, nil).json(t, &list)
			require.NotEmpty(t, list.Items, path)
			for _, item := range list.Items {
				if org, ok := item["org_id"]; ok {
					require.Equal(t, f.orgB, org, path)
				}
				require.NotEqual(t, f.agent, item["id"], path)
				require.NotEqual(t, "apikey:"+keyID(f.owner), item["actor"], path)
			}
		}
	})

	t.Run("the caller's organization is its own", func(t *testing.T) {
		require.Equal(t, f.orgB, f.must(200, "GET", "/v1/org", f.ownerB, nil)["id"])
	})
}
