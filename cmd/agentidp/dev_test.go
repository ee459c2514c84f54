package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDevEndToEnd drives a fresh dev instance the way a script would:
// only through bootstrap.json, HTTPS trusting the dev CA, and the
// operations listener; then restarts it on the same data directory.
func TestDevEndToEnd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	p := startDev(t, dir)

	// bootstrap.json holds exactly the contracted fields, privately.
	path := filepath.Join(dir, bootstrapFile)
	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var fields map[string]string
	require.NoError(t, json.Unmarshal(data, &fields))
	require.Equal(t, map[string]string{
		"issuer_url":    p.boot.IssuerURL,
		"admin_api_key": p.boot.AdminAPIKey,
		"ca_cert":       filepath.Join(dir, "tls", "ca.pem"),
		"authz_addr":    p.boot.AuthzAddr,
		"xds_addr":      "",
		"metrics_addr":  p.boot.MetricsAddr,
	}, fields)
	require.True(t, strings.HasPrefix(p.boot.IssuerURL, "https://127.0.0.1:"))
	require.True(t, strings.HasPrefix(p.boot.AuthzAddr, "127.0.0.1:"), p.boot.AuthzAddr)
	for _, f := range []string{"hmac.key", "kek.key", "tls/ca-key.pem", "tls/server-key.pem"} {
		info, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), info.Mode().Perm(), f)
	}

	// The REST flow of the printed guide.
	api := newAPIClient(t, p.boot)
	code, org := api.do(http.MethodPost, "/v1/orgs", p.boot.AdminAPIKey, map[string]any{"name": "acme"})
	require.Equal(t, http.StatusCreated, code, org)
	orgID, _ := org["id"].(string)

	code, ownerKey := api.do(http.MethodPost, "/v1/orgs/"+orgID+"/keys", p.boot.AdminAPIKey,
		map[string]any{"role": "owner"})
	require.Equal(t, http.StatusCreated, code, ownerKey)
	key, _ := ownerKey["key"].(string)

	code, agent := api.do(http.MethodPost, "/v1/agents", key,
		map[string]any{"name": "billing-bot", "scopes": []string{"invoices:read"}})
	require.Equal(t, http.StatusCreated, code, agent)
	agentID, _ := agent["id"].(string)

	code, sec := api.do(http.MethodPost, "/v1/agents/"+agentID+"/secrets", key, nil)
	require.Equal(t, http.StatusCreated, code, sec)
	require.Equal(t, agentID, sec["client_id"])
	clientSecret, _ := sec["client_secret"].(string)
	require.NotEmpty(t, clientSecret)

	code, _ = api.do(http.MethodGet, "/v1/agents/"+agentID, "aidp.wrong", nil)
	require.Equal(t, http.StatusUnauthorized, code)

	// The OAuth endpoints on the same listener: discovery names the
	// bootstrap's issuer URL, and the client secret buys a token signed by
	// a published key.
	kid := checkTokenFlow(t, api, p.boot.IssuerURL, agentID, clientSecret)

	// The operations listener.
	ops := "http://" + p.boot.MetricsAddr
	code, body := getPlain(t, ops+"/healthz")
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"status":"ok"}`, body)
	code, body = getPlain(t, ops+"/readyz")
	require.Equal(t, http.StatusOK, code)
	require.JSONEq(t, `{"status":"ready"}`, body)
	code, body = getPlain(t, ops+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "go_goroutines")
	require.Contains(t, body, "process_start_time_seconds")
	require.Contains(t, body, "agentidp_rest_requests_total", "the API registers on the same registry")
	require.Contains(t, body, "agentidp_oauth_tokens_issued_total")
	require.Contains(t, body, "agentidp_auditlog_queue_depth")

	// The guide names the bootstrap file but never prints a secret, and the
	// logs (at debug level) hold none either.
	require.Contains(t, p.out.String(), path)
	require.Contains(t, p.out.String(), p.boot.IssuerURL)
	for _, s := range []string{p.boot.AdminAPIKey, key, clientSecret, accessToken(t, api, agentID,
		clientSecret)} {
		require.NotContains(t, p.out.String(), s)
		require.NotContains(t, p.logs.String(), s)
	}

	// A restart keeps the data, the admin key and the CA.
	p.stop(t)
	again := startDev(t, dir)
	require.Equal(t, p.boot.AdminAPIKey, again.boot.AdminAPIKey)
	require.Equal(t, p.boot.CACert, again.boot.CACert)

	api = newAPIClient(t, again.boot)
	code, got := api.do(http.MethodGet, "/v1/agents/"+agentID, key, nil)
	require.Equal(t, http.StatusOK, code, got)
	require.Equal(t, "billing-bot", got["name"])
	require.Equal(t, kid, checkTokenFlow(t, api, again.boot.IssuerURL, agentID, clientSecret),
		"the KEK is kept, so the signing key is too")
	code, _ = api.do(http.MethodGet, "/v1/orgs/"+orgID, again.boot.AdminAPIKey, nil)
	require.Equal(t, http.StatusOK, code)
	again.stop(t)

	// With the database gone, the old admin key no longer works, so a new
	// one replaces it.
	for _, f := range []string{"agentidp.db", "agentidp.db-wal", "agentidp.db-shm"} {
		require.NoError(t, os.RemoveAll(filepath.Join(dir, f)))
	}
	fresh := startDev(t, dir)
	require.NotEqual(t, p.boot.AdminAPIKey, fresh.boot.AdminAPIKey)
	code, _ = newAPIClient(t, fresh.boot).do(http.MethodPost, "/v1/orgs", fresh.boot.AdminAPIKey,
		map[string]any{"name": "acme"})
	require.Equal(t, http.StatusCreated, code)
}

// checkTokenFlow fetches the discovery document and a token for the agent,
// checks that the token's signing key is published, and returns its kid.
func checkTokenFlow(t *testing.T, api *apiClient, issuer, agentID, secret string) string {
	t.Helper()
	code, disc := api.do(http.MethodGet, "/.well-known/openid-configuration", "", nil)
	require.Equal(t, http.StatusOK, code, disc)
	require.Equal(t, issuer, disc["issuer"])
	require.Equal(t, issuer+"/oauth2/token", disc["token_endpoint"])
	require.Equal(t, issuer+"/.well-known/jwks.json", disc["jwks_uri"])

	code, tok := api.token(agentID, secret)
	require.Equal(t, http.StatusOK, code, tok)
	require.Equal(t, "Bearer", tok["token_type"])
	require.InDelta(t, 600, tok["expires_in"], 0, "tokens.default_ttl")
	require.Equal(t, "invoices:read", tok["scope"])

	parts := strings.Split(tok["access_token"].(string), ".")
	require.Len(t, parts, 3)
	header, err := base64.RawURLEncoding.DecodeString(parts[0])
	require.NoError(t, err)
	var h map[string]any
	require.NoError(t, json.Unmarshal(header, &h))
	require.Equal(t, "at+jwt", h["typ"])
	kid, _ := h["kid"].(string)

	code, jwks := api.do(http.MethodGet, "/.well-known/jwks.json", "", nil)
	require.Equal(t, http.StatusOK, code)
	var kids []string
	for _, k := range jwks["keys"].([]any) {
		kids = append(kids, k.(map[string]any)["kid"].(string))
	}
	require.Contains(t, kids, kid)

	code, bad := api.token(agentID, "wrong-"+secret)
	require.Equal(t, http.StatusUnauthorized, code)
	require.Equal(t, "invalid_client", bad["error"])
	return kid
}

// accessToken returns a fresh access token of the agent.
func accessToken(t *testing.T, api *apiClient, agentID, secret string) string {
	t.Helper()
	code, tok := api.token(agentID, secret)
	require.Equal(t, http.StatusOK, code, tok)
	return tok["access_token"].(string)
}

func TestTwoDevInstancesSideBySide(t *testing.T) {
	a := startDev(t, filepath.Join(t.TempDir(), "a"))
	b := startDev(t, filepath.Join(t.TempDir(), "b"))

	require.NotEqual(t, a.boot.IssuerURL, b.boot.IssuerURL)
	require.NotEqual(t, a.boot.MetricsAddr, b.boot.MetricsAddr)
	for _, p := range []*devProcess{a, b} {
		code, _ := getPlain(t, "http://"+p.boot.MetricsAddr+"/readyz")
		require.Equal(t, http.StatusOK, code)
		code, org := newAPIClient(t, p.boot).do(http.MethodPost, "/v1/orgs", p.boot.AdminAPIKey,
			map[string]any{"name": "acme"})
		require.Equal(t, http.StatusCreated, code, org)
	}

	// Each trusts only its own CA.
	wrong := newAPIClient(t, bootstrap{IssuerURL: b.boot.IssuerURL, CACert: a.boot.CACert})
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, wrong.base+"/v1/orgs", nil)
	require.NoError(t, err)
	resp, err := wrong.http.Do(req)
	if err == nil {
		_ = resp.Body.Close()
	}
	require.ErrorContains(t, err, "certificate signed by unknown authority")
}

func TestDevRejectsBadFlags(t *testing.T) {
	code, _, stderr := run(t, nil, "dev", "--data-dir", t.TempDir(),
		"--http-addr", "8443", "--log-level", "loud")
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, `server.http_addr: must be host:port`)
	require.Contains(t, stderr, `log.level: must be one of "debug", "info", "warn", "error"`)
}

func TestIssuerURL(t *testing.T) {
	tests := []struct {
		addr string
		want string
	}{
		{"127.0.0.1:8443", "https://127.0.0.1:8443"},
		{"[::1]:8443", "https://[::1]:8443"},
		{"[::]:8443", "https://localhost:8443"},
		{"0.0.0.0:1234", "https://localhost:1234"},
		{"8443", ""},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			require.Equal(t, tt.want, issuerURL(tt.addr))
		})
	}
}
