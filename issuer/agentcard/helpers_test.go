package agentcard_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/testclock"
	"github.com/agentidp/agentidp/issuer/agentcard"
	"github.com/agentidp/agentidp/issuer/did"
)

// clock is the settable test clock.
type clock = testclock.Clock

// env serves the DID documents, the resolver, cards, badges and status
// lists over HTTPS on a real store with real signing keys.
type env struct {
	st     store.Store
	dids   *did.Server
	issuer string
	http   *http.Client
	clock  *clock
	mux    *http.ServeMux
}

func newEnv(t testing.TB, st store.Store) *env {
	e := &env{st: st, clock: testclock.New(time.Now().UTC().Truncate(time.Second))}
	raw := make([]byte, keys.KEKSize)
	_, _ = rand.Read(raw)
	kek, err := keys.NewKEK(raw)
	require.NoError(t, err)
	kcfg := keys.DefaultConfig()
	kcfg.Store, kcfg.KEK, kcfg.RotationInterval = st, kek, 0
	km, err := keys.New(kcfg)
	require.NoError(t, err)
	require.NoError(t, km.Start(context.Background()))

	var h atomic.Pointer[http.Handler]
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		(*h.Load()).ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	e.issuer, e.http = ts.URL, ts.Client()

	e.dids, err = did.New(did.Config{Issuer: ts.URL, Store: st, Keys: km})
	require.NoError(t, err)
	t.Cleanup(e.dids.Close)
	cards, err := agentcard.New(agentcard.Config{Issuer: ts.URL, Store: st, Signer: km,
		Now: e.clock.Now})
	require.NoError(t, err)

	mux := http.NewServeMux()
	e.dids.Register(mux)
	cards.Register(mux)
	e.mux = mux
	var handler http.Handler = mux
	h.Store(&handler)
	return e
}

// newAgent stores an active agent of a new organisation.
func (e *env) newAgent(t testing.TB) store.Agent {
	now := store.Truncate(time.Now())
	o := store.Org{ID: ids.New(ids.Org), Name: "acme", Status: store.OrgActive,
		CreatedAt: now, UpdatedAt: now}
	a := store.Agent{ID: ids.New(ids.Agent), OrgID: o.ID, Name: "ticket-bot",
		Description: "triages tickets", Status: store.AgentActive, CreatedAt: now,
		UpdatedAt: now, Metadata: map[string]string{"skill.triage": "Sorts tickets"}}
	e.tx(t, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateOrg(ctx, o); err != nil {
			return err
		}
		return tx.CreateAgent(ctx, a)
	})
	return a
}

func (e *env) setStatus(t testing.TB, a store.Agent, s store.AgentStatus) {
	e.tx(t, func(ctx context.Context, tx store.Tx) error {
		a.Status = s
		return tx.UpdateAgent(ctx, a)
	})
}

func (e *env) tx(t testing.TB, fn func(ctx context.Context, tx store.Tx) error) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, e.st.WithTx(ctx, func(tx store.Tx) error { return fn(ctx, tx) }))
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// get fetches a URL of the issuer (or a path of it) over HTTPS.
func (e *env) get(t testing.TB, u, accept string) response {
	t.Helper()
	if u != "" && u[0] == '/' {
		u = e.issuer + u
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, u, nil)
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

// verify checks a vc+jwt the way a verifier elsewhere would: it resolves
// the issuer's DID through the resolver endpoint over HTTPS, takes the
// verification method the JWS's kid names, checks that the method may
// make assertions, and verifies the signature with it. It returns the
// payload.
func (e *env) verify(t testing.TB, token []byte, issuer string) []byte {
	t.Helper()
	msg, err := jws.Parse(token)
	require.NoError(t, err)
	hdr := msg.Signatures()[0].ProtectedHeaders()
	require.Equal(t, keys.TypeVCJWT, hdr.Type())

	resp := e.get(t, did.PathResolve+issuer, "")
	require.Equal(t, http.StatusOK, resp.status)
	var res did.Result
	require.NoError(t, json.Unmarshal(resp.body, &res))
	doc, err := did.ParseDocument(res.Document, issuer)
	require.NoError(t, err)
	vm, ok := doc.Method("#" + hdr.KeyID())
	require.True(t, ok, "the kid names a method of the issuer's DID")
	require.Contains(t, doc.AssertionMethod, vm.ID)

	key, err := jwk.ParseKey(vm.PublicKeyJWK)
	require.NoError(t, err)
	payload, err := jws.Verify(token, jws.WithKey(hdr.Algorithm(), key))
	require.NoError(t, err)
	return payload
}
