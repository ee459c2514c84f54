package issuer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/secret"
	"github.com/agentidp/agentidp/internal/store"
)

// Principal is an authenticated caller of the management API.
type Principal struct {
	// KeyID is the public id of the key the caller presented.
	KeyID string
	// Admin is true for a super-admin key, which manages organisations and
	// belongs to none.
	Admin bool
	// OrgID is the organisation of an organisation key; empty for Admin.
	OrgID string
	// Role is the effective role of an organisation key: the key's own role,
	// lowered to its operator's when the operator has less.
	Role store.Role
	// OperatorID is the operator the key is bound to, if any.
	OperatorID string
	// OrgStatus is the organisation's state when the key was checked.
	OrgStatus store.OrgStatus
}

// Actor returns the name under which the caller's actions are audited.
func (p Principal) Actor() string {
	if p.Admin {
		return "admin:" + p.KeyID
	}
	return "apikey:" + p.KeyID
}

// Authenticate checks a presented API key and returns its caller. Every
// refusal wraps ErrUnauthenticated; the wrapped detail (never the key) is
// for logs only.
func (s *Service) Authenticate(ctx context.Context, key string) (Principal, error) {
	id, err := secret.ParseKey(key)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: malformed key", ErrUnauthenticated)
	}

	switch {
	case ids.Valid(ids.AdminKey, id):
		return s.authAdmin(ctx, id, key)
	case ids.Valid(ids.APIKey, id):
		return s.authOrgKey(ctx, id, key)
	}
	return Principal{}, fmt.Errorf("%w: unknown key id format", ErrUnauthenticated)
}

// authAdmin checks a super-admin key.
func (s *Service) authAdmin(ctx context.Context, id, key string) (Principal, error) {
	k, err := s.store.GetAdminKey(ctx, id)
	if err != nil {
		return Principal{}, s.lookupFailed(key, id, err)
	}

	if err := s.checkKey(key, k.Hash, k.ExpiresAt, k.RevokedAt); err != nil {
		return Principal{}, fmt.Errorf("%w: admin key %s: %w", ErrUnauthenticated, id, err)
	}
	return Principal{KeyID: id, Admin: true}, nil
}

// authOrgKey checks an organisation key, its operator and its
// organisation.
func (s *Service) authOrgKey(ctx context.Context, id, key string) (Principal, error) {
	k, err := s.store.GetAPIKey(ctx, id)
	if err != nil {
		return Principal{}, s.lookupFailed(key, id, err)
	}
	if err := s.checkKey(key, k.Hash, k.ExpiresAt, k.RevokedAt); err != nil {
		return Principal{}, fmt.Errorf("%w: api key %s: %w", ErrUnauthenticated, id, err)
	}

	org, err := s.store.GetOrg(ctx, k.OrgID)
	if err != nil {
		return Principal{}, fmt.Errorf("load organization of key %s: %w", id, err)
	}
	if org.Status == store.OrgDeleted {
		return Principal{}, fmt.Errorf("%w: api key %s: organization deleted",
			ErrUnauthenticated, id)
	}

	p := Principal{KeyID: id, OrgID: k.OrgID, Role: k.Role, OperatorID: k.OperatorID,
		OrgStatus: org.Status}
	if k.OperatorID == "" {
		return p, nil
	}
	return s.applyOperator(ctx, p)
}

// applyOperator refuses a key whose operator is disabled and lowers the
// key's role to its operator's.
func (s *Service) applyOperator(ctx context.Context, p Principal) (Principal, error) {
	op, err := s.store.GetOperator(ctx, p.OrgID, p.OperatorID)
	if err != nil {
		return Principal{}, fmt.Errorf("load operator of key %s: %w", p.KeyID, err)
	}
	if !op.DisabledAt.IsZero() {
		return Principal{}, fmt.Errorf("%w: api key %s: operator disabled",
			ErrUnauthenticated, p.KeyID)
	}

	if rank(op.Role) < rank(p.Role) {
		p.Role = op.Role
	}
	return p, nil
}

// lookupFailed reports a key that could not be loaded. It still hashes the
// presented key so that an unknown id costs about as much time as a wrong
// secret.
func (s *Service) lookupFailed(key, id string, err error) error {
	_ = s.hasher.Hash(key)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: key %s not found", ErrUnauthenticated, id)
	}
	return fmt.Errorf("load key %s: %w", id, err)
}

// errKeyMismatch, errKeyRevoked and errKeyExpired say why a key was
// refused, for logs.
var (
	errKeyMismatch = errors.New("secret mismatch")
	errKeyRevoked  = errors.New("revoked")
	errKeyExpired  = errors.New("expired")
)

// checkKey compares the presented key with its stored hash and checks its
// lifetime.
func (s *Service) checkKey(key, hash string, expiresAt, revokedAt time.Time) error {
	if !s.hasher.Matches(key, hash) {
		return errKeyMismatch
	}
	if !revokedAt.IsZero() {
		return errKeyRevoked
	}
	if expired(expiresAt, s.clock()) {
		return errKeyExpired
	}
	return nil
}

// expired reports whether a credential with the given expiry is past it at
// now. A zero expiry never passes.
func expired(expiresAt, now time.Time) bool {
	return !expiresAt.IsZero() && !now.Before(expiresAt)
}
