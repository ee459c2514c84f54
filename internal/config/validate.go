package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agentidp/agentidp/internal/secret"
)

// Problem is one thing wrong with a configuration.
type Problem struct {
	// Path is the key path ("storage.postgres.url"), or the environment
	// variable when the value came from one that has no key path.
	Path string
	Msg  string
}

// Error lists every problem found in a configuration. Its messages never
// repeat a value that may be a secret (URLs, keys, environment values).
type Error struct {
	Problems []Problem
}

// Error returns one line per problem, "path: message".
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Path + ": " + p.Msg
	}
	return strings.Join(lines, "\n")
}

// Validate checks c and returns an *Error listing every problem, or nil.
func (c *Config) Validate() error {
	var v validator
	c.validateRoles(&v)
	c.validateServer(&v)
	c.validateStorage(&v)
	c.validateSecrets(&v)
	c.validateIssuer(&v)
	c.validateKeys(&v)
	c.validateTokens(&v)
	c.validateRateLimit(&v)
	c.validateLog(&v)
	c.validateDID(&v)
	c.validateAuthz(&v)
	if len(v.probs) == 0 {
		return nil
	}
	return &Error{Problems: v.probs}
}

type validator struct {
	probs []Problem
}

func (v *validator) add(path, format string, args ...any) {
	v.probs = append(v.probs, Problem{Path: path, Msg: fmt.Sprintf(format, args...)})
}

// allowedRoles lists the roles for a message: "issuer", "authz".
func allowedRoles() string {
	q := make([]string, len(roles))
	for i, r := range roles {
		q[i] = strconv.Quote(r)
	}
	return strings.Join(q, ", ")
}

func (c *Config) validateRoles(v *validator) {
	if len(c.Roles) == 0 {
		v.add("roles", "must name at least one role (allowed: %s)", allowedRoles())
	}
	seen := map[string]bool{}
	for i, r := range c.Roles {
		path := fmt.Sprintf("roles[%d]", i)
		switch {
		case !slices.Contains(roles, r):
			v.add(path, "unknown role %q (allowed: %s)", r, allowedRoles())
		case seen[r]:
			v.add(path, "role %q is listed twice", r)
		}
		seen[r] = true
	}
}

func (c *Config) validateServer(v *validator) {
	s := &c.Server
	httpHost, httpOK := checkAddr(v, "server.http_addr", s.HTTPAddr)
	checkAddr(v, "server.metrics_addr", s.MetricsAddr)
	if httpOK && s.HTTPAddr == s.MetricsAddr && !strings.HasSuffix(s.HTTPAddr, ":0") {
		v.add("server.metrics_addr", "must differ from server.http_addr")
	}

	if s.TLS.Disabled {
		if httpOK && !IsLoopback(httpHost) {
			v.add("server.tls.disabled", "plaintext HTTP is allowed only when "+
				"server.http_addr listens on a loopback address (127.0.0.1, ::1 or localhost)")
		}
	} else {
		if s.TLS.CertFile == "" {
			v.add("server.tls.cert_file", "must be set unless server.tls.disabled is true")
		}
		if s.TLS.KeyFile == "" {
			v.add("server.tls.key_file", "must be set unless server.tls.disabled is true")
		}
	}

	if s.MaxBodyBytes <= 0 {
		v.add("server.max_body_bytes", "must be a positive number of bytes")
	}
	for _, d := range []struct {
		path string
		val  time.Duration
	}{
		{"server.shutdown_timeout", s.ShutdownTimeout},
		{"server.read_header_timeout", s.ReadHeaderTimeout},
		{"server.read_timeout", s.ReadTimeout},
		{"server.write_timeout", s.WriteTimeout},
		{"server.idle_timeout", s.IdleTimeout},
	} {
		if d.val <= 0 {
			v.add(d.path, `must be a positive duration such as "15s"`)
		}
	}
}

// checkAddr checks a host:port listen address and returns its host.
func checkAddr(v *validator, path, addr string) (string, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		v.add(path, `must be host:port, e.g. "127.0.0.1:8443" or ":8443"`)
		return "", false
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n > math.MaxUint16 {
		v.add(path, "port must be a number from 0 to 65535 (0 picks a free port)")
		return "", false
	}
	return host, true
}

// IsLoopback reports whether a listen host reaches only this machine.
// An empty host listens on every interface and is not loopback.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (c *Config) validateStorage(v *validator) {
	st := &c.Storage
	switch st.Driver {
	case DriverSQLite:
		if st.SQLite.Path == "" && c.DataDir == "" {
			v.add("storage.sqlite.path", "must be set when storage.driver is %q and data_dir is empty",
				DriverSQLite)
		}
	case DriverPostgres:
		c.validatePostgres(v)
	default:
		v.add("storage.driver", "must be %q or %q", DriverSQLite, DriverPostgres)
	}
}

func (c *Config) validatePostgres(v *validator) {
	pg := &c.Storage.Postgres
	switch {
	case pg.URL == "":
		v.add("storage.postgres.url", "must be set when storage.driver is %q", DriverPostgres)
	case !validPostgresURL(pg.URL):
		// The value is not repeated: it may hold a password.
		v.add("storage.postgres.url",
			"must be a postgres:// or postgresql:// URL or a keyword/value string such as \"host=db dbname=agentidp\"")
	}
	if pg.MaxConns < 1 {
		v.add("storage.postgres.max_conns", "must be at least 1")
	}
	if pg.Schema != "" && !isIdentifier(pg.Schema) {
		v.add("storage.postgres.schema",
			"must be a plain SQL identifier (letters, digits and underscores, not starting with a digit)")
	}
}

// validPostgresURL accepts the two forms libpq (and pgx) read: a URL with
// the postgres or postgresql scheme, and keyword=value pairs.
func validPostgresURL(s string) bool {
	if !strings.Contains(s, "://") {
		return strings.Contains(s, "=")
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql")
}

func isIdentifier(s string) bool {
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return len(s) <= 63
}

func (c *Config) validateSecrets(v *validator) {
	if c.Secrets.HMACKey != "" {
		key, err := decodeKey(string(c.Secrets.HMACKey))
		if err != nil || len(key) < secret.MinKeyBytes {
			v.add(envHMACKey, "must be the base64 encoding of at least %d bytes", secret.MinKeyBytes)
		}
		return
	}
	if c.Secrets.HMACKeyFile == "" {
		v.add("secrets.hmac_key_file", "must be set unless %s is", envHMACKey)
	}
}

func (c *Config) validateIssuer(v *validator) {
	const path = "issuer.url"
	if c.Issuer.URL == "" {
		v.add(path, `must be set to the issuer's public https URL, e.g. "https://idp.example.com"`)
		return
	}
	u, err := url.Parse(c.Issuer.URL)
	switch {
	case err != nil || u.Scheme != "https":
		v.add(path, "must be an https URL")
	case u.Hostname() == "":
		v.add(path, "must name a host")
	case u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" ||
		u.Fragment != "" || u.ForceQuery:
		v.add(path, "must be an origin (scheme, host and port) with no user, path, query or fragment")
	}
}

func (c *Config) validateKeys(v *validator) {
	k := &c.Keys
	switch k.Algorithm {
	case AlgES256, AlgEdDSA, AlgRS256:
	default:
		v.add("keys.algorithm", "must be %q, %q or %q", AlgES256, AlgEdDSA, AlgRS256)
	}
	if k.RSABits < MinRSABits || k.RSABits > MaxRSABits {
		v.add("keys.rsa_bits", "must be from %d to %d", MinRSABits, MaxRSABits)
	}

	switch {
	case k.RotationInterval < 0:
		v.add("keys.rotation_interval", `must be 0 (off) or a positive duration such as "720h"`)
	case k.RotationInterval > 0 && k.RotationInterval <= k.PublishAhead:
		v.add("keys.rotation_interval", "must be longer than keys.publish_ahead, or 0 (off)")
	}
	if k.RefreshInterval <= 0 {
		v.add("keys.refresh_interval", `must be a positive duration such as "30s"`)
	}
	if k.PublishAhead <= k.RefreshInterval {
		// Otherwise an instance could sign with a key that another has
		// not read yet, and whose verifiers do not hold it.
		v.add("keys.publish_ahead", "must be longer than keys.refresh_interval")
	}

	if k.KEK != "" {
		key, err := decodeKey(string(k.KEK))
		if err != nil || len(key) != KEKBytes {
			v.add(envKEK, "must be the base64 encoding of exactly %d bytes", KEKBytes)
		}
		return
	}
	if k.KEKFile == "" {
		v.add("keys.kek_file", "must be set unless %s is", envKEK)
	}
}

func (c *Config) validateTokens(v *validator) {
	t := &c.Tokens
	if t.MaxTTL < MinTokenTTL {
		v.add("tokens.max_ttl", "must be at least %s", MinTokenTTL)
	}
	switch {
	case t.DefaultTTL < MinTokenTTL:
		v.add("tokens.default_ttl", "must be at least %s", MinTokenTTL)
	case t.DefaultTTL > t.MaxTTL:
		v.add("tokens.default_ttl", "must not exceed tokens.max_ttl")
	}
}

func (c *Config) validateRateLimit(v *validator) {
	r := &c.RateLimit
	for _, f := range []struct {
		path string
		val  float64
	}{{"rate_limit.global_rps", r.GlobalRPS}, {"rate_limit.org_rps", r.OrgRPS}} {
		if !(f.val > 0) || math.IsInf(f.val, 0) {
			v.add(f.path, "must be a positive number of requests per second")
		}
	}
	for _, f := range []struct {
		path string
		val  int
	}{{"rate_limit.global_burst", r.GlobalBurst}, {"rate_limit.org_burst", r.OrgBurst}} {
		if f.val < 1 {
			v.add(f.path, "must be at least 1")
		}
	}
}

func (c *Config) validateLog(v *validator) {
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		v.add("log.level", `must be one of "debug", "info", "warn", "error"`)
	}
	if c.Log.Format != FormatJSON && c.Log.Format != FormatText {
		v.add("log.format", "must be %q or %q", FormatJSON, FormatText)
	}
}
