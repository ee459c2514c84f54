package did_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
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
	"github.com/agentidp/agentidp/issuer"
	"github.com/agentidp/agentidp/issuer/did"
	"github.com/agentidp/agentidp/issuer/oauth"
)

// nopRecorder accepts every audit record: these tests do not read them.
type nopRecorder struct{}

func (nopRecorder) Record(context.Context, store.AuditEntry, *store.Event) error { return nil }

// env is the issuer's HTTPS listener with the OAuth endpoints and the DID
// server on a real store and real signing keys.
type env struct {
	st     store.Store
	keys   *keys.Manager
	srv    *did.Server
	issuer string
	http   *http.Client
	roots  *x509.CertPool
	hasher *secret.Hasher
}

// newEnv starts the listener; edit, when not nil, changes the DID
// server's config, whose Remote.RootCAs trusts httptest's certificate.
func newEnv(t testing.TB, st store.Store, edit func(*did.Config)) *env {
	e := &env{st: st}
	var err error
	e.hasher, err = secret.NewHasher([]byte(strings.Repeat("k", secret.MinKeyBytes)))
	require.NoError(t, err)
	e.keys = startKeys(t, st)

	var h atomic.Pointer[http.Handler]
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*h.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	e.issuer, e.http = ts.URL, ts.Client()
	e.roots = ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs

	tokens, err := oauth.New(oauth.Config{Store: st, Hasher: e.hasher, Signer: e.keys,
		Audit: nopRecorder{}, Issuer: ts.URL})
	require.NoError(t, err)
	cfg := did.Config{Issuer: ts.URL, Store: st, Keys: e.keys,
		Remote: did.RemoteConfig{RootCAs: e.roots}}
	if edit != nil {
		edit(&cfg)
	}
	e.srv, err = did.New(cfg)
	require.NoError(t, err)
	t.Cleanup(e.srv.Close)

	mux := http.NewServeMux()
	e.srv.Register(mux)
	mux.Handle("/", tokens.Handler())
	var handler http.Handler = mux
	h.Store(&handler)
	return e
}

// startKeys returns a started key manager with a fresh KEK.
func startKeys(t testing.TB, st store.Store) *keys.Manager {
	raw := make([]byte, keys.KEKSize)
	_, _ = rand.Read(raw)
	kek, err := keys.NewKEK(raw)
	require.NoError(t, err)
	cfg := keys.DefaultConfig()
	cfg.Store, cfg.KEK, cfg.RotationInterval = st, kek, 0
	m, err := keys.New(cfg)
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background()))
	return m
}

// fixture is an active agent with a client secret and a registered key.
type fixture struct {
	org    store.Org
	agent  store.Agent
	secret string
	kid    string
}

func (e *env) newFixture(t testing.TB) fixture {
	now := store.Truncate(time.Now())
	f := fixture{
		org: store.Org{ID: ids.New(ids.Org), Name: "acme", Status: store.OrgActive,
			CreatedAt: now, UpdatedAt: now},
		secret: secret.Random(),
	}
	f.agent = store.Agent{ID: ids.New(ids.Agent), OrgID: f.org.ID, Name: "ticket-bot",
		Scopes: []string{"tickets:read"}, Status: store.AgentActive, CreatedAt: now,
		UpdatedAt: now}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	raw, err := json.Marshal(jose.JSONWebKey{Key: &key.PublicKey})
	require.NoError(t, err)
	pub, err := issuer.ParsePublicJWK(raw)
	require.NoError(t, err)
	f.kid = pub.KID

	e.tx(t, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(tx.CreateOrg(ctx, f.org), tx.CreateAgent(ctx, f.agent),
			tx.CreateClientSecret(ctx, store.ClientSecret{ID: ids.New(ids.Secret),
				OrgID: f.org.ID, AgentID: f.agent.ID, Hash: e.hasher.Hash(f.secret),
				CreatedAt: now, ExpiresAt: now.Add(time.Hour)}),
			tx.CreateAgentKey(ctx, store.AgentKey{KID: pub.KID, OrgID: f.org.ID,
				AgentID: f.agent.ID, Algorithm: pub.Algorithm, JWK: pub.JSON, CreatedAt: now}))
	})
	return f
}

func (e *env) tx(t testing.TB, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, e.st.WithTx(ctx, func(tx store.Tx) error { return fn(ctx, tx) }))
}

// response is what the server answered.
type response struct {
	status int
	header http.Header
	body   []byte
}

// get fetches path of the issuer over HTTPS with the given Accept header.
func (e *env) get(t testing.TB, path, accept string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet,
		e.issuer+path, nil)
	require.NoError(t, err)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := e.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// resolution is an answer of the resolver endpoint.
type resolution struct {
	status int
	did.Result
}

// resolve asks the resolver endpoint over HTTPS.
func (e *env) resolve(t testing.TB, id string) resolution {
	t.Helper()
	resp := e.get(t, did.PathResolve+id, "")
	require.Equal(t, did.MediaTypeResolution, resp.header.Get("Content-Type"))
	var res resolution
	require.NoError(t, json.Unmarshal(resp.body, &res.Result), string(resp.body))
	res.status = resp.status
	require.Equal(t, res.status, res.Status(), "the status matches the result")
	return res
}

// token obtains an access token for the fixture.
func (e *env) token(t testing.TB, f fixture) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {f.agent.ID},
		"client_secret": {f.secret}}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost,
		e.issuer+oauth.PathToken, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := e.http.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tr))
	return tr.AccessToken
}
