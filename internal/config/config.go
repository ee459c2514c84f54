package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/agentidp/agentidp/internal/secret"
)

// Storage drivers.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Roles a process can run (RoleAuthz is in authz.go); xds and federation
// join this list as they are built.
const (
	RoleIssuer = "issuer"
)

// roles lists every role, for validation.
var roles = []string{RoleIssuer, RoleAuthz}

// JWS algorithms of the deployment's signing keys (keys.algorithm). They
// are the ones internal/keys generates; this package does not import it.
const (
	AlgES256 = "ES256"
	AlgEdDSA = "EdDSA"
	AlgRS256 = "RS256"
)

// Bounds of keys.rsa_bits, as internal/keys enforces them.
const (
	MinRSABits = 2048
	MaxRSABits = 16384
)

// KEKBytes is the length of the key-encryption key.
const KEKBytes = 32

// MinTokenTTL is the shortest access token lifetime a deployment, an
// organisation or an agent may set.
const MinTokenTTL = time.Minute

// Log formats.
const (
	FormatJSON = "json"
	FormatText = "text"
)

// SQLiteFile is the database file name inside the data directory when
// storage.sqlite.path is not set.
const SQLiteFile = "agentidp.db"

// Config is the whole configuration of one agentidp process. The yaml
// tags are the key paths of the configuration file; the environment
// variable of a key is AGENTIDP_ followed by its path in upper case with
// dots turned into underscores.
type Config struct {
	// DataDir holds the embedded database and, for dev, the generated key
	// and certificates. Empty means no data directory.
	DataDir string `yaml:"data_dir"`
	// Roles lists the parts of AgentIdP this process runs.
	Roles     []string    `yaml:"roles"`
	Server    Server      `yaml:"server"`
	Storage   Storage     `yaml:"storage"`
	Secrets   Secrets     `yaml:"secrets"`
	Issuer    Issuer      `yaml:"issuer"`
	Keys      SigningKeys `yaml:"keys"`
	Tokens    Tokens      `yaml:"tokens"`
	RateLimit RateLimit   `yaml:"rate_limit"`
	Log       Log         `yaml:"log"`
	DID       DID         `yaml:"did"`
	Authz     Authz       `yaml:"authz"`
}

// Server configures the REST listener and the metrics/health listener.
type Server struct {
	// HTTPAddr is host:port of the REST API (HTTPS unless TLS is
	// disabled). Port 0 picks a free port.
	HTTPAddr string `yaml:"http_addr"`
	// MetricsAddr is host:port of the plaintext listener that serves
	// /metrics, /healthz and /readyz. Port 0 picks a free port.
	MetricsAddr string `yaml:"metrics_addr"`
	TLS         TLS    `yaml:"tls"`
	// MaxBodyBytes caps a request body; larger bodies get 413.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// ShutdownTimeout bounds how long in-flight requests may run after a
	// stop signal before their connections are closed.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// ReadHeaderTimeout bounds reading request headers; it is the main
	// defence against slow-header clients holding connections.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// ReadTimeout bounds reading a whole request, body included.
	ReadTimeout time.Duration `yaml:"read_timeout"`
	// WriteTimeout bounds writing a response, counted from the end of the
	// request headers.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout is how long a keep-alive connection may sit unused.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
}

// TLS configures the certificate of the REST listener.
type TLS struct {
	// CertFile and KeyFile are PEM files: the certificate chain, leaf
	// first, and its private key.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// Disabled serves plaintext HTTP. It is accepted only when HTTPAddr
	// listens on a loopback address, e.g. behind a local TLS proxy.
	Disabled bool `yaml:"disabled"`
}

// Storage selects and configures the storage backend.
type Storage struct {
	// Driver is "sqlite" (embedded, single node) or "postgres" (shared by
	// several instances).
	Driver   string   `yaml:"driver"`
	SQLite   SQLite   `yaml:"sqlite"`
	Postgres Postgres `yaml:"postgres"`
}

// SQLite configures the embedded store.
type SQLite struct {
	// Path of the database file; empty means data_dir/agentidp.db.
	Path string `yaml:"path"`
}

// Postgres configures the PostgreSQL store.
type Postgres struct {
	// URL is a libpq connection URL. It usually holds a password: prefer
	// AGENTIDP_STORAGE_POSTGRES_URL over writing it into the file.
	URL string `yaml:"url"`
	// MaxConns caps the connection pool of this process.
	MaxConns int32 `yaml:"max_conns"`
	// Schema holds AgentIdP's tables; empty means the connection's
	// search_path default.
	Schema string `yaml:"schema"`
}

// Secrets configures the server key under which bearer secrets are
// hashed. Changing it invalidates every issued API key and client secret.
type Secrets struct {
	// HMACKeyFile holds at least 32 raw random bytes.
	HMACKeyFile string `yaml:"hmac_key_file"`
	// HMACKey is the key as base64, taken only from the environment
	// (AGENTIDP_SECRETS_HMAC_KEY) so that it never sits in a config file.
	HMACKey Sensitive `yaml:"-" env:"AGENTIDP_SECRETS_HMAC_KEY"`
}

// Issuer configures how the issuer names itself to clients.
type Issuer struct {
	// URL is the issuer's public https origin, such as
	// https://idp.example.com: the "iss" of every token and the base of
	// every URL in the discovery document. Clients and verifiers compare
	// it byte for byte, so changing it invalidates every issued token.
	// Required; dev derives it from its listener.
	URL string `yaml:"url"`
}

// SigningKeys configures the deployment's token-signing keys
// (internal/keys).
// Every instance sharing a database must use the same KEK; the other
// settings should match across instances too.
type SigningKeys struct {
	// Algorithm is the JWS algorithm of new keys: ES256, EdDSA or RS256.
	// A change takes effect at the next rotation.
	Algorithm string `yaml:"algorithm"`
	// RSABits is the size of new RS256 keys in bits, 2048 to 16384. Larger
	// keys make every signature and verification slower.
	RSABits int `yaml:"rsa_bits"`
	// RotationInterval is how long a key signs before its successor takes
	// over; 0 turns automatic rotation off (keys then change only by
	// `agentidp keys rotate` or the API). Must exceed PublishAhead.
	RotationInterval time.Duration `yaml:"rotation_interval"`
	// PublishAhead is how long a new key is published before it signs,
	// so that verifiers caching the key set hold it by then. Must exceed
	// RefreshInterval and every verifier's JWKS cache lifetime.
	PublishAhead time.Duration `yaml:"publish_ahead"`
	// RefreshInterval is how often each instance rereads the key set: how
	// soon it learns of another instance's rotation. Shorter means more
	// database reads.
	RefreshInterval time.Duration `yaml:"refresh_interval"`
	// KEKFile holds the key-encryption key that seals the private keys in
	// the database: one line of base64 encoding 32 bytes.
	KEKFile string `yaml:"kek_file"`
	// KEK is the key-encryption key as base64, taken only from the
	// environment (AGENTIDP_KEYS_KEK) so that it never sits in a config
	// file. It takes precedence over KEKFile.
	KEK Sensitive `yaml:"-" env:"AGENTIDP_KEYS_KEK"`
}

// Tokens configures the lifetime of the access tokens the issuer mints.
type Tokens struct {
	// DefaultTTL is the lifetime of the tokens of agents and organisations
	// that set none. At least a minute, at most MaxTTL.
	DefaultTTL time.Duration `yaml:"default_ttl"`
	// MaxTTL is the deployment's ceiling on every token lifetime, whatever
	// an organisation or agent asks for. Retired signing keys stay
	// published this long after they last signed, so raising it keeps
	// them longer; a longer token also outlives a revocation that the
	// edge learns of late.
	MaxTTL time.Duration `yaml:"max_ttl"`
}

// RateLimit configures the token buckets in front of the REST API. A
// request must find a token in the global bucket and in its
// organisation's bucket.
type RateLimit struct {
	// GlobalRPS is the sustained request rate of the whole process.
	GlobalRPS float64 `yaml:"global_rps"`
	// GlobalBurst is how many requests may arrive at once.
	GlobalBurst int `yaml:"global_burst"`
	// OrgRPS is the sustained request rate of one organisation.
	OrgRPS float64 `yaml:"org_rps"`
	// OrgBurst is how many requests one organisation may send at once.
	OrgBurst int `yaml:"org_burst"`
}

// Log configures the process logger.
type Log struct {
	// Level is debug, info, warn or error.
	Level string `yaml:"level"`
	// Format is json or text.
	Format string `yaml:"format"`
}

// Sensitive is a configuration value that must never be printed: its
// String and LogValue hide it.
type Sensitive string

// String returns a placeholder, never the value.
func (s Sensitive) String() string {
	if s == "" {
		return ""
	}
	return "[REDACTED]"
}

// LogValue implements slog.LogValuer.
func (s Sensitive) LogValue() slog.Value { return slog.StringValue(s.String()) }

// Default returns the configuration used for every key the file, the
// environment and the flags leave unset.
func Default() Config {
	return Config{
		Roles: []string{RoleIssuer},
		Server: Server{
			HTTPAddr:          ":8443",
			MetricsAddr:       ":9464",
			MaxBodyBytes:      1 << 20,
			ShutdownTimeout:   15 * time.Second,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
		Storage: Storage{
			Driver:   DriverSQLite,
			Postgres: Postgres{MaxConns: 10},
		},
		Keys: SigningKeys{
			Algorithm:        AlgES256,
			RSABits:          MinRSABits,
			RotationInterval: 30 * 24 * time.Hour,
			PublishAhead:     time.Hour,
			RefreshInterval:  30 * time.Second,
		},
		Tokens: Tokens{
			DefaultTTL: 10 * time.Minute,
			MaxTTL:     time.Hour,
		},
		RateLimit: RateLimit{
			GlobalRPS:   200,
			GlobalBurst: 400,
			OrgRPS:      20,
			OrgBurst:    40,
		},
		Log:   Log{Level: "info", Format: FormatJSON},
		DID:   DefaultDID(),
		Authz: DefaultAuthz(),
	}
}

// Dev returns the configuration of `agentidp dev`: everything lives in
// dataDir, listeners bind to loopback only, and logs are human-readable.
// Its issuer URL is that of the default listener; dev replaces it with the
// one of the address it binds.
func Dev(dataDir string) Config {
	c := Default()
	c.DataDir = dataDir
	c.Server.HTTPAddr = "127.0.0.1:8443"
	c.Server.MetricsAddr = "127.0.0.1:9464"
	c.Server.TLS.CertFile = filepath.Join(dataDir, "tls", "server.pem")
	c.Server.TLS.KeyFile = filepath.Join(dataDir, "tls", "server-key.pem")
	c.Secrets.HMACKeyFile = filepath.Join(dataDir, "hmac.key")
	c.Keys.KEKFile = filepath.Join(dataDir, "kek.key")
	c.Issuer.URL = "https://127.0.0.1:8443"
	c.Log.Format = FormatText
	c.Roles = []string{RoleIssuer, RoleAuthz}
	c.Authz.Addr = "127.0.0.1:9001"
	return c
}

// SQLitePath returns the database file of the SQLite store.
func (c *Config) SQLitePath() string {
	if c.Storage.SQLite.Path != "" {
		return c.Storage.SQLite.Path
	}
	return filepath.Join(c.DataDir, SQLiteFile)
}

// LoadHMACKey returns the server hashing key from the environment value
// or, when that is empty, from secrets.hmac_key_file. It checks the
// length; errors never contain key material.
func (c *Config) LoadHMACKey() ([]byte, error) {
	var key []byte
	if c.Secrets.HMACKey != "" {
		k, err := decodeKey(string(c.Secrets.HMACKey))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", envHMACKey, err)
		}
		key = k
	} else {
		k, err := os.ReadFile(c.Secrets.HMACKeyFile)
		if err != nil {
			return nil, fmt.Errorf("secrets.hmac_key_file: %w", err)
		}
		key = k
	}
	if len(key) < secret.MinKeyBytes {
		return nil, fmt.Errorf("secrets: hmac key has %d bytes, need at least %d",
			len(key), secret.MinKeyBytes)
	}
	return key, nil
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{
		base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding,
	} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, nil
		}
	}
	return nil, errors.New("not valid base64")
}
