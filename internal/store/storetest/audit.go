package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store"
)

func testAuditChain(t *testing.T, st store.Store) {
	ctx := t.Context()
	a, b := newOrg(t, st), newOrg(t, st)

	var appended []store.AuditRecord
	for i := range 5 {
		e := entry(a.ID, i)
		e.Time = time.Date(2030, 5, 6, 7, 8, 9, 987654321, time.FixedZone("x", 3600))
		rec := appendAudit(t, st, e)
		require.Equal(t, store.Truncate(e.Time), rec.Time, "time truncated before hashing")
		appended = append(appended, rec)
		if i < 3 {
			appendAudit(t, st, entry(b.ID, i))
		}
	}

	recs := scanAll(t, st, a.ID)
	require.Equal(t, appended, recs, "stored records read back as appended")
	requireChain(t, recs, 5)
	requireChain(t, scanAll(t, st, b.ID), 3)

	heads, err := st.AuditHeads(ctx)
	require.NoError(t, err)
	want := []store.AuditHead{
		{OrgID: a.ID, Seq: 5, Hash: recs[4].Hash},
		{OrgID: b.ID, Seq: 3, Hash: scanAll(t, st, b.ID)[2].Hash},
	}
	require.ElementsMatch(t, want, heads)

	newest, err := st.ListAudit(ctx, a.ID, store.AuditFilter{})
	require.NoError(t, err)
	slices.Reverse(newest)
	require.Equal(t, recs, newest)
}

// testConcurrentAudit appends to one chain from many goroutines, each in a
// transaction of its own, as concurrent requests do.
func testConcurrentAudit(t *testing.T, st store.Store) {
	o := newOrg(t, st)
	const n = 50

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			errs <- tryTx(st, func(ctx context.Context, tx store.Tx) error {
				_, err := tx.AppendAudit(ctx, entry(o.ID, i))
				return err
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	recs := scanAll(t, st, o.ID)
	requireChain(t, recs, n)
	heads, err := st.AuditHeads(t.Context())
	require.NoError(t, err)
	require.Equal(t, []store.AuditHead{{OrgID: o.ID, Seq: n, Hash: recs[n-1].Hash}}, heads)
}

// testBatchedAudit appends records of two organisations, interleaved, in
// one transaction, as the audit writer's batches do, then more in a
// second one: each chain links in order across both.
func testBatchedAudit(t *testing.T, st store.Store) {
	a, b := newOrg(t, st), newOrg(t, st)
	appendAll := func(orgs ...string) {
		mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
			for i, o := range orgs {
				if _, err := tx.AppendAudit(ctx, entry(o, i)); err != nil {
					return err
				}
			}
			return nil
		})
	}
	appendAll(a.ID, b.ID, a.ID, a.ID, b.ID)
	appendAll(b.ID, a.ID)

	requireChain(t, scanAll(t, st, a.ID), 4)
	requireChain(t, scanAll(t, st, b.ID), 3)
}
