package did

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentidp/agentidp/internal/store"
)

// ErrInvalidConfig is wrapped by every problem New finds in a Config.
var ErrInvalidConfig = errors.New("did: invalid config")

// Store is what the server reads of the store: agents by id alone and
// their public keys. store.Store implements it.
type Store interface {
	FindAgent(ctx context.Context, id string) (store.Agent, store.Org, error)
	ListAgentKeys(ctx context.Context, orgID, agentID string) ([]store.AgentKey, error)
}

// KeySet publishes the deployment's signing keys. *keys.Manager
// implements it; JWKS must not block, it runs on every request.
type KeySet interface {
	// JWKS returns the published key set as JSON ({"keys": [...]}), each
	// key with its kid.
	JWKS() []byte
}

// Config configures a Server.
type Config struct {
	// Issuer is the issuer URL, an https origin such as
	// https://idp.example.com:8443; its host names the deployment's
	// did:web. Required.
	Issuer string
	// Store holds the agents and their keys; required.
	Store Store
	// Keys is the deployment's published key set; required.
	Keys KeySet
	// FederationURL is the endpoint partners use to federate with the
	// deployment, listed as a service of its DID document; empty means
	// the token endpoint, where RFC 8693 token exchange admits them.
	FederationURL string
	// Remote configures the resolution of other hosts' did:web.
	Remote RemoteConfig
	// Logger receives the store errors behind internalError answers;
	// nil discards them.
	Logger *slog.Logger
	// Registerer receives the resolver's metrics; nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// Now is the clock that decides whether an agent key has expired;
	// nil means time.Now.
	Now func() time.Time
}

// validate fills the defaults of cfg and reports every problem of it.
func (cfg *Config) validate() error {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	if cfg.FederationURL == "" {
		cfg.FederationURL = cfg.Issuer + "/oauth2/token"
	}

	var errs []error
	bad := func(field, msg string) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, msg))
	}
	if u, err := url.Parse(cfg.Issuer); err != nil || u.Scheme != "https" || u.Host == "" ||
		u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		bad("Issuer", "must be an https origin")
	}
	if cfg.Store == nil {
		bad("Store", "required")
	}
	if cfg.Keys == nil {
		bad("Keys", "required")
	}
	r := &cfg.Remote
	if r.Timeout < 0 || r.MaxDocumentBytes < 0 || r.CacheSize < 0 || r.CacheTTL < 0 {
		bad("Remote", "limits must not be negative")
	}
	for _, h := range r.AllowedHosts {
		if h == "" || h != strings.ToLower(h) || strings.Contains(strings.TrimPrefix(h, "*."), "*") {
			bad("Remote.AllowedHosts", "entries must be lower-case names or *.suffix")
		}
	}
	return errors.Join(errs...)
}
