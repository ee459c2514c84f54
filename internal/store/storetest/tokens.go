package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

func testTokenTTLs(t *testing.T, st store.Store) {
	ctx := t.Context()
	o := newOrg(t, st)
	a := newAgent(t, st, o.ID, "short-lived")

	got, err := st.GetOrg(ctx, o.ID)
	require.NoError(t, err)
	require.Zero(t, got.TokenTTL, "an organisation inherits the deployment's lifetime")
	agent, err := st.GetAgent(ctx, o.ID, a.ID)
	require.NoError(t, err)
	require.Zero(t, agent.TokenTTL, "an agent inherits its organisation's lifetime")

	o.TokenTTL = 15*time.Minute + 1500*time.Microsecond
	a.TokenTTL = 90 * time.Second
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UpdateOrg(ctx, o); err != nil {
			return err
		}
		return tx.UpdateAgent(ctx, a)
	})
	got, err = st.GetOrg(ctx, o.ID)
	require.NoError(t, err)
	require.Equal(t, o, got)
	agent, err = st.GetAgent(ctx, o.ID, a.ID)
	require.NoError(t, err)
	require.Equal(t, a, agent)

	fresh := agentFixture(o.ID, "created with a lifetime")
	fresh.TokenTTL = time.Hour
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error { return tx.CreateAgent(ctx, fresh) })
	agent, err = st.GetAgent(ctx, o.ID, fresh.ID)
	require.NoError(t, err)
	require.Equal(t, fresh, agent)
}

func testFindAgent(t *testing.T, st store.Store) {
	ctx := t.Context()
	o := newOrg(t, st)
	o.TokenTTL = 5 * time.Minute
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error { return tx.UpdateOrg(ctx, o) })
	a := agentFixture(o.ID, "found by id alone")
	a.TokenTTL = time.Minute
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error { return tx.CreateAgent(ctx, a) })
	other := newOrg(t, st)
	newAgent(t, st, other.ID, "of another organisation")

	agent, org, err := st.FindAgent(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, a, agent)
	require.Equal(t, o, org, "the agent comes with its organisation")

	_, _, err = st.FindAgent(ctx, ids.New(ids.Agent))
	require.ErrorIs(t, err, store.ErrNotFound)
	_, _, err = st.FindAgent(ctx, o.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "an organisation id is no agent id")

	// FindClient is the same lookup with the agent's secrets.
	agent, org, secrets, err := st.FindClient(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, a, agent)
	require.Equal(t, o, org)
	require.Empty(t, secrets, "an agent without secrets is still found")

	s1 := store.ClientSecret{ID: ids.New(ids.Secret), OrgID: o.ID, AgentID: a.ID, Hash: "h1",
		CreatedAt: now(), ExpiresAt: now().Add(time.Hour)}
	s2 := store.ClientSecret{ID: ids.New(ids.Secret), OrgID: o.ID, AgentID: a.ID, Hash: "h2",
		CreatedAt: now(), RevokedAt: now()}
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		if err := tx.CreateClientSecret(ctx, s2); err != nil {
			return err
		}
		return tx.CreateClientSecret(ctx, s1)
	})
	agent, org, secrets, err = st.FindClient(ctx, a.ID)
	require.NoError(t, err)
	require.Equal(t, a, agent)
	require.Equal(t, o, org)
	listed, err := st.ListClientSecrets(ctx, o.ID, a.ID)
	require.NoError(t, err)
	require.Equal(t, listed, secrets, "every secret, revoked ones too, as ListClientSecrets")
	require.Len(t, secrets, 2)

	_, _, _, err = st.FindClient(ctx, ids.New(ids.Agent))
	require.ErrorIs(t, err, store.ErrNotFound)
}

// revocation returns a revocation of a token of the agent, not yet stored.
func revocation(a store.Agent, expiresAt time.Time) store.RevokedToken {
	return store.RevokedToken{JTI: ids.New(""), OrgID: a.OrgID, AgentID: a.ID,
		ExpiresAt: expiresAt, RevokedAt: now()}
}

func testRevokedTokens(t *testing.T, st store.Store) {
	ctx := t.Context()
	o := newOrg(t, st)
	a := newAgent(t, st, o.ID, "revoked")
	first := revocation(a, now().Add(time.Hour))
	first.RevokedAt = now().Add(-time.Minute)
	second := revocation(a, now().Add(2*time.Hour))
	gone := revocation(a, now().Add(-time.Second))
	gone.RevokedAt = now().Add(-time.Hour)
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		for _, rt := range []store.RevokedToken{second, gone, first} {
			if err := tx.RevokeToken(ctx, rt); err != nil {
				return err
			}
		}
		return nil
	})

	revoked, err := st.IsTokenRevoked(ctx, first.JTI)
	require.NoError(t, err)
	require.True(t, revoked)
	revoked, err = st.IsTokenRevoked(ctx, "never-revoked")
	require.NoError(t, err)
	require.False(t, revoked)

	all, err := st.ListRevokedTokens(ctx, time.Time{})
	require.NoError(t, err)
	require.Equal(t, []store.RevokedToken{gone, first, second}, all, "oldest revocation first")
	recent, err := st.ListRevokedTokens(ctx, first.RevokedAt)
	require.NoError(t, err)
	require.Equal(t, []store.RevokedToken{first, second}, recent, "since is inclusive")

	err = tryTx(st, func(ctx context.Context, tx store.Tx) error {
		return tx.RevokeToken(ctx, first)
	})
	require.ErrorIs(t, err, store.ErrConflict, "a token is revoked once")

	var pruned int64
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		pruned, err = tx.PruneRevokedTokens(ctx, now())
		return err
	})
	require.EqualValues(t, 1, pruned)
	all, err = st.ListRevokedTokens(ctx, time.Time{})
	require.NoError(t, err)
	require.Equal(t, []store.RevokedToken{first, second}, all, "expired revocations are pruned")
}

func testUsedAssertions(t *testing.T, st store.Store) {
	o := newOrg(t, st)
	a := newAgent(t, st, o.ID, "asserter")
	b := newAgent(t, st, o.ID, "another asserter")
	use := func(clientID, jti string, exp time.Time) error {
		return tryTx(st, func(ctx context.Context, tx store.Tx) error {
			return tx.UseAssertion(ctx, clientID, jti, exp)
		})
	}
	soon, later := now().Add(time.Minute), now().Add(5*time.Minute)

	require.NoError(t, use(a.ID, "jti-1", soon))
	require.ErrorIs(t, use(a.ID, "jti-1", later), store.ErrConflict, "a replay conflicts")
	require.NoError(t, use(b.ID, "jti-1", soon), "jtis are per client")
	require.NoError(t, use(a.ID, "jti-2", later))

	var pruned int64
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		var err error
		pruned, err = tx.PruneUsedAssertions(ctx, soon)
		return err
	})
	require.EqualValues(t, 2, pruned, "the assertions expiring at soon are forgotten")
	require.NoError(t, use(a.ID, "jti-1", later), "a pruned jti is forgotten")
	require.ErrorIs(t, use(a.ID, "jti-2", later), store.ErrConflict,
		"an unexpired assertion is remembered")
}
