package config

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// valid returns a configuration that passes Validate.
func valid() Config {
	c := Default()
	c.DataDir = "/var/lib/agentidp"
	c.Server.TLS.CertFile = "server.pem"
	c.Server.TLS.KeyFile = "server-key.pem"
	c.Secrets.HMACKeyFile = "hmac.key"
	c.Keys.KEKFile = "kek.key"
	c.Issuer.URL = "https://idp.example.com"
	return c
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func problems(t *testing.T, err error) []string {
	t.Helper()
	var cerr *Error
	require.ErrorAs(t, err, &cerr)
	out := make([]string, len(cerr.Problems))
	for i, p := range cerr.Problems {
		out[i] = p.Path + ": " + p.Msg
	}
	return out
}

func TestLoadPrecedence(t *testing.T) {
	file := writeFile(t, `
server:
  http_addr: "127.0.0.1:1001"
  metrics_addr: "127.0.0.1:2001"
  shutdown_timeout: 3s
log:
  level: debug
`)
	env := envOf(map[string]string{
		"AGENTIDP_SERVER_METRICS_ADDR":     "127.0.0.1:2002",
		"AGENTIDP_SERVER_SHUTDOWN_TIMEOUT": "4s",
		"AGENTIDP_STORAGE_POSTGRES_URL":    "postgres://u@h/db",
		"AGENTIDP_ROLES":                   " issuer , ",
	})
	flags := map[string]string{
		"server.shutdown_timeout": "5s",
	}

	cfg, err := Load(Source{File: file, Env: env, Overrides: flags})
	require.NoError(t, err)

	require.Equal(t, "127.0.0.1:1001", cfg.Server.HTTPAddr, "file only")
	require.Equal(t, "127.0.0.1:2002", cfg.Server.MetricsAddr, "env overrides file")
	require.Equal(t, 5*time.Second, cfg.Server.ShutdownTimeout, "flag overrides env and file")
	require.Equal(t, "debug", cfg.Log.Level)
	require.Equal(t, "postgres://u@h/db", cfg.Storage.Postgres.URL)
	require.Equal(t, []string{"issuer"}, cfg.Roles)
	require.Equal(t, int64(1<<20), cfg.Server.MaxBodyBytes, "default kept")
}

func TestLoadBaseIsNotModified(t *testing.T) {
	base := Dev("/data")
	cfg, err := Load(Source{Base: &base, Overrides: map[string]string{"roles": "a,b"}})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, cfg.Roles)
	require.Equal(t, []string{"issuer", "authz"}, base.Roles)
	require.Equal(t, "127.0.0.1:8443", cfg.Server.HTTPAddr)
}

func TestLoadReportsEveryProblemWithItsPath(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		env   map[string]string
		flags map[string]string
		want  []string
	}{
		{
			name: "unknown keys are refused at any depth",
			yaml: "server:\n  tsl: {}\n  tls:\n    cert: x\nlogging: {}\n",
			want: []string{
				"server.tsl: unknown key (line 2)",
				"server.tls.cert: unknown key (line 4)",
				"logging: unknown key (line 5)",
			},
		},
		{
			name: "badly typed values name their key",
			yaml: "server:\n  max_body_bytes: lots\n  shutdown_timeout: 15\n" +
				"  tls:\n    disabled: maybe\nroles: issuer\n",
			want: []string{
				"server.max_body_bytes: must be an integer (line 2)",
				`server.shutdown_timeout: must be a duration such as "15s" (line 3)`,
				"server.tls.disabled: must be true or false (line 5)",
				"roles: must be a list of a strings (line 6)",
			},
		},
		{
			name: "a section that is not a mapping",
			yaml: "storage: sqlite\n",
			want: []string{"storage: must be a mapping (line 1)"},
		},
		{
			name: "a key set twice",
			yaml: "log:\n  level: info\n  level: debug\n",
			want: []string{"log.level: set twice (line 3)"},
		},
		{
			name: "more than one document",
			yaml: "log: {}\n---\nlog: {}\n",
			want: []string{"(file): must hold exactly one YAML document"},
		},
		{
			name: "bad environment values and flags are reported together",
			env: map[string]string{
				"AGENTIDP_SERVER_MAX_BODY_BYTES": "1MiB",
				"AGENTIDP_RATE_LIMIT_ORG_RPS":    "fast",
			},
			flags: map[string]string{"server.http": "x", "log.level": "debug"},
			want: []string{
				"AGENTIDP_RATE_LIMIT_ORG_RPS: must be a number",
				"AGENTIDP_SERVER_MAX_BODY_BYTES: must be an integer",
				"server.http: unknown key",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := Source{Env: envOf(tt.env), Overrides: tt.flags}
			if tt.yaml != "" {
				src.File = writeFile(t, tt.yaml)
			}
			_, err := Load(src)
			require.Equal(t, tt.want, problems(t, err))
		})
	}
}

func TestLoadEmptyFileKeepsDefaults(t *testing.T) {
	for _, content := range []string{"", "# only a comment\n", "~\n"} {
		cfg, err := Load(Source{File: writeFile(t, content)})
		require.NoError(t, err)
		require.Equal(t, Default(), cfg)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load(Source{File: filepath.Join(t.TempDir(), "absent.yaml")})
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestValidate(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(make([]byte, 32))
	tests := []struct {
		name   string
		modify func(c *Config)
		want   []string
	}{
		{
			name:   "the valid base passes",
			modify: func(*Config) {},
		},
		{
			name: "postgres without a url",
			modify: func(c *Config) {
				c.Storage.Driver = DriverPostgres
				c.Storage.Postgres.MaxConns = 0
			},
			want: []string{
				`storage.postgres.url: must be set when storage.driver is "postgres"`,
				"storage.postgres.max_conns: must be at least 1",
			},
		},
		{
			name: "a postgres url of another scheme is refused without repeating it",
			modify: func(c *Config) {
				c.Storage.Driver = DriverPostgres
				c.Storage.Postgres.URL = "mysql://root:hunter2@db/x"
				c.Storage.Postgres.Schema = "x; drop"
			},
			want: []string{
				"storage.postgres.url: must be a postgres:// or postgresql:// URL " +
					`or a keyword/value string such as "host=db dbname=agentidp"`,
				"storage.postgres.schema: must be a plain SQL identifier " +
					"(letters, digits and underscores, not starting with a digit)",
			},
		},
		{
			name: "postgres accepts the keyword/value form",
			modify: func(c *Config) {
				c.Storage.Driver = DriverPostgres
				c.Storage.Postgres.URL = "host=db dbname=agentidp user=app"
			},
		},
		{
			name: "sqlite needs a path or a data directory",
			modify: func(c *Config) {
				c.DataDir = ""
			},
			want: []string{
				`storage.sqlite.path: must be set when storage.driver is "sqlite" and data_dir is empty`,
			},
		},
		{
			name: "every problem is reported at once",
			modify: func(c *Config) {
				c.Roles = []string{"issuer", "issuer", "authn"}
				c.Server.HTTPAddr = "8443"
				c.Server.MetricsAddr = "127.0.0.1:99999"
				c.Server.TLS = TLS{}
				c.Server.MaxBodyBytes = 0
				c.Server.IdleTimeout = -time.Second
				c.Storage.Driver = "mysql"
				c.Secrets.HMACKeyFile = ""
				c.RateLimit = RateLimit{GlobalRPS: -1, OrgBurst: 1, OrgRPS: 1}
				c.Log = Log{Level: "verbose", Format: "xml"}
			},
			want: []string{
				`roles[1]: role "issuer" is listed twice`,
				`roles[2]: unknown role "authn" (allowed: "issuer", "authz")`,
				`server.http_addr: must be host:port, e.g. "127.0.0.1:8443" or ":8443"`,
				"server.metrics_addr: port must be a number from 0 to 65535 (0 picks a free port)",
				"server.tls.cert_file: must be set unless server.tls.disabled is true",
				"server.tls.key_file: must be set unless server.tls.disabled is true",
				"server.max_body_bytes: must be a positive number of bytes",
				`server.idle_timeout: must be a positive duration such as "15s"`,
				`storage.driver: must be "sqlite" or "postgres"`,
				"secrets.hmac_key_file: must be set unless AGENTIDP_SECRETS_HMAC_KEY is",
				"rate_limit.global_rps: must be a positive number of requests per second",
				"rate_limit.global_burst: must be at least 1",
				`log.level: must be one of "debug", "info", "warn", "error"`,
				`log.format: must be "json" or "text"`,
			},
		},
		{
			name: "the issuer URL is required",
			modify: func(c *Config) {
				c.Issuer.URL = ""
			},
			want: []string{`issuer.url: must be set to the issuer's public https URL, ` +
				`e.g. "https://idp.example.com"`},
		},
		{
			name: "a plain http issuer URL is refused",
			modify: func(c *Config) {
				c.Issuer.URL = "http://idp.example.com"
			},
			want: []string{"issuer.url: must be an https URL"},
		},
		{
			name: "an issuer URL with a path is refused",
			modify: func(c *Config) {
				c.Issuer.URL = "https://idp.example.com/tenant?x=1"
			},
			want: []string{"issuer.url: must be an origin (scheme, host and port) " +
				"with no user, path, query or fragment"},
		},
		{
			name: "an issuer URL with a port and a trailing slash is accepted",
			modify: func(c *Config) {
				c.Issuer.URL = "https://idp.example.com:8443/"
			},
		},
		{
			name: "an issuer URL without a host is refused",
			modify: func(c *Config) {
				c.Issuer.URL = "https:///x"
			},
			want: []string{"issuer.url: must name a host"},
		},
		{
			name: "every signing key and token problem is reported with its path",
			modify: func(c *Config) {
				c.Keys = SigningKeys{Algorithm: "HS256", RSABits: 1024,
					RotationInterval: 30 * time.Minute, PublishAhead: time.Hour}
				c.Tokens = Tokens{DefaultTTL: 30 * time.Second, MaxTTL: 59 * time.Second}
			},
			want: []string{
				`keys.algorithm: must be "ES256", "EdDSA" or "RS256"`,
				"keys.rsa_bits: must be from 2048 to 16384",
				"keys.rotation_interval: must be longer than keys.publish_ahead, or 0 (off)",
				`keys.refresh_interval: must be a positive duration such as "30s"`,
				"keys.kek_file: must be set unless AGENTIDP_KEYS_KEK is",
				"tokens.max_ttl: must be at least 1m0s",
				"tokens.default_ttl: must be at least 1m0s",
			},
		},
		{
			name: "a key published for less than a refresh is refused",
			modify: func(c *Config) {
				c.Keys.PublishAhead = 30 * time.Second
				c.Keys.RotationInterval = -time.Hour
			},
			want: []string{
				`keys.rotation_interval: must be 0 (off) or a positive duration such as "720h"`,
				"keys.publish_ahead: must be longer than keys.refresh_interval",
			},
		},
		{
			name: "automatic rotation may be turned off",
			modify: func(c *Config) {
				c.Keys.RotationInterval = 0
				c.Keys.Algorithm = AlgRS256
				c.Keys.RSABits = 4096
			},
		},
		{
			name: "a default token lifetime above the ceiling is refused",
			modify: func(c *Config) {
				c.Tokens = Tokens{DefaultTTL: 2 * time.Hour, MaxTTL: time.Hour}
			},
			want: []string{"tokens.default_ttl: must not exceed tokens.max_ttl"},
		},
		{
			name: "a KEK from the environment replaces the file",
			modify: func(c *Config) {
				c.Keys.KEKFile = ""
				c.Keys.KEK = Sensitive(key)
			},
		},
		{
			name: "a KEK from the environment must be 32 bytes",
			modify: func(c *Config) {
				c.Keys.KEK = Sensitive(base64.StdEncoding.EncodeToString(make([]byte, 33)))
			},
			want: []string{
				"AGENTIDP_KEYS_KEK: must be the base64 encoding of exactly 32 bytes",
			},
		},
		{
			name: "the same fixed port twice",
			modify: func(c *Config) {
				c.Server.MetricsAddr = c.Server.HTTPAddr
			},
			want: []string{"server.metrics_addr: must differ from server.http_addr"},
		},
		{
			name: "port 0 twice is fine",
			modify: func(c *Config) {
				c.Server.HTTPAddr = "127.0.0.1:0"
				c.Server.MetricsAddr = "127.0.0.1:0"
			},
		},
		{
			name: "an hmac key from the environment replaces the file",
			modify: func(c *Config) {
				c.Secrets = Secrets{HMACKey: Sensitive(key)}
			},
		},
		{
			name: "a short hmac key from the environment",
			modify: func(c *Config) {
				c.Secrets.HMACKey = Sensitive(base64.StdEncoding.EncodeToString([]byte("short")))
			},
			want: []string{
				"AGENTIDP_SECRETS_HMAC_KEY: must be the base64 encoding of at least 32 bytes",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			tt.modify(&c)
			err := c.Validate()
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.Equal(t, tt.want, problems(t, err))
			require.NotContains(t, err.Error(), "hunter2")
		})
	}
}

func TestPlaintextOnlyOnLoopback(t *testing.T) {
	tests := []struct {
		name    string
		addr    string
		allowed bool
	}{
		{"IPv4 loopback", "127.0.0.1:8080", true},
		{"another IPv4 loopback address", "127.0.0.2:8080", true},
		{"IPv6 loopback", "[::1]:8080", true},
		{"localhost", "localhost:8080", true},
		{"every interface", ":8080", false},
		{"the IPv4 wildcard", "0.0.0.0:8080", false},
		{"the IPv6 wildcard", "[::]:8080", false},
		{"a routable address", "10.1.2.3:8080", false},
		{"a host name", "idp.example.com:8080", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			c.Server.HTTPAddr = tt.addr
			c.Server.TLS = TLS{Disabled: true}
			err := c.Validate()
			if tt.allowed {
				require.NoError(t, err)
				return
			}
			require.Equal(t, []string{
				"server.tls.disabled: plaintext HTTP is allowed only when server.http_addr " +
					"listens on a loopback address (127.0.0.1, ::1 or localhost)",
			}, problems(t, err))
		})
	}
}

func TestEnvNames(t *testing.T) {
	envs := map[string]string{}
	for _, k := range Keys() {
		envs[k.Env] = k.Path
	}
	require.Equal(t, "storage.postgres.url", envs["AGENTIDP_STORAGE_POSTGRES_URL"])
	require.Equal(t, "server.tls.cert_file", envs["AGENTIDP_SERVER_TLS_CERT_FILE"])
	require.Equal(t, "rate_limit.org_burst", envs["AGENTIDP_RATE_LIMIT_ORG_BURST"])
	require.Contains(t, envs, "AGENTIDP_SECRETS_HMAC_KEY")
	require.Empty(t, envs["AGENTIDP_SECRETS_HMAC_KEY"], "the key itself has no file key")
	require.Equal(t, "keys.rotation_interval", envs["AGENTIDP_KEYS_ROTATION_INTERVAL"])
	require.Equal(t, "tokens.max_ttl", envs["AGENTIDP_TOKENS_MAX_TTL"])
	require.Contains(t, envs, "AGENTIDP_KEYS_KEK")
	require.Empty(t, envs["AGENTIDP_KEYS_KEK"], "the KEK itself has no file key")
}

func TestLoadHMACKey(t *testing.T) {
	dir := t.TempDir()
	long := filepath.Join(dir, "long.key")
	short := filepath.Join(dir, "short.key")
	require.NoError(t, os.WriteFile(long, make([]byte, 40), 0o600))
	require.NoError(t, os.WriteFile(short, make([]byte, 31), 0o600))
	raw := []byte(strings.Repeat("k", 32))

	tests := []struct {
		name    string
		secrets Secrets
		want    []byte
		wantErr string
	}{
		{"from a file", Secrets{HMACKeyFile: long}, make([]byte, 40), ""},
		{"a short file", Secrets{HMACKeyFile: short}, nil,
			"secrets: hmac key has 31 bytes, need at least 32"},
		{"from the environment, which wins over the file",
			Secrets{HMACKeyFile: short,
				HMACKey: Sensitive(base64.RawURLEncoding.EncodeToString(raw))}, raw, ""},
		{"not base64", Secrets{HMACKey: "%%%"}, nil,
			"AGENTIDP_SECRETS_HMAC_KEY: not valid base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			c.Secrets = tt.secrets
			key, err := c.LoadHMACKey()
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, key)
		})
	}
}

func TestSensitiveNeverPrints(t *testing.T) {
	s := Sensitive("c2VjcmV0")
	require.Equal(t, "[REDACTED]", s.String())
	require.Equal(t, "[REDACTED]", s.LogValue().String())
	require.Empty(t, Sensitive("").String())
}

func TestDevDefaults(t *testing.T) {
	c := Dev("/data")
	require.NoError(t, c.Validate())
	require.Equal(t, filepath.Join("/data", "kek.key"), c.Keys.KEKFile)
	require.Equal(t, "https://127.0.0.1:8443", c.Issuer.URL)
}

func TestLoadKEKFromTheEnvironment(t *testing.T) {
	kek := base64.StdEncoding.EncodeToString(make([]byte, 32))
	cfg, err := Load(Source{Env: envOf(map[string]string{
		"AGENTIDP_KEYS_KEK":       kek,
		"AGENTIDP_ISSUER_URL":     "https://idp.example.com",
		"AGENTIDP_TOKENS_MAX_TTL": "2h",
	})})
	require.NoError(t, err)
	require.Equal(t, Sensitive(kek), cfg.Keys.KEK)
	require.Equal(t, "https://idp.example.com", cfg.Issuer.URL)
	require.Equal(t, 2*time.Hour, cfg.Tokens.MaxTTL)
	require.NotContains(t, fmt.Sprintf("%v %+v", cfg.Keys, cfg.Keys), kek)
}

func TestEnvErrorsDoNotRepeatValues(t *testing.T) {
	_, err := Load(Source{Env: envOf(map[string]string{
		"AGENTIDP_SERVER_TLS_DISABLED": "hunter2",
	})})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "hunter2")
}

// The reference configuration must load, validate, and mention every key,
// so that it changes whenever the configuration does.
func TestExampleConfig(t *testing.T) {
	const path = "../../deploy/config.example.yaml"
	cfg, err := Load(Source{File: path})
	require.NoError(t, err)
	require.NoError(t, cfg.Validate())

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var tree map[string]any
	require.NoError(t, yaml.Unmarshal(data, &tree))
	for _, k := range Keys() {
		if k.Path == "" {
			require.Contains(t, string(data), k.Env, "env-only key is documented")
			continue
		}
		require.True(t, hasPath(tree, k.Path), "%s is missing from %s", k.Path, path)
	}
}

// The configuration guide must name every setting and its variable.
func TestConfigurationDocNamesEverySetting(t *testing.T) {
	data, err := os.ReadFile("../../docs/configuration.md")
	require.NoError(t, err)
	for _, k := range Keys() {
		require.Contains(t, string(data), "`"+k.Env+"`")
		if k.Path != "" {
			require.Contains(t, string(data), "`"+k.Path+"`")
		}
	}
}

func hasPath(tree map[string]any, path string) bool {
	head, rest, nested := strings.Cut(path, ".")
	v, ok := tree[head]
	if !ok || !nested {
		return ok
	}
	sub, ok := v.(map[string]any)
	return ok && hasPath(sub, rest)
}

func FuzzLoadYAML(f *testing.F) {
	seed, err := os.ReadFile("../../deploy/config.example.yaml")
	require.NoError(f, err)
	f.Add(seed)
	f.Add([]byte("server: {tls: {disabled: true}}\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("roles: [issuer, issuer]\nserver:\n  idle_timeout: 1h\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg := Default()
		probs := decodeYAML(data, &cfg)
		for _, p := range probs {
			require.NotEmpty(t, p.Path)
			require.NotEmpty(t, p.Msg)
		}
		// Whatever was accepted must validate without panicking.
		_ = cfg.Validate()
	})
}
