package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/reqctx"
	"github.com/agentidp/agentidp/internal/secret"
	"github.com/agentidp/agentidp/internal/store"
)

// DefaultMaxTokenTTL is the ceiling on token lifetimes when
// Config.MaxTokenTTL is zero; it is also the default of tokens.max_ttl.
const DefaultMaxTokenTTL = time.Hour

// Config configures a Service.
type Config struct {
	// Store holds every object; required.
	Store store.Store
	// Hasher hashes API keys and client secrets; required.
	Hasher *secret.Hasher
	// SigningKeys manages the deployment's signing keys for the
	// super-admin signing key operations; nil makes them answer that the
	// keys are not found, for a Service that mints no tokens.
	SigningKeys KeyManager
	// MaxTokenTTL is the deployment's ceiling on access token lifetimes:
	// the longest token_ttl_seconds an organisation or agent may set. It
	// must be at least MinTTL; zero means DefaultMaxTokenTTL.
	MaxTokenTTL time.Duration
	// Now is the clock; nil means time.Now. Tests inject a fixed clock to
	// expire keys without waiting.
	Now func() time.Time
}

// Service applies the business rules of the issuer's management API. It is
// safe for concurrent use.
type Service struct {
	store  store.Store
	hasher *secret.Hasher
	keys   KeyManager
	maxTTL time.Duration
	now    func() time.Time
}

// New returns a Service built from cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("new issuer: store is required")
	}
	if cfg.Hasher == nil {
		return nil, errors.New("new issuer: hasher is required")
	}
	if cfg.MaxTokenTTL == 0 {
		cfg.MaxTokenTTL = DefaultMaxTokenTTL
	}
	if cfg.MaxTokenTTL < MinTTL {
		return nil, fmt.Errorf("new issuer: MaxTokenTTL %s is shorter than %s",
			cfg.MaxTokenTTL, MinTTL)
	}

	s := &Service{store: cfg.Store, hasher: cfg.Hasher, keys: cfg.SigningKeys,
		maxTTL: cfg.MaxTokenTTL, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// MaxTokenTTL returns the deployment's ceiling on access token lifetimes.
func (s *Service) MaxTokenTTL() time.Duration {
	return s.maxTTL
}

// clock returns the current time at the precision the store keeps.
func (s *Service) clock() time.Time {
	return store.Truncate(s.now())
}

// event is an outbox event to enqueue with a change.
type event struct {
	typ     string
	subject string
	payload map[string]any
}

// change is what one successful write records besides itself: its audit
// record and its outbox events.
type change struct {
	orgID  string
	action string
	target string
	events []event
}

// record appends the audit record and enqueues the events of c inside tx,
// so that they commit with the change or not at all.
func (s *Service) record(ctx context.Context, tx store.Tx, p Principal, now time.Time,
	c change) error {
	_, err := tx.AppendAudit(ctx, store.AuditEntry{
		OrgID:     c.orgID,
		Actor:     p.Actor(),
		Action:    c.action,
		Target:    c.target,
		RequestID: reqctx.RequestID(ctx),
		Outcome:   store.OutcomeSuccess,
		Time:      now,
	})
	if err != nil {
		return fmt.Errorf("append audit %q: %w", c.action, err)
	}

	for _, e := range c.events {
		if err := s.enqueue(ctx, tx, c.orgID, now, e); err != nil {
			return err
		}
	}
	return nil
}

// enqueue writes one outbox event. Its payload carries ids only.
func (s *Service) enqueue(ctx context.Context, tx store.Tx, orgID string, now time.Time,
	e event) error {
	payload, err := json.Marshal(e.payload)
	if err != nil {
		return fmt.Errorf("encode event %q: %w", e.typ, err)
	}

	err = tx.Enqueue(ctx, store.Event{
		ID:        ids.NewAt(ids.Event, now),
		OrgID:     orgID,
		Type:      e.typ,
		Subject:   e.subject,
		Payload:   payload,
		CreatedAt: now,
	})
	if err != nil {
		return fmt.Errorf("enqueue event %q: %w", e.typ, err)
	}
	return nil
}

// orgWrite runs fn in one transaction on behalf of an organisation caller
// whom Permit has admitted to op. Inside the transaction it re-reads the
// caller's organisation (locking it) so that no write slips past a
// suspension that commits meanwhile. A denial found inside fn, such as an
// admin acting on an owner, is audited.
func (s *Service) orgWrite(ctx context.Context, p Principal, op Operation, target string,
	fn func(tx store.Tx, now time.Time) error) error {
	now := s.clock()
	err := s.store.WithTx(ctx, func(tx store.Tx) error {
		org, err := tx.GetOrg(ctx, p.OrgID)
		if err != nil {
			return fmt.Errorf("lock organization: %w", mapStoreErr(err, "organization"))
		}
		if err := writable(org); err != nil {
			return err
		}
		return fn(tx, now)
	})
	if isDenial(err) {
		return s.auditDenied(ctx, p, op, target, err)
	}
	return err
}

// writable refuses writes to an organisation that is not active.
func writable(org store.Org) error {
	switch org.Status {
	case store.OrgActive:
		return nil
	case store.OrgSuspended:
		return refuse(ErrOrgSuspended, "organization %s is suspended", org.ID)
	}
	// A deleted organisation's keys stop authenticating; one that was
	// deleted while this request ran is refused the same way.
	return fmt.Errorf("%w: organization %s is deleted", ErrUnauthenticated, org.ID)
}

// mapStoreErr turns the store's sentinels, met while handling the object
// named what, into the service's kinds and leaves other errors alone.
func mapStoreErr(err error, what string) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return refuse(ErrNotFound, "%s not found", what)
	case errors.Is(err, store.ErrConflict):
		return refuse(ErrConflict, "%s collides with an existing one", what)
	}
	return err
}
