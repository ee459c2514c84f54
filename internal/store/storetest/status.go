package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

func testStatusIndexes(t *testing.T, st store.Store) {
	ctx := t.Context()
	o, other := newOrg(t, st), newOrg(t, st)
	agents := []store.Agent{
		newAgent(t, st, o.ID, "first"), newAgent(t, st, other.ID, "second"),
		newAgent(t, st, o.ID, "third"), newAgent(t, st, other.ID, "fourth"),
	}

	idx := make([]int64, len(agents))
	for i, a := range agents {
		var err error
		idx[i], err = st.AgentStatusIndex(ctx, a.ID)
		require.NoError(t, err)
		require.Positive(t, idx[i])
		if i > 0 {
			require.Greater(t, idx[i], idx[i-1], "indexes are handed out in order")
		}
	}
	_, err := st.AgentStatusIndex(ctx, ids.New(ids.Agent))
	require.ErrorIs(t, err, store.ErrNotFound)

	// A failed creation must not leave an index behind for a later agent.
	err = tryTx(st, func(ctx context.Context, tx store.Tx) error {
		return tx.CreateAgent(ctx, agents[0])
	})
	require.ErrorIs(t, err, store.ErrConflict)

	agents[0].Status = store.AgentRevoked
	agents[2].Status = store.AgentSuspended
	other.Status = store.OrgDeleted
	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		if err := tx.UpdateAgent(ctx, agents[0]); err != nil {
			return err
		}
		if err := tx.UpdateAgent(ctx, agents[2]); err != nil {
			return err
		}
		return tx.UpdateOrg(ctx, other)
	})

	all := store.StatusIndexFilter{From: 0, To: idx[3] + 1}
	tests := []struct {
		name string
		f    store.StatusIndexFilter
		want []int64
	}{
		{"revoked agents match", withStatuses(all, []store.AgentStatus{store.AgentRevoked}, nil),
			[]int64{idx[0]}},
		{"agents of deleted organisations match",
			withStatuses(all, nil, []store.OrgStatus{store.OrgDeleted}), []int64{idx[1], idx[3]}},
		{"either list matches",
			withStatuses(all, []store.AgentStatus{store.AgentRevoked, store.AgentSuspended},
				[]store.OrgStatus{store.OrgDeleted}), idx},
		{"the range is half open",
			withStatuses(store.StatusIndexFilter{From: idx[1], To: idx[3]}, nil,
				[]store.OrgStatus{store.OrgDeleted}), []int64{idx[1]}},
		{"empty lists match nothing", all, []int64{}},
		{"an empty range matches nothing",
			withStatuses(store.StatusIndexFilter{From: idx[3], To: idx[0]},
				[]store.AgentStatus{store.AgentRevoked}, nil), []int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := st.ListStatusIndexes(ctx, tc.f)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func withStatuses(f store.StatusIndexFilter, agents []store.AgentStatus,
	orgs []store.OrgStatus) store.StatusIndexFilter {
	f.AgentStatuses, f.OrgStatuses = agents, orgs
	return f
}
