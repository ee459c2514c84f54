package oauth

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/agentidp/agentidp/internal/secret"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/issuer/did"
)

// Endpoint paths, relative to the issuer URL.
//
//nolint:gosec // G101: URL paths, not credentials.
const (
	PathToken      = "/oauth2/token"
	PathIntrospect = "/oauth2/introspect"
	PathRevoke     = "/oauth2/revoke"
	PathAgentInfo  = "/agent-info"
	PathDiscovery  = "/.well-known/openid-configuration"
	PathJWKS       = "/.well-known/jwks.json"
)

// PruneInterval is how often Run deletes the revocations and used client
// assertions that expired.
const PruneInterval = 10 * time.Minute

// Server serves the OAuth 2.0 and OIDC endpoints. Its handler is safe for
// concurrent use.
type Server struct {
	st      store.Store
	hasher  *secret.Hasher
	signer  Signer
	audit   Recorder
	log     *slog.Logger
	metrics *metrics
	now     func() time.Time
	defTTL  time.Duration
	maxTTL  time.Duration
	maxBody int64

	issuer   string
	tokenURL string
	// didHost is the issuer's host as a did:web method-specific id: its
	// port separator percent-encoded.
	didHost string

	keys    keyCache
	handler http.Handler
}

// New checks cfg, reporting every problem at once, and returns a Server.
func New(cfg Config) (*Server, error) {
	cfg = withDefaults(cfg)
	if err := validate(cfg); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("new oauth server: %w", err)
	}
	didHost, err := did.HostID(cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("new oauth server: %w", err)
	}

	s := &Server{
		st: cfg.Store, hasher: cfg.Hasher, signer: cfg.Signer, audit: cfg.Audit,
		log: cfg.Logger, metrics: m, now: cfg.Now,
		defTTL: cfg.DefaultTokenTTL, maxTTL: cfg.MaxTokenTTL, maxBody: cfg.MaxBodyBytes,
		issuer: cfg.Issuer, tokenURL: cfg.Issuer + PathToken,
		didHost: didHost,
	}
	s.handler = s.observe(s.routes())
	return s, nil
}

// Handler returns the handler of every endpoint path.
func (s *Server) Handler() http.Handler {
	return s.handler
}

// routes registers the endpoints, and for each path a 405 answer to the
// methods it does not take.
func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	for _, rt := range []struct {
		path    string
		methods []string
		handle  http.HandlerFunc
	}{
		{PathToken, []string{"POST"}, s.token},
		{PathIntrospect, []string{"POST"}, s.introspect},
		{PathRevoke, []string{"POST"}, s.revoke},
		// OIDC Core section 5.3.1: userinfo takes GET and POST.
		{PathAgentInfo, []string{"GET", "POST"}, s.agentInfo},
		{PathDiscovery, []string{"GET"}, s.discovery},
		{PathJWKS, []string{"GET"}, s.jwks},
	} {
		for _, m := range rt.methods {
			mux.Handle(m+" "+rt.path, rt.handle)
		}
		allow := strings.Join(rt.methods, ", ")
		if rt.methods[0] == "GET" {
			allow = strings.Replace(allow, "GET", "GET, HEAD", 1)
		}
		mux.Handle(rt.path, s.methodNotAllowed(allow))
	}
	return mux
}

// methodNotAllowed answers a method the path does not take.
func (s *Server) methodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, &oauthError{status: http.StatusMethodNotAllowed,
			code: errInvalidRequest, description: "method not allowed", allow: allow})
	})
}

// clock returns the current time at the precision the store keeps.
func (s *Server) clock() time.Time {
	return store.Truncate(s.now())
}

// Prune deletes the revocations of tokens that have expired and the used
// client assertions that can no longer be replayed.
func (s *Server) Prune(ctx context.Context) error {
	now := s.clock()
	var revocations, assertions int64
	err := s.st.WithTx(ctx, func(tx store.Tx) error {
		var err error
		if revocations, err = tx.PruneRevokedTokens(ctx, now); err != nil {
			return err
		}
		assertions, err = tx.PruneUsedAssertions(ctx, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("prune oauth state: %w", err)
	}
	s.log.DebugContext(ctx, "pruned expired oauth state",
		logRevocations, revocations, logAssertions, assertions)
	return nil
}

// Run prunes every PruneInterval until ctx ends, then returns nil. A
// failed prune is logged and tried again at the next turn.
func (s *Server) Run(ctx context.Context) error {
	t := time.NewTicker(PruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := s.Prune(ctx); err != nil && ctx.Err() == nil {
			s.log.ErrorContext(ctx, "oauth prune failed", logError, err.Error())
		}
	}
}
