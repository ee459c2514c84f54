package fakeissuer

import (
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/loadtest"
)

// The credentials the fake hands out and expects back.
//
//nolint:gosec // G101: made-up credentials of a test fake, valid nowhere.
const (
	AdminKey     = "sa_fake_admin"
	OrgKey       = "ok_fake_owner"
	ClientID     = "agt_fake"
	ClientSecret = "cs_fake+secret/=" // needs form-encoding under Basic
)

// Issuer is a running fake issuer. Tokens counts the tokens it minted;
// Scopes holds the scopes of the last agent created.
type Issuer struct {
	URL     string
	Cert    tls.Certificate // the server's certificate, self-signed
	CertPEM []byte          // the same, for clients to trust
	Tokens  atomic.Int64
	Scopes  atomic.Value // []string
	// RateLimit, when positive, makes the token endpoint answer 429 to
	// that many requests before it mints again.
	RateLimit atomic.Int64
}

// Start starts a fake issuer on 127.0.0.1, closed when the test ends.
func Start(t testing.TB) *Issuer {
	t.Helper()
	cert, certPEM, err := loadtest.SelfSigned("fake issuer")
	require.NoError(t, err)

	i := &Issuer{Cert: cert, CertPEM: certPEM}
	srv := httptest.NewUnstartedServer(i.routes())
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	i.URL = srv.URL
	return i
}

// WriteBootstrap writes a bootstrap.json for the fake into dir, with its
// certificate as ca_cert and authzAddr as authz_addr, and returns its path.
func (i *Issuer) WriteBootstrap(t testing.TB, dir, authzAddr string) string {
	t.Helper()
	ca := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(ca, i.CertPEM, 0o600))
	b, err := json.Marshal(map[string]string{
		"issuer_url": i.URL, "admin_api_key": AdminKey, "ca_cert": ca,
		"authz_addr": authzAddr, "metrics_addr": "",
	})
	require.NoError(t, err)
	path := filepath.Join(dir, "bootstrap.json")
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}

func (i *Issuer) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration",
		func(w http.ResponseWriter, _ *http.Request) {
			reply(w, http.StatusOK, map[string]any{"token_endpoint": i.URL + "/oauth2/token"})
		})
	mux.HandleFunc("POST /v1/orgs", bearer(AdminKey, func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusCreated, map[string]any{"id": "org_fake"})
	}))
	mux.HandleFunc("POST /v1/orgs/org_fake/keys", bearer(AdminKey,
		func(w http.ResponseWriter, _ *http.Request) {
			reply(w, http.StatusCreated, map[string]any{"key": OrgKey})
		}))
	mux.HandleFunc("POST /v1/agents", bearer(OrgKey, func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Scopes []string `json:"scopes"`
		}
		if json.NewDecoder(r.Body).Decode(&body) != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		i.Scopes.Store(body.Scopes)
		reply(w, http.StatusCreated, map[string]any{"id": ClientID})
	}))
	mux.HandleFunc("POST /v1/agents/"+ClientID+"/secrets", bearer(OrgKey,
		func(w http.ResponseWriter, _ *http.Request) {
			reply(w, http.StatusCreated, map[string]any{
				"client_id": ClientID, "client_secret": ClientSecret,
			})
		}))
	mux.HandleFunc("POST /oauth2/token", i.token)
	return mux
}

// token mints for client_secret_basic with both halves form-encoded, as
// RFC 6749 section 2.3.1 asks.
func (i *Issuer) token(w http.ResponseWriter, r *http.Request) {
	if i.RateLimit.Add(-1) >= 0 {
		reply(w, http.StatusTooManyRequests, map[string]any{"error": "slow_down"})
		return
	}
	user, pass, ok := r.BasicAuth()
	id, _ := url.QueryUnescape(user)
	secret, _ := url.QueryUnescape(pass)
	if !ok || id != ClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(ClientSecret)) != 1 {
		reply(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client"})
		return
	}
	if r.PostFormValue("grant_type") != "client_credentials" {
		reply(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type"})
		return
	}
	jti := make([]byte, 16)
	sig := make([]byte, 64)
	_, _ = rand.Read(jti)
	_, _ = rand.Read(sig)
	enc := base64.RawURLEncoding.EncodeToString
	claims, _ := json.Marshal(map[string]any{"jti": enc(jti), "scope": r.PostFormValue("scope")})
	tok := enc([]byte(`{"alg":"ES256","typ":"at+jwt"}`)) + "." + enc(claims) + "." + enc(sig)
	i.Tokens.Add(1)
	reply(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": 600,
		"scope": r.PostFormValue("scope"),
	})
}

func bearer(key string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, []byte("Bearer "+key)) != 1 {
			reply(w, http.StatusUnauthorized, map[string]any{"type": "unauthorized"})
			return
		}
		next(w, r)
	}
}

func reply(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
