package rest

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentidp/agentidp/internal/secret"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/issuer"
)

// DefaultMaxBodyBytes is the request body limit when Config.MaxBodyBytes
// is zero.
const DefaultMaxBodyBytes = 1 << 20

// RateLimit configures the token buckets in front of the API. A zero field
// takes its default.
type RateLimit struct {
	// GlobalRPS and GlobalBurst bound all requests together, checked
	// before authentication so that a flood cannot exhaust the database.
	GlobalRPS   float64
	GlobalBurst int
	// OrgRPS and OrgBurst bound the requests of each organisation (and of
	// each super-admin key), checked once the key is known.
	OrgRPS   float64
	OrgBurst int
}

// Config configures a Server.
type Config struct {
	// Store holds every object; required.
	Store store.Store
	// Hasher hashes API keys and client secrets; required.
	Hasher *secret.Hasher
	// SigningKeys serves the /v1/signing-keys routes; nil makes them
	// answer 404 (see issuer.Config).
	SigningKeys issuer.KeyManager
	// MaxTokenTTL is the deployment's ceiling on token lifetimes, the
	// largest token_ttl_seconds accepted; zero means
	// issuer.DefaultMaxTokenTTL.
	MaxTokenTTL time.Duration
	// Logger receives one access line per request and the errors behind
	// 5xx answers; nil discards them.
	Logger *slog.Logger
	// Registerer receives the server's metrics; nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// MaxBodyBytes bounds request bodies; larger ones get 413. Zero means
	// DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// RateLimit configures the rate limits.
	RateLimit RateLimit
	// Now is the clock of business rules and rate limits; nil means
	// time.Now.
	Now func() time.Time
}

// Server is the /v1 HTTP API. Its handler is safe for concurrent use.
type Server struct {
	svc     *issuer.Service
	log     *slog.Logger
	metrics *metrics
	limits  *limiter
	maxBody int64
	now     func() time.Time
	handler http.Handler
}

// New returns a Server built from cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBodyBytes < 0 {
		return nil, errors.New("new rest server: negative MaxBodyBytes")
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}

	svc, err := issuer.New(issuer.Config{Store: cfg.Store, Hasher: cfg.Hasher,
		SigningKeys: cfg.SigningKeys, MaxTokenTTL: cfg.MaxTokenTTL, Now: cfg.Now})
	if err != nil {
		return nil, fmt.Errorf("new rest server: %w", err)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("new rest server: %w", err)
	}

	s := &Server{svc: svc, log: cfg.Logger, metrics: m, limits: newLimiter(cfg.RateLimit),
		maxBody: cfg.MaxBodyBytes, now: cfg.Now}
	s.handler = s.observe(s.routeMux())
	return s, nil
}

// Handler returns the handler of every /v1 route, GET /v1/openapi.yaml
// included.
func (s *Server) Handler() http.Handler {
	return s.handler
}
