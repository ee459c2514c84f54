package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/tlsutil"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of a
// logger and the reads of a test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// devProcess is a dev instance running in this test process.
type devProcess struct {
	boot   bootstrap
	out    *syncBuffer
	logs   *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// startDev runs `agentidp dev` on dir with every listener on port 0 and
// returns once bootstrap.json is written. The instance stops when the
// test ends unless stop was called before.
func startDev(t *testing.T, dir string) *devProcess {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &devProcess{out: &syncBuffer{}, logs: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan bootstrap, 1)

	o := devOptions{
		dataDir:     dir,
		httpAddr:    "127.0.0.1:0",
		metricsAddr: "127.0.0.1:0",
		authzAddr:   "127.0.0.1:0",
		signingAlg:  "ES256",
		logLevel:    "debug",
		ready:       func(b bootstrap) { ready <- b },
	}
	go func() { p.done <- runDev(ctx, o, streams{out: p.out, err: p.logs}) }()

	select {
	case p.boot = <-ready:
	case err := <-p.done:
		cancel()
		t.Fatalf("dev stopped before it was ready: %v\n%s", err, p.logs.String())
	}
	t.Cleanup(func() { p.stop(t) })
	return p
}

// stop cancels the instance and waits for a clean exit; it is idempotent.
func (p *devProcess) stop(t *testing.T) {
	t.Helper()
	if p.cancel == nil {
		return
	}
	p.cancel()
	p.cancel = nil
	require.NoError(t, <-p.done)
}

// apiClient is an HTTPS client that trusts only the dev CA.
type apiClient struct {
	t    *testing.T
	base string
	http *http.Client
}

func newAPIClient(t *testing.T, b bootstrap) *apiClient {
	t.Helper()
	pool, err := tlsutil.PoolFromFile(b.CACert)
	require.NoError(t, err)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	t.Cleanup(tr.CloseIdleConnections)
	return &apiClient{t: t, base: b.IssuerURL, http: &http.Client{Transport: tr}}
}

// do sends a request with a bearer key (none when key is empty) and an
// optional JSON body, and
// returns the status and the decoded JSON object of the answer.
func (c *apiClient) do(method, path, key string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		require.NoError(c.t, err)
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(c.t.Context(), method, c.base+path, rd)
	require.NoError(c.t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer func() { _ = resp.Body.Close() }()

	data, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	var out map[string]any
	if len(bytes.TrimSpace(data)) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		require.NoError(c.t, json.Unmarshal(data, &out), string(data))
	}
	return resp.StatusCode, out
}

// token asks the token endpoint for a client_credentials token with HTTP
// basic client authentication, and returns the status and the decoded
// JSON answer.
func (c *apiClient) token(clientID, clientSecret string) (int, map[string]any) {
	c.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}
	req, err := http.NewRequestWithContext(c.t.Context(), http.MethodPost, c.base+"/oauth2/token",
		strings.NewReader(form.Encode()))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(clientSecret))
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer func() { _ = resp.Body.Close() }()

	var out map[string]any
	require.NoError(c.t, json.NewDecoder(resp.Body).Decode(&out))
	return resp.StatusCode, out
}

// getPlain fetches url over plain HTTP and returns status and body.
func getPlain(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(data)
}

// noEnv is an environment with no variables set.
func noEnv(string) (string, bool) { return "", false }

// run executes a command line in process and returns its exit code,
// standard output and standard error.
func run(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut syncBuffer
	code := execute(t.Context(), args, streams{out: &out, err: &errOut, lookup: func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}})
	return code, out.String(), errOut.String()
}
