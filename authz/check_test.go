package authz

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"
)

// allowed is the answer admitting the test agent's usual token.
func allowed() answer {
	return answer{Code: 0, Headers: map[string]string{
		HeaderAgentID: testAgent, HeaderAgentOrg: testOrg,
		HeaderAgentDID:    "did:web:idp.example.com:agents:" + testAgent,
		HeaderAgentScopes: "invoices:read invoices:write", HeaderAgentIssuer: testIssuer,
	}, Meta: map[string]string{MetaDecision: "allow", MetaReason: ReasonValid,
		MetaAgent: testAgent, MetaOrg: testOrg, MetaScopes: "invoices:read invoices:write",
		MetaIssuer: testIssuer}}
}

func TestCheckAdmitsAValidToken(t *testing.T) {
	e := newEnv(t, nil)
	tok := token(t, e.signing, e.claims())
	// A client's own identity headers never reach the upstream: the
	// answer overwrites them.
	headers := bearer(tok)
	headers[HeaderAgentID] = "agt_someone_else"
	headers[HeaderAgentOrg] = "org_other"

	for _, pass := range []string{"first seen", "cached"} {
		t.Run(pass, func(t *testing.T) {
			got := answerOf(e.check(t, request(headers, map[string]string{
				ExtMode: "required", ExtScopes: "invoices:read", ExtAudience: testIssuer,
				ExtOrgs: "org_x," + testOrg})))
			require.Equal(t, allowed(), got)
			e.srv.cache.wait()
		})
	}
}

func TestCheckRefusesBadTokens(t *testing.T) {
	other := newKey(t, jose.ES256, "k1") // same kid, another key
	tests := []struct {
		name  string
		token func(t *testing.T, e *env) string
		ext   map[string]string
		want  answer
	}{
		{"an expired token is invalid", func(t *testing.T, e *env) string {
			c := e.claims()
			c["exp"] = e.clock.Now().Add(-time.Minute).Unix()
			return token(t, e.signing, c)
		}, nil, invalid(ReasonExpired)},
		{"a token within the leeway of its exp is still valid", func(t *testing.T, e *env) string {
			c := e.claims()
			c["exp"] = e.clock.Now().Add(-10 * time.Second).Unix()
			return token(t, e.signing, c)
		}, nil, allowed()},
		{"a token not yet valid is invalid", func(t *testing.T, e *env) string {
			c := e.claims()
			c["nbf"] = e.clock.Now().Add(5 * time.Minute).Unix()
			return token(t, e.signing, c)
		}, nil, invalid(ReasonNotYet)},
		{"a token for another audience is invalid", func(t *testing.T, e *env) string {
			c := e.claims()
			c["aud"] = []string{"https://other.example"}
			return token(t, e.signing, c)
		}, map[string]string{ExtAudience: "https://api.internal"}, invalid(ReasonAudience)},
		{"a token of an unknown issuer is invalid", func(t *testing.T, e *env) string {
			c := e.claims()
			c["iss"] = "https://evil.example"
			return token(t, e.signing, c)
		}, nil, invalid(ReasonIssuer)},
		{"alg none is refused", func(t *testing.T, e *env) string {
			return rawToken(t, map[string]any{"alg": "none", "typ": "at+jwt", "kid": "k1"},
				e.claims(), nil)
		}, nil, invalid(ReasonAlg)},
		{"HS256 keyed with the issuer's public key is refused", func(t *testing.T, e *env) string {
			der, err := x509.MarshalPKIXPublicKey(e.signing.priv.Public())
			require.NoError(t, err)
			unsigned := rawToken(t, map[string]any{"alg": "HS256", "typ": "at+jwt", "kid": "k1"},
				e.claims(), nil)
			unsigned = strings.TrimSuffix(unsigned, ".")
			mac := hmac.New(sha256.New, der)
			mac.Write([]byte(unsigned))
			return unsigned + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
		}, nil, invalid(ReasonAlg)},
		{"a token claiming another algorithm than its key's is refused",
			func(t *testing.T, e *env) string {
				k := newKey(t, jose.ES384, "k1")
				return token(t, k, e.claims())
			}, nil, invalid(ReasonSignature)},
		{"an unknown kid is invalid", func(t *testing.T, e *env) string {
			return token(t, newKey(t, jose.ES256, "k-unknown"), e.claims())
		}, nil, invalid(ReasonKey)},
		{"a token signed by another key with a known kid is invalid",
			func(t *testing.T, e *env) string { return token(t, other, e.claims()) },
			nil, invalid(ReasonSignature)},
		{"a tampered payload is invalid", func(t *testing.T, e *env) string {
			parts := strings.Split(token(t, e.signing, e.claims()), ".")
			c := e.claims()
			c["scope"] = "invoices:admin"
			forged := strings.Split(rawToken(t, map[string]any{}, c, nil), ".")
			return parts[0] + "." + forged[1] + "." + parts[2]
		}, nil, invalid(ReasonSignature)},
		{"a tampered signature is invalid", func(t *testing.T, e *env) string {
			tok := []byte(token(t, e.signing, e.claims()))
			i := len(tok) - 10
			tok[i] = map[bool]byte{true: 'B', false: 'A'}[tok[i] == 'A']
			return string(tok)
		}, nil, invalid(ReasonSignature)},
		{"an ID token is not an access token", func(t *testing.T, e *env) string {
			return signWith(t, e.signing, e.claims(), "JWT")
		}, nil, invalid(ReasonType)},
		{"a local token without org_id is invalid", func(t *testing.T, e *env) string {
			c := e.claims()
			delete(c, "org_id")
			return token(t, e.signing, c)
		}, nil, invalid(ReasonClaims)},
		{"a claim that would break a header is refused", func(t *testing.T, e *env) string {
			c := e.claims()
			c["sub"] = "agt_x\r\nx-agent-org: org_admin"
			return token(t, e.signing, c)
		}, nil, invalid(ReasonClaims)},
		{"a crit header is refused", func(t *testing.T, e *env) string {
			return rawToken(t, map[string]any{"alg": "ES256", "typ": "at+jwt", "kid": "k1",
				"crit": []string{"exp"}}, e.claims(), make([]byte, 64))
		}, nil, invalid(ReasonMalformed)},
		{"garbage is malformed", func(*testing.T, *env) string { return "not.a.jwt" },
			nil, invalid(ReasonMalformed)},
		{"a token with four parts is malformed", func(t *testing.T, e *env) string {
			return token(t, e.signing, e.claims()) + ".AA"
		}, nil, invalid(ReasonMalformed)},
		{"a token of 1 MiB is refused before it is decoded", func(*testing.T, *env) string {
			return strings.Repeat("A", 1<<20)
		}, nil, invalid(ReasonTooLarge)},
		{"a token lacking a required scope is forbidden", func(t *testing.T, e *env) string {
			return token(t, e.signing, e.claims())
		}, map[string]string{ExtScopes: "invoices:read payments:write"},
			denied(7, 403, `Bearer error="insufficient_scope", scope="invoices:read payments:write"`,
				`{"error":"insufficient_scope","reason":"insufficient_scope",`+
					`"scope":"invoices:read payments:write"}`, ReasonScope)},
		{"a token of an organisation the route does not admit is forbidden",
			func(t *testing.T, e *env) string { return token(t, e.signing, e.claims()) },
			map[string]string{ExtOrgs: "org_a,org_b"},
			denied(7, 403, `Bearer error="insufficient_scope"`,
				`{"error":"insufficient_scope","reason":"org_not_allowed"}`, ReasonOrg)},
		{"a partner's token is refused on a route that does not name the partner",
			func(t *testing.T, e *env) string {
				k := newKey(t, jose.EdDSA, "p1")
				e.publish(t, testPartner, k)
				c := e.claims()
				c["iss"] = testPartner
				return token(t, k, c)
			}, nil, denied(7, 403, `Bearer error="insufficient_scope"`,
				`{"error":"insufficient_scope","reason":"partner_not_allowed"}`, ReasonPartner)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			tok := tc.token(t, e)
			// The same answer on the first and on a replayed request.
			for range 2 {
				got := answerOf(e.check(t, request(bearer(tok), tc.ext)))
				require.Equal(t, tc.want, got)
				e.srv.cache.wait()
			}
		})
	}
}

func TestCheckRefusesBadRequests(t *testing.T) {
	tests := []struct {
		name    string
		headers map[string]string
		ext     map[string]string
		want    answer
	}{
		{"a request without a token gets a bare challenge", nil, nil,
			denied(16, 401, "Bearer", `{"reason":"no_token"}`, ReasonNoToken)},
		{"basic credentials are no bearer token",
			map[string]string{"authorization": "Basic YWdlbnQ6c2VjcmV0"}, nil,
			invalid(ReasonMalformed)},
		{"a bearer scheme without a token is malformed",
			map[string]string{"authorization": "Bearer "}, nil, invalid(ReasonMalformed)},
		{"two spaces are malformed",
			map[string]string{"authorization": "Bearer  abc.def.ghi"}, nil,
			invalid(ReasonMalformed)},
		{"an unknown mode is the route's fault, refused", bearer("x.y.z"),
			map[string]string{ExtMode: "sometimes"}, denied(13, 500, "",
				`{"error":"server_error","reason":"invalid_route_policy"}`, ReasonRoutePolicy)},
		{"a route scope with a quote is the route's fault", bearer("x.y.z"),
			map[string]string{ExtScopes: `a" b`}, denied(13, 500, "",
				`{"error":"server_error","reason":"invalid_route_policy"}`, ReasonRoutePolicy)},
		{"an optional route admits a request without a token, anonymously",
			map[string]string{HeaderAgentID: "agt_forged"}, map[string]string{ExtMode: "optional"},
			answer{Headers: map[string]string{}, Removed: identityHeaders,
				Meta: map[string]string{MetaDecision: "allow", MetaReason: ReasonAnonymous}}},
		{"an optional route refuses a bad token", bearer("x.y.z"),
			map[string]string{ExtMode: "optional"}, invalid(ReasonMalformed)},
		{"a public route reads no token and passes no identity",
			map[string]string{"authorization": "Bearer garbage", HeaderAgentOrg: "org_forged"},
			map[string]string{ExtMode: "public"},
			answer{Headers: map[string]string{}, Removed: identityHeaders,
				Meta: map[string]string{MetaDecision: "allow", MetaReason: ReasonPublic}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil)
			require.Equal(t, tc.want, answerOf(e.check(t, request(tc.headers, tc.ext))))
		})
	}
}

func TestCheckEnforcesRevocationsAtOnce(t *testing.T) {
	tests := []struct {
		name   string
		denial func(e *env, jti string) Denial
		reason string
	}{
		{"a revoked token", func(_ *env, jti string) Denial {
			return Denial{Issuer: testIssuer, Kind: DenyToken, ID: jti, Denied: true}
		}, ReasonRevoked},
		{"a token of a suspended agent", func(*env, string) Denial {
			return Denial{Issuer: testIssuer, Kind: DenyAgent, ID: testAgent, Denied: true}
		}, ReasonAgentSuspended},
		{"a token of a revoked agent", func(*env, string) Denial {
			return Denial{Issuer: testIssuer, Kind: DenyAgent, ID: testAgent, Denied: true,
				Reason: ReasonAgentRevoked}
		}, ReasonAgentRevoked},
		{"a token of a suspended organisation", func(*env, string) Denial {
			return Denial{Issuer: testIssuer, Kind: DenyOrg, ID: testOrg, Denied: true}
		}, ReasonOrgInactive},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused even when its decision is cached", func(t *testing.T) {
			e := newEnv(t, nil)
			c := e.claims()
			tok := token(t, e.signing, c)
			require.Equal(t, allowed(), answerOf(e.check(t, request(bearer(tok), nil))))
			e.srv.cache.wait()

			d := tc.denial(e, c["jti"].(string))
			e.deny.Apply(d)
			require.Equal(t, invalid(tc.reason), answerOf(e.check(t, request(bearer(tok), nil))))

			// Lifting it (a reactivation) admits the token again.
			d.Denied = false
			e.deny.Apply(d)
			require.Equal(t, allowed(), answerOf(e.check(t, request(bearer(tok), nil))))
		})
	}
}

func TestCheckRefusesTokensOfARemovedKey(t *testing.T) {
	e := newEnv(t, nil)
	tok := token(t, e.signing, e.claims())
	require.Equal(t, allowed(), answerOf(e.check(t, request(bearer(tok), nil))))
	e.srv.cache.wait()

	e.publish(t, testIssuer, newKey(t, jose.ES256, "k2"))
	require.Equal(t, invalid(ReasonKey), answerOf(e.check(t, request(bearer(tok), nil))))
}

func TestCheckExpiresCachedDecisions(t *testing.T) {
	e := newEnv(t, nil)
	tok := token(t, e.signing, e.claims())
	require.Equal(t, allowed(), answerOf(e.check(t, request(bearer(tok), nil))))
	e.srv.cache.wait()

	e.clock.Advance(10*time.Minute + DefaultLeeway)
	require.Equal(t, invalid(ReasonExpired), answerOf(e.check(t, request(bearer(tok), nil))))
}

func TestCheckWaitsForTheRevocationState(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Denylist = NewDenylist() })
	tok := token(t, e.signing, e.claims())
	want := denied(14, 503, "", `{"error":"temporarily_unavailable","reason":"unavailable"}`,
		ReasonUnavailable)
	want.Headers["retry-after"] = "1"
	require.Equal(t, want, answerOf(e.check(t, request(bearer(tok), nil))))
	require.False(t, e.srv.Ready())
}

func TestCheckAdmitsAListedPartner(t *testing.T) {
	e := newEnv(t, nil)
	k := newKey(t, jose.RS256, "p1")
	e.publish(t, testPartner, k)
	c := e.claims()
	c["iss"] = testPartner
	delete(c, "org_id") // a partner's token need not carry ours
	got := answerOf(e.check(t, request(bearer(token(t, k, c)),
		map[string]string{ExtPartners: "other, partner-net"})))
	require.Equal(t, int32(0), got.Code)
	require.Equal(t, testPartner, got.Headers[HeaderAgentIssuer])
	require.Contains(t, got.Removed, HeaderAgentOrg, "no org to pass: a client's copy is removed")
}

func TestCheckRemovesTheTokenWhenConfigured(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RemoveAuthorization = true })
	got := answerOf(e.check(t, request(bearer(token(t, e.signing, e.claims())), nil)))
	require.Equal(t, []string{"authorization"}, got.Removed)
}

func TestCheckTakesTheTokenFromTheConfiguredHeader(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.Header = "X-Agent-Token" })
	tok := token(t, e.signing, e.claims())
	got := answerOf(e.check(t, request(map[string]string{"x-agent-token": "Bearer " + tok}, nil)))
	require.Equal(t, allowed(), got)
	got = answerOf(e.check(t, request(bearer(tok), nil)))
	require.Equal(t, ReasonNoToken, got.Meta[MetaReason])
}

func TestCheckAnswersWhenTheContextEnded(t *testing.T) {
	e := newEnv(t, nil)
	e.keys.Add(testIssuer, blockingSource{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	resp, err := e.srv.Check(ctx, request(bearer(token(t, e.signing, e.claims())), nil))
	require.NoError(t, err, "a deadline is a denial, not a transport error")
	require.Equal(t, 503, answerOf(resp).HTTP)
}
