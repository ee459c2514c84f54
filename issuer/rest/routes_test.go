package rest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/api"
)

// documented returns "METHOD /path" for every operation of the OpenAPI
// document.
func documented(t *testing.T) []string {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI())
	require.NoError(t, err)
	require.NoError(t, doc.Validate(context.Background()))

	var out []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	slices.Sort(out)
	return out
}

// registered returns "METHOD /path" for every route of the route table.
func registered() []string {
	out := make([]string, len(routes))
	for i, rt := range routes {
		out[i] = rt.method + " " + rt.path
	}
	slices.Sort(out)
	return out
}

func TestRouteTableMatchesOpenAPI(t *testing.T) {
	doc, reg := documented(t), registered()

	for _, r := range reg {
		require.Contains(t, doc, r, "registered route missing from api/openapi.yaml")
	}
	for _, d := range doc {
		require.Contains(t, reg, d, "documented route not registered by the server")
	}
	require.Len(t, reg, len(slices.Compact(slices.Clone(reg))), "a route is registered twice")
}

func TestEveryAuthenticatedRouteNamesItsOperation(t *testing.T) {
	for _, rt := range routes {
		if rt.path == "/v1/openapi.yaml" {
			require.Zero(t, rt.op)
			continue
		}
		require.NotZero(t, rt.op, "%s %s has no operation", rt.method, rt.path)
		require.Equal(t, rt.method != "GET", rt.op.Writes(),
			"%s %s: only GET routes may be reads", rt.method, rt.path)
		if rt.target != "" {
			require.Contains(t, rt.path, "{"+rt.target+"}")
		}
	}
}

func TestContractCheckRefusesUndocumentedResponses(t *testing.T) {
	tests := []struct {
		name   string
		status int
		ctype  string
		body   string
	}{
		{"a body of the wrong shape is refused", 200, "application/json", `{"id": 1}`},
		{"an undocumented member is refused", 200, "application/json",
			`{"id":"org_00000000000000000000000000","name":"a","status":"active",` +
				`"created_at":"2030-01-01T00:00:00Z","updated_at":"2030-01-01T00:00:00Z",` +
				`"secret":"x"}`},
		{"an undocumented status is refused", 418, "application/problem+json",
			`{"type":"https://agentidp.dev/problems/internal","title":"t","status":418,` +
				`"detail":"d"}`},
		{"an error that is not a problem document is refused", 404, "text/plain", "nope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequestWithContext(t.Context(), "GET", "http://issuer.test/v1/org", nil)
			resp := &http.Response{StatusCode: tc.status, Header: http.Header{
				"Content-Type": {tc.ctype}, "X-Request-Id": {"r1"},
			}}

			require.Error(t, validateResponse(req, resp, []byte(tc.body)))
		})
	}
}
