package rest

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAgentListingAndUpdates(t *testing.T) {
	e := newEnv(t, openSQLite(t))
	key := e.key(e.org("Acme"), "admin")
	for _, a := range []struct{ name, owner string }{
		{"billing-1", "team-a"}, {"billing-2", "team-b"}, {"search-1", "team-a"},
	} {
		e.must(201, "POST", "/v1/agents", key, map[string]any{"name": a.name, "owner": a.owner})
	}
	suspended := e.registerAgent(key, "billing-3")
	e.must(200, "POST", "/v1/agents/"+suspended+"/suspend", key, nil)

	filters := []struct {
		name, query string
		want        int
	}{
		{"every agent is listed without filters", "", 4},
		{"a name prefix filters", "?name_prefix=billing", 3},
		{"an owner filters", "?owner=team-a", 2},
		{"a status filters", "?status=suspended", 1},
		{"filters combine", "?name_prefix=billing&owner=team-a&status=active", 1},
	}
	for _, tc := range filters {
		t.Run(tc.name, func(t *testing.T) {
			out := e.must(200, "GET", "/v1/agents"+tc.query, key, nil)
			require.Len(t, out["items"], tc.want)
		})
	}

	t.Run("pages cover every agent once", func(t *testing.T) {
		seen := map[string]bool{}
		path := "/v1/agents?limit=3"
		for path != "" {
			out := e.must(200, "GET", path, key, nil)
			for _, item := range out["items"].([]any) {
				seen[item.(map[string]any)["id"].(string)] = true
			}
			path = ""
			if c, ok := out["next_cursor"].(string); ok {
				path = "/v1/agents?limit=3&cursor=" + c
			}
		}
		require.Len(t, seen, 4)
	})

	t.Run("a patch changes only the fields given", func(t *testing.T) {
		id := e.must(201, "POST", "/v1/agents", key, map[string]any{
			"name": "x", "description": "d", "metadata": map[string]string{"a": "1"},
			"scopes": []string{"s1"}})["id"].(string)
		out := e.must(200, "PATCH", "/v1/agents/"+id, key, map[string]any{
			"metadata": map[string]string{"b": "2"}, "scopes": []string{}})
		require.Equal(t, "x", out["name"])
		require.Equal(t, "d", out["description"])
		require.Equal(t, map[string]any{"b": "2"}, out["metadata"])
		require.Empty(t, out["scopes"])
	})
}
