package oauth_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/issuer/oauth"
)

// agentInfo asks /agent-info with method and an Authorization header.
func (e *env) agentInfo(t testing.TB, method, authorization string) response {
	t.Helper()
	rq := request{method: method, path: oauth.PathAgentInfo, header: map[string]string{}}
	if authorization != "" {
		rq.header["Authorization"] = authorization
	}
	return e.do(t, rq)
}

func TestAgentInfo(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		f := e.newFixture(t, nil)
		tok := e.mustToken(t, f, url.Values{"scope": {"tickets:write"}}).AccessToken
		want := `{"sub":"` + f.agent.ID + `","name":"ticket-bot","org_id":"` + f.org.ID +
			`","agent_did":"` + e.did(f.agent.ID) + `","owner":"team-support",` +
			`"scope":"tickets:write","client_id":"` + f.agent.ID + `"}`

		for _, method := range []string{http.MethodGet, http.MethodPost} {
			resp := e.agentInfo(t, method, "Bearer "+tok)
			require.Equal(t, http.StatusOK, resp.status, method)
			require.JSONEq(t, want, resp.body, method)
			require.Equal(t, "no-store", resp.header.Get("Cache-Control"))
		}
	})
}

func TestAgentInfoRefused(t *testing.T) {
	const (
		invalidToken = `{"error":"invalid_token","error_description":"the access token is invalid"}`
		challenge    = `Bearer realm="agentidp", error="invalid_token"`
	)
	tests := []struct {
		name string
		// authorization returns the Authorization header to send.
		authorization func(t *testing.T, e *env, f fixture) string
		body          string
		challenge     string
	}{
		{"a request without a token gets a bare challenge",
			func(*testing.T, *env, fixture) string { return "" },
			`{"error":"invalid_request","error_description":"a bearer access token is required"}`,
			`Bearer realm="agentidp"`},
		{"basic credentials are no bearer token",
			func(_ *testing.T, _ *env, f fixture) string { return basicAuth(f.agent.ID, f.secret) },
			`{"error":"invalid_request","error_description":"a bearer access token is required"}`,
			`Bearer realm="agentidp"`},
		{"a malformed token is invalid",
			func(*testing.T, *env, fixture) string { return "Bearer garbage" },
			invalidToken, challenge},
		{"a revoked token is invalid", func(t *testing.T, e *env, f fixture) string {
			tok := e.mustToken(t, f, nil).AccessToken
			require.Equal(t, http.StatusOK, e.revokeAs(t, f, tok, "").status)
			return "Bearer " + tok
		}, invalidToken, challenge},
		{"a token of a suspended agent is invalid", func(t *testing.T, e *env, f fixture) string {
			tok := e.mustToken(t, f, nil).AccessToken
			e.setAgentStatus(t, f, store.AgentSuspended)
			return "Bearer " + tok
		}, invalidToken, challenge},
		{"a token of a suspended organisation is invalid",
			func(t *testing.T, e *env, f fixture) string {
				tok := e.mustToken(t, f, nil).AccessToken
				e.setOrgStatus(t, f, store.OrgSuspended)
				return "Bearer " + tok
			}, invalidToken, challenge},
	}
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				f := e.newFixture(t, nil)
				resp := e.agentInfo(t, http.MethodGet, tc.authorization(t, e, f))
				require.Equal(t, http.StatusUnauthorized, resp.status)
				require.JSONEq(t, tc.body, resp.body)
				require.Equal(t, tc.challenge, resp.header.Get("WWW-Authenticate"))
			})
		}
	})
}
