package rest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store"
)

// state renders every row the store holds except audit records, so that a
// test can assert that a refused request changed nothing.
func state(t testing.TB, st store.Store) string {
	t.Helper()
	ctx := context.Background()
	var all []any

	orgs, err := st.ListOrgs(ctx, store.Page{Limit: 500})
	require.NoError(t, err)
	all = append(all, orgs)
	for _, o := range orgs {
		all = append(all, orgState(t, st, o.ID)...)
	}

	events, err := st.ListEvents(ctx, 0, 500)
	require.NoError(t, err)
	admins, err := st.CountAdminKeys(ctx)
	require.NoError(t, err)
	signing, err := st.ListSigningKeys(ctx)
	require.NoError(t, err)
	all = append(all, events, admins, signing)

	data, err := json.Marshal(all)
	require.NoError(t, err)
	return string(data)
}

// orgState lists the rows of one organisation.
func orgState(t testing.TB, st store.Store, orgID string) []any {
	ctx := context.Background()
	ops, err := st.ListOperators(ctx, orgID, store.Page{Limit: 500})
	require.NoError(t, err)
	keys, err := st.ListAPIKeys(ctx, orgID, store.Page{Limit: 500})
	require.NoError(t, err)
	agents, err := st.ListAgents(ctx, orgID, store.AgentFilter{Page: store.Page{Limit: 500}})
	require.NoError(t, err)
	out := []any{ops, keys, agents}

	for _, a := range agents {
		secrets, err := st.ListClientSecrets(ctx, orgID, a.ID)
		require.NoError(t, err)
		akeys, err := st.ListAgentKeys(ctx, orgID, a.ID)
		require.NoError(t, err)
		out = append(out, secrets, akeys)
	}
	return out
}

// audit returns an organisation's audit records, newest first.
func audit(t testing.TB, st store.Store, orgID string) []store.AuditRecord {
	t.Helper()
	recs, err := st.ListAudit(context.Background(), orgID, store.AuditFilter{Limit: 500})
	require.NoError(t, err)
	return recs
}

// events returns every outbox event.
func events(t testing.TB, st store.Store) []store.Event {
	t.Helper()
	evs, err := st.ListEvents(context.Background(), 0, 500)
	require.NoError(t, err)
	return evs
}
