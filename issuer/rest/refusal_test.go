package rest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store"
)

// refusal is a request that must be refused without changing anything.
type refusal struct {
	name         string
	method, path string
	// key names a fixture key: owner, admin, viewer, expired, revoked,
	// forged, ownerB, ownerS, ownerD, super (the super-admin key), or "".
	key    string
	body   any
	header []string
	status int
	slug   string
	// field, when set, is the field the first entry of errors must name.
	field string
	// denied, when set, is the action of the "denied" audit record the
	// refusal must add to the caller's organisation.
	denied string
}

// keys maps the key names of refusal cases to fixture keys and their
// organisations.
func (f *fixture) keys() map[string][2]string {
	return map[string][2]string{
		"owner": {f.owner, f.orgA}, "admin": {f.admin, f.orgA}, "viewer": {f.viewer, f.orgA},
		"expired": {f.expired, f.orgA}, "revoked": {f.revoked, f.orgA},
		"forged": {f.forged, f.orgA}, "ownerB": {f.ownerB, f.orgB},
		"ownerS": {f.ownerS, f.orgS}, "ownerD": {f.ownerD, f.orgD},
		"super": {f.adminKey, ""}, "": {"", ""},
	}
}

// expand fills the placeholders of a case path or raw body.
func (f *fixture) expand(s string) string {
	return strings.NewReplacer("{agent}", f.agent, "{revokedAgent}", f.revokedAgent,
		"{secret}", f.secretID, "{revokedSecret}", f.revokedSecret, "{kid}", f.kid,
		"{jwk}", f.jwk, "{orgA}", f.orgA, "{orgB}", f.orgB, "{orgD}", f.orgD,
		"{operator}", f.operator, "{ownerKeyID}", keyID(f.owner),
		"{revokedKeyID}", keyID(f.revoked), "{signingKid}", f.signingKid).Replace(s)
}

func TestRefusalsChangeNothing(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			f := newFixture(t, b)
			for _, tc := range refusals() {
				t.Run(tc.name, func(t *testing.T) {
					checkRefusal(t, f, tc)
				})
			}
		})
	}
}

// checkRefusal sends one refused request and checks the answer and that
// the store is unchanged but for the audit record of a denial.
func checkRefusal(t *testing.T, f *fixture, tc refusal) {
	k := f.keys()[tc.key]
	before, auditBefore := state(t, f.st), audit(t, f.st, k[1])

	body := tc.body
	if raw, ok := body.(string); ok {
		body = f.expand(raw)
	}
	r := f.do(tc.method, f.expand(tc.path), k[0], body, tc.header...)
	require.Equal(t, tc.status, r.status, "body: %s", r.body)
	require.Equal(t, tc.slug, r.problemType(t))
	if tc.field != "" {
		var p problem
		r.json(t, &p)
		require.NotEmpty(t, p.Errors)
		require.Equal(t, tc.field, p.Errors[0].Field)
	}

	require.Equal(t, before, state(t, f.st), "the store changed")
	after := audit(t, f.st, k[1])
	if tc.denied == "" {
		require.Equal(t, auditBefore, after, "the audit trail changed")
		return
	}
	require.Len(t, after, len(auditBefore)+1)
	require.Equal(t, tc.denied, after[0].Action)
	require.Equal(t, store.OutcomeDenied, after[0].Outcome)
	require.Equal(t, "apikey:"+keyID(k[0]), after[0].Actor)
}

// long returns a string of n letters.
func long(n int) string {
	return strings.Repeat("a", n)
}

// refusals lists the refused requests, grouped by what they test.
func refusals() []refusal {
	var out []refusal
	out = append(out, jsonRefusals()...)
	out = append(out, validationRefusals()...)
	out = append(out, authRefusals()...)
	out = append(out, stateRefusals()...)
	out = append(out, credentialRefusals()...)
	out = append(out, signingKeyRefusals()...)
	return out
}

func jsonRefusals() []refusal {
	return []refusal{
		{name: "malformed JSON is refused", method: "POST", path: "/v1/agents", key: "owner",
			body: `{"name":`, status: 400, slug: "malformed-json"},
		{name: "a body that is not an object is refused", method: "POST", path: "/v1/agents",
			key: "owner", body: `["x"]`, status: 400, slug: "malformed-json"},
		{name: "two JSON values are refused", method: "POST", path: "/v1/agents", key: "owner",
			body: `{"name":"a"}{"name":"b"}`, status: 400, slug: "malformed-json"},
		{name: "trailing garbage is refused", method: "POST", path: "/v1/agents", key: "owner",
			body: `{"name":"a"} x`, status: 400, slug: "malformed-json"},
		{name: "a member given twice is refused", method: "POST", path: "/v1/agents",
			key: "owner", body: `{"name":"a","name":"b"}`, status: 400, slug: "malformed-json"},
		{name: "an empty body is refused where one is required", method: "POST",
			path: "/v1/agents", key: "owner", body: "", status: 400, slug: "malformed-json"},
		{name: "an oversized body is refused", method: "POST", path: "/v1/agents", key: "owner",
			body: `{"name":"` + long(DefaultMaxBodyBytes) + `"}`, status: 413,
			slug: "payload-too-large"},
		{name: "a string where a number belongs is refused and named", method: "POST",
			path: "/v1/agents/{agent}/secrets", key: "owner",
			body: `{"expires_in_seconds":"3600"}`, status: 400, slug: "invalid-request",
			field: "expires_in_seconds"},
		{name: "a fraction where an integer belongs is refused", method: "POST",
			path: "/v1/agents/{agent}/secrets", key: "owner",
			body: `{"expires_in_seconds":3600.5}`, status: 400, slug: "invalid-request",
			field: "expires_in_seconds"},
		{name: "a number where a string belongs is refused and named", method: "POST",
			path: "/v1/agents", key: "owner", body: `{"name":5}`, status: 400,
			slug: "invalid-request", field: "name"},
		{name: "a string where a list belongs is refused and named", method: "POST",
			path: "/v1/agents", key: "owner", body: `{"name":"a","scopes":"read"}`,
			status: 400, slug: "invalid-request", field: "scopes"},
		{name: "an unknown field is refused and named", method: "POST", path: "/v1/agents",
			key: "owner", body: `{"name":"a","title":"b"}`, status: 400, slug: "unknown-field",
			field: "title"},
		{name: "field names are case-sensitive", method: "POST", path: "/v1/agents",
			key: "owner", body: `{"NAME":"a"}`, status: 400, slug: "unknown-field",
			field: "NAME"},
		{name: "the organization cannot be chosen in the body", method: "POST",
			path: "/v1/agents", key: "owner", body: `{"name":"a","org_id":"{orgB}"}`,
			status: 400, slug: "unknown-field", field: "org_id"},
		{name: "a body that is not JSON is refused", method: "POST", path: "/v1/agents",
			key: "owner", body: `name=a`, header: []string{"Content-Type", "text/plain"},
			status: 415, slug: "unsupported-media-type"},
		{name: "a body without a media type is refused", method: "POST",
			path: "/v1/agents/{agent}/secrets", key: "owner", body: `{}`,
			header: []string{"Content-Type", ""}, status: 415, slug: "unsupported-media-type"},
	}
}

func validationRefusals() []refusal {
	agent := func(name string, body any, field string) refusal {
		return refusal{name: name, method: "POST", path: "/v1/agents", key: "owner",
			body: body, status: 400, slug: "invalid-request", field: field}
	}
	manyMeta := map[string]string{}
	for i := range 33 {
		manyMeta[fmt.Sprintf("k%02d", i)] = "v"
	}
	manyScopes := make([]string, 101)
	for i := range manyScopes {
		manyScopes[i] = fmt.Sprintf("s%d", i)
	}
	query := func(name, path string, field string) refusal {
		return refusal{name: name, method: "GET", path: path, key: "viewer", status: 400,
			slug: "invalid-request", field: field}
	}
	return []refusal{
		agent("a missing name is refused", map[string]any{}, "name"),
		agent("an empty name is refused", map[string]any{"name": ""}, "name"),
		agent("a name of 201 characters is refused", map[string]any{"name": long(201)}, "name"),
		agent("a name with a control character is refused",
			map[string]any{"name": "a\x00b"}, "name"),
		agent("a description of 2001 characters is refused",
			map[string]any{"name": "a", "description": long(2001)}, "description"),
		agent("33 metadata entries are refused",
			map[string]any{"name": "a", "metadata": manyMeta}, "metadata"),
		agent("a metadata key of 65 characters is refused",
			map[string]any{"name": "a", "metadata": map[string]string{long(65): "v"}},
			"metadata"),
		agent("a metadata value of 513 characters is refused",
			map[string]any{"name": "a", "metadata": map[string]string{"k": long(513)}},
			"metadata.k"),
		agent("101 scopes are refused", map[string]any{"name": "a", "scopes": manyScopes},
			"scopes"),
		agent("a scope with a space is refused",
			map[string]any{"name": "a", "scopes": []string{"a b"}}, "scopes[0]"),
		agent("a scope with a quote is refused",
			map[string]any{"name": "a", "scopes": []string{`a"b`}}, "scopes[0]"),
		agent("a scope of 129 characters is refused",
			map[string]any{"name": "a", "scopes": []string{long(129)}}, "scopes[0]"),
		agent("duplicate scopes are refused",
			map[string]any{"name": "a", "scopes": []string{"x", "y", "x"}}, "scopes[2]"),
		agent("a token lifetime under a minute is refused",
			map[string]any{"name": "a", "token_ttl_seconds": 59}, "token_ttl_seconds"),
		agent("a negative token lifetime is refused",
			map[string]any{"name": "a", "token_ttl_seconds": -60}, "token_ttl_seconds"),
		agent("a token lifetime over the deployment's ceiling is refused",
			map[string]any{"name": "a", "token_ttl_seconds": 3601}, "token_ttl_seconds"),
		{name: "a token lifetime as a string is refused and named", method: "POST",
			path: "/v1/agents", key: "owner", body: `{"name":"a","token_ttl_seconds":"60"}`,
			status: 400, slug: "invalid-request", field: "token_ttl_seconds"},
		{name: "an agent patch over the ceiling is refused", method: "PATCH",
			path: "/v1/agents/{agent}", key: "owner",
			body: map[string]any{"token_ttl_seconds": 86400}, status: 400,
			slug: "invalid-request", field: "token_ttl_seconds"},
		{name: "an organization's token lifetime over the ceiling is refused", method: "POST",
			path: "/v1/orgs", key: "super", body: map[string]any{"name": "x",
				"token_ttl_seconds": 7200}, status: 400, slug: "invalid-request",
			field: "token_ttl_seconds"},
		{name: "an organization patch under a minute is refused", method: "PATCH",
			path: "/v1/orgs/{orgA}", key: "super", body: map[string]any{"token_ttl_seconds": 1},
			status: 400, slug: "invalid-request", field: "token_ttl_seconds"},
		{name: "an unknown role is refused", method: "POST", path: "/v1/api-keys",
			key: "owner", body: map[string]any{"role": "root"}, status: 400,
			slug: "invalid-request", field: "role"},
		{name: "an operator without email or subject is refused", method: "POST",
			path: "/v1/operators", key: "owner", body: map[string]any{"name": "x",
				"role": "viewer"}, status: 400, slug: "invalid-request", field: "email"},
		{name: "a malformed email is refused", method: "POST", path: "/v1/operators",
			key: "owner", body: map[string]any{"name": "x", "email": "Ada <ada@x>",
				"role": "viewer"}, status: 400, slug: "invalid-request", field: "email"},
		{name: "a key bound to an absent operator is refused", method: "POST",
			path: "/v1/api-keys", key: "owner", body: map[string]any{"role": "viewer",
				"operator_id": "op_00000000000000000000000000"}, status: 400,
			slug: "invalid-request", field: "operator_id"},
		{name: "a key may not outrank its operator", method: "POST", path: "/v1/api-keys",
			key: "owner", body: `{"role": "owner", "operator_id": "{operator}"}`,
			status: 400, slug: "invalid-request", field: "role"},
		query("a zero limit is refused", "/v1/agents?limit=0", "limit"),
		query("a limit of 201 is refused", "/v1/agents?limit=201", "limit"),
		query("a limit that is not a number is refused", "/v1/agents?limit=ten", "limit"),
		query("a forged cursor is refused", "/v1/agents?cursor=zzz", "cursor"),
		query("an unknown status filter is refused", "/v1/agents?status=gone", "status"),
		query("a since that is not RFC 3339 is refused", "/v1/audit?since=yesterday", "since"),
		query("an until before since is refused",
			"/v1/audit?since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z", "until"),
		query("an audit cursor that is not a sequence is refused", "/v1/audit?cursor=x",
			"cursor"),
	}
}

func authRefusals() []refusal {
	return []refusal{
		{name: "a request without a key is refused", method: "GET", path: "/v1/agents",
			status: 401, slug: "unauthorized"},
		{name: "a malformed key is refused", method: "GET", path: "/v1/agents",
			header: []string{"Authorization", "Bearer not-a-key"}, status: 401,
			slug: "unauthorized"},
		{name: "a non-bearer scheme is refused", method: "GET", path: "/v1/agents",
			header: []string{"Authorization", "Basic dXNlcjpwYXNz"}, status: 401,
			slug: "unauthorized"},
		{name: "a key with a wrong secret is refused", method: "GET", path: "/v1/agents",
			key: "forged", status: 401, slug: "unauthorized"},
		{name: "an expired key is refused", method: "GET", path: "/v1/agents", key: "expired",
			status: 401, slug: "unauthorized"},
		{name: "a revoked key is refused", method: "GET", path: "/v1/agents", key: "revoked",
			status: 401, slug: "unauthorized"},
		{name: "a key of a deleted organization is refused", method: "GET", path: "/v1/org",
			key: "ownerD", status: 401, slug: "unauthorized"},
		{name: "a viewer may not register an agent", method: "POST", path: "/v1/agents",
			key: "viewer", body: map[string]any{"name": "a"}, status: 403, slug: "forbidden",
			denied: "agent.create"},
		{name: "a viewer is refused before its body is read", method: "POST",
			path: "/v1/agents", key: "viewer", body: `{"name":`, status: 403,
			slug: "forbidden", denied: "agent.create"},
		{name: "a viewer may not revoke an agent", method: "POST",
			path: "/v1/agents/{agent}/revoke", key: "viewer", status: 403, slug: "forbidden",
			denied: "agent.revoke"},
		{name: "a viewer may not create a secret", method: "POST",
			path: "/v1/agents/{agent}/secrets", key: "viewer", status: 403, slug: "forbidden",
			denied: "secret.create"},
		{name: "a viewer may not create an API key", method: "POST", path: "/v1/api-keys",
			key: "viewer", body: map[string]any{"role": "viewer"}, status: 403,
			slug: "forbidden", denied: "apikey.create"},
		{name: "an admin may not create an owner key", method: "POST", path: "/v1/api-keys",
			key: "admin", body: map[string]any{"role": "owner"}, status: 403,
			slug: "forbidden", denied: "apikey.create"},
		{name: "an admin may not add an owner operator", method: "POST",
			path: "/v1/operators", key: "admin", body: map[string]any{"name": "x",
				"email": "x@example.com", "role": "owner"}, status: 403, slug: "forbidden",
			denied: "operator.create"},
		{name: "an admin may not revoke an owner key", method: "POST",
			path: "/v1/api-keys/{ownerKeyID}/revoke", key: "admin", status: 403,
			slug: "forbidden", denied: "apikey.revoke"},
		{name: "an organization key may not create organizations", method: "POST",
			path: "/v1/orgs", key: "owner", body: map[string]any{"name": "x"}, status: 403,
			slug: "forbidden", denied: "org.create"},
		{name: "an organization key may not suspend its organization", method: "POST",
			path: "/v1/orgs/{orgA}/suspend", key: "owner", status: 403, slug: "forbidden",
			denied: "org.suspend"},
		{name: "a super-admin key may not register agents", method: "POST",
			path: "/v1/agents", key: "super", body: map[string]any{"name": "a"}, status: 403,
			slug: "forbidden"},
		{name: "a suspended organization may not write", method: "POST", path: "/v1/agents",
			key: "ownerS", body: map[string]any{"name": "a"}, status: 403,
			slug: "organization-suspended", denied: "agent.create"},
	}
}

func stateRefusals() []refusal {
	missing := "agt_00000000000000000000000000"
	return []refusal{
		{name: "a malformed agent id is not found", method: "GET", path: "/v1/agents/nope",
			key: "viewer", status: 404, slug: "not-found"},
		{name: "an id of the wrong kind is not found", method: "GET",
			path: "/v1/agents/{operator}", key: "viewer", status: 404, slug: "not-found"},
		{name: "an absent agent is not found", method: "GET", path: "/v1/agents/" + missing,
			key: "viewer", status: 404, slug: "not-found"},
		{name: "suspending an absent agent is not found", method: "POST",
			path: "/v1/agents/" + missing + "/suspend", key: "owner", status: 404,
			slug: "not-found"},
		{name: "a malformed secret id is not found", method: "POST",
			path: "/v1/agents/{agent}/secrets/sec_x/revoke", key: "owner", status: 404,
			slug: "not-found"},
		{name: "a malformed kid is not found", method: "POST",
			path: "/v1/agents/{agent}/keys/short/revoke", key: "owner", status: 404,
			slug: "not-found"},
		{name: "a malformed organization id is not found", method: "GET",
			path: "/v1/orgs/nope", key: "super", status: 404, slug: "not-found"},
		{name: "a deleted organization is not found", method: "GET", path: "/v1/orgs/{orgD}",
			key: "super", status: 404, slug: "not-found"},
		{name: "a deleted organization cannot be deleted again", method: "DELETE",
			path: "/v1/orgs/{orgD}", key: "super", status: 404, slug: "not-found"},
		{name: "an active organization cannot be reactivated", method: "POST",
			path: "/v1/orgs/{orgA}/reactivate", key: "super", status: 409,
			slug: "invalid-transition"},
		{name: "a revoked agent cannot be changed", method: "PATCH",
			path: "/v1/agents/{revokedAgent}", key: "owner", body: map[string]any{"name": "b"},
			status: 409, slug: "invalid-transition"},
		{name: "a revoked agent cannot be suspended", method: "POST",
			path: "/v1/agents/{revokedAgent}/suspend", key: "owner", status: 409,
			slug: "invalid-transition"},
		{name: "a revoked agent cannot be reactivated", method: "POST",
			path: "/v1/agents/{revokedAgent}/reactivate", key: "owner", status: 409,
			slug: "invalid-transition"},
		{name: "a revoked agent cannot be revoked again", method: "POST",
			path: "/v1/agents/{revokedAgent}/revoke", key: "owner", status: 409,
			slug: "invalid-transition"},
		{name: "an active agent cannot be reactivated", method: "POST",
			path: "/v1/agents/{agent}/reactivate", key: "owner", status: 409,
			slug: "invalid-transition"},
		{name: "a revoked key cannot be revoked again", method: "POST",
			path: "/v1/api-keys/{revokedKeyID}/revoke", key: "owner", status: 409,
			slug: "invalid-transition"},
		{name: "an unsupported method is refused", method: "DELETE", path: "/v1/agents",
			key: "owner", status: 405, slug: "method-not-allowed"},
		{name: "an unknown route is not found", method: "GET", path: "/v1/nothing",
			key: "owner", status: 404, slug: "not-found"},
	}
}

func credentialRefusals() []refusal {
	key := func(name string, jwk any, field string) refusal {
		return refusal{name: name, method: "POST", path: "/v1/agents/{agent}/keys",
			key: "owner", body: map[string]any{"jwk": jwk}, status: 400,
			slug: "invalid-request", field: field}
	}
	return []refusal{
		{name: "a revoked agent gets no new secret", method: "POST",
			path: "/v1/agents/{revokedAgent}/secrets", key: "owner", status: 409,
			slug: "invalid-transition"},
		{name: "a revoked agent gets no new key", method: "POST",
			path: "/v1/agents/{revokedAgent}/keys", key: "owner",
			body: map[string]any{"jwk": testJWKs()["ed25519"]}, status: 409,
			slug: "invalid-transition"},
		{name: "a secret lifetime over one year is refused", method: "POST",
			path: "/v1/agents/{agent}/secrets", key: "owner",
			body: map[string]any{"expires_in_seconds": 31536001}, status: 400,
			slug: "invalid-request", field: "expires_in_seconds"},
		{name: "a secret lifetime under a minute is refused", method: "POST",
			path: "/v1/agents/{agent}/secrets", key: "owner",
			body: map[string]any{"expires_in_seconds": 59}, status: 400,
			slug: "invalid-request", field: "expires_in_seconds"},
		{name: "a negative rotation overlap is refused", method: "POST",
			path: "/v1/agents/{agent}/secrets", key: "owner",
			body: map[string]any{"rotate_overlap_seconds": -1}, status: 400,
			slug: "invalid-request", field: "rotate_overlap_seconds"},
		{name: "a revoked secret cannot be revoked again", method: "POST",
			path: "/v1/agents/{revokedAgent}/secrets/{revokedSecret}/revoke", key: "owner",
			status: 409, slug: "invalid-transition"},
		{name: "a secret of another agent is not found", method: "POST",
			path: "/v1/agents/{revokedAgent}/secrets/{secret}/revoke", key: "owner",
			status: 404, slug: "not-found"},
		{name: "a key already registered conflicts", method: "POST",
			path: "/v1/agents/{agent}/keys", key: "owner",
			body: `{"jwk": {jwk}}`, status: 409, slug: "conflict"},
		key("a private key is refused", testJWKs()["ecPrivate"], "jwk.d"),
		key("a symmetric key is refused", map[string]any{"kty": "oct", "k": "AAAA"}, "jwk.k"),
		key("a key type other than EC, OKP or RSA is refused", map[string]any{"kty": "xyz"},
			"jwk.kty"),
		key("an RSA key of 1024 bits is refused", testJWKs()["rsa1024"], "jwk.n"),
		key("a P-521 key is refused", testJWKs()["p521"], "jwk.crv"),
		key("an X25519 key is refused", testJWKs()["x25519"], "jwk.crv"),
		key("an alg that does not fit the key is refused", testJWKs()["ecWrongAlg"], "jwk.alg"),
		key("an encryption key is refused", testJWKs()["ecEnc"], "jwk.use"),
		key("a point off the curve is refused", testJWKs()["ecOffCurve"], "jwk"),
		key("a JWK that is not an object is refused", "key", "jwk"),
		key("a missing JWK is refused", nil, "jwk"),
	}
}

func signingKeyRefusals() []refusal {
	return []refusal{
		{name: "a viewer may not list the signing keys", method: "GET",
			path: "/v1/signing-keys", key: "viewer", status: 403, slug: "forbidden",
			denied: "signingkey.list"},
		{name: "an owner key may not rotate the signing key", method: "POST",
			path: "/v1/signing-keys/rotate", key: "owner", body: map[string]any{"immediate": true},
			status: 403, slug: "forbidden", denied: "signingkey.rotate"},
		{name: "an organization key may not remove a signing key", method: "DELETE",
			path: "/v1/signing-keys/{signingKid}", key: "admin", status: 403, slug: "forbidden",
			denied: "signingkey.remove"},
		{name: "a suspended organization's key may not rotate", method: "POST",
			path: "/v1/signing-keys/rotate", key: "ownerS", status: 403, slug: "forbidden",
			denied: "signingkey.rotate"},
		{name: "rotating without a key is refused", method: "POST",
			path: "/v1/signing-keys/rotate", status: 401, slug: "unauthorized"},
		{name: "the active signing key cannot be removed", method: "DELETE",
			path: "/v1/signing-keys/{signingKid}", key: "super", status: 409,
			slug: "invalid-transition"},
		{name: "an unknown signing key is not found", method: "DELETE",
			path: "/v1/signing-keys/" + strings.Repeat("A", 43), key: "super", status: 404,
			slug: "not-found"},
		{name: "a malformed signing kid is not found", method: "DELETE",
			path: "/v1/signing-keys/short", key: "super", status: 404, slug: "not-found"},
		{name: "a rotation with an unknown field is refused", method: "POST",
			path: "/v1/signing-keys/rotate", key: "super", body: map[string]any{"now": true},
			status: 400, slug: "unknown-field", field: "now"},
		{name: "a rotation with immediate as a string is refused", method: "POST",
			path: "/v1/signing-keys/rotate", key: "super", body: `{"immediate":"yes"}`,
			status: 400, slug: "invalid-request", field: "immediate"},
		{name: "the rotate path takes no GET", method: "GET", path: "/v1/signing-keys/rotate",
			key: "super", status: 405, slug: "method-not-allowed"},
	}
}
