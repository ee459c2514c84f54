package loadtest_test

import (
	"crypto/x509"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/loadtest"
	"github.com/agentidp/agentidp/internal/loadtest/fakeissuer"
)

func TestProvisionAndFetchToken(t *testing.T) {
	iss := fakeissuer.Start(t)
	b, err := loadtest.ReadBootstrap(iss.WriteBootstrap(t, t.TempDir(), "127.0.0.1:9001"))
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:9001", b.AuthzAddr)
	roots, err := b.Roots()
	require.NoError(t, err)

	a, err := loadtest.Provision(t.Context(), loadtest.ProvisionConfig{
		Bootstrap: b, Roots: roots, Name: "test", Scopes: []string{"a:read", "a:write"},
	})
	require.NoError(t, err)
	require.Equal(t, iss.URL+"/oauth2/token", a.TokenURL)
	require.Equal(t, fakeissuer.ClientID, a.ClientID)
	require.Equal(t, []string{"a:read", "a:write"}, iss.Scopes.Load())
	require.NotContains(t, a.String(), a.ClientSecret, "an agent prints without its secret")

	c := loadtest.NewHTTPClient(roots, 1)
	tok, err := loadtest.FetchToken(t.Context(), c, a, "a:read")
	require.NoError(t, err)
	require.NotEmpty(t, tok.AccessToken)
	require.Equal(t, 10*time.Minute, tok.ExpiresIn)

	iss.RateLimit.Store(1)
	_, err = loadtest.FetchToken(t.Context(), c, a, "a:read")
	require.ErrorIs(t, err, loadtest.ErrRateLimited)

	a.ClientSecret = "wrong"
	_, err = loadtest.FetchToken(t.Context(), c, a, "a:read")
	require.EqualError(t, err, `token endpoint: status 401, error "invalid_client"`)
}

func TestProvisionNamesTheFailingRouteOnly(t *testing.T) {
	iss := fakeissuer.Start(t)
	b, err := loadtest.ReadBootstrap(iss.WriteBootstrap(t, t.TempDir(), ""))
	require.NoError(t, err)
	b.AdminAPIKey = "sa_not_the_key"
	roots, err := b.Roots()
	require.NoError(t, err)

	_, err = loadtest.Provision(t.Context(), loadtest.ProvisionConfig{Bootstrap: b, Roots: roots})
	require.EqualError(t, err, "create a test agent: POST /v1/orgs: status 401")
}

func TestReadBootstrapRefusesMissingFields(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		body    string
		wantErr string
	}{
		{"no issuer_url is refused", `{"admin_api_key":"k","ca_cert":"c"}`, "issuer_url"},
		{"no admin_api_key is refused", `{"issuer_url":"u","ca_cert":"c"}`, "admin_api_key"},
		{"no ca_cert is refused", `{"issuer_url":"u","admin_api_key":"k"}`, "ca_cert"},
		{"not JSON is refused", `issuer_url=u`, "decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, "b.json")
			require.NoError(t, os.WriteFile(p, []byte(tt.body), 0o600))
			_, err := loadtest.ReadBootstrap(p)
			require.ErrorContains(t, err, tt.wantErr)
		})
	}

	_, err := loadtest.ReadBootstrap(filepath.Join(dir, "absent.json"))
	require.Error(t, err)

	p := filepath.Join(dir, "no-cert.pem")
	require.NoError(t, os.WriteFile(p, []byte("not a certificate"), 0o600))
	_, err = loadtest.Bootstrap{CACert: p}.Roots()
	require.EqualError(t, err, "ca_cert holds no PEM certificate")
}

func TestSelfSignedIsTrustedForLoopback(t *testing.T) {
	cert, certPEM, err := loadtest.SelfSigned("test")
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	require.NoError(t, err)

	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(certPEM))
	for _, name := range []string{"127.0.0.1", "localhost", "::1"} {
		_, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: roots})
		require.NoError(t, err, name)
	}
}
