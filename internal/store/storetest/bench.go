package storetest

import (
	"context"
	"testing"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

// BenchCreateAgent measures what an agent registration costs the store: one
// transaction that creates the agent, appends its audit record and
// enqueues its event, all in one organisation.
func BenchCreateAgent(b *testing.B, st store.Store) {
	o := newOrg(b, st)
	ctx := context.Background()

	for b.Loop() {
		a := agentFixture(o.ID, "bench")
		err := st.WithTx(ctx, func(tx store.Tx) error {
			if err := tx.CreateAgent(ctx, a); err != nil {
				return err
			}
			e := entry(o.ID, 0)
			e.Target = a.ID
			if _, err := tx.AppendAudit(ctx, e); err != nil {
				return err
			}
			return tx.Enqueue(ctx, store.Event{ID: ids.New(ids.Event), OrgID: o.ID,
				Type: "agent.created", Subject: a.ID, Payload: []byte(`{}`)})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
