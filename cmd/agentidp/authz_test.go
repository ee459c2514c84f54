package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/agentidp/agentidp/authz"
	"github.com/agentidp/agentidp/internal/store/pgtest"
	"github.com/agentidp/agentidp/internal/tlsutil"
)

// enforcementDeadline is how soon a change at the issuer must be enforced
// at the edge (issue: within 2 seconds).
const enforcementDeadline = 2 * time.Second

// authzClient dials the ext_authz listener over TLS, trusting caPath.
func authzClient(t *testing.T, addr, caPath string) *grpc.ClientConn {
	t.Helper()
	pool, err := tlsutil.PoolFromFile(caPath)
	require.NoError(t, err)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(
		&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12})))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// agentFixture is an organisation with an owner key and an agent with a
// client secret, made through the REST API.
type agentFixture struct {
	org, key, agent, secret string
}

func newAgentFixture(t *testing.T, api *apiClient, admin string) agentFixture {
	t.Helper()
	var f agentFixture
	code, body := api.do(http.MethodPost, "/v1/orgs", admin, map[string]any{"name": "acme"})
	require.Equal(t, http.StatusCreated, code, body)
	f.org = body["id"].(string)
	code, body = api.do(http.MethodPost, "/v1/orgs/"+f.org+"/keys", admin,
		map[string]any{"role": "owner"})
	require.Equal(t, http.StatusCreated, code, body)
	f.key = body["key"].(string)
	code, body = api.do(http.MethodPost, "/v1/agents", f.key,
		map[string]any{"name": "billing-bot", "scopes": []string{"invoices:read"}})
	require.Equal(t, http.StatusCreated, code, body)
	f.agent = body["id"].(string)
	code, body = api.do(http.MethodPost, "/v1/agents/"+f.agent+"/secrets", f.key, nil)
	require.Equal(t, http.StatusCreated, code, body)
	f.secret = body["client_secret"].(string)
	return f
}

func (f agentFixture) token(t *testing.T, api *apiClient) string {
	t.Helper()
	code, body := api.token(f.agent, f.secret)
	require.Equal(t, http.StatusOK, code, body)
	return body["access_token"].(string)
}

// revoke revokes tok at the issuer (RFC 7009), as its agent.
func (f agentFixture) revoke(t *testing.T, api *apiClient, tok string) {
	t.Helper()
	form := url.Values{"token": {tok}, "client_id": {f.agent}, "client_secret": {f.secret}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, api.base+"/oauth2/revoke",
		strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := api.http.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// checkToken asks the edge about a request carrying tok to a route that
// needs invoices:read, and returns the decision's reason code.
func checkToken(t *testing.T, c authv3.AuthorizationClient, tok string) (*authv3.CheckResponse, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	resp, err := c.Check(ctx, &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
			Method: "GET", Path: "/invoices/42", Host: "api.internal",
			Headers: map[string]string{"authorization": "Bearer " + tok, ":path": "/invoices/42"},
		}},
		ContextExtensions: map[string]string{authz.ExtMode: "required",
			authz.ExtScopes: "invoices:read"},
	}})
	require.NoError(t, err)
	return resp, resp.GetDynamicMetadata().GetFields()[authz.MetaReason].GetStringValue()
}

// requireReason waits until the edge answers tok with reason, for at most
// the enforcement deadline.
func requireReason(t *testing.T, c authv3.AuthorizationClient, tok, reason string) {
	t.Helper()
	start := time.Now()
	require.Eventually(t, func() bool {
		_, got := checkToken(t, c, tok)
		return got == reason
	}, enforcementDeadline, 20*time.Millisecond, "the edge must answer %q within %s", reason,
		enforcementDeadline)
	t.Logf("%s enforced after %s", reason, time.Since(start).Round(time.Millisecond))
}

func TestDevEdgeVerifiesIssuedTokens(t *testing.T) {
	p := startDev(t, filepath.Join(t.TempDir(), "data"))
	api := newAPIClient(t, p.boot)
	conn := authzClient(t, p.boot.AuthzAddr, p.boot.CACert)
	client := authv3.NewAuthorizationClient(conn)

	// Health and reflection answer on the same listener.
	require.Eventually(t, func() bool {
		resp, err := healthpb.NewHealthClient(conn).Check(t.Context(),
			&healthpb.HealthCheckRequest{Service: authz.ServiceName})
		return err == nil && resp.GetStatus() == healthpb.HealthCheckResponse_SERVING
	}, 5*time.Second, 20*time.Millisecond)
	requireReflects(t, conn, authz.ServiceName)

	f := newAgentFixture(t, api, p.boot.AdminAPIKey)
	tok := f.token(t, api)
	resp, reason := checkToken(t, client, tok)
	require.Equal(t, authz.ReasonValid, reason)
	headers := map[string]string{}
	for _, h := range resp.GetOkResponse().GetHeaders() {
		headers[h.GetHeader().GetKey()] = h.GetHeader().GetValue()
	}
	require.Equal(t, f.agent, headers[authz.HeaderAgentID])
	require.Equal(t, f.org, headers[authz.HeaderAgentOrg])
	require.Equal(t, p.boot.IssuerURL, headers[authz.HeaderAgentIssuer])
	require.Equal(t, "invoices:read", headers[authz.HeaderAgentScopes])
	require.True(t, strings.HasPrefix(headers[authz.HeaderAgentDID], "did:web:127.0.0.1%3A"))

	// A token revoked at the issuer is refused at the edge within the
	// deadline, although its decision was cached.
	f.revoke(t, api, tok)
	requireReason(t, client, tok, authz.ReasonRevoked)

	// So are the tokens of a suspended agent, until it is reactivated.
	tok = f.token(t, api)
	_, reason = checkToken(t, client, tok)
	require.Equal(t, authz.ReasonValid, reason)
	code, body := api.do(http.MethodPost, "/v1/agents/"+f.agent+"/suspend", f.key, nil)
	require.Equal(t, http.StatusOK, code, body)
	requireReason(t, client, tok, authz.ReasonAgentSuspended)
	code, body = api.do(http.MethodPost, "/v1/agents/"+f.agent+"/reactivate", f.key, nil)
	require.Equal(t, http.StatusOK, code, body)
	requireReason(t, client, tok, authz.ReasonValid)

	// And those of a suspended organisation.
	code, body = api.do(http.MethodPost, "/v1/orgs/"+f.org+"/suspend", p.boot.AdminAPIKey, nil)
	require.Equal(t, http.StatusOK, code, body)
	requireReason(t, client, tok, authz.ReasonOrgInactive)

	// Every decision is counted by outcome and reason; no token is logged.
	code, metrics := getPlain(t, "http://"+p.boot.MetricsAddr+"/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, metrics, `agentidp_authz_decisions_total{decision="deny",reason="revoked"}`)
	require.Contains(t, metrics, `agentidp_authz_decisions_total{decision="allow",reason="valid"}`)
	require.NotContains(t, p.logs.String(), tok)
	code, ready := getPlain(t, "http://"+p.boot.MetricsAddr+"/readyz")
	require.Equal(t, http.StatusOK, code, ready)
}

// requireReflects checks that server reflection lists service.
func requireReflects(t *testing.T, conn *grpc.ClientConn, service string) {
	t.Helper()
	stream, err := reflectionpb.NewServerReflectionClient(conn).ServerReflectionInfo(t.Context())
	require.NoError(t, err)
	require.NoError(t, stream.Send(&reflectionpb.ServerReflectionRequest{
		MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}))
	resp, err := stream.Recv()
	require.NoError(t, err)
	var names []string
	for _, s := range resp.GetListServicesResponse().GetService() {
		names = append(names, s.GetName())
	}
	require.Contains(t, names, service)
	require.NoError(t, stream.CloseSend())
}

// TestSeparateEdgeEnforcesIssuerRevocations runs the issuer and the edge
// as two instances that share nothing but the PostgreSQL database: the
// edge fetches the issuer's JWKS over HTTPS and learns of revocations
// from the outbox.
func TestSeparateEdgeEnforcesIssuerRevocations(t *testing.T) {
	url, schema := pgtest.New(t)
	storage := fmt.Sprintf("storage:\n  driver: postgres\n  postgres:\n    url: %q\n    schema: %s\n",
		url, schema)
	issuerCfg, caPath := serveConfig(t, storage)
	iss := startServe(t, issuerCfg)

	edgeCfg, _ := serveConfig(t, storage+fmt.Sprintf(`roles: [authz]
authz:
  addr: "127.0.0.1:0"
  issuer_jwks_url: "https://%s/.well-known/jwks.json"
  issuer_ca_file: %s
`, iss.http.Addr(), caPath))
	edge := startServe(t, edgeCfg)
	require.Nil(t, edge.http, "an edge alone serves no REST API")

	// The edge's certificate comes from its own dev CA.
	edgeCA := filepath.Join(filepath.Dir(edgeCfg), "tls", "ca.pem")
	client := authv3.NewAuthorizationClient(authzClient(t, edge.authz.Addr().String(), edgeCA))
	api := newAPIClient(t, bootstrap{IssuerURL: issuerURL(iss.http.Addr().String()), CACert: caPath})
	admin := createAdminKey(t, issuerCfg)
	f := newAgentFixture(t, api, admin)
	tok := f.token(t, api)
	requireReason(t, client, tok, authz.ReasonValid)

	f.revoke(t, api, tok)
	requireReason(t, client, tok, authz.ReasonRevoked)
}

// startServe runs serve on the configuration file at path until the test
// ends, and returns its listeners.
func startServe(t *testing.T, path string) *listeners {
	t.Helper()
	s := streams{out: &syncBuffer{}, err: &syncBuffer{}, lookup: noEnv}
	cfg, err := loadConfig(path, s, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *listeners, 1)
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, &cfg, s, func(l *listeners) { ready <- l }) }()
	select {
	case ln := <-ready:
		t.Cleanup(func() {
			cancel()
			require.NoError(t, <-done)
		})
		return ln
	case err := <-done:
		cancel()
		t.Fatalf("serve stopped before it was ready: %v\n%s", err, s.err)
		return nil
	}
}

// createAdminKey runs `agentidp admin-key create` on a configuration.
func createAdminKey(t *testing.T, path string) string {
	t.Helper()
	code, out, stderr := run(t, nil, "admin-key", "create", "--config", path)
	require.Equal(t, exitOK, code, stderr)
	return strings.TrimSpace(out)
}

// TestEdgeRequiresProxyCertificates configures authz.tls.client_ca_file:
// a proxy without a certificate from that CA cannot even reach Check.
func TestEdgeRequiresProxyCertificates(t *testing.T) {
	ca, caPEM := newTestCA(t)
	caFile := filepath.Join(t.TempDir(), "proxies.pem")
	require.NoError(t, os.WriteFile(caFile, caPEM, 0o600))
	cfgPath, serverCA := serveConfig(t, fmt.Sprintf(`roles: [issuer, authz]
authz:
  addr: "127.0.0.1:0"
  tls:
    client_ca_file: %s
`, caFile))
	ln := startServe(t, cfgPath)
	pool, err := tlsutil.PoolFromFile(serverCA)
	require.NoError(t, err)

	tests := []struct {
		name  string
		certs []tls.Certificate
		ok    bool
	}{
		{"a proxy with a certificate of the CA is served", []tls.Certificate{ca.issue(t)}, true},
		{"a proxy without a certificate is refused", nil, false},
		{"a proxy with a certificate of another CA is refused",
			[]tls.Certificate{func() tls.Certificate { o, _ := newTestCA(t); return o.issue(t) }()},
			false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := grpc.NewClient(ln.authz.Addr().String(), grpc.WithTransportCredentials(
				credentials.NewTLS(&tls.Config{RootCAs: pool, Certificates: tc.certs,
					MinVersion: tls.VersionTLS12})))
			require.NoError(t, err)
			defer func() { _ = conn.Close() }()
			ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
			defer cancel()
			_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
			if tc.ok {
				require.NoError(t, err)
				return
			}
			require.Equal(t, codes.Unavailable, status.Code(err), "%v", err)
		})
	}
}

// testCA issues client certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) (*testCA, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "proxies"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	return &testCA{cert: cert, key: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE",
		Bytes: der})
}

// issue makes a client certificate for a proxy.
func (ca *testCA) issue(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "envoy"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	require.NoError(t, err)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
