package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

func testPagination(t *testing.T, st store.Store) {
	ctx := t.Context()
	o := newOrg(t, st)
	other := newOrg(t, st)
	newAgent(t, st, other.ID, "not mine")
	var want []string
	for range 7 {
		want = append(want, newAgent(t, st, o.ID, "agent").ID)
	}
	slices.Sort(want)

	var got []string
	var sizes []int
	page := store.AgentFilter{Page: store.Page{Limit: 3}}
	for {
		agents, err := st.ListAgents(ctx, o.ID, page)
		require.NoError(t, err)
		sizes = append(sizes, len(agents))
		if len(agents) == 0 {
			break
		}
		for _, a := range agents {
			got = append(got, a.ID)
		}
		page.After = agents[len(agents)-1].ID
	}
	require.Equal(t, want, got)
	require.Equal(t, []int{3, 3, 1, 0}, sizes)
}

func testLimits(t *testing.T, st store.Store) {
	ctx := t.Context()
	const n = 55
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		for range n {
			err := tx.CreateOrg(ctx, store.Org{ID: ids.New(ids.Org), Status: store.OrgActive})
			if err != nil {
				return err
			}
		}
		return nil
	})

	tests := []struct {
		name  string
		limit int
		want  int
	}{
		{"no limit gives the default page", 0, 50},
		{"a negative limit gives the default page", -1, 50},
		{"a small limit is kept", 7, 7},
		{"a limit above the maximum is clamped", 100000, n},
	}
	for _, tc := range tests {
		orgs, err := st.ListOrgs(ctx, store.Page{Limit: tc.limit})
		require.NoError(t, err)
		require.Len(t, orgs, tc.want, tc.name)
	}
}

func testAgentFilters(t *testing.T, st store.Store) {
	ctx := t.Context()
	o := newOrg(t, st)
	mk := func(name, owner string, status store.AgentStatus) string {
		a := agentFixture(o.ID, name)
		a.Owner, a.Status = owner, status
		mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
			return tx.CreateAgent(ctx, a)
		})
		return a.ID
	}
	alpha := mk("alpha-1", "red", store.AgentActive)
	alpha2 := mk("alpha-2", "blue", store.AgentSuspended)
	beta := mk("beta", "red", store.AgentRevoked)
	upper := mk("ALPHA-3", "red", store.AgentActive)
	pct := mk("al%pha", "red", store.AgentActive)

	tests := []struct {
		name string
		f    store.AgentFilter
		want []string
	}{
		{"no filter matches all", store.AgentFilter{}, []string{alpha, alpha2, beta, upper, pct}},
		{"status", store.AgentFilter{Status: store.AgentActive}, []string{alpha, upper, pct}},
		{"owner", store.AgentFilter{Owner: "blue"}, []string{alpha2}},
		{"name prefix is case-sensitive", store.AgentFilter{NamePrefix: "alpha"},
			[]string{alpha, alpha2}},
		{"name prefix has no wildcards", store.AgentFilter{NamePrefix: "al%"},
			[]string{pct}},
		{"filters combine", store.AgentFilter{Owner: "red", NamePrefix: "alpha-"},
			[]string{alpha}},
		{"nothing matches", store.AgentFilter{Owner: "green"}, nil},
	}
	for _, tc := range tests {
		agents, err := st.ListAgents(ctx, o.ID, tc.f)
		require.NoError(t, err)
		var got []string
		for _, a := range agents {
			got = append(got, a.ID)
		}
		require.ElementsMatch(t, tc.want, got, tc.name)
	}
}

func testAuditFilters(t *testing.T, st store.Store) {
	ctx := t.Context()
	o := newOrg(t, st)
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	actions := []string{"agent.create", "agent.suspend", "agent.create", "key.create",
		"agent.create"}
	for i, action := range actions {
		e := entry(o.ID, i)
		e.Action, e.Time = action, base.Add(time.Duration(i)*time.Hour)
		if i%2 == 1 {
			e.Actor = "admin:adm_root"
		}
		appendAudit(t, st, e)
	}

	tests := []struct {
		name string
		f    store.AuditFilter
		want []int64
	}{
		{"newest first", store.AuditFilter{}, []int64{5, 4, 3, 2, 1}},
		{"limit", store.AuditFilter{Limit: 2}, []int64{5, 4}},
		{"before a seq", store.AuditFilter{BeforeSeq: 4, Limit: 2}, []int64{3, 2}},
		{"action", store.AuditFilter{Action: "agent.create"}, []int64{5, 3, 1}},
		{"actor", store.AuditFilter{Actor: "admin:adm_root"}, []int64{4, 2}},
		{"target", store.AuditFilter{Target: "agt_2"}, []int64{3}},
		{"since is inclusive, until exclusive", store.AuditFilter{
			Since: base.Add(time.Hour), Until: base.Add(3 * time.Hour)}, []int64{3, 2}},
		{"filters combine", store.AuditFilter{Action: "agent.create",
			Since: base.Add(time.Hour)}, []int64{5, 3}},
		{"another organisation sees nothing", store.AuditFilter{}, nil},
	}
	for _, tc := range tests {
		org := o.ID
		if tc.want == nil {
			org = newOrg(t, st).ID
		}
		recs, err := st.ListAudit(ctx, org, tc.f)
		require.NoError(t, err)
		var got []int64
		for _, r := range recs {
			got = append(got, r.Seq)
		}
		require.Equal(t, tc.want, got, tc.name)
	}
}
