package keys

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentidp/agentidp/internal/store"
)

// Defaults of Config.
const (
	DefaultAlgorithm        = ES256
	DefaultRotationInterval = 30 * 24 * time.Hour
	DefaultPublishAhead     = time.Hour
	DefaultMaxTokenTTL      = 24 * time.Hour
	DefaultRefreshInterval  = 30 * time.Second
	DefaultLeeway           = 5 * time.Minute
)

// ErrInvalidConfig is wrapped by every problem New finds in a Config.
var ErrInvalidConfig = errors.New("keys: invalid config")

// ErrNotStarted means Start has not loaded the key set yet.
var ErrNotStarted = errors.New("keys: manager not started")

// Config configures a Manager. Zero durations take their defaults, except
// RotationInterval, where zero turns automatic rotation off; DefaultConfig
// returns a Config with every default written out.
type Config struct {
	// Store holds the key set that every instance of the deployment shares.
	Store store.Store
	// KEK seals the private keys this Manager generates and opens the ones
	// it loads. Every instance sharing Store needs the same KEK.
	KEK *KEK
	// Algorithm is the JWS algorithm of new keys: ES256 (the default),
	// EdDSA or RS256. Changing it affects the next key only; existing keys
	// keep signing with their own until they are rotated out.
	Algorithm string
	// RSABits is the size of new RS256 keys, MinRSABits or more; 2048 by
	// default. Larger keys cost more on every signature and verification.
	RSABits int
	// RotationInterval is how long a key signs before its successor
	// takes over; zero means keys change by manual rotation only. It must
	// be longer than PublishAhead.
	RotationInterval time.Duration
	// PublishAhead is how long a new key is published (pending) before it
	// signs, so that verifiers caching the key set hold it by then. It
	// must be longer than RefreshInterval and than any verifier's cache
	// lifetime. An hour by default.
	PublishAhead time.Duration
	// MaxTokenTTL is the longest lifetime of a token signed by the
	// deployment. A retired key stays published that long after it last
	// signed (plus RefreshInterval and Leeway). 24 hours by default.
	MaxTokenTTL time.Duration
	// RefreshInterval is how often Run rereads the key set from the store
	// and makes the transitions that are due; other instances learn of a
	// manual rotation within it. 30 seconds by default.
	RefreshInterval time.Duration
	// Leeway absorbs clock differences between instances and verifiers in
	// how long a retired key stays published. 5 minutes by default.
	Leeway time.Duration
	// Logger receives key lifecycle events; nil discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. Tests set it.
	Now func() time.Time
}

// DefaultConfig returns a Config with every default set, automatic rotation
// included, to which the caller adds Store and KEK.
func DefaultConfig() Config {
	return Config{
		Algorithm:        DefaultAlgorithm,
		RSABits:          DefaultRSABits,
		RotationInterval: DefaultRotationInterval,
		PublishAhead:     DefaultPublishAhead,
		MaxTokenTTL:      DefaultMaxTokenTTL,
		RefreshInterval:  DefaultRefreshInterval,
		Leeway:           DefaultLeeway,
	}
}

// Manager keeps the deployment's signing keys: it loads them, rotates them
// on schedule or on demand, publishes their public halves and signs with
// the current one. Its methods are safe for concurrent use, and several
// Managers (one per instance) may share one store.
//
// Sign, JWKS, PublicJWKS and Keys work from memory and never touch the
// store; Start, Tick, Refresh, Rotate and Remove do.
type Manager struct {
	st       store.Store
	kek      *KEK
	alg      string
	rsaBits  int
	interval time.Duration
	ahead    time.Duration
	maxTTL   time.Duration
	refresh  time.Duration
	keep     time.Duration // how long a retired key stays published
	log      *slog.Logger
	clock    func() time.Time

	// mu makes refreshes take turns, so an older read of the store never
	// replaces a newer one.
	mu   sync.Mutex
	view atomic.Pointer[view]
}

// New checks cfg, reporting every problem at once, and returns a Manager
// that has loaded nothing yet: call Start.
func New(cfg Config) (*Manager, error) {
	cfg = withDefaults(cfg)
	if err := validate(cfg); err != nil {
		return nil, err
	}

	return &Manager{
		st:       cfg.Store,
		kek:      cfg.KEK,
		alg:      cfg.Algorithm,
		rsaBits:  cfg.RSABits,
		interval: cfg.RotationInterval,
		ahead:    cfg.PublishAhead,
		maxTTL:   cfg.MaxTokenTTL,
		refresh:  cfg.RefreshInterval,
		keep:     cfg.MaxTokenTTL + cfg.RefreshInterval + cfg.Leeway,
		log:      cfg.Logger,
		clock:    cfg.Now,
	}, nil
}

// withDefaults fills the zero fields of cfg that have a default.
func withDefaults(cfg Config) Config {
	def := DefaultConfig()
	if cfg.Algorithm == "" {
		cfg.Algorithm = def.Algorithm
	}
	if cfg.RSABits == 0 {
		cfg.RSABits = def.RSABits
	}
	for _, d := range []struct{ v, def *time.Duration }{
		{&cfg.PublishAhead, &def.PublishAhead},
		{&cfg.MaxTokenTTL, &def.MaxTokenTTL},
		{&cfg.RefreshInterval, &def.RefreshInterval},
		{&cfg.Leeway, &def.Leeway},
	} {
		if *d.v == 0 {
			*d.v = *d.def
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
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

	if cfg.Store == nil {
		bad("Store", "required")
	}
	if cfg.KEK == nil {
		bad("KEK", "required")
	}
	if !supported(cfg.Algorithm) {
		bad("Algorithm", "unsupported %q (want %s, %s or %s)", cfg.Algorithm, ES256, EdDSA, RS256)
	}
	if cfg.RSABits < MinRSABits || cfg.RSABits > MaxRSABits {
		bad("RSABits", "%d is outside %d to %d", cfg.RSABits, MinRSABits, MaxRSABits)
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"RotationInterval", cfg.RotationInterval}, {"PublishAhead", cfg.PublishAhead},
		{"MaxTokenTTL", cfg.MaxTokenTTL}, {"RefreshInterval", cfg.RefreshInterval},
		{"Leeway", cfg.Leeway},
	} {
		if f.d < 0 {
			bad(f.name, "%s is negative", f.d)
		}
	}
	if cfg.RotationInterval > 0 && cfg.RotationInterval <= cfg.PublishAhead {
		bad("RotationInterval", "%s is not longer than PublishAhead (%s)",
			cfg.RotationInterval, cfg.PublishAhead)
	}
	if cfg.PublishAhead <= cfg.RefreshInterval {
		bad("PublishAhead", "%s is not longer than RefreshInterval (%s), so an instance "+
			"could sign before the others hold the key", cfg.PublishAhead, cfg.RefreshInterval)
	}
	return errors.Join(errs...)
}

// Start loads the key set and makes the transitions that are due. On an
// empty store it generates the first key, active at once; instances
// starting together agree on one. It fails when no key can sign, for
// instance because the store's keys were sealed under another KEK.
func (m *Manager) Start(ctx context.Context) error {
	if err := m.Tick(ctx); err != nil {
		return fmt.Errorf("start signing keys: %w", err)
	}
	if _, err := m.current(m.clock()); err != nil {
		return fmt.Errorf("start signing keys: %w", err)
	}
	return nil
}

// Run calls Tick every RefreshInterval until ctx ends, then returns nil. A
// failed tick is logged and tried again at the next one: the keys in
// memory keep signing meanwhile. Run needs a started Manager.
func (m *Manager) Run(ctx context.Context) error {
	if m.view.Load() == nil {
		return ErrNotStarted
	}
	t := time.NewTicker(m.refresh)
	defer t.Stop()

	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if err := m.Tick(ctx); err != nil && ctx.Err() == nil {
			m.log.ErrorContext(ctx, "signing key refresh failed", logError, err)
		}
	}
}

// Tick is one turn of Run: it makes the transitions due at the current time
// (a pending key whose time has come becomes active and retires the one
// before it; a successor is published PublishAhead before the active key
// has signed for RotationInterval; retired keys past RemoveAfter are
// deleted), each set of them in one transaction, then rereads the key set.
func (m *Manager) Tick(ctx context.Context) error {
	_, err := m.transition(ctx, m.schedule)
	return errors.Join(err, m.Refresh(ctx))
}

// MaxTokenTTL returns the longest token lifetime the key schedule allows
// for: a token signed now must expire within it, or it may outlive the
// publication of its key.
func (m *Manager) MaxTokenTTL() time.Duration {
	return m.maxTTL
}

// now returns the current time at the store's precision, so that what is
// decided in memory compares equal to what is stored.
func (m *Manager) now() time.Time {
	return store.Truncate(m.clock())
}
