package oauth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/secret"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/testdb"
	"github.com/agentidp/agentidp/internal/testclock"
	"github.com/agentidp/agentidp/issuer"
	"github.com/agentidp/agentidp/issuer/oauth"
)

// forEachBackend runs test once per backend, each with a fresh environment.
func forEachBackend(t *testing.T, test func(t *testing.T, e *env)) {
	for _, b := range testdb.Backends {
		t.Run(b.Name, func(t *testing.T) {
			test(t, newEnv(t, b.Open(t), nil))
		})
	}
}

// clock is the settable test clock.
type clock = testclock.Clock

// syncRecorder writes each record in a transaction of its own: the
// simplest Recorder that is plainly correct. fail makes it refuse.
type syncRecorder struct {
	st   store.Store
	fail atomic.Bool
}

var errAuditDown = errors.New("audit store unavailable")

func (r *syncRecorder) Record(ctx context.Context, e store.AuditEntry, ev *store.Event) error {
	if r.fail.Load() {
		return errAuditDown
	}
	return r.st.WithTx(ctx, func(tx store.Tx) error {
		if _, err := tx.AppendAudit(ctx, e); err != nil {
			return err
		}
		if ev == nil {
			return nil
		}
		return tx.Enqueue(ctx, *ev)
	})
}

// env is a server on a real store and real signing keys, served over
// HTTPS.
type env struct {
	st     store.Store
	keys   *keys.Manager
	srv    *oauth.Server
	issuer string
	http   *http.Client
	hasher *secret.Hasher
	clock  *clock
	audit  *syncRecorder
}

// newEnv starts a server on st; edit, when not nil, changes its config.
func newEnv(t testing.TB, st store.Store, edit func(*oauth.Config)) *env {
	e := &env{st: st, clock: testclock.New(time.Now().UTC().Truncate(time.Second)),
		audit: &syncRecorder{st: st}}
	var err error
	e.hasher, err = secret.NewHasher([]byte(strings.Repeat("k", secret.MinKeyBytes)))
	require.NoError(t, err)
	e.keys = startKeys(t, st, e.clock)

	// The issuer URL is known once the TLS server listens, so the
	// handler is installed after it starts.
	var h atomic.Pointer[http.Handler]
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*h.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	e.issuer, e.http = ts.URL, ts.Client()

	cfg := oauth.Config{Store: st, Hasher: e.hasher, Signer: e.keys, Audit: e.audit,
		Issuer: ts.URL, Now: e.clock.Now}
	if edit != nil {
		edit(&cfg)
	}
	e.srv, err = oauth.New(cfg)
	require.NoError(t, err)
	handler := e.srv.Handler()
	h.Store(&handler)
	return e
}

// startKeys returns a started key manager with a fresh KEK.
func startKeys(t testing.TB, st store.Store, clk *clock) *keys.Manager {
	raw := make([]byte, keys.KEKSize)
	_, _ = rand.Read(raw)
	kek, err := keys.NewKEK(raw)
	require.NoError(t, err)
	cfg := keys.DefaultConfig()
	cfg.Store, cfg.KEK, cfg.Now, cfg.RotationInterval = st, kek, clk.Now, 0
	m, err := keys.New(cfg)
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background()))
	return m
}

// allowedScopes are the scopes of every fixture agent.
var allowedScopes = []string{"tickets:read", "tickets:write"}

// fixture is an active agent of an active organisation with a live client
// secret and a registered ES256 key.
type fixture struct {
	org    store.Org
	agent  store.Agent
	secret string
	key    *ecdsa.PrivateKey
	kid    string
}

// newFixture stores a fixture; edit, when not nil, changes the
// organisation and agent before they are stored.
func (e *env) newFixture(t testing.TB, edit func(o *store.Org, a *store.Agent)) fixture {
	now := store.Truncate(e.clock.Now())
	f := fixture{
		org: store.Org{ID: ids.New(ids.Org), Name: "acme", Status: store.OrgActive,
			CreatedAt: now, UpdatedAt: now},
		secret: secret.Random(),
	}
	f.agent = store.Agent{ID: ids.New(ids.Agent), OrgID: f.org.ID, Name: "ticket-bot",
		Owner: "team-support", Scopes: allowedScopes, Status: store.AgentActive,
		CreatedAt: now, UpdatedAt: now}
	if edit != nil {
		edit(&f.org, &f.agent)
		// An edit that moves the agent into an existing organisation
		// sets the organisation's id only.
		f.agent.OrgID = f.org.ID
	}
	var err error
	f.key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	pub := publicJWK(t, &f.key.PublicKey)
	f.kid = pub.KID

	e.tx(t, func(ctx context.Context, tx store.Tx) error {
		createOrg := tx.CreateOrg
		if _, err := tx.GetOrg(ctx, f.org.ID); err == nil {
			createOrg = func(context.Context, store.Org) error { return nil }
		}
		return errors.Join(createOrg(ctx, f.org), tx.CreateAgent(ctx, f.agent),
			tx.CreateClientSecret(ctx, e.secretRow(f, f.secret, now.Add(time.Hour))),
			tx.CreateAgentKey(ctx, store.AgentKey{KID: pub.KID, OrgID: f.org.ID,
				AgentID: f.agent.ID, Algorithm: pub.Algorithm, JWK: pub.JSON, CreatedAt: now}))
	})
	return f
}

// secretRow is a stored client secret of the fixture's agent.
func (e *env) secretRow(f fixture, plain string, expires time.Time) store.ClientSecret {
	return store.ClientSecret{ID: ids.New(ids.Secret), OrgID: f.org.ID, AgentID: f.agent.ID,
		Hash: e.hasher.Hash(plain), CreatedAt: store.Truncate(e.clock.Now()),
		ExpiresAt: store.Truncate(expires)}
}

// publicJWK registers pub the way the management API does.
func publicJWK(t testing.TB, pub crypto.PublicKey) issuer.PublicJWK {
	raw, err := json.Marshal(jose.JSONWebKey{Key: pub})
	require.NoError(t, err)
	k, err := issuer.ParsePublicJWK(raw)
	require.NoError(t, err)
	return k
}

// addEd25519Key registers a fresh Ed25519 key for the fixture's agent.
func (e *env) addEd25519Key(t testing.TB, f fixture) (ed25519.PrivateKey, string) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	k := publicJWK(t, pub)
	e.tx(t, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateAgentKey(ctx, store.AgentKey{KID: k.KID, OrgID: f.org.ID,
			AgentID: f.agent.ID, Algorithm: k.Algorithm, JWK: k.JSON,
			CreatedAt: store.Truncate(e.clock.Now())})
	})
	return priv, k.KID
}

// tx runs fn in a transaction that must commit.
func (e *env) tx(t testing.TB, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, e.st.WithTx(ctx, func(tx store.Tx) error { return fn(ctx, tx) }))
}

// setAgentStatus changes the fixture agent's state.
func (e *env) setAgentStatus(t testing.TB, f fixture, s store.AgentStatus) {
	e.tx(t, func(ctx context.Context, tx store.Tx) error {
		a := f.agent
		a.Status = s
		return tx.UpdateAgent(ctx, a)
	})
}

// setOrgStatus changes the fixture organisation's state.
func (e *env) setOrgStatus(t testing.TB, f fixture, s store.OrgStatus) {
	e.tx(t, func(ctx context.Context, tx store.Tx) error {
		o := f.org
		o.Status = s
		return tx.UpdateOrg(ctx, o)
	})
}

// response is what the server answered.
type response struct {
	status int
	header http.Header
	body   string
}

// request is what a test sends: a method, a path, a body and headers.
type request struct {
	method string
	path   string
	body   string
	header map[string]string
}

// formRequest is a POST of form to path.
func formRequest(path string, form url.Values) request {
	return request{method: http.MethodPost, path: path, body: form.Encode(),
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}
}

// do sends rq to the server over HTTPS.
func (e *env) do(t testing.TB, rq request) response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), rq.method,
		e.issuer+rq.path, strings.NewReader(rq.body))
	require.NoError(t, err)
	for k, v := range rq.header {
		req.Header.Set(k, v)
	}
	resp, err := e.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// get fetches url over HTTPS.
func (e *env) get(t testing.TB, u string) response {
	t.Helper()
	return e.do(t, request{method: http.MethodGet, path: strings.TrimPrefix(u, e.issuer)})
}

// secretForm is a client_credentials request with client_secret_post.
func secretForm(f fixture, extra url.Values) url.Values {
	v := url.Values{"grant_type": {"client_credentials"}, "client_id": {f.agent.ID},
		"client_secret": {f.secret}}
	for k, vs := range extra {
		v[k] = vs
	}
	return v
}

// tokenResponse is a successful token response.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
	IDToken     string `json:"id_token"`
}

// mustToken obtains a token for the fixture with client_secret_post.
func (e *env) mustToken(t testing.TB, f fixture, extra url.Values) tokenResponse {
	t.Helper()
	resp := e.do(t, formRequest(oauth.PathToken, secretForm(f, extra)))
	require.Equal(t, http.StatusOK, resp.status, resp.body)
	var tr tokenResponse
	require.NoError(t, json.Unmarshal([]byte(resp.body), &tr))
	return tr
}

// assertionClaims are valid claims of a client assertion of the fixture.
func (e *env) assertionClaims(f fixture) map[string]any {
	now := e.clock.Now()
	return map[string]any{"iss": f.agent.ID, "sub": f.agent.ID,
		"aud": e.issuer + oauth.PathToken, "iat": now.Unix(), "exp": now.Add(2 * time.Minute).Unix(),
		"jti": ids.New("")}
}

// signAssertion signs claims with key as a JWS of alg, with kid in the
// header when not empty, using go-jose.
func signAssertion(t testing.TB, key any, alg jose.SignatureAlgorithm, kid string,
	claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT")
	if kid != "" {
		opts = opts.WithHeader(jose.HeaderKey("kid"), kid)
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, opts)
	require.NoError(t, err)
	payload, err := json.Marshal(claims)
	require.NoError(t, err)
	obj, err := signer.Sign(payload)
	require.NoError(t, err)
	s, err := obj.CompactSerialize()
	require.NoError(t, err)
	return s
}

// rawJWS assembles a JWS from a header, claims and signature bytes, for
// assertions no library would sign.
func rawJWS(t testing.TB, header, claims map[string]any, sig []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	require.NoError(t, err)
	c, err := json.Marshal(claims)
	require.NoError(t, err)
	enc := base64.RawURLEncoding
	return enc.EncodeToString(h) + "." + enc.EncodeToString(c) + "." + enc.EncodeToString(sig)
}

// assertionForm is a client_credentials request with private_key_jwt.
func assertionForm(assertion string) url.Values {
	return url.Values{"grant_type": {"client_credentials"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
		"client_assertion":      {assertion}}
}

// basicAuth is an Authorization header of client_secret_basic, each part
// form-urlencoded first as RFC 6749 section 2.3.1 asks.
func basicAuth(id, sec string) string {
	return "Basic " + base64.StdEncoding.EncodeToString(
		[]byte(url.QueryEscape(id)+":"+url.QueryEscape(sec)))
}

// audits returns the organisation's audit records of an action.
func (e *env) audits(t testing.TB, orgID, action string) []store.AuditRecord {
	t.Helper()
	recs, err := e.st.ListAudit(context.Background(), orgID,
		store.AuditFilter{Action: action, Limit: 100})
	require.NoError(t, err)
	return recs
}

// events returns the outbox events of a type after seq.
func (e *env) events(t testing.TB, typ string, afterSeq int64) []store.Event {
	t.Helper()
	all, err := e.st.ListEvents(context.Background(), afterSeq, 1000)
	require.NoError(t, err)
	var out []store.Event
	for _, ev := range all {
		if ev.Type == typ {
			out = append(out, ev)
		}
	}
	return out
}

// lastEventSeq returns the sequence number of the newest event, 0 if none.
func (e *env) lastEventSeq(t testing.TB) int64 {
	t.Helper()
	all, err := e.st.ListEvents(context.Background(), 0, 100000)
	require.NoError(t, err)
	if len(all) == 0 {
		return 0
	}
	return all[len(all)-1].Seq
}

// discover fetches the discovery document over HTTPS.
func (e *env) discover(t testing.TB) map[string]any {
	t.Helper()
	resp := e.get(t, e.issuer+oauth.PathDiscovery)
	require.Equal(t, http.StatusOK, resp.status)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(resp.body), &doc))
	return doc
}
