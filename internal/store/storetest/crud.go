package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

func testOrgs(t *testing.T, st store.Store) {
	ctx := t.Context()
	o := newOrg(t, st)

	got, err := st.GetOrg(ctx, o.ID)
	require.NoError(t, err)
	require.Equal(t, o, got)

	o.Name, o.Status = "renamed", store.OrgSuspended
	o.UpdatedAt = o.UpdatedAt.Add(time.Minute)
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		locked, err := tx.GetOrg(ctx, o.ID)
		require.NoError(t, err)
		require.Equal(t, o.CreatedAt, locked.CreatedAt)
		return tx.UpdateOrg(ctx, o)
	})

	got, err = st.GetOrg(ctx, o.ID)
	require.NoError(t, err)
	require.Equal(t, o, got)

	list, err := st.ListOrgs(ctx, store.Page{})
	require.NoError(t, err)
	require.Equal(t, []store.Org{o}, list)
}

func testTimes(t *testing.T, st store.Store) {
	ctx := t.Context()
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	created := time.Date(2031, 2, 3, 4, 5, 6, 123456789, zone)
	o := store.Org{ID: ids.New(ids.Org), Name: "zoned", Status: store.OrgActive,
		CreatedAt: created}
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error { return tx.CreateOrg(ctx, o) })

	got, err := st.GetOrg(ctx, o.ID)
	require.NoError(t, err)
	require.Equal(t, store.Truncate(created), got.CreatedAt)
	require.Equal(t, time.UTC, got.CreatedAt.Location())
	require.Equal(t, 123456000, got.CreatedAt.Nanosecond())
	require.True(t, got.UpdatedAt.IsZero(), "unset time reads back as zero")
}

func testOperators(t *testing.T, st store.Store) {
	ctx := t.Context()
	o := newOrg(t, st)
	op := store.Operator{ID: ids.New(ids.Operator), OrgID: o.ID, Name: "Ada",
		Email: "ada@example.com", Subject: "oidc|ada", Role: store.RoleAdmin,
		CreatedAt: now(), UpdatedAt: now()}
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateOperator(ctx, op)
	})

	got, err := st.GetOperator(ctx, o.ID, op.ID)
	require.NoError(t, err)
	require.Equal(t, op, got)

	op.Role, op.Email, op.DisabledAt = store.RoleViewer, "ada@example.org", now()
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		locked, err := tx.GetOperator(ctx, o.ID, op.ID)
		require.NoError(t, err)
		require.Equal(t, store.RoleAdmin, locked.Role)
		return tx.UpdateOperator(ctx, op)
	})

	list, err := st.ListOperators(ctx, o.ID, store.Page{})
	require.NoError(t, err)
	require.Equal(t, []store.Operator{op}, list)
}

func testAPIKeys(t *testing.T, st store.Store) {
	ctx := t.Context()
	o := newOrg(t, st)
	k := store.APIKey{ID: ids.New(ids.APIKey), OrgID: o.ID, OperatorID: "op_x",
		Name: "ci", Role: store.RoleOwner, Hash: "ab01", CreatedAt: now(),
		ExpiresAt: now().Add(24 * time.Hour), CreatedBy: "admin:adm_1"}
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error { return tx.CreateAPIKey(ctx, k) })

	got, err := st.GetAPIKey(ctx, k.ID)
	require.NoError(t, err)
	require.Equal(t, k, got)

	k.RevokedAt, k.Name = now(), "ci (revoked)"
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		locked, err := tx.GetAPIKey(ctx, o.ID, k.ID)
		require.NoError(t, err)
		require.True(t, locked.RevokedAt.IsZero())
		return tx.UpdateAPIKey(ctx, k)
	})

	list, err := st.ListAPIKeys(ctx, o.ID, store.Page{})
	require.NoError(t, err)
	require.Equal(t, []store.APIKey{k}, list)
}

func testAdminKeys(t *testing.T, st store.Store) {
	ctx := t.Context()
	n, err := st.CountAdminKeys(ctx)
	require.NoError(t, err)
	require.Zero(t, n)

	k := store.AdminKey{ID: ids.New(ids.AdminKey), Name: "bootstrap", Hash: "cd02",
		CreatedAt: now(), RevokedAt: now()}
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateAdminKey(ctx, k)
	})

	got, err := st.GetAdminKey(ctx, k.ID)
	require.NoError(t, err)
	require.Equal(t, k, got)

	n, err = st.CountAdminKeys(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, n, "revoked keys are counted")
}

func testAgents(t *testing.T, st store.Store) {
	ctx := t.Context()
	o := newOrg(t, st)
	a := newAgent(t, st, o.ID, "summariser")

	got, err := st.GetAgent(ctx, o.ID, a.ID)
	require.NoError(t, err)
	require.Equal(t, a, got)

	a.Metadata = map[string]string{"env": "staging", "emoji": "🚀", "quote": `"x"`}
	a.Scopes = []string{"z", "a"}
	a.Status, a.UpdatedAt = store.AgentSuspended, now().Add(time.Second)
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		locked, err := tx.GetAgent(ctx, o.ID, a.ID)
		require.NoError(t, err)
		require.Equal(t, store.AgentActive, locked.Status)
		return tx.UpdateAgent(ctx, a)
	})

	got, err = st.GetAgent(ctx, o.ID, a.ID)
	require.NoError(t, err)
	require.Equal(t, a, got)

	bare := store.Agent{ID: ids.New(ids.Agent), OrgID: o.ID, Status: store.AgentActive}
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateAgent(ctx, bare)
	})
	got, err = st.GetAgent(ctx, o.ID, bare.ID)
	require.NoError(t, err)
	require.Equal(t, bare, got, "no metadata and no scopes read back as nil")
}

func testClientSecrets(t *testing.T, st store.Store) {
	ctx := t.Context()
	o := newOrg(t, st)
	a := newAgent(t, st, o.ID, "worker")
	s := store.ClientSecret{ID: ids.New(ids.Secret), OrgID: o.ID, AgentID: a.ID,
		Hash: "ef03", CreatedAt: now(), ExpiresAt: now().Add(time.Hour)}
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateClientSecret(ctx, s)
	})

	list, err := st.ListClientSecrets(ctx, o.ID, a.ID)
	require.NoError(t, err)
	require.Equal(t, []store.ClientSecret{s}, list)

	s.RevokedAt = now()
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		locked, err := tx.ListClientSecrets(ctx, o.ID, a.ID)
		require.NoError(t, err)
		require.Len(t, locked, 1)
		return tx.UpdateClientSecret(ctx, s)
	})

	list, err = st.ListClientSecrets(ctx, o.ID, a.ID)
	require.NoError(t, err)
	require.Equal(t, []store.ClientSecret{s}, list)
}

func testAgentKeys(t *testing.T, st store.Store) {
	ctx := t.Context()
	o := newOrg(t, st)
	a := newAgent(t, st, o.ID, "signer")
	k := store.AgentKey{KID: "kid-1", OrgID: o.ID, AgentID: a.ID, Algorithm: "ES256",
		JWK: []byte(`{"kty":"EC","crv":"P-256","x":"AA","y":"BB"}`), CreatedAt: now()}
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateAgentKey(ctx, k)
	})

	list, err := st.ListAgentKeys(ctx, o.ID, a.ID)
	require.NoError(t, err)
	require.Equal(t, []store.AgentKey{k}, list)

	k.ExpiresAt, k.RevokedAt = now().Add(time.Hour), now()
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		locked, err := tx.ListAgentKeys(ctx, o.ID, a.ID)
		require.NoError(t, err)
		require.Len(t, locked, 1)
		return tx.UpdateAgentKey(ctx, k)
	})

	list, err = st.ListAgentKeys(ctx, o.ID, a.ID)
	require.NoError(t, err)
	require.Equal(t, []store.AgentKey{k}, list)
}
