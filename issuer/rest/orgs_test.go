package rest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOrganizationLifecycle(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	id := e.org("Acme")
	e.org("Beta")
	key := e.key(id, "owner")

	t.Run("organizations are listed page by page", func(t *testing.T) {
		first := e.must(200, "GET", "/v1/orgs?limit=1", e.adminKey, nil)
		require.Len(t, first["items"], 1)
		next := first["next_cursor"].(string)
		second := e.must(200, "GET", "/v1/orgs?limit=1&cursor="+next, e.adminKey, nil)
		require.Len(t, second["items"], 1)
		require.NotContains(t, second, "next_cursor")
	})

	t.Run("an organization can be renamed", func(t *testing.T) {
		out := e.must(200, "PATCH", "/v1/orgs/"+id, e.adminKey, map[string]any{"name": "Acme2"})
		require.Equal(t, "Acme2", out["name"])
		require.Equal(t, "Acme2", e.must(200, "GET", "/v1/org", key, nil)["name"])
	})

	t.Run("a suspended organization reads but does not write", func(t *testing.T) {
		e.must(200, "POST", "/v1/orgs/"+id+"/suspend", e.adminKey, nil)
		e.must(200, "GET", "/v1/agents", key, nil)
		r := e.do("POST", "/v1/agents", key, map[string]any{"name": "a"})
		require.Equal(t, 403, r.status)
		require.Equal(t, "organization-suspended", r.problemType(t))
		require.Equal(t, 409, e.do("POST", "/v1/orgs/"+id+"/suspend", e.adminKey, nil).status)

		e.must(200, "POST", "/v1/orgs/"+id+"/reactivate", e.adminKey, nil)
		e.must(201, "POST", "/v1/agents", key, map[string]any{"name": "a"})
	})

	t.Run("a deleted organization is gone and its keys stop working", func(t *testing.T) {
		e.must(204, "DELETE", "/v1/orgs/"+id, e.adminKey, nil)

		r := e.do("GET", "/v1/org", key, nil)
		require.Equal(t, 401, r.status)
		require.Equal(t, `Bearer realm="agentidp", error="invalid_token"`,
			r.header.Get("WWW-Authenticate"))
		require.Equal(t, 404, e.do("GET", "/v1/orgs/"+id, e.adminKey, nil).status)
		list := e.must(200, "GET", "/v1/orgs", e.adminKey, nil)
		require.Len(t, list["items"], 1)
	})

	t.Run("organization changes are audited and announced", func(t *testing.T) {
		var actions, outcomes []string
		for _, r := range audit(t, e.st, id) {
			actions = append(actions, r.Action)
			outcomes = append(outcomes, string(r.Outcome))
		}
		require.Equal(t, []string{"org.delete", "agent.create", "org.reactivate",
			"agent.create", "org.suspend", "org.update", "apikey.create", "org.create"},
			actions)
		require.Equal(t, "denied", outcomes[3], "the write of the suspended organization")

		var types []string
		for _, ev := range events(t, e.st) {
			if ev.OrgID == id {
				types = append(types, ev.Type)
			}
		}
		require.Equal(t, []string{"org.created", "apikey.created", "org.updated",
			"org.suspended", "org.reactivated", "agent.created", "org.deleted"}, types)
	})
}
