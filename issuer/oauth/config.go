package oauth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentidp/agentidp/internal/secret"
	"github.com/agentidp/agentidp/internal/store"
)

// Defaults of Config.
const (
	DefaultTokenTTL    = 10 * time.Minute
	DefaultMaxTokenTTL = time.Hour
	// DefaultMaxBodyBytes leaves room for a client assertion signed with
	// a large RSA key and every parameter, and little else.
	DefaultMaxBodyBytes = 64 << 10
)

// ErrInvalidConfig is wrapped by every problem New finds in a Config.
var ErrInvalidConfig = errors.New("oauth: invalid config")

// Config configures a Server.
type Config struct {
	// Store holds agents, credentials and revocations; required.
	Store store.Store
	// Hasher compares presented client secrets with the stored hashes;
	// required.
	Hasher *secret.Hasher
	// Signer signs tokens and publishes the key set; required.
	Signer Signer
	// Audit records every issued token and every refusal of a known
	// client; required. A token is delivered only once recorded.
	Audit Recorder
	// Issuer is the issuer URL: the "iss" of every token, the base of
	// every endpoint URL in the discovery document, and, by its host, the
	// host of the agents' did:web identifiers. It must be an https origin
	// with no path, query or fragment, such as https://idp.example.com:8443.
	Issuer string
	// Logger receives one line per request and the errors behind
	// server_error answers; nil discards them.
	Logger *slog.Logger
	// Registerer receives the server's metrics; nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// Now is the clock of token lifetimes and checks; nil means time.Now.
	Now func() time.Time
	// DefaultTokenTTL is the access token lifetime of agents and
	// organisations that set none; DefaultTokenTTL when zero.
	DefaultTokenTTL time.Duration
	// MaxTokenTTL caps every access token lifetime, whatever an agent or
	// organisation asks for; DefaultMaxTokenTTL when zero. Longer tokens
	// outlive a suspension or revocation that the edge learns of only
	// through introspection or the revocation list.
	MaxTokenTTL time.Duration
	// MaxBodyBytes bounds request bodies; DefaultMaxBodyBytes when zero.
	MaxBodyBytes int64
}

// withDefaults fills the zero fields of cfg that have a default.
func withDefaults(cfg Config) Config {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.DefaultTokenTTL == 0 {
		cfg.DefaultTokenTTL = DefaultTokenTTL
	}
	if cfg.MaxTokenTTL == 0 {
		cfg.MaxTokenTTL = DefaultMaxTokenTTL
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	return cfg
}

// validate reports every problem of a Config whose defaults are filled,
// each naming its field.
func validate(cfg Config) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field,
			fmt.Sprintf(format, args...)))
	}

	for _, f := range []struct {
		name string
		nil  bool
	}{
		{"Store", cfg.Store == nil}, {"Hasher", cfg.Hasher == nil},
		{"Signer", cfg.Signer == nil}, {"Audit", cfg.Audit == nil},
	} {
		if f.nil {
			bad(f.name, "required")
		}
	}
	if err := checkIssuer(cfg.Issuer); err != nil {
		bad("Issuer", "%v", err)
	}
	if cfg.DefaultTokenTTL < time.Second || cfg.MaxTokenTTL < time.Second {
		bad("DefaultTokenTTL", "token lifetimes must be at least a second")
	}
	if cfg.DefaultTokenTTL > cfg.MaxTokenTTL {
		bad("DefaultTokenTTL", "%s exceeds MaxTokenTTL (%s)", cfg.DefaultTokenTTL,
			cfg.MaxTokenTTL)
	}
	if b, ok := cfg.Signer.(ttlBound); ok && cfg.MaxTokenTTL > b.MaxTokenTTL() {
		bad("MaxTokenTTL", "%s exceeds the %s the signing keys stay published for",
			cfg.MaxTokenTTL, b.MaxTokenTTL())
	}
	if cfg.MaxBodyBytes < 0 {
		bad("MaxBodyBytes", "negative")
	}
	return errors.Join(errs...)
}

// checkIssuer refuses an issuer URL that is not a bare https origin.
func checkIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	switch {
	case issuer == "":
		return errors.New("required")
	case err != nil:
		return errors.New("not a URL")
	case u.Scheme != "https":
		return errors.New("must use https")
	case u.Host == "" || u.Hostname() == "":
		return errors.New("must name a host")
	case u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" ||
		u.ForceQuery || u.Opaque != "":
		return errors.New("must be an origin, with no user, path, query or fragment")
	}
	return nil
}
