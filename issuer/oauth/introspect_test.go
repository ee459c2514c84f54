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
	"github.com/agentidp/agentidp/internal/store/testdb"
	"github.com/agentidp/agentidp/issuer/oauth"
)

// introspectAs asks the server about token with the caller's
// client_secret_post credentials.
func (e *env) introspectAs(t testing.TB, caller fixture, token string) response {
	t.Helper()
	return e.do(t, formRequest(oauth.PathIntrospect, url.Values{"client_id": {caller.agent.ID},
		"client_secret": {caller.secret}, "token": {token},
		"token_type_hint": {"access_token"}}))
}

// claimsOf returns a token's claims as the server minted them.
func (e *env) claimsOf(t testing.TB, token string) map[string]any {
	t.Helper()
	_, c := e.verifyWithJOSE(t, token)
	return c
}

const inactiveBody = `{"active":false}`

func TestIntrospectActiveToken(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		owner := e.newFixture(t, nil)
		// A resource server of the same organisation asks.
		rs := e.newFixture(t, func(o *store.Org, _ *store.Agent) { o.ID = owner.org.ID })
		tok := e.mustToken(t, owner, url.Values{"scope": {"tickets:read"},
			"resource": {"https://api.example.com/"}}).AccessToken
		c := e.claimsOf(t, tok)

		resp := e.introspectAs(t, rs, tok)
		require.Equal(t, http.StatusOK, resp.status)
		require.Equal(t, "no-store", resp.header.Get("Cache-Control"))
		want, err := json.Marshal(map[string]any{
			"active": true, "scope": "tickets:read", "client_id": owner.agent.ID,
			"token_type": "Bearer", "exp": c["exp"], "iat": c["iat"], "nbf": c["nbf"],
			"sub": owner.agent.ID, "aud": "https://api.example.com/", "iss": e.issuer,
			"jti": c["jti"], "org_id": owner.org.ID, "agent_did": e.did(owner.agent.ID),
		})
		require.NoError(t, err)
		require.JSONEq(t, string(want), resp.body)

		resp = e.introspectAs(t, owner, tok)
		require.JSONEq(t, string(want), resp.body, "a client may introspect its own token")
	})
}

func TestIntrospectInactiveTokens(t *testing.T) {
	tests := []struct {
		name string
		// make returns the token to introspect, given the caller and a
		// fresh agent of the caller's organisation that holds the token.
		make func(t *testing.T, e *env, caller, holder fixture) string
	}{
		{"a revoked token is inactive", func(t *testing.T, e *env, _, holder fixture) string {
			tok := e.mustToken(t, holder, nil).AccessToken
			require.Equal(t, http.StatusOK, e.revokeAs(t, holder, tok, "").status)
			return tok
		}},
		{"a token of a suspended agent is inactive",
			func(t *testing.T, e *env, _, holder fixture) string {
				tok := e.mustToken(t, holder, nil).AccessToken
				e.setAgentStatus(t, holder, store.AgentSuspended)
				return tok
			}},
		{"a token of a revoked agent is inactive",
			func(t *testing.T, e *env, _, holder fixture) string {
				tok := e.mustToken(t, holder, nil).AccessToken
				e.setAgentStatus(t, holder, store.AgentRevoked)
				return tok
			}},
		{"another organisation's token is inactive",
			func(t *testing.T, e *env, _, _ fixture) string {
				return e.mustToken(t, e.newFixture(t, nil), nil).AccessToken
			}},
		{"an expired token is inactive", func(t *testing.T, e *env, _, holder fixture) string {
			tok := e.mustToken(t, holder, nil).AccessToken
			e.clock.Advance(10 * time.Minute)
			return tok
		}},
		{"a token signed by a removed key is inactive",
			func(t *testing.T, e *env, _, holder fixture) string {
				tok := e.mustToken(t, holder, nil).AccessToken
				ctx := context.Background()
				old := e.keys.Keys()[0].KID
				_, err := e.keys.Rotate(ctx, true)
				require.NoError(t, err)
				require.NoError(t, e.keys.Remove(ctx, old))
				return tok
			}},
		{"a token of another issuer's key is inactive",
			func(t *testing.T, _ *env, _, holder fixture) string {
				other := newEnv(t, testdb.SQLite(t), nil)
				twin := other.newFixture(t, func(o *store.Org, a *store.Agent) {
					o.ID, a.ID = holder.org.ID, holder.agent.ID
				})
				return other.mustToken(t, twin, nil).AccessToken
			}},
		{"a token whose signature was altered is inactive",
			func(t *testing.T, e *env, _, holder fixture) string {
				tok := e.mustToken(t, holder, nil).AccessToken
				return tok[:len(tok)-4] + "AAAA"
			}},
		{"an ID token is not an access token",
			func(t *testing.T, e *env, _, holder fixture) string {
				return e.mustToken(t, holder, url.Values{"scope": {"openid"}}).IDToken
			}},
		{"garbage is inactive", func(*testing.T, *env, fixture, fixture) string {
			return "not.a.token"
		}},
	}
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				caller := e.newFixture(t, nil)
				holder := e.newFixture(t, func(o *store.Org, _ *store.Agent) {
					o.ID = caller.org.ID
				})
				tok := tc.make(t, e, caller, holder)

				resp := e.introspectAs(t, caller, tok)
				require.Equal(t, http.StatusOK, resp.status)
				require.JSONEq(t, inactiveBody, resp.body)
			})
		}
	})
}

func TestIntrospectRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		caller := e.newFixture(t, nil)
		tok := e.mustToken(t, caller, nil).AccessToken

		t.Run("a caller with a wrong secret is refused", func(t *testing.T) {
			bad := caller
			bad.secret = "wrong"
			resp := e.introspectAs(t, bad, tok)
			require.Equal(t, http.StatusUnauthorized, resp.status)
			require.JSONEq(t, bodyInvalidClient, resp.body)
			require.Equal(t, basicRealm, resp.header.Get("WWW-Authenticate"))
			require.Len(t, e.audits(t, caller.org.ID, "token.introspect"), 1)
		})
		t.Run("a request without a token is refused", func(t *testing.T) {
			resp := e.introspectAs(t, caller, "")
			require.Equal(t, http.StatusBadRequest, resp.status)
			require.JSONEq(t, `{"error":"invalid_request","error_description":"token is required"}`,
				resp.body)
		})
		t.Run("the caller of a suspended organisation is refused", func(t *testing.T) {
			e.setOrgStatus(t, caller, store.OrgSuspended)
			resp := e.introspectAs(t, caller, tok)
			require.Equal(t, http.StatusUnauthorized, resp.status)
			require.JSONEq(t, bodyInvalidClient, resp.body)
		})
	})
}
