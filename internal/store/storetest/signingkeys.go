package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store"
)

// signingKey returns a signing key in the given state, not yet stored. Its
// sealed bytes are not valid UTF-8 on purpose: the store must keep them
// exactly.
func signingKey(kid string, state store.SigningKeyState) store.SigningKey {
	return store.SigningKey{
		KID:         kid,
		Algorithm:   "ES256",
		State:       state,
		PublicJWK:   []byte(`{"kty":"EC","crv":"P-256","x":"AA","y":"BB","kid":"` + kid + `"}`),
		Sealed:      []byte{0x01, 0x00, 0xff, 0xfe, 'k', 0x80, 0x00},
		KEKID:       "0011223344556677",
		CreatedAt:   now(),
		ActivatesAt: now().Add(time.Hour),
	}
}

// createSigningKeys stores keys in one transaction.
func createSigningKeys(t testing.TB, st store.Store, keys ...store.SigningKey) {
	t.Helper()
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		for _, k := range keys {
			if err := tx.CreateSigningKey(ctx, k); err != nil {
				return err
			}
		}
		return nil
	})
}

func testSigningKeys(t *testing.T, st store.Store) {
	ctx := t.Context()
	empty, err := st.ListSigningKeys(ctx)
	require.NoError(t, err)
	require.Empty(t, empty)

	active := signingKey("kid-a", store.SigningKeyActive)
	active.CreatedAt = active.CreatedAt.Add(-time.Hour)
	pending := signingKey("kid-p", store.SigningKeyPending)
	retired := signingKey("kid-r", store.SigningKeyRetired)
	retired.CreatedAt = retired.CreatedAt.Add(-2 * time.Hour)
	retired.RetiredAt, retired.RemoveAfter = now(), now().Add(25*time.Hour)
	retired.Sealed = nil
	createSigningKeys(t, st, pending, active, retired)

	got, err := st.ListSigningKeys(ctx)
	require.NoError(t, err)
	require.Equal(t, []store.SigningKey{retired, active, pending}, got, "oldest first")

	// Promote the pending key: the active one is retired first.
	active.State, active.RetiredAt = store.SigningKeyRetired, now()
	active.RemoveAfter = now().Add(24 * time.Hour)
	pending.State, pending.ActivatesAt = store.SigningKeyActive, now()
	pending.Sealed, pending.KEKID = []byte("rewrapped"), "8899aabbccddeeff"
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		locked, err := tx.ListSigningKeys(ctx)
		require.NoError(t, err)
		require.Len(t, locked, 3)
		if err := tx.UpdateSigningKey(ctx, active); err != nil {
			return err
		}
		if err := tx.UpdateSigningKey(ctx, pending); err != nil {
			return err
		}
		return tx.DeleteSigningKey(ctx, retired.KID)
	})

	got, err = st.ListSigningKeys(ctx)
	require.NoError(t, err)
	require.Equal(t, []store.SigningKey{active, pending}, got)
}

func testSigningKeyErrors(t *testing.T, st store.Store) {
	active := signingKey("kid-active", store.SigningKeyActive)
	pending := signingKey("kid-pending", store.SigningKeyPending)
	createSigningKeys(t, st, active, pending)

	missing := []attempt{
		{"updating a missing signing key", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateSigningKey(ctx, signingKey("missing", store.SigningKeyRetired))
		})},
		{"deleting a missing signing key", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.DeleteSigningKey(ctx, "missing")
		})},
	}
	runAttempts(t, st, missing, store.ErrNotFound)

	promoted := pending
	promoted.State = store.SigningKeyActive
	conflicts := []attempt{
		{"creating a signing key twice", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.CreateSigningKey(ctx, pending)
		})},
		{"creating a second active key", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.CreateSigningKey(ctx, signingKey("kid-2", store.SigningKeyActive))
		})},
		{"promoting a key while another is active", inTx(func(ctx context.Context,
			tx store.Tx) error {
			return tx.UpdateSigningKey(ctx, promoted)
		})},
	}
	runAttempts(t, st, conflicts, store.ErrConflict)

	got, err := st.ListSigningKeys(t.Context())
	require.NoError(t, err)
	require.Equal(t, []store.SigningKey{active, pending}, got, "refused writes left no trace")
}

// testSigningKeyLock runs check-then-create transactions side by side on an
// empty key set, as instances starting together do: the locked listing
// makes them take turns, so exactly one key results.
func testSigningKeyLock(t *testing.T, st store.Store) {
	const n = 10

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- tryTx(st, func(ctx context.Context, tx store.Tx) error {
				keys, err := tx.ListSigningKeys(ctx)
				if err != nil || len(keys) > 0 {
					return err
				}
				// Pending, so that no unique index can stand in for the lock.
				k := signingKey(fmt.Sprintf("kid-%d", i), store.SigningKeyPending)
				return tx.CreateSigningKey(ctx, k)
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	got, err := st.ListSigningKeys(t.Context())
	require.NoError(t, err)
	require.Len(t, got, 1)
}
