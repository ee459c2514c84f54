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

// APIKeyInput describes a new organisation API key.
type APIKeyInput struct {
	Name string
	Role store.Role
	// OperatorID binds the key to an operator; the key's role may not
	// exceed the operator's, and the key stops working when the operator is
	// disabled. Empty for an unbound key.
	OperatorID string
	// ExpiresInSeconds is the key's lifetime; nil means it never expires.
	ExpiresInSeconds *int64
}

// NewAPIKey is a freshly created API key.
type NewAPIKey struct {
	// Key is the bearer secret, shown to the caller once and never stored.
	Key string
	// APIKey is the stored record.
	APIKey store.APIKey
}

// checkAPIKeyInput validates in and returns the key's lifetime (zero for
// none).
func checkAPIKeyInput(in APIKeyInput) (time.Duration, error) {
	var v problems
	checkText(&v, "name", in.Name, 0, MaxNameLen)
	checkRole(&v, "role", in.Role)
	if in.OperatorID != "" && !ids.Valid(ids.Operator, in.OperatorID) {
		v.add("operator_id", "is not an operator id")
	}
	ttl := lifetime(&v, "expires_in_seconds", in.ExpiresInSeconds, 0, MaxAPIKeyTTL)
	return ttl, v.err()
}

// newAPIKey builds a key and its record.
func newAPIKey(orgID string, in APIKeyInput, ttl time.Duration, p Principal, now time.Time,
	h *secret.Hasher) NewAPIKey {
	id := ids.NewAt(ids.APIKey, now)
	key := secret.NewKey(id)
	k := store.APIKey{
		ID: id, OrgID: orgID, OperatorID: in.OperatorID, Name: in.Name, Role: in.Role,
		Hash: h.Hash(key), CreatedAt: now, CreatedBy: p.Actor(),
	}
	if ttl > 0 {
		k.ExpiresAt = now.Add(ttl)
	}
	return NewAPIKey{Key: key, APIKey: k}
}

// insertAPIKey stores a key with its audit record and event.
func (s *Service) insertAPIKey(ctx context.Context, tx store.Tx, p Principal, now time.Time,
	k store.APIKey) error {
	if err := tx.CreateAPIKey(ctx, k); err != nil {
		return fmt.Errorf("create api key: %w", mapStoreErr(err, "api key"))
	}
	return s.record(ctx, tx, p, now, apiKeyChange(k, "apikey.create", "apikey.created"))
}

// apiKeyChange is the audit record and event of a change to an API key.
func apiKeyChange(k store.APIKey, action, eventType string) change {
	return change{orgID: k.OrgID, action: action, target: k.ID, events: []event{{
		typ: eventType, subject: k.ID,
		payload: map[string]any{"org_id": k.OrgID, "api_key_id": k.ID},
	}}}
}

// CreateAPIKey creates an API key in the caller's organisation. Only
// owners create owner keys.
func (s *Service) CreateAPIKey(ctx context.Context, p Principal,
	in APIKeyInput) (NewAPIKey, error) {
	if err := s.Permit(ctx, p, OpAPIKeyCreate, ""); err != nil {
		return NewAPIKey{}, err
	}
	ttl, err := checkAPIKeyInput(in)
	if err != nil {
		return NewAPIKey{}, err
	}

	var out NewAPIKey
	err = s.orgWrite(ctx, p, OpAPIKeyCreate, "", func(tx store.Tx, now time.Time) error {
		if err := mayManage(p, in.Role); err != nil {
			return err
		}
		if err := checkKeyOperator(ctx, tx, p.OrgID, in); err != nil {
			return err
		}
		out = newAPIKey(p.OrgID, in, ttl, p, now, s.hasher)
		return s.insertAPIKey(ctx, tx, p, now, out.APIKey)
	})
	if err != nil {
		return NewAPIKey{}, err
	}
	return out, nil
}

// checkKeyOperator checks the operator a new key is bound to: it must exist,
// be enabled, and hold at least the key's role.
func checkKeyOperator(ctx context.Context, tx store.Tx, orgID string, in APIKeyInput) error {
	if in.OperatorID == "" {
		return nil
	}

	op, err := tx.GetOperator(ctx, orgID, in.OperatorID)
	if errors.Is(err, store.ErrNotFound) {
		return invalid("operator_id", "no such operator")
	}
	if err != nil {
		return fmt.Errorf("get operator: %w", err)
	}

	switch {
	case !op.DisabledAt.IsZero():
		return refuse(ErrInvalidTransition, "operator %s is disabled", op.ID)
	case rank(in.Role) > rank(op.Role):
		return invalid("role", "must not exceed the operator's role %s", op.Role)
	}
	return nil
}

// ListAPIKeys lists the caller's organisation's API keys by id.
func (s *Service) ListAPIKeys(ctx context.Context, p Principal, cursor string,
	limit int) (List[store.APIKey], error) {
	if err := s.Permit(ctx, p, OpAPIKeyList, ""); err != nil {
		return List[store.APIKey]{}, err
	}
	var v problems
	limit = pageSize(&v, limit)
	checkCursor(&v, ids.APIKey, cursor)
	if err := v.err(); err != nil {
		return List[store.APIKey]{}, err
	}

	rows, err := s.store.ListAPIKeys(ctx, p.OrgID, store.Page{After: cursor, Limit: limit + 1})
	if err != nil {
		return List[store.APIKey]{}, fmt.Errorf("list api keys: %w", err)
	}
	return paginate(rows, limit, func(k store.APIKey) string { return k.ID }), nil
}

// RevokeAPIKey revokes an API key of the caller's organisation. Only
// owners revoke owner keys; a revoked key cannot be revoked again.
func (s *Service) RevokeAPIKey(ctx context.Context, p Principal, id string) (store.APIKey, error) {
	if err := s.Permit(ctx, p, OpAPIKeyRevoke, id); err != nil {
		return store.APIKey{}, err
	}
	if !ids.Valid(ids.APIKey, id) {
		return store.APIKey{}, refuse(ErrNotFound, "api key not found")
	}

	var k store.APIKey
	err := s.orgWrite(ctx, p, OpAPIKeyRevoke, id, func(tx store.Tx, now time.Time) error {
		var err error
		if k, err = tx.GetAPIKey(ctx, p.OrgID, id); err != nil {
			return fmt.Errorf("get api key: %w", mapStoreErr(err, "api key"))
		}
		if err := mayManage(p, k.Role); err != nil {
			return err
		}
		if !k.RevokedAt.IsZero() {
			return refuse(ErrInvalidTransition, "api key %s is already revoked", k.ID)
		}
		k.RevokedAt = now
		if err := tx.UpdateAPIKey(ctx, k); err != nil {
			return fmt.Errorf("update api key: %w", mapStoreErr(err, "api key"))
		}
		return s.record(ctx, tx, p, now, apiKeyChange(k, "apikey.revoke", "apikey.revoked"))
	})
	if err != nil {
		return store.APIKey{}, err
	}
	return k, nil
}
