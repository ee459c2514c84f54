package issuer

import (
	"context"
	"fmt"
	"time"

	"github.com/agentidp/agentidp/internal/store"
)

// Credential types named in credential events.
const (
	credClientSecret = "client_secret"
	credPublicKey    = "public_key"
)

// CredentialInput holds the lifetime options of a new client secret or
// public key.
type CredentialInput struct {
	// ExpiresInSeconds is the credential's lifetime; nil means
	// DefaultCredentialTTL, and it may not exceed MaxCredentialTTL.
	ExpiresInSeconds *int64
	// RotateOverlapSeconds, when set, makes the new credential a rotation:
	// every other live credential of the same type then expires within
	// this many seconds (0 expires them at once), unless it expires
	// sooner already.
	RotateOverlapSeconds *int64
}

// lifespan is the checked form of a CredentialInput.
type lifespan struct {
	ttl     time.Duration
	overlap time.Duration
	rotate  bool
}

// checkCredentialInput validates in.
func checkCredentialInput(in CredentialInput) (lifespan, error) {
	var v problems
	var l lifespan
	l.ttl = lifetime(&v, "expires_in_seconds", in.ExpiresInSeconds, DefaultCredentialTTL,
		MaxCredentialTTL)
	l.overlap, l.rotate = overlap(&v, in.RotateOverlapSeconds)
	return l, v.err()
}

// live reports whether a credential is neither revoked nor expired at now.
func live(expiresAt, revokedAt, now time.Time) bool {
	return revokedAt.IsZero() && !expired(expiresAt, now)
}

// shorten returns the expiry of a credential cut to until, and whether it
// changed.
func shorten(expiresAt, until time.Time) (time.Time, bool) {
	if !expiresAt.IsZero() && !expiresAt.After(until) {
		return expiresAt, false
	}
	return until, true
}

// credentialEvent is the outbox event of a change to one credential.
func credentialEvent(a store.Agent, eventType, credType, credID string,
	rotated []string) event {
	payload := map[string]any{
		"org_id": a.OrgID, "agent_id": a.ID,
		"credential_type": credType, "credential_id": credID,
	}
	if rotated != nil {
		payload["rotated_ids"] = rotated
	}
	return event{typ: eventType, subject: credID, payload: payload}
}

// lockCredentialAgent reads, inside tx, the agent a new credential is for:
// a revoked agent gets none.
func lockCredentialAgent(ctx context.Context, tx store.Tx, orgID,
	id string) (store.Agent, error) {
	a, err := lockAgent(ctx, tx, orgID, id)
	if err != nil {
		return store.Agent{}, err
	}
	if a.Status == store.AgentRevoked {
		return store.Agent{}, refuse(ErrInvalidTransition, "agent %s is revoked", a.ID)
	}
	return a, nil
}

// revokeCredentials revokes every unrevoked client secret and public key of
// an agent inside tx and returns their events.
func revokeCredentials(ctx context.Context, tx store.Tx, a store.Agent,
	now time.Time) ([]event, error) {
	secrets, err := tx.ListClientSecrets(ctx, a.OrgID, a.ID)
	if err != nil {
		return nil, fmt.Errorf("list client secrets: %w", err)
	}
	var events []event
	for _, sec := range secrets {
		if !sec.RevokedAt.IsZero() {
			continue
		}
		sec.RevokedAt = now
		if err := tx.UpdateClientSecret(ctx, sec); err != nil {
			return nil, fmt.Errorf("revoke client secret: %w", err)
		}
		events = append(events, credentialEvent(a, "credential.revoked", credClientSecret,
			sec.ID, nil))
	}

	keys, err := tx.ListAgentKeys(ctx, a.OrgID, a.ID)
	if err != nil {
		return nil, fmt.Errorf("list agent keys: %w", err)
	}
	for _, k := range keys {
		if !k.RevokedAt.IsZero() {
			continue
		}
		k.RevokedAt = now
		if err := tx.UpdateAgentKey(ctx, k); err != nil {
			return nil, fmt.Errorf("revoke agent key: %w", err)
		}
		events = append(events, credentialEvent(a, "credential.revoked", credPublicKey,
			k.KID, nil))
	}
	return events, nil
}
