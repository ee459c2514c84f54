package oauth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/issuer/oauth"
)

// revokeAs asks the server to revoke token with the caller's
// client_secret_post credentials, and a token_type_hint when not empty.
func (e *env) revokeAs(t testing.TB, caller fixture, token, hint string) response {
	t.Helper()
	form := url.Values{"client_id": {caller.agent.ID}, "client_secret": {caller.secret},
		"token": {token}}
	if hint != "" {
		form.Set("token_type_hint", hint)
	}
	return e.do(t, formRequest(oauth.PathRevoke, form))
}

// isRevoked reports whether the store holds a revocation of jti.
func (e *env) isRevoked(t testing.TB, jti string) bool {
	t.Helper()
	revoked, err := e.st.IsTokenRevoked(context.Background(), jti)
	require.NoError(t, err)
	return revoked
}

func TestRevokeOwnToken(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		f := e.newFixture(t, nil)
		tok := e.mustToken(t, f, nil).AccessToken
		jti := e.claimsOf(t, tok)["jti"].(string)
		seq := e.lastEventSeq(t)

		resp := e.revokeAs(t, f, tok, "access_token")
		require.Equal(t, http.StatusOK, resp.status)
		require.Empty(t, resp.body)
		require.Equal(t, "no-store", resp.header.Get("Cache-Control"))
		require.True(t, e.isRevoked(t, jti))

		revoked, err := e.st.ListRevokedTokens(context.Background(), time.Time{})
		require.NoError(t, err)
		require.Equal(t, []store.RevokedToken{{JTI: jti, OrgID: f.org.ID, AgentID: f.agent.ID,
			ExpiresAt: e.clock.Now().Add(10 * time.Minute), RevokedAt: e.clock.Now()}}, revoked)

		recs := e.audits(t, f.org.ID, "token.revoke")
		require.Len(t, recs, 1)
		require.Equal(t, store.AuditEntry{OrgID: f.org.ID, Actor: "client:" + f.agent.ID,
			Action: "token.revoke", Target: jti, RequestID: resp.header.Get("X-Request-Id"),
			Outcome: store.OutcomeSuccess, Time: e.clock.Now()}, recs[0].AuditEntry)
		evs := e.events(t, "token.revoked", seq)
		require.Len(t, evs, 1)
		require.Equal(t, jti, evs[0].Subject)
		var payload map[string]any
		require.NoError(t, json.Unmarshal(evs[0].Payload, &payload))
		require.Equal(t, map[string]any{"jti": jti, "agent_id": f.agent.ID,
			"exp": float64(e.clock.Now().Add(10 * time.Minute).Unix())}, payload)

		resp = e.revokeAs(t, f, tok, "refresh_token")
		require.Equal(t, http.StatusOK, resp.status, "revoking twice is no error")
		require.Len(t, e.audits(t, f.org.ID, "token.revoke"), 1, "nor a second record")
		require.JSONEq(t, inactiveBody, e.introspectAs(t, f, tok).body)
	})
}

func TestRevokeWithoutEffect(t *testing.T) {
	tests := []struct {
		name  string
		token func(t *testing.T, e *env, caller fixture) string
	}{
		{"a token of another client of the organisation",
			func(t *testing.T, e *env, caller fixture) string {
				peer := e.newFixture(t, func(o *store.Org, _ *store.Agent) { o.ID = caller.org.ID })
				return e.mustToken(t, peer, nil).AccessToken
			}},
		{"a token of another organisation", func(t *testing.T, e *env, _ fixture) string {
			return e.mustToken(t, e.newFixture(t, nil), nil).AccessToken
		}},
		{"a malformed token", func(*testing.T, *env, fixture) string { return "garbage" }},
		{"an expired token", func(t *testing.T, e *env, caller fixture) string {
			tok := e.mustToken(t, caller, nil).AccessToken
			e.clock.Advance(11 * time.Minute)
			return tok
		}},
	}
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, tc := range tests {
			t.Run(tc.name+" is answered 200 and left alone", func(t *testing.T) {
				caller := e.newFixture(t, nil)
				tok := tc.token(t, e, caller)

				resp := e.revokeAs(t, caller, tok, "")
				require.Equal(t, http.StatusOK, resp.status)
				require.Empty(t, resp.body)
				revoked, err := e.st.ListRevokedTokens(context.Background(), time.Time{})
				require.NoError(t, err)
				for _, r := range revoked {
					require.NotEqual(t, caller.agent.ID, r.AgentID)
				}
				require.Empty(t, e.audits(t, caller.org.ID, "token.revoke"))
			})
		}
	})
}

func TestRevokeRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		f := e.newFixture(t, nil)
		tok := e.mustToken(t, f, nil).AccessToken
		jti := e.claimsOf(t, tok)["jti"].(string)

		bad := f
		bad.secret = "wrong"
		resp := e.revokeAs(t, bad, tok, "")
		require.Equal(t, http.StatusUnauthorized, resp.status)
		require.JSONEq(t, bodyInvalidClient, resp.body)
		require.False(t, e.isRevoked(t, jti))
		recs := e.audits(t, f.org.ID, "token.revoke")
		require.Len(t, recs, 1)
		require.Equal(t, store.OutcomeDenied, recs[0].Outcome)

		resp = e.revokeAs(t, f, "", "")
		require.Equal(t, http.StatusBadRequest, resp.status)
		require.JSONEq(t, `{"error":"invalid_request","error_description":"token is required"}`,
			resp.body)
	})
}

func TestPruneForgetsExpiredState(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		f := e.newFixture(t, nil)
		tok := e.mustToken(t, f, nil).AccessToken
		require.Equal(t, http.StatusOK, e.revokeAs(t, f, tok, "").status)

		require.NoError(t, e.srv.Prune(context.Background()))
		revoked, err := e.st.ListRevokedTokens(context.Background(), time.Time{})
		require.NoError(t, err)
		require.Len(t, revoked, 1, "an unexpired revocation stays")

		e.clock.Advance(10 * time.Minute)
		require.NoError(t, e.srv.Prune(context.Background()))
		revoked, err = e.st.ListRevokedTokens(context.Background(), time.Time{})
		require.NoError(t, err)
		require.Empty(t, revoked, "the revocation of an expired token goes")
	})
}
