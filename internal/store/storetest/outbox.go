package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

func testOutbox(t *testing.T, st store.Store) {
	ctx := t.Context()
	o := newOrg(t, st)
	var want []store.Event
	for i := range 5 {
		e := store.Event{ID: ids.New(ids.Event), OrgID: o.ID, Type: "agent.suspended",
			Subject: fmt.Sprintf("agt_%d", i), Payload: []byte(fmt.Sprintf(`{"n":%d}`, i)),
			CreatedAt: now()}
		mustTx(t, st, func(ctx context.Context, tx store.Tx) error { return tx.Enqueue(ctx, e) })
		want = append(want, e)
	}

	got, err := st.ListEvents(ctx, 0, 100)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for i := range got {
		if i > 0 {
			require.Greater(t, got[i].Seq, got[i-1].Seq, "events in enqueue order")
		}
		want[i].Seq = got[i].Seq
	}
	require.Equal(t, want, got)

	rest, err := st.ListEvents(ctx, got[1].Seq, 2)
	require.NoError(t, err)
	require.Equal(t, want[2:4], rest, "after a seq, at most limit events")

	none, err := st.ListEvents(ctx, got[4].Seq, 0)
	require.NoError(t, err)
	require.Empty(t, none)
}
