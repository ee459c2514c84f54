package tlsutil

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func leafOf(t *testing.T, cfg *tls.Config) *x509.Certificate {
	t.Helper()
	require.Len(t, cfg.Certificates, 1)
	require.NotNil(t, cfg.Certificates[0].Leaf)
	return cfg.Certificates[0].Leaf
}

func TestEnsureDevCreatesCAAndServerCertificate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	cfg, caPath, err := EnsureDev(dir, t0)
	require.NoError(t, err)

	require.True(t, filepath.IsAbs(caPath))
	require.Equal(t, DevPaths(dir).CACert, caPath)
	require.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)

	for path, mode := range map[string]os.FileMode{
		dir:                  0o700,
		DevPaths(dir).CAKey:  0o600,
		DevPaths(dir).Key:    0o600,
		DevPaths(dir).CACert: 0o644,
		DevPaths(dir).Cert:   0o644,
	} {
		info, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, mode, info.Mode().Perm(), path)
	}

	pool, err := PoolFromFile(caPath)
	require.NoError(t, err)
	leaf := leafOf(t, cfg)
	require.Equal(t, t0.Add(ServerLifetime), leaf.NotAfter)
	for _, name := range DevNames {
		_, err := leaf.Verify(x509.VerifyOptions{
			DNSName:     name,
			Roots:       pool,
			CurrentTime: t0,
		})
		require.NoError(t, err, name)
	}
	_, err = leaf.Verify(x509.VerifyOptions{DNSName: "example.com", Roots: pool, CurrentTime: t0})
	require.Error(t, err)

	ca, _, err := loadCA(DevPaths(dir))
	require.NoError(t, err)
	require.True(t, ca.IsCA)
	require.Equal(t, t0.Add(CALifetime), ca.NotAfter)
}

func TestEnsureDevKeepsOrRenews(t *testing.T) {
	tests := []struct {
		name        string
		second      time.Time
		damage      func(files DevFiles)
		newCA       bool
		newServer   bool
		wantExpires time.Time
	}{
		{
			name:   "a restart keeps both certificates",
			second: t0.Add(24 * time.Hour),
		},
		{
			name:      "a server certificate near expiry is renewed by the same CA",
			second:    t0.Add(ServerLifetime - RenewBefore + time.Hour),
			newServer: true,
		},
		{
			name:   "a damaged server certificate is replaced",
			second: t0,
			damage: func(f DevFiles) {
				_ = os.WriteFile(f.Cert, []byte("garbage"), 0o644)
			},
			newServer: true,
		},
		{
			name:   "a missing CA key replaces the CA and the server certificate",
			second: t0,
			damage: func(f DevFiles) {
				_ = os.Remove(f.CAKey)
			},
			newCA:     true,
			newServer: true,
		},
		{
			name:      "a CA near expiry is replaced",
			second:    t0.Add(CALifetime - RenewBefore),
			newCA:     true,
			newServer: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			first, caPath, err := EnsureDev(dir, t0)
			require.NoError(t, err)
			caBefore, err := os.ReadFile(caPath)
			require.NoError(t, err)
			if tt.damage != nil {
				tt.damage(DevPaths(dir))
			}

			second, _, err := EnsureDev(dir, tt.second)
			require.NoError(t, err)
			caAfter, err := os.ReadFile(caPath)
			require.NoError(t, err)

			require.Equal(t, tt.newCA, string(caBefore) != string(caAfter), "CA replaced")
			sameServer := leafOf(t, first).SerialNumber.Cmp(leafOf(t, second).SerialNumber) == 0
			require.Equal(t, tt.newServer, !sameServer, "server certificate replaced")

			pool, err := PoolFromFile(caPath)
			require.NoError(t, err)
			_, err = leafOf(t, second).Verify(x509.VerifyOptions{
				DNSName: "localhost", Roots: pool, CurrentTime: tt.second,
			})
			require.NoError(t, err)
		})
	}
}

func TestDevCertificateServesHTTPS(t *testing.T) {
	cfg, caPath, err := EnsureDev(t.TempDir(), time.Now())
	require.NoError(t, err)

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	srv.TLS = cfg
	srv.StartTLS()
	defer srv.Close()

	pool, err := PoolFromFile(caPath)
	require.NoError(t, err)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	require.NoError(t, err)

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, MinVersion: tls.VersionTLS12,
	}}}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet,
			"https://"+net.JoinHostPort(host, port)+"/", nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		require.NoError(t, err, host)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, "ok", string(body))
	}

	// A TLS 1.1 client is refused.
	dialer := &tls.Dialer{Config: &tls.Config{ //nolint:gosec // G402: an outdated client is the point of the test.
		RootCAs: pool, MaxVersion: tls.VersionTLS11,
	}}
	conn, err := dialer.DialContext(t.Context(), "tcp", srv.Listener.Addr().String())
	if err == nil {
		_ = conn.Close()
	}
	require.Error(t, err)
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	_, _, err := EnsureDev(dir, time.Now())
	require.NoError(t, err)
	files := DevPaths(dir)

	cfg, err := Load(files.Cert, files.Key)
	require.NoError(t, err)
	require.Equal(t, uint16(tls.VersionTLS12), cfg.MinVersion)
	require.Len(t, cfg.Certificates, 1)

	_, err = Load(files.Cert, filepath.Join(dir, "absent.pem"))
	require.ErrorIs(t, err, os.ErrNotExist)

	_, err = Load(files.Cert, files.CAKey)
	require.ErrorContains(t, err, "private key does not match public key")
}

func TestPoolFromFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not.pem")
	require.NoError(t, os.WriteFile(path, []byte("hello"), 0o600))
	_, err := PoolFromFile(path)
	require.ErrorContains(t, err, "no certificate in")
}
