package issuer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/store"
)

// The signing keys belong to the deployment, not to an organisation, so
// their changes have no audit chain to go into: keys.Manager logs each
// one with its kid, and the REST access log names the super-admin key.
//
// TODO: record signing key changes in a deployment-wide audit chain once
// one exists; today only an organisation's denied attempts are audited.

// ListSigningKeys returns the deployment's published signing keys, oldest
// first, as this instance last read them (at most keys.refresh_interval
// ago).
func (s *Service) ListSigningKeys(ctx context.Context, p Principal) ([]keys.KeyInfo, error) {
	if err := s.Permit(ctx, p, OpSigningKeyList, ""); err != nil {
		return nil, err
	}
	km, err := s.keyManager()
	if err != nil {
		return nil, err
	}
	return km.Keys(), nil
}

// RotateSigningKey creates the next signing key and returns it. A normal
// rotation publishes a pending key that starts to sign after the publish
// ahead time and is refused while another key is pending; an immediate one
// makes the new key sign at once and retires the current one.
func (s *Service) RotateSigningKey(ctx context.Context, p Principal,
	immediate bool) (keys.KeyInfo, error) {
	if err := s.Permit(ctx, p, OpSigningKeyRotate, ""); err != nil {
		return keys.KeyInfo{}, err
	}
	km, err := s.keyManager()
	if err != nil {
		return keys.KeyInfo{}, err
	}

	kid, err := km.Rotate(ctx, immediate)
	if errors.Is(err, keys.ErrRotationPending) {
		return keys.KeyInfo{}, pendingRotation(km.Keys())
	}
	if kid == "" {
		return keys.KeyInfo{}, fmt.Errorf("rotate signing key: %w",
			errors.Join(err, errors.New("no key created")))
	}

	// A failed reread after a committed rotation is reported only when
	// this instance does not know the new key: the rotation happened.
	if k, ok := findKey(km.Keys(), kid); ok {
		return k, nil
	}
	return keys.KeyInfo{}, fmt.Errorf("rotated to signing key %s but could not reread "+
		"the key set: %w", kid, errors.Join(err, errors.New("key not listed")))
}

// pendingRotation is the refusal of a normal rotation while a key waits.
func pendingRotation(list []keys.KeyInfo) error {
	for _, k := range list {
		if k.State == store.SigningKeyPending {
			return refuse(ErrInvalidTransition, "signing key %s is already pending and "+
				"activates at %s; an immediate rotation replaces it", k.KID,
				k.ActivatesAt.UTC().Format(time.RFC3339))
		}
	}
	return refuse(ErrInvalidTransition, "a signing key is already pending; "+
		"an immediate rotation replaces it")
}

// RemoveSigningKey deletes a retired signing key before its time,
// withdrawing it from the published key set: the tokens it signed stop
// verifying wherever the key set is refetched. Keys that sign or will sign
// are refused.
func (s *Service) RemoveSigningKey(ctx context.Context, p Principal, kid string) error {
	if err := s.Permit(ctx, p, OpSigningKeyRemove, kid); err != nil {
		return err
	}
	km, err := s.keyManager()
	if err != nil {
		return err
	}
	k, ok := findKey(km.Keys(), kid)
	if !ValidKID(kid) || !ok {
		return refuse(ErrNotFound, "signing key not found")
	}
	if k.State != store.SigningKeyRetired {
		return refuse(ErrInvalidTransition, "signing key %s is %s; only a retired key "+
			"can be removed", kid, k.State)
	}

	err = km.Remove(ctx, kid)
	switch {
	case errors.Is(err, keys.ErrActiveKey):
		return refuse(ErrInvalidTransition, "signing key %s signs now", kid)
	case errors.Is(err, store.ErrNotFound):
		return refuse(ErrNotFound, "signing key not found")
	case err != nil:
		return fmt.Errorf("remove signing key %s: %w", kid, err)
	}
	return nil
}

// keyManager returns the signing key manager, or a refusal when the
// service has none.
func (s *Service) keyManager() (KeyManager, error) {
	if s.keys == nil {
		return nil, refuse(ErrNotFound, "this server manages no signing keys")
	}
	return s.keys, nil
}

// findKey returns the key of the given kid in list.
func findKey(list []keys.KeyInfo, kid string) (keys.KeyInfo, bool) {
	for _, k := range list {
		if k.KID == kid {
			return k, true
		}
	}
	return keys.KeyInfo{}, false
}
