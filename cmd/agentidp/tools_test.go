package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/config"
	"github.com/agentidp/agentidp/internal/store/pgtest"
	"github.com/agentidp/agentidp/internal/store/sqlite"
	"github.com/agentidp/agentidp/internal/tlsutil"
)

// populated returns a dev data directory holding one organisation with a
// few audit records, its instance stopped.
func populated(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	p := startDev(t, dir)
	api := newAPIClient(t, p.boot)
	code, org := api.do(http.MethodPost, "/v1/orgs", p.boot.AdminAPIKey, map[string]any{"name": "acme"})
	require.Equal(t, http.StatusCreated, code, org)
	orgID, _ := org["id"].(string)
	code, _ = api.do(http.MethodPost, "/v1/orgs/"+orgID+"/keys", p.boot.AdminAPIKey,
		map[string]any{"role": "owner"})
	require.Equal(t, http.StatusCreated, code)
	p.stop(t)
	return dir
}

func TestAuditVerifyExitCodes(t *testing.T) {
	dir := populated(t)

	code, out, stderr := run(t, nil, "audit", "verify", "--data-dir", dir)
	require.Equal(t, exitOK, code, stderr)
	require.Contains(t, out, "1 verified, 1 intact, 0 broken")

	// Edit one record in place, as an attacker with database access would.
	st, err := sqlite.Open(t.Context(), filepath.Join(dir, config.SQLiteFile))
	require.NoError(t, err)
	require.NoError(t, st.Exec(t.Context(), "UPDATE audit_records SET actor = 'admin:someone-else' WHERE seq = 1"))
	require.NoError(t, st.Close())

	code, out, stderr = run(t, nil, "audit", "verify", "--data-dir", dir)
	require.Equal(t, exitFailure, code, stderr)
	require.Contains(t, out, "1 verified, 0 intact, 1 broken")
	require.Contains(t, out, "BROKEN at seq 1")
	require.Empty(t, stderr)

	// The same check through a configuration file naming the database.
	cfgPath, _ := serveConfig(t, fmt.Sprintf("storage:\n  sqlite:\n    path: %s\n",
		filepath.Join(dir, config.SQLiteFile)))
	code, out, stderr = run(t, nil, "audit", "verify", "--config", cfgPath)
	require.Equal(t, exitFailure, code, stderr)
	require.Contains(t, out, "BROKEN at seq 1")

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a data dir without a database", []string{"--data-dir", t.TempDir()}, "no database at"},
		{"neither flag", nil, "name exactly one of --config FILE and --data-dir DIR"},
		{"both flags", []string{"--data-dir", dir, "--config", "x.yaml"},
			"name exactly one of --config FILE and --data-dir DIR"},
		{"a missing config file", []string{"--config", filepath.Join(dir, "absent.yaml")},
			"no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, nil, append([]string{"audit", "verify"}, tt.args...)...)
			require.Equal(t, exitError, code)
			require.Contains(t, stderr, tt.want)
		})
	}
}

func TestMigrate(t *testing.T) {
	dir := t.TempDir()

	code, _, stderr := run(t, nil, "migrate", "status", "--data-dir", dir)
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, "no database at")

	code, out, stderr := run(t, nil, "migrate", "up", "--data-dir", dir)
	require.Equal(t, exitOK, code, stderr)
	require.Regexp(t, `(?m)^VERSION\s+NAME\s+APPLIED$`, out)
	require.Regexp(t, `(?m)^0001\s+\S+\s+\d{4}-\d\d-\d\dT`, out)
	require.NotContains(t, out, "pending")

	code, again, stderr := run(t, nil, "migrate", "status", "--data-dir", dir)
	require.Equal(t, exitOK, code, stderr)
	require.Equal(t, out, again)
}

// serveConfig writes a configuration for serve on loopback port 0 with
// certificates from a dev CA, and returns its path and the CA path.
func serveConfig(t *testing.T, extra string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	_, caPath, err := tlsutil.EnsureDev(filepath.Join(dir, "tls"), time.Now())
	require.NoError(t, err)
	files := tlsutil.DevPaths(filepath.Join(dir, "tls"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hmac.key"), []byte(strings.Repeat("k", 32)), 0o600))

	cfg := fmt.Sprintf(`data_dir: %s
server:
  http_addr: "127.0.0.1:0"
  metrics_addr: "127.0.0.1:0"
  shutdown_timeout: 5s
  tls:
    cert_file: %s
    key_file: %s
secrets:
  hmac_key_file: %s
log:
  level: debug
%s`, dir, files.Cert, files.Key, filepath.Join(dir, "hmac.key"), extra)
	path := filepath.Join(dir, "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(cfg), 0o600))
	return path, caPath
}

func TestServe(t *testing.T) {
	t.Run("on SQLite", func(t *testing.T) {
		path, caPath := serveConfig(t, "")
		testServe(t, path, caPath)
	})
	t.Run("on PostgreSQL", func(t *testing.T) {
		url, schema := pgtest.New(t)
		path, caPath := serveConfig(t, fmt.Sprintf(
			"storage:\n  driver: postgres\n  postgres:\n    url: %q\n    schema: %s\n", url, schema))
		testServe(t, path, caPath)
	})
}

// testServe starts serve on the configuration at path and checks that
// both listeners answer and that it stops cleanly.
func testServe(t *testing.T, path, caPath string) {
	key := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("e", 32)))
	s := streams{out: &syncBuffer{}, err: &syncBuffer{}, lookup: func(k string) (string, bool) {
		v, ok := map[string]string{"AGENTIDP_SECRETS_HMAC_KEY": key}[k]
		return v, ok
	}}
	cfg, err := loadConfig(path, s, map[string]string{"log.level": "warn"})
	require.NoError(t, err)
	require.Equal(t, "warn", cfg.Log.Level, "flags override the file")
	require.Equal(t, config.Sensitive(key), cfg.Secrets.HMACKey, "the environment is read")

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *listeners, 1)
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, &cfg, s, func(l *listeners) { ready <- l }) }()
	var ln *listeners
	select {
	case ln = <-ready:
	case err := <-done:
		cancel()
		t.Fatal(err)
	}

	api := newAPIClient(t, bootstrap{IssuerURL: issuerURL(ln.http.Addr()), CACert: caPath})
	code, body := api.do(http.MethodGet, "/v1/orgs", "aidp.not-a-key", nil)
	require.Equal(t, http.StatusUnauthorized, code, body)
	code, _ = getPlain(t, "http://"+ln.metrics.Addr().String()+"/readyz")
	require.Equal(t, http.StatusOK, code)

	cancel()
	require.NoError(t, <-done)
}

func TestServeReportsEveryConfigProblem(t *testing.T) {
	path, _ := serveConfig(t, "storage:\n  driver: postgres\nrate_limit:\n  org_rps: 0\n")
	code, _, stderr := run(t, map[string]string{"AGENTIDP_LOG_FORMAT": "xml"},
		"serve", "--config", path, "--http-addr", "0.0.0.0:0")
	require.Equal(t, exitFailure, code)
	for _, want := range []string{
		`storage.postgres.url: must be set when storage.driver is "postgres"`,
		"rate_limit.org_rps: must be a positive number of requests per second",
		`log.format: must be "json" or "text"`,
	} {
		require.Contains(t, stderr, want)
	}

	code, _, stderr = run(t, nil, "serve")
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, `required flag(s) "config" not set`)
}

func TestServeRefusesPlaintextOffLoopback(t *testing.T) {
	path, _ := serveConfig(t, "")
	code, _, stderr := run(t, map[string]string{"AGENTIDP_SERVER_TLS_DISABLED": "true"},
		"serve", "--config", path, "--http-addr", ":0")
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, "server.tls.disabled: plaintext HTTP is allowed only when "+
		"server.http_addr listens on a loopback address")
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, nil, "version")
	require.Equal(t, exitOK, code)
	require.Regexp(t, `^agentidp dev\ncommit unknown\ngo1\.\d+`, out)
}

func TestRunTasksFirstFailureCancelsTheRest(t *testing.T) {
	boom := fmt.Errorf("boom")
	stopped := make(chan struct{})
	err := runTasks(context.Background(),
		func(ctx context.Context) error {
			<-ctx.Done()
			close(stopped)
			return nil
		},
		func(context.Context) error { return boom },
	)
	require.ErrorIs(t, err, boom)
	<-stopped
}
