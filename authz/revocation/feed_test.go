package revocation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/authz"
	"github.com/agentidp/agentidp/authz/revocation"
	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/testdb"
)

const issuer = "https://idp.example.com"

// world writes organisations, agents, revocations and their outbox
// events the way the issuer does: each change with its event.
type world struct {
	t   *testing.T
	st  store.Store
	now time.Time
}

func (w *world) tx(fn func(ctx context.Context, tx store.Tx) error) {
	w.t.Helper()
	ctx := context.Background()
	require.NoError(w.t, w.st.WithTx(ctx, func(tx store.Tx) error { return fn(ctx, tx) }))
}

func (w *world) event(ctx context.Context, tx store.Tx, typ, orgID, subject string,
	payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return err
	}
	return tx.Enqueue(ctx, store.Event{ID: ids.New(ids.Event), OrgID: orgID, Type: typ,
		Subject: subject, Payload: b, CreatedAt: w.now})
}

func (w *world) org(status store.OrgStatus) store.Org {
	o := store.Org{ID: ids.New(ids.Org), Name: "acme", Status: status, CreatedAt: w.now,
		UpdatedAt: w.now}
	w.tx(func(ctx context.Context, tx store.Tx) error { return tx.CreateOrg(ctx, o) })
	return o
}

func (w *world) agent(o store.Org, status store.AgentStatus) store.Agent {
	a := store.Agent{ID: ids.New(ids.Agent), OrgID: o.ID, Name: "bot", Status: status,
		CreatedAt: w.now, UpdatedAt: w.now}
	w.tx(func(ctx context.Context, tx store.Tx) error { return tx.CreateAgent(ctx, a) })
	return a
}

// setAgent changes an agent's status and announces it.
func (w *world) setAgent(a store.Agent, status store.AgentStatus, typ string) {
	w.tx(func(ctx context.Context, tx store.Tx) error {
		a.Status = status
		if err := tx.UpdateAgent(ctx, a); err != nil {
			return err
		}
		return w.event(ctx, tx, typ, a.OrgID, a.ID, map[string]string{"agent_id": a.ID})
	})
}

// revoke revokes a token and announces it.
func (w *world) revoke(a store.Agent, jti string) {
	exp := w.now.Add(10 * time.Minute)
	w.tx(func(ctx context.Context, tx store.Tx) error {
		if err := tx.RevokeToken(ctx, store.RevokedToken{JTI: jti, OrgID: a.OrgID,
			AgentID: a.ID, ExpiresAt: exp, RevokedAt: w.now}); err != nil {
			return err
		}
		return w.event(ctx, tx, "token.revoked", a.OrgID, a.ID,
			map[string]any{"jti": jti, "agent_id": a.ID, "exp": exp.Unix()})
	})
}

// refusal is what the Denylist says of a token of agent a in org o.
func refusal(d *authz.Denylist, o store.Org, a store.Agent, jti string) string {
	return d.Refusal(issuer, jti, a.ID, o.ID)
}

func newFeed(t *testing.T, st store.Store) (*revocation.Feed, *authz.Denylist) {
	deny := authz.NewDenylist()
	f, err := revocation.New(revocation.Config{Store: st, Denylist: deny, Issuer: issuer})
	require.NoError(t, err)
	return f, deny
}

func TestSyncLoadsTheWholeState(t *testing.T) {
	for _, b := range testdb.Backends {
		t.Run(b.Name, func(t *testing.T) {
			w := &world{t: t, st: b.Open(t), now: store.Truncate(time.Now())}
			active, suspended, deleted := w.org(store.OrgActive), w.org(store.OrgSuspended),
				w.org(store.OrgDeleted)
			ok := w.agent(active, store.AgentActive)
			paused := w.agent(active, store.AgentSuspended)
			gone := w.agent(active, store.AgentRevoked)
			inSuspended := w.agent(suspended, store.AgentActive)
			w.revoke(ok, "jti-revoked")

			f, deny := newFeed(t, w.st)
			require.False(t, deny.Ready())
			require.NoError(t, f.Sync(t.Context()))
			require.True(t, deny.Ready())

			tests := []struct {
				name  string
				org   store.Org
				agent store.Agent
				jti   string
				want  string
			}{
				{"an active agent's token passes", active, ok, "jti-1", ""},
				{"a revoked token is refused", active, ok, "jti-revoked", authz.ReasonRevoked},
				{"a suspended agent is refused", active, paused, "jti-2", authz.ReasonAgentSuspended},
				{"a revoked agent is refused", active, gone, "jti-3", authz.ReasonAgentRevoked},
				{"a suspended organisation is refused", suspended, inSuspended, "jti-4",
					authz.ReasonOrgInactive},
				{"a deleted organisation is refused", deleted, store.Agent{ID: "agt_x"}, "jti-5",
					authz.ReasonOrgInactive},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					require.Equal(t, tc.want, refusal(deny, tc.org, tc.agent, tc.jti))
				})
			}
		})
	}
}

func TestPollAppliesTheOutbox(t *testing.T) {
	for _, b := range testdb.Backends {
		t.Run(b.Name, func(t *testing.T) {
			w := &world{t: t, st: b.Open(t), now: store.Truncate(time.Now())}
			o := w.org(store.OrgActive)
			a := w.agent(o, store.AgentActive)
			f, deny := newFeed(t, w.st)
			require.NoError(t, f.Sync(t.Context()))
			require.Empty(t, refusal(deny, o, a, "jti-1"))

			w.revoke(a, "jti-1")
			require.NoError(t, f.Poll(t.Context()))
			require.Equal(t, authz.ReasonRevoked, refusal(deny, o, a, "jti-1"))

			w.setAgent(a, store.AgentSuspended, "agent.suspended")
			require.NoError(t, f.Poll(t.Context()))
			require.Equal(t, authz.ReasonAgentSuspended, refusal(deny, o, a, "jti-2"))

			w.setAgent(a, store.AgentActive, "agent.reactivated")
			require.NoError(t, f.Poll(t.Context()))
			require.Empty(t, refusal(deny, o, a, "jti-2"))

			w.tx(func(ctx context.Context, tx store.Tx) error {
				return w.event(ctx, tx, "org.suspended", o.ID, o.ID, map[string]string{})
			})
			require.NoError(t, f.Poll(t.Context()))
			require.Equal(t, authz.ReasonOrgInactive, refusal(deny, o, a, "jti-2"))
		})
	}
}

func TestSyncFindsTheOutboxEnd(t *testing.T) {
	// Changes made before the sync are in the state it reads; the ones
	// after are applied by the next poll, however many events came before.
	for _, n := range []int{0, 1, 2, 37, 600} {
		t.Run(fmt.Sprintf("%d events before", n), func(t *testing.T) {
			w := &world{t: t, st: testdb.Backends[0].Open(t), now: store.Truncate(time.Now())}
			o := w.org(store.OrgActive)
			a := w.agent(o, store.AgentActive)
			w.tx(func(ctx context.Context, tx store.Tx) error {
				for i := range n {
					if err := w.event(ctx, tx, "token.issued", o.ID, a.ID,
						map[string]any{"jti": fmt.Sprint(i)}); err != nil {
						return err
					}
				}
				return nil
			})
			f, deny := newFeed(t, w.st)
			require.NoError(t, f.Sync(t.Context()))
			w.revoke(a, "late")
			require.NoError(t, f.Poll(t.Context()))
			require.Equal(t, authz.ReasonRevoked, refusal(deny, o, a, "late"))
		})
	}
}

func TestRunKeepsTheStateCurrent(t *testing.T) {
	w := &world{t: t, st: testdb.Backends[0].Open(t), now: store.Truncate(time.Now())}
	o := w.org(store.OrgActive)
	a := w.agent(o, store.AgentActive)
	deny := authz.NewDenylist()
	f, err := revocation.New(revocation.Config{Store: w.st, Denylist: deny, Issuer: issuer,
		Interval: 10 * time.Millisecond})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})

	require.Eventually(t, deny.Ready, 5*time.Second, 5*time.Millisecond)
	w.setAgent(a, store.AgentRevoked, "agent.revoked")
	require.Eventually(t, func() bool {
		return refusal(deny, o, a, "any") == authz.ReasonAgentRevoked
	}, 5*time.Second, 5*time.Millisecond)
}
