package oauth_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/issuer/oauth"
)

// verifyWithJOSE verifies a token minted by the server with go-jose,
// against the key set fetched over HTTPS from the jwks_uri of the
// discovery document, and returns its header type and claims.
func (e *env) verifyWithJOSE(t testing.TB, token string) (typ string, claims map[string]any) {
	t.Helper()
	doc := e.discover(t)
	resp := e.get(t, doc["jwks_uri"].(string))
	require.Equal(t, http.StatusOK, resp.status)
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal([]byte(resp.body), &set))

	tok, err := josejwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.ES256})
	require.NoError(t, err)
	require.Len(t, tok.Headers, 1)
	keys := set.Key(tok.Headers[0].KeyID)
	require.Len(t, keys, 1, "the token's kid is published at jwks_uri")

	var std josejwt.Claims
	require.NoError(t, tok.Claims(keys[0].Key, &std, &claims))
	require.NoError(t, std.ValidateWithLeeway(josejwt.Expected{
		Issuer: e.issuer, Time: e.clock.Now()}, 0))
	typ, _ = tok.Headers[0].ExtraHeaders[jose.HeaderType].(string)
	return typ, claims
}

// did is the did:web of an agent of the test server, whose port is
// percent-encoded.
func (e *env) did(agentID string) string {
	host := strings.TrimPrefix(e.issuer, "https://")
	return "did:web:" + strings.ReplaceAll(host, ":", "%3A") + ":agents:" + agentID
}

func TestTokenVerifiesWithAnIndependentLibrary(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		f := e.newFixture(t, nil)
		before := e.lastEventSeq(t)
		resp := e.do(t, formRequest(oauth.PathToken,
			secretForm(f, url.Values{"scope": {"tickets:read"}})))
		require.Equal(t, http.StatusOK, resp.status, resp.body)
		require.Equal(t, "no-store", resp.header.Get("Cache-Control"))
		require.Equal(t, "no-cache", resp.header.Get("Pragma"))
		var tr tokenResponse
		require.NoError(t, json.Unmarshal([]byte(resp.body), &tr))
		require.Equal(t, tokenResponse{AccessToken: tr.AccessToken, TokenType: "Bearer",
			ExpiresIn: 600, Scope: "tickets:read"}, tr)

		typ, claims := e.verifyWithJOSE(t, tr.AccessToken)
		require.Equal(t, "at+jwt", typ)
		jti, _ := claims["jti"].(string)
		raw, err := base64.RawURLEncoding.DecodeString(jti)
		require.NoError(t, err)
		require.Len(t, raw, 16, "jti carries 128 random bits")
		now := float64(e.clock.Now().Unix())
		require.Equal(t, map[string]any{
			"iss": e.issuer, "sub": f.agent.ID, "aud": e.issuer, "exp": now + 600,
			"iat": now, "nbf": now, "jti": jti, "client_id": f.agent.ID,
			"scope": "tickets:read", "org_id": f.org.ID, "agent_did": e.did(f.agent.ID),
		}, claims)

		recs := e.audits(t, f.org.ID, "token.issue")
		require.Len(t, recs, 1)
		require.Equal(t, store.AuditEntry{OrgID: f.org.ID, Actor: "client:" + f.agent.ID,
			Action: "token.issue", Target: jti, RequestID: resp.header.Get("X-Request-Id"),
			Outcome: store.OutcomeSuccess, Time: e.clock.Now()}, recs[0].AuditEntry)
		evs := e.events(t, "token.issued", before)
		require.Len(t, evs, 1)
		require.Equal(t, f.agent.ID, evs[0].Subject)
		require.NotContains(t, string(evs[0].Payload), tr.AccessToken)
		var payload map[string]any
		require.NoError(t, json.Unmarshal(evs[0].Payload, &payload))
		require.Equal(t, map[string]any{"jti": jti, "agent_id": f.agent.ID,
			"kid": payload["kid"], "exp": now + 600}, payload)
	})
}

func TestTokenIssued(t *testing.T) {
	type want struct {
		scope   string
		aud     any
		ttl     int64
		idToken bool
	}
	def := want{scope: "tickets:read tickets:write", ttl: 600}
	tests := []struct {
		name  string
		edit  func(o *store.Org, a *store.Agent)
		build func(t *testing.T, e *env, f fixture) request
		want  want
	}{
		{"client_secret_basic authenticates", nil,
			func(_ *testing.T, _ *env, f fixture) request {
				rq := formRequest(oauth.PathToken, url.Values{"grant_type": {"client_credentials"}})
				rq.header["Authorization"] = basicAuth(f.agent.ID, f.secret)
				return rq
			}, def},
		{"client_secret_basic credentials are form-urlencoded", nil,
			func(t *testing.T, e *env, f fixture) request {
				odd := "p+ss/w:rd%20=é"
				e.tx(t, func(ctx context.Context, tx store.Tx) error {
					return tx.CreateClientSecret(ctx, e.secretRow(f, odd, e.clock.Now().Add(time.Hour)))
				})
				rq := formRequest(oauth.PathToken, url.Values{"grant_type": {"client_credentials"}})
				rq.header["Authorization"] = basicAuth(f.agent.ID, odd)
				return rq
			}, def},
		{"client_secret_post authenticates", nil,
			func(_ *testing.T, _ *env, f fixture) request {
				return formRequest(oauth.PathToken, secretForm(f, nil))
			}, def},
		{"an older secret works during a rotation overlap", nil,
			func(t *testing.T, e *env, f fixture) request {
				e.tx(t, func(ctx context.Context, tx store.Tx) error {
					return tx.CreateClientSecret(ctx, e.secretRow(f, "newer", e.clock.Now().Add(time.Hour)))
				})
				return formRequest(oauth.PathToken, secretForm(f, nil))
			}, def},
		{"private_key_jwt with an ES256 key named by kid", nil,
			func(t *testing.T, e *env, f fixture) request {
				a := signAssertion(t, f.key, jose.ES256, f.kid, e.assertionClaims(f))
				return formRequest(oauth.PathToken, assertionForm(a))
			}, def},
		{"private_key_jwt with an Ed25519 key and no kid", nil,
			func(t *testing.T, e *env, f fixture) request {
				key, _ := e.addEd25519Key(t, f)
				a := signAssertion(t, key, jose.EdDSA, "", e.assertionClaims(f))
				return formRequest(oauth.PathToken, assertionForm(a))
			}, def},
		{"private_key_jwt may name the issuer as audience and send client_id", nil,
			func(t *testing.T, e *env, f fixture) request {
				c := e.assertionClaims(f)
				c["aud"] = []string{"https://other.example", e.issuer}
				form := assertionForm(signAssertion(t, f.key, jose.ES256, f.kid, c))
				form.Set("client_id", f.agent.ID)
				return formRequest(oauth.PathToken, form)
			}, def},
		{"openid adds an ID token", nil,
			func(_ *testing.T, _ *env, f fixture) request {
				return formRequest(oauth.PathToken,
					secretForm(f, url.Values{"scope": {"openid tickets:write"}}))
			}, want{scope: "openid tickets:write", ttl: 600, idToken: true}},
		{"resource and audience values make the audience", nil,
			func(_ *testing.T, _ *env, f fixture) request {
				return formRequest(oauth.PathToken, secretForm(f, url.Values{
					"resource": {"https://api.example.com/v1", "https://mail.example.com/"},
					"audience": {"billing"}}))
			}, want{scope: def.scope, ttl: 600, aud: []any{"https://api.example.com/v1",
				"https://mail.example.com/", "billing"}}},
		{"the agent's lifetime comes first",
			func(o *store.Org, a *store.Agent) { o.TokenTTL, a.TokenTTL = time.Hour, 2*time.Minute },
			func(_ *testing.T, _ *env, f fixture) request {
				return formRequest(oauth.PathToken, secretForm(f, nil))
			}, want{scope: def.scope, ttl: 120}},
		{"the organisation's lifetime applies when the agent has none",
			func(o *store.Org, _ *store.Agent) { o.TokenTTL = 5 * time.Minute },
			func(_ *testing.T, _ *env, f fixture) request {
				return formRequest(oauth.PathToken, secretForm(f, nil))
			}, want{scope: def.scope, ttl: 300}},
		{"a lifetime beyond the ceiling is capped",
			func(_ *store.Org, a *store.Agent) { a.TokenTTL = 5 * time.Hour },
			func(_ *testing.T, _ *env, f fixture) request {
				return formRequest(oauth.PathToken, secretForm(f, nil))
			}, want{scope: def.scope, ttl: 3600}},
	}
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				f := e.newFixture(t, tc.edit)
				resp := e.do(t, tc.build(t, e, f))
				require.Equal(t, http.StatusOK, resp.status, resp.body)
				var tr tokenResponse
				require.NoError(t, json.Unmarshal([]byte(resp.body), &tr))
				require.Equal(t, tc.want.scope, tr.Scope)
				require.Equal(t, tc.want.ttl, tr.ExpiresIn)

				_, claims := e.verifyWithJOSE(t, tr.AccessToken)
				wantAud := tc.want.aud
				if wantAud == nil {
					wantAud = e.issuer
				}
				require.Equal(t, wantAud, claims["aud"])
				require.InDelta(t, float64(e.clock.Now().Unix()+tc.want.ttl), claims["exp"], 0)
				require.Equal(t, tc.want.idToken, tr.IDToken != "")
				if tc.want.idToken {
					requireIDToken(t, e, f, tr.IDToken, claims["exp"])
				}
				require.Len(t, e.audits(t, f.org.ID, "token.issue"), 1)
			})
		}
	})
}

// requireIDToken checks an ID token's header and claims.
func requireIDToken(t *testing.T, e *env, f fixture, token string, exp any) {
	t.Helper()
	typ, claims := e.verifyWithJOSE(t, token)
	require.Equal(t, "JWT", typ)
	now := float64(e.clock.Now().Unix())
	require.Equal(t, map[string]any{
		"iss": e.issuer, "sub": f.agent.ID, "aud": f.agent.ID, "exp": exp, "iat": now,
		"auth_time": now, "name": f.agent.Name, "owner": f.agent.Owner, "org_id": f.org.ID,
		"agent_did": e.did(f.agent.ID),
	}, claims)
}

// OAuth error bodies the refusals answer with.
const (
	bodyInvalidClient = `{"error":"invalid_client","error_description":"client authentication failed"}`
	bodyNoClientAuth  = `{"error":"invalid_client","error_description":"client authentication is required"}`
	bodyBadAssertion  = `{"error":"invalid_client",` +
		`"error_description":"the client assertion is malformed or uses a forbidden algorithm"}`
	bodyScopeExceeds = `{"error":"invalid_scope",` +
		`"error_description":"the requested scope exceeds the scopes allowed to the client"}`
	bodyNotForm = `{"error":"invalid_request",` +
		`"error_description":"the body must be application/x-www-form-urlencoded"}`
	basicRealm = `Basic realm="agentidp"`
)

// refusalCase is a token request the server must refuse.
type refusalCase struct {
	name      string
	edit      func(o *store.Org, a *store.Agent)
	build     func(t *testing.T, e *env, f fixture) request
	status    int
	body      string
	challenge string
	// audited is true when the refusal names a known client, and so must
	// be recorded in its organisation as token.refuse.
	audited bool
}

func TestTokenRefused(t *testing.T) {
	tests := append(append(credentialRefusals(), assertionRefusals()...), requestRefusals()...)
	forEachBackend(t, func(t *testing.T, e *env) {
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				f := e.newFixture(t, tc.edit)
				rq := tc.build(t, e, f)
				issued := len(e.audits(t, f.org.ID, "token.issue"))
				seq := e.lastEventSeq(t)

				resp := e.do(t, rq)
				require.Equal(t, tc.status, resp.status)
				require.JSONEq(t, tc.body, resp.body)
				require.Equal(t, tc.challenge, resp.header.Get("WWW-Authenticate"))
				require.Equal(t, "no-store", resp.header.Get("Cache-Control"))

				require.Len(t, e.audits(t, f.org.ID, "token.issue"), issued, "no token issued")
				require.Empty(t, e.events(t, "token.issued", seq), "no token.issued event")
				requireRefusalAudit(t, e, f, tc.audited)
			})
		}
	})
}

// requireRefusalAudit checks that the refusal was audited in the
// fixture's organisation exactly when it should be.
func requireRefusalAudit(t *testing.T, e *env, f fixture, audited bool) {
	t.Helper()
	recs := e.audits(t, f.org.ID, "token.refuse")
	if !audited {
		require.Empty(t, recs)
		return
	}
	require.Len(t, recs, 1)
	r := recs[0]
	require.Equal(t, []string{"client:" + f.agent.ID, f.agent.ID, string(store.OutcomeDenied)},
		[]string{r.Actor, r.Target, string(r.Outcome)})
}

// postSecret is a client_secret_post request presenting sec.
func postSecret(f fixture, sec string) request {
	form := secretForm(f, nil)
	form.Set("client_secret", sec)
	return formRequest(oauth.PathToken, form)
}

func credentialRefusals() []refusalCase {
	return []refusalCase{
		{"a wrong secret is refused", nil, func(_ *testing.T, _ *env, f fixture) request {
			return postSecret(f, "wrong-secret")
		}, 401, bodyInvalidClient, basicRealm, true},
		{"a wrong secret in basic credentials is refused", nil,
			func(_ *testing.T, _ *env, f fixture) request {
				rq := formRequest(oauth.PathToken, url.Values{"grant_type": {"client_credentials"}})
				rq.header["Authorization"] = basicAuth(f.agent.ID, "wrong-secret")
				return rq
			}, 401, bodyInvalidClient, basicRealm, true},
		{"an unknown client is refused", nil, func(_ *testing.T, _ *env, f fixture) request {
			f.agent.ID = "agt_00000000000000000000000000"
			return formRequest(oauth.PathToken, secretForm(f, nil))
		}, 401, bodyInvalidClient, basicRealm, false},
		{"a malformed client id is refused", nil, func(_ *testing.T, _ *env, f fixture) request {
			f.agent.ID = "'; DROP TABLE agents; --"
			return formRequest(oauth.PathToken, secretForm(f, nil))
		}, 401, bodyInvalidClient, basicRealm, false},
		{"an expired secret is refused", nil, func(t *testing.T, e *env, f fixture) request {
			e.tx(t, func(ctx context.Context, tx store.Tx) error {
				return tx.CreateClientSecret(ctx, e.secretRow(f, "expired", e.clock.Now()))
			})
			return postSecret(f, "expired")
		}, 401, bodyInvalidClient, basicRealm, true},
		{"a revoked secret is refused", nil, func(t *testing.T, e *env, f fixture) request {
			e.tx(t, func(ctx context.Context, tx store.Tx) error {
				row := e.secretRow(f, "revoked", e.clock.Now().Add(time.Hour))
				row.RevokedAt = store.Truncate(e.clock.Now())
				return tx.CreateClientSecret(ctx, row)
			})
			return postSecret(f, "revoked")
		}, 401, bodyInvalidClient, basicRealm, true},
		{"the secret of a suspended agent is refused",
			func(_ *store.Org, a *store.Agent) { a.Status = store.AgentSuspended },
			func(_ *testing.T, _ *env, f fixture) request {
				return formRequest(oauth.PathToken, secretForm(f, nil))
			}, 401, bodyInvalidClient, basicRealm, true},
		{"the secret of a revoked agent is refused",
			func(_ *store.Org, a *store.Agent) { a.Status = store.AgentRevoked },
			func(_ *testing.T, _ *env, f fixture) request {
				return formRequest(oauth.PathToken, secretForm(f, nil))
			}, 401, bodyInvalidClient, basicRealm, true},
		{"an agent of a suspended organisation is refused",
			func(o *store.Org, _ *store.Agent) { o.Status = store.OrgSuspended },
			func(_ *testing.T, _ *env, f fixture) request {
				return formRequest(oauth.PathToken, secretForm(f, nil))
			}, 401, bodyInvalidClient, basicRealm, true},
		{"an agent of a deleted organisation is refused",
			func(o *store.Org, _ *store.Agent) { o.Status = store.OrgDeleted },
			func(_ *testing.T, _ *env, f fixture) request {
				return formRequest(oauth.PathToken, secretForm(f, nil))
			}, 401, bodyInvalidClient, basicRealm, true},
		{"a request without client authentication is refused", nil,
			func(_ *testing.T, _ *env, f fixture) request {
				return formRequest(oauth.PathToken, url.Values{"grant_type": {"client_credentials"},
					"client_id": {f.agent.ID}})
			}, 401, bodyNoClientAuth, basicRealm, false},
		{"malformed basic credentials are refused", nil,
			func(_ *testing.T, _ *env, _ fixture) request {
				rq := formRequest(oauth.PathToken, url.Values{"grant_type": {"client_credentials"}})
				rq.header["Authorization"] = "Basic !!not-base64!!"
				return rq
			}, 401, bodyInvalidClient, basicRealm, false},
		{"another authorization scheme is refused", nil,
			func(_ *testing.T, _ *env, _ fixture) request {
				rq := formRequest(oauth.PathToken, url.Values{"grant_type": {"client_credentials"}})
				rq.header["Authorization"] = "Bearer some-token"
				return rq
			}, 401, bodyInvalidClient, basicRealm, false},
		{"a scope not allowed to the agent is refused", nil,
			func(_ *testing.T, _ *env, f fixture) request {
				return formRequest(oauth.PathToken,
					secretForm(f, url.Values{"scope": {"tickets:read admin"}}))
			}, 400, bodyScopeExceeds, "", true},
		{"a malformed scope is refused", nil, func(_ *testing.T, _ *env, f fixture) request {
			return formRequest(oauth.PathToken,
				secretForm(f, url.Values{"scope": {`tickets:read "quoted"`}}))
		}, 400, `{"error":"invalid_scope","error_description":"the scope parameter is malformed"}`,
			"", true},
		{"a relative resource is refused", nil, func(_ *testing.T, _ *env, f fixture) request {
			return formRequest(oauth.PathToken, secretForm(f, url.Values{"resource": {"/api"}}))
		}, 400, `{"error":"invalid_target",` +
			`"error_description":"a resource must be an absolute URI without a fragment"}`, "", true},
		{"a resource with a fragment is refused", nil,
			func(_ *testing.T, _ *env, f fixture) request {
				return formRequest(oauth.PathToken,
					secretForm(f, url.Values{"resource": {"https://api.example.com/#x"}}))
			}, 400, `{"error":"invalid_target",` +
				`"error_description":"a resource must be an absolute URI without a fragment"}`,
			"", true},
	}
}

func assertionRefusals() []refusalCase {
	return []refusalCase{
		{"a replayed client assertion is refused", nil,
			func(t *testing.T, e *env, f fixture) request {
				rq := formRequest(oauth.PathToken, assertionForm(
					signAssertion(t, f.key, jose.ES256, f.kid, e.assertionClaims(f))))
				require.Equal(t, http.StatusOK, e.do(t, rq).status, "the first use succeeds")
				return rq
			}, 401, bodyInvalidClient, basicRealm, true},
		{"an expired client assertion is refused", nil,
			func(t *testing.T, e *env, f fixture) request {
				c := e.assertionClaims(f)
				c["iat"] = e.clock.Now().Add(-5 * time.Minute).Unix()
				c["exp"] = e.clock.Now().Add(-time.Minute).Unix()
				return formRequest(oauth.PathToken,
					assertionForm(signAssertion(t, f.key, jose.ES256, f.kid, c)))
			}, 401, bodyInvalidClient, basicRealm, true},
		{"a client assertion valid for too long is refused", nil,
			func(t *testing.T, e *env, f fixture) request {
				c := e.assertionClaims(f)
				c["exp"] = e.clock.Now().Add(time.Hour).Unix()
				return formRequest(oauth.PathToken,
					assertionForm(signAssertion(t, f.key, jose.ES256, f.kid, c)))
			}, 401, bodyInvalidClient, basicRealm, true},
		{"a client assertion without jti is refused", nil,
			func(t *testing.T, e *env, f fixture) request {
				c := e.assertionClaims(f)
				delete(c, "jti")
				return formRequest(oauth.PathToken,
					assertionForm(signAssertion(t, f.key, jose.ES256, f.kid, c)))
			}, 401, bodyInvalidClient, basicRealm, true},
		{"a client assertion for another audience is refused", nil,
			func(t *testing.T, e *env, f fixture) request {
				c := e.assertionClaims(f)
				c["aud"] = "https://elsewhere.example/token"
				return formRequest(oauth.PathToken,
					assertionForm(signAssertion(t, f.key, jose.ES256, f.kid, c)))
			}, 401, bodyInvalidClient, basicRealm, true},
		{"a client assertion signed with the wrong key is refused", nil,
			func(t *testing.T, e *env, f fixture) request {
				other := e.newFixture(t, nil)
				return formRequest(oauth.PathToken, assertionForm(
					signAssertion(t, other.key, jose.ES256, f.kid, e.assertionClaims(f))))
			}, 401, bodyInvalidClient, basicRealm, true},
		{"a client assertion signed with a revoked key is refused", nil,
			func(t *testing.T, e *env, f fixture) request {
				e.tx(t, func(ctx context.Context, tx store.Tx) error {
					ks, err := tx.ListAgentKeys(ctx, f.org.ID, f.agent.ID)
					require.NoError(t, err)
					ks[0].RevokedAt = store.Truncate(e.clock.Now())
					return tx.UpdateAgentKey(ctx, ks[0])
				})
				return formRequest(oauth.PathToken, assertionForm(
					signAssertion(t, f.key, jose.ES256, f.kid, e.assertionClaims(f))))
			}, 401, bodyInvalidClient, basicRealm, true},
		{`an "alg: none" client assertion is refused`, nil,
			func(t *testing.T, e *env, f fixture) request {
				a := rawJWS(t, map[string]any{"alg": "none", "typ": "JWT"},
					e.assertionClaims(f), nil)
				return formRequest(oauth.PathToken, assertionForm(a))
			}, 401, bodyBadAssertion, basicRealm, false},
		{"an HS256 client assertion keyed with the public key is refused", nil,
			func(t *testing.T, e *env, f fixture) request {
				a := signAssertion(t, f.key.X.Bytes(), jose.HS256, f.kid, e.assertionClaims(f))
				return formRequest(oauth.PathToken, assertionForm(a))
			}, 401, bodyBadAssertion, basicRealm, false},
		{"a client assertion whose sub is not its iss is refused", nil,
			func(t *testing.T, e *env, f fixture) request {
				c := e.assertionClaims(f)
				c["sub"] = "agt_00000000000000000000000000"
				return formRequest(oauth.PathToken,
					assertionForm(signAssertion(t, f.key, jose.ES256, f.kid, c)))
			}, 401, bodyBadAssertion, basicRealm, false},
		{"a client assertion of another type is refused", nil,
			func(t *testing.T, e *env, f fixture) request {
				form := assertionForm(signAssertion(t, f.key, jose.ES256, f.kid, e.assertionClaims(f)))
				form.Set("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:saml2-bearer")
				return formRequest(oauth.PathToken, form)
			}, 401, `{"error":"invalid_client","error_description":` +
				`"client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}`,
			basicRealm, false},
		{"a client_id that differs from the assertion's issuer is refused", nil,
			func(t *testing.T, e *env, f fixture) request {
				form := assertionForm(signAssertion(t, f.key, jose.ES256, f.kid, e.assertionClaims(f)))
				form.Set("client_id", "agt_00000000000000000000000000")
				return formRequest(oauth.PathToken, form)
			}, 401, bodyInvalidClient, basicRealm, false},
	}
}

func requestRefusals() []refusalCase {
	return []refusalCase{
		{"an unsupported grant type is refused", nil,
			func(_ *testing.T, _ *env, f fixture) request {
				form := secretForm(f, nil)
				form.Set("grant_type", "password")
				return formRequest(oauth.PathToken, form)
			}, 400, `{"error":"unsupported_grant_type",` +
				`"error_description":"only client_credentials is supported"}`, "", false},
		{"a missing grant type is refused", nil, func(_ *testing.T, _ *env, f fixture) request {
			form := secretForm(f, nil)
			form.Del("grant_type")
			return formRequest(oauth.PathToken, form)
		}, 400, `{"error":"invalid_request","error_description":"grant_type is required"}`, "", false},
		{"a malformed form body is refused", nil, func(_ *testing.T, _ *env, f fixture) request {
			rq := formRequest(oauth.PathToken, secretForm(f, nil))
			rq.body += "&scope=%zz"
			return rq
		}, 400, `{"error":"invalid_request",` +
			`"error_description":"the request body is not a valid form"}`, "", false},
		{"a repeated parameter is refused", nil, func(_ *testing.T, _ *env, f fixture) request {
			rq := formRequest(oauth.PathToken, secretForm(f, nil))
			rq.body += "&scope=tickets:read&scope=tickets:write"
			return rq
		}, 400, `{"error":"invalid_request","error_description":"parameter \"scope\" is repeated"}`,
			"", false},
		{"two client authentication methods are refused", nil,
			func(_ *testing.T, _ *env, f fixture) request {
				rq := formRequest(oauth.PathToken, secretForm(f, nil))
				rq.header["Authorization"] = basicAuth(f.agent.ID, f.secret)
				return rq
			}, 400, `{"error":"invalid_request",` +
				`"error_description":"exactly one client authentication method must be used"}`,
			"", false},
		{"a JSON body is refused", nil, func(_ *testing.T, _ *env, f fixture) request {
			rq := formRequest(oauth.PathToken, secretForm(f, nil))
			rq.header["Content-Type"] = "application/json"
			return rq
		}, 400, bodyNotForm, "", false},
		{"parameters in the query string are refused", nil,
			func(_ *testing.T, _ *env, f fixture) request {
				rq := formRequest(oauth.PathToken, secretForm(f, nil))
				rq.path += "?client_secret=" + f.secret
				return rq
			}, 400, `{"error":"invalid_request",` +
				`"error_description":"parameters must be sent in the request body"}`, "", false},
		{"a body over the limit is refused", nil, func(_ *testing.T, _ *env, f fixture) request {
			rq := formRequest(oauth.PathToken, secretForm(f, nil))
			rq.body += "&padding=" + strings.Repeat("x", oauth.DefaultMaxBodyBytes)
			return rq
		}, 413, `{"error":"invalid_request","error_description":"the request body is too large"}`,
			"", false},
		{"a GET is refused", nil, func(_ *testing.T, _ *env, _ fixture) request {
			return request{method: http.MethodGet, path: oauth.PathToken}
		}, 405, `{"error":"invalid_request","error_description":"method not allowed"}`, "", false},
	}
}

func TestTokenNotDeliveredWhenAuditFails(t *testing.T) {
	forEachBackend(t, func(t *testing.T, e *env) {
		f := e.newFixture(t, nil)
		seq := e.lastEventSeq(t)
		e.audit.fail.Store(true)

		resp := e.do(t, formRequest(oauth.PathToken, secretForm(f, nil)))
		require.Equal(t, http.StatusInternalServerError, resp.status)
		require.JSONEq(t, `{"error":"server_error",`+
			`"error_description":"the server failed to handle the request"}`, resp.body)
		require.Empty(t, e.events(t, "token.issued", seq))

		resp = e.do(t, postSecret(f, "wrong-secret"))
		require.Equal(t, http.StatusInternalServerError, resp.status,
			"a refusal that cannot be audited is a server error")
	})
}
