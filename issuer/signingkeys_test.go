package issuer_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/issuer"
)

// The signing key manager must satisfy the service's interface.
var _ issuer.KeyManager = (*keys.Manager)(nil)

// keyService returns a service with a started signing key manager, and a
// super-admin and an owner of one organisation.
func keyService(t *testing.T) (*issuer.Service, *keys.Manager, issuer.Principal,
	issuer.Principal, store.Store) {
	t.Helper()
	ctx := context.Background()
	_, st, h := newService(t)
	kek, err := keys.NewKEK(bytes.Repeat([]byte{3}, keys.KEKSize))
	require.NoError(t, err)
	m, err := keys.New(keys.Config{Store: st, KEK: kek})
	require.NoError(t, err)
	require.NoError(t, m.Start(ctx))
	svc, err := issuer.New(issuer.Config{Store: st, Hasher: h, SigningKeys: m})
	require.NoError(t, err)

	key, err := issuer.CreateAdminKey(ctx, st, h, "bootstrap")
	require.NoError(t, err)
	admin, err := svc.Authenticate(ctx, key)
	require.NoError(t, err)
	org, err := svc.CreateOrg(ctx, admin, issuer.OrgInput{Name: "Acme"})
	require.NoError(t, err)
	k, err := svc.CreateOrgKey(ctx, admin, org.ID, issuer.APIKeyInput{Role: store.RoleOwner})
	require.NoError(t, err)
	owner, err := svc.Authenticate(ctx, k.Key)
	require.NoError(t, err)
	return svc, m, admin, owner, st
}

func TestSigningKeyRotationAndRemoval(t *testing.T) {
	svc, m, admin, _, _ := keyService(t)
	ctx := context.Background()
	list, err := svc.ListSigningKeys(ctx, admin)
	require.NoError(t, err)
	require.Len(t, list, 1)
	first := list[0].KID

	next, err := svc.RotateSigningKey(ctx, admin, false)
	require.NoError(t, err)
	require.Equal(t, store.SigningKeyPending, next.State)

	_, err = svc.RotateSigningKey(ctx, admin, false)
	require.ErrorIs(t, err, issuer.ErrInvalidTransition)
	require.ErrorContains(t, err, next.KID)
	require.ErrorIs(t, svc.RemoveSigningKey(ctx, admin, next.KID), issuer.ErrInvalidTransition)
	require.ErrorIs(t, svc.RemoveSigningKey(ctx, admin, first), issuer.ErrInvalidTransition)

	now, err := svc.RotateSigningKey(ctx, admin, true)
	require.NoError(t, err)
	require.Equal(t, store.SigningKeyActive, now.State)
	require.True(t, now.Signing)

	require.NoError(t, svc.RemoveSigningKey(ctx, admin, first))
	require.ErrorIs(t, svc.RemoveSigningKey(ctx, admin, first), issuer.ErrNotFound)
	require.ErrorIs(t, svc.RemoveSigningKey(ctx, admin, "not-a-kid"), issuer.ErrNotFound)
	require.Len(t, m.Keys(), 1)
}

func TestSigningKeysNeedASuperAdmin(t *testing.T) {
	svc, m, _, owner, st := keyService(t)
	ctx := context.Background()
	kid := m.Keys()[0].KID

	_, err := svc.ListSigningKeys(ctx, owner)
	require.ErrorIs(t, err, issuer.ErrForbidden)
	_, err = svc.RotateSigningKey(ctx, owner, true)
	require.ErrorIs(t, err, issuer.ErrForbidden)
	require.ErrorIs(t, svc.RemoveSigningKey(ctx, owner, kid), issuer.ErrForbidden)
	require.Len(t, m.Keys(), 1, "nothing rotated")

	recs, err := st.ListAudit(ctx, owner.OrgID, store.AuditFilter{Limit: 3})
	require.NoError(t, err)
	var actions []string
	for _, r := range recs {
		require.Equal(t, store.OutcomeDenied, r.Outcome)
		actions = append(actions, r.Action)
	}
	require.Equal(t, []string{"signingkey.remove", "signingkey.rotate", "signingkey.list"},
		actions)
}

func TestSigningKeysWithoutAManager(t *testing.T) {
	svc, st, h := newService(t)
	ctx := context.Background()
	key, err := issuer.CreateAdminKey(ctx, st, h, "bootstrap")
	require.NoError(t, err)
	admin, err := svc.Authenticate(ctx, key)
	require.NoError(t, err)

	_, err = svc.ListSigningKeys(ctx, admin)
	require.ErrorIs(t, err, issuer.ErrNotFound)
	_, err = svc.RotateSigningKey(ctx, admin, false)
	require.ErrorIs(t, err, issuer.ErrNotFound)
}

// failingKeys is a KeyManager whose rotations commit but whose key set
// cannot be reread.
type failingKeys struct{ listed []keys.KeyInfo }

func (f *failingKeys) Keys() []keys.KeyInfo { return f.listed }

func (f *failingKeys) Rotate(context.Context, bool) (string, error) {
	return "new-kid", errors.New("reread failed")
}

func (f *failingKeys) Remove(context.Context, string) error { return nil }

func TestRotationThatCommittedIsReported(t *testing.T) {
	_, st, h := newService(t)
	ctx := context.Background()
	fk := &failingKeys{}
	svc, err := issuer.New(issuer.Config{Store: st, Hasher: h, SigningKeys: fk})
	require.NoError(t, err)
	key, err := issuer.CreateAdminKey(ctx, st, h, "bootstrap")
	require.NoError(t, err)
	admin, err := svc.Authenticate(ctx, key)
	require.NoError(t, err)

	_, err = svc.RotateSigningKey(ctx, admin, true)
	require.ErrorContains(t, err, "rotated to signing key new-kid")
	require.NotErrorIs(t, err, issuer.ErrInvalid)

	fk.listed = []keys.KeyInfo{{KID: "new-kid", State: store.SigningKeyActive,
		ActivatesAt: time.Unix(1, 0)}}
	got, err := svc.RotateSigningKey(ctx, admin, true)
	require.NoError(t, err, "the key is known: the rotation is reported as done")
	require.Equal(t, "new-kid", got.KID)
}

func TestMaxTokenTTLMustAllowAMinute(t *testing.T) {
	_, st, h := newService(t)
	_, err := issuer.New(issuer.Config{Store: st, Hasher: h, MaxTokenTTL: 59 * time.Second})
	require.Error(t, err)

	svc, err := issuer.New(issuer.Config{Store: st, Hasher: h})
	require.NoError(t, err)
	require.Equal(t, issuer.DefaultMaxTokenTTL, svc.MaxTokenTTL())
}
