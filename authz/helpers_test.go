package authz

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"sync"
	"testing"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/authz/keyset"
	"github.com/agentidp/agentidp/internal/testclock"
)

const (
	testIssuer  = "https://idp.example.com"
	testPartner = "https://partner.example.net"
	testOrg     = "org_01acme"
	testAgent   = "agt_01billing"
)

// clock is the settable test clock.
type clock = testclock.Clock

// signingKey is a private key with its kid and algorithm.
type signingKey struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

func newKey(t testing.TB, alg jose.SignatureAlgorithm, kid string) signingKey {
	t.Helper()
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case jose.ES384:
		priv, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case jose.EdDSA:
		_, priv, err = ed25519.GenerateKey(rand.Reader)
	case jose.RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		t.Fatalf("no test key for %s", alg)
	}
	require.NoError(t, err)
	return signingKey{kid: kid, alg: alg, priv: priv}
}

// jwks publishes keys as a JWKS document.
func jwks(t testing.TB, keys ...signingKey) []byte {
	t.Helper()
	set := jose.JSONWebKeySet{}
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid,
			Algorithm: string(k.alg), Use: "sig"})
	}
	b, err := json.Marshal(set)
	require.NoError(t, err)
	return b
}

// env is a Server over a real key set whose issuers publish in-process
// JWKS documents the test can change.
type env struct {
	srv   *Server
	keys  *keyset.Cache
	deny  *Denylist
	clock *clock

	mu      sync.Mutex
	signing signingKey
	docs    map[string][]byte
}

func newEnv(t testing.TB, edit func(*Config)) *env {
	t.Helper()
	e := &env{clock: testclock.New(time.Unix(1_800_000_000, 0)), deny: NewDenylist(),
		docs: map[string][]byte{}}
	e.signing = newKey(t, jose.ES256, "k1")
	e.docs[testIssuer] = jwks(t, e.signing)

	var err error
	e.keys, err = keyset.New(keyset.Config{Now: e.clock.Now})
	require.NoError(t, err)
	t.Cleanup(e.keys.Close)
	for _, iss := range []string{testIssuer, testPartner} {
		e.keys.Add(iss, keyset.FuncSource(func(context.Context) ([]byte, error) {
			e.mu.Lock()
			defer e.mu.Unlock()
			return e.docs[iss], nil
		}))
	}
	e.deny.Replace(nil)

	cfg := Config{Keys: e.keys, Denylist: e.deny, LocalIssuer: testIssuer, Now: e.clock.Now,
		Partner: func(iss string) (string, bool) { return "partner-net", iss == testPartner }}
	if edit != nil {
		edit(&cfg)
	}
	e.srv, err = New(cfg)
	require.NoError(t, err)
	t.Cleanup(e.srv.Close)
	return e
}

// publish replaces an issuer's JWKS and makes the key set read it.
func (e *env) publish(t testing.TB, iss string, keys ...signingKey) {
	t.Helper()
	e.mu.Lock()
	e.docs[iss] = jwks(t, keys...)
	e.mu.Unlock()
	require.NoError(t, e.keys.Refresh(context.Background(), iss))
}

// claims are the claims of a valid local token, issued now for ten
// minutes.
func (e *env) claims() map[string]any {
	now := e.clock.Now().Unix()
	return map[string]any{"iss": testIssuer, "sub": testAgent, "aud": testIssuer,
		"exp": now + 600, "iat": now, "nbf": now, "jti": "jti-" + randomID(),
		"client_id": testAgent, "scope": "invoices:read invoices:write", "org_id": testOrg,
		"agent_did": "did:web:idp.example.com:agents:" + testAgent}
}

// token signs claims with k as an access token.
func token(t testing.TB, k signingKey, claims map[string]any) string {
	t.Helper()
	return signWith(t, k, claims, "at+jwt")
}

func signWith(t testing.TB, k signingKey, claims map[string]any, typ string) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", k.kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.priv}, opts)
	require.NoError(t, err)
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	obj, err := signer.Sign(payload)
	require.NoError(t, err)
	s, err := obj.CompactSerialize()
	require.NoError(t, err)
	return s
}

// rawToken assembles a compact JWS from a header, claims and signature
// of the test's choosing.
func rawToken(t testing.TB, header, claims map[string]any, sig []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	require.NoError(t, err)
	c, err := json.Marshal(claims)
	require.NoError(t, err)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + "." + enc.EncodeToString(sig)
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// request is a CheckRequest as Envoy sends it, with these headers and
// context extensions.
func request(headers, ext map[string]string) *authv3.CheckRequest {
	h := map[string]string{":method": "GET", ":path": "/invoices/42",
		":authority": "api.internal", "x-request-id": "req-1"}
	for k, v := range headers {
		h[k] = v
	}
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
			Method: "GET", Path: "/invoices/42", Host: "api.internal", Scheme: "https",
			Headers: h,
		}},
		ContextExtensions: ext,
	}}
}

func bearer(tok string) map[string]string {
	return map[string]string{"authorization": "Bearer " + tok}
}

// check runs one Check, which must not fail and must answer what
// Envoy's own validation rules for the message accept.
func (e *env) check(t testing.TB, req *authv3.CheckRequest) *authv3.CheckResponse {
	t.Helper()
	require.NoError(t, req.ValidateAll(), "the test sends what Envoy could send")
	resp, err := e.srv.Check(context.Background(), req)
	require.NoError(t, err)
	require.NoError(t, resp.ValidateAll(), "Envoy's validation rules accept the answer")
	return resp
}

// answer is the part of a CheckResponse a test compares.
type answer struct {
	Code    int32             // the CheckResponse status code
	HTTP    int               // the denied response's HTTP status; 0 on allow
	Headers map[string]string // headers set, with their values
	Removed []string          // headers removed (allow)
	Body    string            // the denied response's body
	Meta    map[string]string // dynamic metadata
}

func answerOf(resp *authv3.CheckResponse) answer {
	a := answer{Code: resp.GetStatus().GetCode(), Headers: map[string]string{},
		Meta: map[string]string{}}
	set := func(opts []*corev3.HeaderValueOption) {
		for _, o := range opts {
			a.Headers[o.GetHeader().GetKey()] = o.GetHeader().GetValue()
		}
	}
	if ok := resp.GetOkResponse(); ok != nil {
		set(ok.GetHeaders())
		a.Removed = ok.GetHeadersToRemove()
	}
	if d := resp.GetDeniedResponse(); d != nil {
		a.HTTP = int(d.GetStatus().GetCode())
		set(d.GetHeaders())
		a.Body = d.GetBody()
	}
	for k, v := range resp.GetDynamicMetadata().GetFields() {
		a.Meta[k] = v.GetStringValue()
	}
	return a
}

// denied is the answer of a refusal for reason with this challenge.
func denied(code int32, httpStatus int, challenge, body, reason string) answer {
	h := map[string]string{"content-type": "application/json", "cache-control": "no-store"}
	if challenge != "" {
		h["www-authenticate"] = challenge
	}
	return answer{Code: code, HTTP: httpStatus, Headers: h, Body: body,
		Meta: map[string]string{MetaDecision: "deny", MetaReason: reason}}
}

// invalid is the answer refusing an invalid token for reason.
func invalid(reason string) answer {
	return denied(16, 401, `Bearer error="invalid_token"`,
		`{"error":"invalid_token","reason":"`+reason+`"}`, reason)
}

// blockingSource is a JWKS endpoint that never answers.
type blockingSource struct{}

func (blockingSource) Fetch(ctx context.Context) (keyset.Document, error) {
	<-ctx.Done()
	return keyset.Document{}, ctx.Err()
}

// wait blocks until every write so far is visible; for tests.
func (c *decisions) wait() {
	c.ok.Wait()
	c.bad.Wait()
	c.ids.Wait()
}

// clear empties every cache.
func (c *decisions) clear() {
	c.ok.Clear()
	c.bad.Clear()
	c.ids.Clear()
}
