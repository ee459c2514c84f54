package issuer

import (
	"context"
	"fmt"
	"time"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/secret"
	"github.com/agentidp/agentidp/internal/store"
)

// NewSecret is a freshly created client secret.
type NewSecret struct {
	// Secret is the client secret, shown to the caller once and never
	// stored.
	Secret string
	// ClientSecret is the stored record; its AgentID is the OAuth
	// client_id.
	ClientSecret store.ClientSecret
}

// CreateSecret creates a client secret for an agent that is not revoked,
// optionally rotating the agent's other secrets out (see CredentialInput).
func (s *Service) CreateSecret(ctx context.Context, p Principal, agentID string,
	in CredentialInput) (NewSecret, error) {
	if err := s.Permit(ctx, p, OpSecretCreate, agentID); err != nil {
		return NewSecret{}, err
	}
	span, err := checkCredentialInput(in)
	if err != nil {
		return NewSecret{}, err
	}
	if !ids.Valid(ids.Agent, agentID) {
		return NewSecret{}, refuse(ErrNotFound, "agent not found")
	}

	var out NewSecret
	err = s.orgWrite(ctx, p, OpSecretCreate, agentID, func(tx store.Tx, now time.Time) error {
		a, err := lockCredentialAgent(ctx, tx, p.OrgID, agentID)
		if err != nil {
			return err
		}
		rotated, err := s.rotateSecrets(ctx, tx, a, now, span)
		if err != nil {
			return err
		}
		out = NewSecret{Secret: secret.Random()}
		out.ClientSecret = store.ClientSecret{
			ID: ids.NewAt(ids.Secret, now), OrgID: a.OrgID, AgentID: a.ID,
			Hash: s.hasher.Hash(out.Secret), CreatedAt: now, ExpiresAt: now.Add(span.ttl),
		}
		if err := tx.CreateClientSecret(ctx, out.ClientSecret); err != nil {
			return fmt.Errorf("create client secret: %w", mapStoreErr(err, "client secret"))
		}
		return s.record(ctx, tx, p, now, credentialChange(a, "secret", credClientSecret,
			out.ClientSecret.ID, span.rotate, rotated))
	})
	if err != nil {
		return NewSecret{}, err
	}
	return out, nil
}

// credentialChange is the audit record and event of a new credential:
// "<noun>.create" and credential.created, or "<noun>.rotate" and
// credential.rotated.
func credentialChange(a store.Agent, noun, credType, credID string, rotate bool,
	rotated []string) change {
	action, eventType := noun+".create", "credential.created"
	if rotate {
		action, eventType = noun+".rotate", "credential.rotated"
		if rotated == nil {
			rotated = []string{}
		}
	}
	return change{orgID: a.OrgID, action: action, target: credID, events: []event{
		credentialEvent(a, eventType, credType, credID, rotated),
	}}
}

// rotateSecrets shortens the other live secrets of an agent when span
// asks for a rotation, then checks that room is left for one more. It
// returns the ids of the secrets it shortened.
func (s *Service) rotateSecrets(ctx context.Context, tx store.Tx, a store.Agent, now time.Time,
	span lifespan) ([]string, error) {
	secrets, err := tx.ListClientSecrets(ctx, a.OrgID, a.ID)
	if err != nil {
		return nil, fmt.Errorf("list client secrets: %w", err)
	}

	var rotated []string
	n := 0
	for _, sec := range secrets {
		if !live(sec.ExpiresAt, sec.RevokedAt, now) {
			continue
		}
		if span.rotate {
			var changed bool
			if sec.ExpiresAt, changed = shorten(sec.ExpiresAt, now.Add(span.overlap)); changed {
				if err := tx.UpdateClientSecret(ctx, sec); err != nil {
					return nil, fmt.Errorf("shorten client secret: %w", err)
				}
				rotated = append(rotated, sec.ID)
			}
		}
		if live(sec.ExpiresAt, sec.RevokedAt, now) {
			n++
		}
	}

	if n >= MaxLiveCredentials {
		return nil, refuse(ErrConflict, "agent %s already has %d live client secrets",
			a.ID, MaxLiveCredentials)
	}
	return rotated, nil
}

// ListSecrets returns the metadata of an agent's client secrets.
func (s *Service) ListSecrets(ctx context.Context, p Principal,
	agentID string) ([]store.ClientSecret, error) {
	if err := s.Permit(ctx, p, OpSecretList, agentID); err != nil {
		return nil, err
	}
	if _, err := s.loadAgent(ctx, p.OrgID, agentID); err != nil {
		return nil, err
	}

	out, err := s.store.ListClientSecrets(ctx, p.OrgID, agentID)
	if err != nil {
		return nil, fmt.Errorf("list client secrets: %w", err)
	}
	return out, nil
}

// RevokeSecret revokes one client secret of an agent, whatever the agent's
// state.
func (s *Service) RevokeSecret(ctx context.Context, p Principal, agentID,
	secretID string) (store.ClientSecret, error) {
	if err := s.Permit(ctx, p, OpSecretRevoke, secretID); err != nil {
		return store.ClientSecret{}, err
	}
	if !ids.Valid(ids.Agent, agentID) || !ids.Valid(ids.Secret, secretID) {
		return store.ClientSecret{}, refuse(ErrNotFound, "client secret not found")
	}

	var out store.ClientSecret
	err := s.orgWrite(ctx, p, OpSecretRevoke, secretID, func(tx store.Tx, now time.Time) error {
		a, err := lockAgent(ctx, tx, p.OrgID, agentID)
		if err != nil {
			return err
		}
		if out, err = findSecret(ctx, tx, a, secretID); err != nil {
			return err
		}
		out.RevokedAt = now
		if err := tx.UpdateClientSecret(ctx, out); err != nil {
			return fmt.Errorf("revoke client secret: %w", err)
		}
		return s.record(ctx, tx, p, now, change{orgID: a.OrgID, action: "secret.revoke",
			target: out.ID, events: []event{credentialEvent(a, "credential.revoked",
				credClientSecret, out.ID, nil)}})
	})
	if err != nil {
		return store.ClientSecret{}, err
	}
	return out, nil
}

// findSecret returns an unrevoked client secret of an agent inside tx.
func findSecret(ctx context.Context, tx store.Tx, a store.Agent,
	id string) (store.ClientSecret, error) {
	secrets, err := tx.ListClientSecrets(ctx, a.OrgID, a.ID)
	if err != nil {
		return store.ClientSecret{}, fmt.Errorf("list client secrets: %w", err)
	}
	for _, sec := range secrets {
		if sec.ID != id {
			continue
		}
		if !sec.RevokedAt.IsZero() {
			return store.ClientSecret{}, refuse(ErrInvalidTransition,
				"client secret %s is already revoked", id)
		}
		return sec, nil
	}
	return store.ClientSecret{}, refuse(ErrNotFound, "client secret not found")
}
