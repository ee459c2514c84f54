package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/config"
	"github.com/agentidp/agentidp/internal/keys"
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

// serveIssuer is the issuer URL of the serve tests: a public name, as a
// deployment behind a load balancer would have.
const serveIssuer = "https://idp.example.test"

// serveConfig writes a configuration for serve on loopback port 0 with
// certificates from a dev CA and a KEK file, and returns its path and the
// CA path.
func serveConfig(t *testing.T, extra string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	_, caPath, err := tlsutil.EnsureDev(filepath.Join(dir, "tls"), time.Now())
	require.NoError(t, err)
	files := tlsutil.DevPaths(filepath.Join(dir, "tls"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hmac.key"), []byte(strings.Repeat("k", 32)), 0o600))
	_, err = keys.GenerateKEKFile(filepath.Join(dir, "kek.key"))
	require.NoError(t, err)

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
issuer:
  url: %s
keys:
  kek_file: %s
log:
  level: debug
%s`, dir, files.Cert, files.Key, filepath.Join(dir, "hmac.key"), serveIssuer,
		filepath.Join(dir, "kek.key"), extra)
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

	// A deployment gets its first super-admin key from the command line.
	code, out, stderr := run(t, map[string]string{"AGENTIDP_SECRETS_HMAC_KEY": key},
		"admin-key", "create", "--config", path)
	require.Equal(t, exitOK, code, stderr)
	adminKey := strings.TrimSpace(out)
	require.True(t, strings.HasPrefix(adminKey, "aidp.adm_"), "one key on stdout")

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

	api := newAPIClient(t, bootstrap{IssuerURL: issuerURL(ln.http.Addr().String()), CACert: caPath})
	code, body := api.do(http.MethodGet, "/v1/orgs", "aidp.not-a-key", nil)
	require.Equal(t, http.StatusUnauthorized, code, body)
	code, body = api.do(http.MethodPost, "/v1/orgs", adminKey, map[string]any{"name": "acme"})
	require.Equal(t, http.StatusCreated, code, body)
	code, _ = getPlain(t, "http://"+ln.metrics.Addr().String()+"/readyz")
	require.Equal(t, http.StatusOK, code)

	// The OAuth endpoints share the listener and name the configured
	// issuer, not the address they were reached at.
	code, disc := api.do(http.MethodGet, "/.well-known/openid-configuration", "", nil)
	require.Equal(t, http.StatusOK, code, disc)
	require.Equal(t, serveIssuer, disc["issuer"])
	require.Equal(t, serveIssuer+"/oauth2/token", disc["token_endpoint"])
	code, jwks := api.do(http.MethodGet, "/.well-known/jwks.json", "", nil)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, jwks["keys"], 1, "the first signing key was made at start")

	cancel()
	require.NoError(t, <-done)
}

func TestServeRefusesAnotherKEK(t *testing.T) {
	path, _ := serveConfig(t, "")
	code, _, stderr := run(t, nil, "keys", "list", "--config", path)
	require.Equal(t, exitFailure, code, "no database yet")
	require.Contains(t, stderr, "no database at")

	// A first start makes the first key, sealed under the file's KEK.
	s := streams{out: &syncBuffer{}, err: &syncBuffer{}, lookup: noEnv}
	cfg, err := loadConfig(path, s, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *listeners, 1)
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, &cfg, s, func(l *listeners) { ready <- l }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	cancel()
	require.NoError(t, <-done)

	other := base64.StdEncoding.EncodeToString([]byte(strings.Repeat("o", 32)))
	code, _, stderr = run(t, map[string]string{"AGENTIDP_KEYS_KEK": other},
		"serve", "--config", path)
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, "start signing keys")
	require.Contains(t, stderr, "another key-encryption key")
	require.NotContains(t, stderr, other)

	// The documented recovery: an immediate rotation under the new KEK
	// needs none of the old private keys, and serve starts again.
	env := map[string]string{"AGENTIDP_KEYS_KEK": other}
	code, out, stderr := run(t, env, "keys", "rotate", "--immediate", "--config", path)
	require.Equal(t, exitOK, code, stderr)
	require.Regexp(t, `(?m)\s+retired\s+no\s`, out)

	s.lookup = func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err = loadConfig(path, s, nil)
	require.NoError(t, err)
	ctx, cancel = context.WithCancel(context.Background())
	go func() { done <- runServe(ctx, &cfg, s, func(l *listeners) { ready <- l }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatal(err)
	}
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

func TestKeysRotateAndList(t *testing.T) {
	dir := populated(t)

	code, out, stderr := run(t, nil, "keys", "list", "--data-dir", dir)
	require.Equal(t, exitOK, code, stderr)
	require.Regexp(t, `(?m)^KID\s+ALG\s+STATE\s+SIGNING\s+CREATED\s+ACTIVATES\s+RETIRED\s+REMOVE AFTER$`,
		out)
	rows := regexp.MustCompile(`(?m)^([A-Za-z0-9_-]{43})\s+ES256\s+active\s+yes\s`).
		FindAllStringSubmatch(out, -1)
	require.Len(t, rows, 1, out)
	first := rows[0][1]

	code, out, stderr = run(t, nil, "keys", "rotate", "--data-dir", dir)
	require.Equal(t, exitOK, code, stderr)
	require.Regexp(t, `^new signing key [A-Za-z0-9_-]{43}\n`, out)
	require.Regexp(t, `(?m)\s+pending\s+no\s`, out)

	code, _, stderr = run(t, nil, "keys", "rotate", "--data-dir", dir)
	require.Equal(t, exitFailure, code)
	require.Contains(t, stderr, "a rotation is already pending")
	require.Contains(t, stderr, "--immediate")

	code, out, stderr = run(t, nil, "keys", "rotate", "--immediate", "--data-dir", dir)
	require.Equal(t, exitOK, code, stderr)
	require.Regexp(t, `(?m)^`+regexp.QuoteMeta(first)+`\s+ES256\s+retired\s+no\s`, out)
	require.NotContains(t, out, "pending", "the pending key never signed and is gone")

	// A restarted instance signs with the key the CLI made.
	p := startDev(t, dir)
	code, jwks := newAPIClient(t, p.boot).do(http.MethodGet, "/.well-known/jwks.json", "", nil)
	require.Equal(t, http.StatusOK, code)
	require.Len(t, jwks["keys"], 2, "the retired key stays published")
	code, list := newAPIClient(t, p.boot).do(http.MethodGet, "/v1/signing-keys",
		p.boot.AdminAPIKey, nil)
	require.Equal(t, http.StatusOK, code, list)
	for _, item := range list["items"].([]any) {
		k := item.(map[string]any)
		require.Equal(t, k["kid"] != first, k["signing"], k["kid"])
	}
	p.stop(t)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a data dir without a database", []string{"--data-dir", t.TempDir()}, "no database at"},
		{"neither flag", nil, "name exactly one of --config FILE and --data-dir DIR"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(t, nil, append([]string{"keys", "list"}, tt.args...)...)
			require.Equal(t, exitFailure, code)
			require.Contains(t, stderr, tt.want)
		})
	}
}

func TestRunLayeredStopsTheLowerTasksLast(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	upperDone := make(chan struct{})
	var lowerSawUpperDone bool
	errc := make(chan error, 1)
	go func() {
		errc <- runLayered(ctx,
			[]task{func(ctx context.Context) error {
				<-ctx.Done()
				select {
				case <-upperDone:
					lowerSawUpperDone = true
				default:
				}
				return nil
			}},
			[]task{func(ctx context.Context) error {
				<-ctx.Done()
				close(upperDone)
				return nil
			}})
	}()
	cancel()
	require.NoError(t, <-errc)
	require.True(t, lowerSawUpperDone, "the lower task's context ended before the upper task")
}

func TestRunLayeredLowerFailureStopsTheUpperTasks(t *testing.T) {
	boom := fmt.Errorf("boom")
	err := runLayered(context.Background(),
		[]task{func(context.Context) error { return boom }},
		[]task{func(ctx context.Context) error {
			<-ctx.Done()
			return nil
		}})
	require.ErrorIs(t, err, boom)
}

// Every signing key configuration that config accepts must be one the key
// manager accepts too: config repeats its rules to name the key paths.
func TestValidKeyConfigsBuildAManager(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	kek, err := keys.NewKEK(make([]byte, keys.KEKSize))
	require.NoError(t, err)

	tests := []struct {
		name string
		edit func(*config.Config)
	}{
		{"the defaults", func(*config.Config) {}},
		{"rotation off", func(c *config.Config) { c.Keys.RotationInterval = 0 }},
		{"RS256 at the largest size", func(c *config.Config) {
			c.Keys.Algorithm, c.Keys.RSABits = config.AlgRS256, config.MaxRSABits
		}},
		{"EdDSA with tight intervals", func(c *config.Config) {
			c.Keys = config.SigningKeys{Algorithm: config.AlgEdDSA, RSABits: config.MinRSABits,
				RotationInterval: 2 * time.Second, PublishAhead: time.Second,
				RefreshInterval: time.Millisecond, KEKFile: "kek.key"}
		}},
		{"the shortest token ceiling", func(c *config.Config) {
			c.Tokens = config.Tokens{DefaultTTL: config.MinTokenTTL, MaxTTL: config.MinTokenTTL}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Dev(t.TempDir())
			tt.edit(&cfg)
			require.NoError(t, cfg.Validate())
			_, err := newKeyManager(&cfg, st, kek, slog.New(slog.DiscardHandler))
			require.NoError(t, err)
		})
	}
}
