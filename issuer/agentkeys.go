package issuer

import (
	"context"
	"fmt"
	"time"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

// AgentKeyInput describes a public key to register for an agent.
type AgentKeyInput struct {
	// JWK is the public key as submitted; see ParsePublicJWK.
	JWK []byte
	CredentialInput
}

// AddAgentKey registers a public key for an agent that is not revoked,
// optionally rotating the agent's other keys out (see CredentialInput). A
// key already registered (the same thumbprint) is a conflict.
func (s *Service) AddAgentKey(ctx context.Context, p Principal, agentID string,
	in AgentKeyInput) (store.AgentKey, error) {
	if err := s.Permit(ctx, p, OpAgentKeyCreate, agentID); err != nil {
		return store.AgentKey{}, err
	}
	span, err := checkCredentialInput(in.CredentialInput)
	if err != nil {
		return store.AgentKey{}, err
	}
	pub, err := ParsePublicJWK(in.JWK)
	if err != nil {
		return store.AgentKey{}, err
	}
	if !ids.Valid(ids.Agent, agentID) {
		return store.AgentKey{}, refuse(ErrNotFound, "agent not found")
	}

	var k store.AgentKey
	err = s.orgWrite(ctx, p, OpAgentKeyCreate, agentID, func(tx store.Tx, now time.Time) error {
		a, err := lockCredentialAgent(ctx, tx, p.OrgID, agentID)
		if err != nil {
			return err
		}
		rotated, err := rotateAgentKeys(ctx, tx, a, now, span, pub.KID)
		if err != nil {
			return err
		}
		k = store.AgentKey{KID: pub.KID, OrgID: a.OrgID, AgentID: a.ID,
			Algorithm: pub.Algorithm, JWK: pub.JSON, CreatedAt: now, ExpiresAt: now.Add(span.ttl)}
		if err := tx.CreateAgentKey(ctx, k); err != nil {
			return fmt.Errorf("create agent key: %w", mapStoreErr(err, "public key"))
		}
		return s.record(ctx, tx, p, now, credentialChange(a, "agentkey", credPublicKey,
			k.KID, span.rotate, rotated))
	})
	if err != nil {
		return store.AgentKey{}, err
	}
	return k, nil
}

// rotateAgentKeys refuses a duplicate kid, shortens the other live keys of
// an agent when span asks for a rotation, then checks that room is left for
// one more. It returns the kids of the keys it shortened.
func rotateAgentKeys(ctx context.Context, tx store.Tx, a store.Agent, now time.Time,
	span lifespan, kid string) ([]string, error) {
	keys, err := tx.ListAgentKeys(ctx, a.OrgID, a.ID)
	if err != nil {
		return nil, fmt.Errorf("list agent keys: %w", err)
	}

	var rotated []string
	n := 0
	for _, k := range keys {
		if k.KID == kid {
			return nil, refuse(ErrConflict, "key %s is already registered", kid)
		}
		if !live(k.ExpiresAt, k.RevokedAt, now) {
			continue
		}
		if span.rotate {
			var changed bool
			if k.ExpiresAt, changed = shorten(k.ExpiresAt, now.Add(span.overlap)); changed {
				if err := tx.UpdateAgentKey(ctx, k); err != nil {
					return nil, fmt.Errorf("shorten agent key: %w", err)
				}
				rotated = append(rotated, k.KID)
			}
		}
		if live(k.ExpiresAt, k.RevokedAt, now) {
			n++
		}
	}

	if n >= MaxLiveCredentials {
		return nil, refuse(ErrConflict, "agent %s already has %d live public keys",
			a.ID, MaxLiveCredentials)
	}
	return rotated, nil
}

// ListAgentKeys returns an agent's registered public keys.
func (s *Service) ListAgentKeys(ctx context.Context, p Principal,
	agentID string) ([]store.AgentKey, error) {
	if err := s.Permit(ctx, p, OpAgentKeyList, agentID); err != nil {
		return nil, err
	}
	if _, err := s.loadAgent(ctx, p.OrgID, agentID); err != nil {
		return nil, err
	}

	out, err := s.store.ListAgentKeys(ctx, p.OrgID, agentID)
	if err != nil {
		return nil, fmt.Errorf("list agent keys: %w", err)
	}
	return out, nil
}

// RevokeAgentKey revokes one public key of an agent, whatever the agent's
// state.
func (s *Service) RevokeAgentKey(ctx context.Context, p Principal, agentID,
	kid string) (store.AgentKey, error) {
	if err := s.Permit(ctx, p, OpAgentKeyRevoke, kid); err != nil {
		return store.AgentKey{}, err
	}
	if !ids.Valid(ids.Agent, agentID) || !ValidKID(kid) {
		return store.AgentKey{}, refuse(ErrNotFound, "public key not found")
	}

	var out store.AgentKey
	err := s.orgWrite(ctx, p, OpAgentKeyRevoke, kid, func(tx store.Tx, now time.Time) error {
		a, err := lockAgent(ctx, tx, p.OrgID, agentID)
		if err != nil {
			return err
		}
		if out, err = findAgentKey(ctx, tx, a, kid); err != nil {
			return err
		}
		out.RevokedAt = now
		if err := tx.UpdateAgentKey(ctx, out); err != nil {
			return fmt.Errorf("revoke agent key: %w", err)
		}
		return s.record(ctx, tx, p, now, change{orgID: a.OrgID, action: "agentkey.revoke",
			target: kid, events: []event{credentialEvent(a, "credential.revoked",
				credPublicKey, kid, nil)}})
	})
	if err != nil {
		return store.AgentKey{}, err
	}
	return out, nil
}

// findAgentKey returns an unrevoked public key of an agent inside tx.
func findAgentKey(ctx context.Context, tx store.Tx, a store.Agent,
	kid string) (store.AgentKey, error) {
	keys, err := tx.ListAgentKeys(ctx, a.OrgID, a.ID)
	if err != nil {
		return store.AgentKey{}, fmt.Errorf("list agent keys: %w", err)
	}
	for _, k := range keys {
		if k.KID != kid {
			continue
		}
		if !k.RevokedAt.IsZero() {
			return store.AgentKey{}, refuse(ErrInvalidTransition,
				"public key %s is already revoked", kid)
		}
		return k, nil
	}
	return store.AgentKey{}, refuse(ErrNotFound, "public key not found")
}
