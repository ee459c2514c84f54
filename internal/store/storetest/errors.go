package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

// errOf drops a result, keeping its error.
func errOf[T any](_ T, err error) error {
	return err
}

// inTx adapts a Tx call to an attempt on the store.
func inTx(fn func(ctx context.Context, tx store.Tx) error) func(context.Context,
	store.Store) error {
	return func(ctx context.Context, st store.Store) error {
		return st.WithTx(ctx, func(tx store.Tx) error { return fn(ctx, tx) })
	}
}

// attempt is one call expected to fail with a sentinel error.
type attempt struct {
	name string
	run  func(ctx context.Context, st store.Store) error
}

func testNotFound(t *testing.T, st store.Store) {
	o := newOrg(t, st)
	const missing = "missing"
	org := o.ID

	attempts := []attempt{
		{"reading a missing org", func(ctx context.Context, st store.Store) error {
			return errOf(st.GetOrg(ctx, missing))
		}},
		{"locking a missing org", inTx(func(ctx context.Context, tx store.Tx) error {
			return errOf(tx.GetOrg(ctx, missing))
		})},
		{"updating a missing org", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateOrg(ctx, store.Org{ID: missing})
		})},
		{"reading a missing operator", func(ctx context.Context, st store.Store) error {
			return errOf(st.GetOperator(ctx, org, missing))
		}},
		{"locking a missing operator", inTx(func(ctx context.Context, tx store.Tx) error {
			return errOf(tx.GetOperator(ctx, org, missing))
		})},
		{"updating a missing operator", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateOperator(ctx, store.Operator{ID: missing, OrgID: org})
		})},
		{"creating an operator of a missing org", inTx(func(ctx context.Context,
			tx store.Tx) error {
			return tx.CreateOperator(ctx, store.Operator{ID: ids.New(ids.Operator),
				OrgID: missing})
		})},
		{"reading a missing api key", func(ctx context.Context, st store.Store) error {
			return errOf(st.GetAPIKey(ctx, missing))
		}},
		{"locking a missing api key", inTx(func(ctx context.Context, tx store.Tx) error {
			return errOf(tx.GetAPIKey(ctx, org, missing))
		})},
		{"updating a missing api key", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateAPIKey(ctx, store.APIKey{ID: missing, OrgID: org})
		})},
		{"creating an api key of a missing org", inTx(func(ctx context.Context,
			tx store.Tx) error {
			return tx.CreateAPIKey(ctx, store.APIKey{ID: ids.New(ids.APIKey), OrgID: missing})
		})},
		{"reading a missing admin key", func(ctx context.Context, st store.Store) error {
			return errOf(st.GetAdminKey(ctx, missing))
		}},
		{"reading a missing agent", func(ctx context.Context, st store.Store) error {
			return errOf(st.GetAgent(ctx, org, missing))
		}},
		{"locking a missing agent", inTx(func(ctx context.Context, tx store.Tx) error {
			return errOf(tx.GetAgent(ctx, org, missing))
		})},
		{"updating a missing agent", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateAgent(ctx, store.Agent{ID: missing, OrgID: org})
		})},
		{"creating an agent of a missing org", inTx(func(ctx context.Context,
			tx store.Tx) error {
			return tx.CreateAgent(ctx, agentFixture(missing, "orphan"))
		})},
		{"creating a secret of a missing agent", inTx(func(ctx context.Context,
			tx store.Tx) error {
			return tx.CreateClientSecret(ctx, store.ClientSecret{ID: ids.New(ids.Secret),
				OrgID: org, AgentID: missing})
		})},
		{"updating a missing secret", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateClientSecret(ctx, store.ClientSecret{ID: missing, OrgID: org,
				AgentID: missing})
		})},
		{"creating a key of a missing agent", inTx(func(ctx context.Context,
			tx store.Tx) error {
			return tx.CreateAgentKey(ctx, store.AgentKey{KID: "k", OrgID: org,
				AgentID: missing})
		})},
		{"updating a missing agent key", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.UpdateAgentKey(ctx, store.AgentKey{KID: missing, OrgID: org,
				AgentID: missing})
		})},
	}
	runAttempts(t, st, attempts, store.ErrNotFound)
}

// runAttempts runs every attempt, each expecting want.
func runAttempts(t *testing.T, st store.Store, attempts []attempt, want error) {
	for _, a := range attempts {
		t.Run(a.name, func(t *testing.T) {
			require.ErrorIs(t, a.run(t.Context(), st), want)
		})
	}
}

func testConflicts(t *testing.T, st store.Store) {
	o := newOrg(t, st)
	a := newAgent(t, st, o.ID, "dup")
	op := store.Operator{ID: ids.New(ids.Operator), OrgID: o.ID}
	k := store.APIKey{ID: ids.New(ids.APIKey), OrgID: o.ID}
	adm := store.AdminKey{ID: ids.New(ids.AdminKey)}
	s := store.ClientSecret{ID: ids.New(ids.Secret), OrgID: o.ID, AgentID: a.ID}
	ak := store.AgentKey{KID: "kid", OrgID: o.ID, AgentID: a.ID}
	ev := store.Event{ID: ids.New(ids.Event), OrgID: o.ID, Type: "agent.created"}

	creates := []attempt{
		{"org", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.CreateOrg(ctx, o)
		})},
		{"agent", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.CreateAgent(ctx, a)
		})},
		{"operator", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.CreateOperator(ctx, op)
		})},
		{"api key", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.CreateAPIKey(ctx, k)
		})},
		{"admin key", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.CreateAdminKey(ctx, adm)
		})},
		{"client secret", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.CreateClientSecret(ctx, s)
		})},
		{"agent key", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.CreateAgentKey(ctx, ak)
		})},
		{"event", inTx(func(ctx context.Context, tx store.Tx) error {
			return tx.Enqueue(ctx, ev)
		})},
	}
	for _, c := range creates[2:] { // the org and the agent exist already
		require.NoError(t, c.run(t.Context(), st), "first %s", c.name)
	}
	runAttempts(t, st, creates, store.ErrConflict)
}

var errBoom = errors.New("boom")

func testTxError(t *testing.T, st store.Store) {
	err := tryTx(st, func(context.Context, store.Tx) error { return errBoom })
	require.Equal(t, errBoom, err, "fn's error is returned as it is")

	wrapped := &wrapErr{errBoom}
	err = tryTx(st, func(context.Context, store.Tx) error { return wrapped })
	require.ErrorIs(t, err, errBoom)
	require.ErrorAs(t, err, &wrapped)
}

type wrapErr struct{ err error }

func (w *wrapErr) Error() string { return "wrapped: " + w.err.Error() }
func (w *wrapErr) Unwrap() error { return w.err }

func testAtomicity(t *testing.T, st store.Store) {
	ctx := t.Context()
	o := newOrg(t, st)
	first := appendAudit(t, st, entry(o.ID, 0))
	a := agentFixture(o.ID, "ghost")

	err := tryTx(st, func(ctx context.Context, tx store.Tx) error {
		require.NoError(t, tx.CreateAgent(ctx, a))
		_, err := tx.AppendAudit(ctx, entry(o.ID, 1))
		require.NoError(t, err)
		require.NoError(t, tx.Enqueue(ctx, store.Event{ID: ids.New(ids.Event),
			OrgID: o.ID, Type: "agent.created", Subject: a.ID}))
		return errBoom
	})
	require.ErrorIs(t, err, errBoom)

	_, err = st.GetAgent(ctx, o.ID, a.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "agent rolled back")
	requireChain(t, scanAll(t, st, o.ID), 1)
	heads, err := st.AuditHeads(ctx)
	require.NoError(t, err)
	require.Equal(t, []store.AuditHead{{OrgID: o.ID, Seq: 1, Hash: first.Hash}}, heads)
	events, err := st.ListEvents(ctx, 0, 10)
	require.NoError(t, err)
	require.Empty(t, events, "event rolled back")

	// A chain created inside the failed transaction leaves no head behind.
	fresh := newOrg(t, st)
	err = tryTx(st, func(ctx context.Context, tx store.Tx) error {
		return errors.Join(errOf(tx.AppendAudit(ctx, entry(fresh.ID, 0))), errBoom)
	})
	require.ErrorIs(t, err, errBoom)
	heads, err = st.AuditHeads(ctx)
	require.NoError(t, err)
	require.Len(t, heads, 1)
}

// testLockedUpdates runs read-modify-write transactions side by side: the
// locked read makes them queue, so no increment is lost.
func testLockedUpdates(t *testing.T, st store.Store) {
	o := newOrg(t, st)
	a := newAgent(t, st, o.ID, "counter")
	const n = 20

	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			errs <- tryTx(st, func(ctx context.Context, tx store.Tx) error {
				cur, err := tx.GetAgent(ctx, o.ID, a.ID)
				if err != nil {
					return err
				}
				cur.Scopes = append(cur.Scopes, "s")
				return tx.UpdateAgent(ctx, cur)
			})
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}

	got, err := st.GetAgent(t.Context(), o.ID, a.ID)
	require.NoError(t, err)
	require.Len(t, got.Scopes, len(a.Scopes)+n)
}
