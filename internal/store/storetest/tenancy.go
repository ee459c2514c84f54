package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

// tenant is an organisation with one row of every kind.
type tenant struct {
	org    store.Org
	op     store.Operator
	key    store.APIKey
	agent  store.Agent
	secret store.ClientSecret
	akey   store.AgentKey
}

func newTenant(t *testing.T, st store.Store) tenant {
	o := newOrg(t, st)
	tn := tenant{
		org: o,
		op: store.Operator{ID: ids.New(ids.Operator), OrgID: o.ID, Name: "op",
			Role: store.RoleOwner, CreatedAt: now()},
		key: store.APIKey{ID: ids.New(ids.APIKey), OrgID: o.ID, Role: store.RoleOwner,
			Hash: "aa", CreatedAt: now()},
		agent: newAgent(t, st, o.ID, "agent of "+o.ID),
	}
	tn.secret = store.ClientSecret{ID: ids.New(ids.Secret), OrgID: o.ID,
		AgentID: tn.agent.ID, Hash: "bb", CreatedAt: now()}
	tn.akey = store.AgentKey{KID: "kid-" + o.ID, OrgID: o.ID, AgentID: tn.agent.ID,
		Algorithm: "EdDSA", JWK: []byte(`{"kty":"OKP"}`), CreatedAt: now()}

	mustTx(t, st, func(ctx context.Context, tx store.Tx) error {
		return firstErr(tx.CreateOperator(ctx, tn.op), tx.CreateAPIKey(ctx, tn.key),
			tx.CreateClientSecret(ctx, tn.secret), tx.CreateAgentKey(ctx, tn.akey),
			errOf(tx.AppendAudit(ctx, entry(o.ID, 0))))
	})
	return tn
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// read returns the tenant's rows as stored, read through its own org id.
func (tn tenant) read(t *testing.T, st store.Store) tenant {
	ctx := t.Context()
	got := tenant{}
	var err error
	got.org, err = st.GetOrg(ctx, tn.org.ID)
	require.NoError(t, err)
	got.op, err = st.GetOperator(ctx, tn.org.ID, tn.op.ID)
	require.NoError(t, err)
	got.key, err = st.GetAPIKey(ctx, tn.key.ID)
	require.NoError(t, err)
	got.agent, err = st.GetAgent(ctx, tn.org.ID, tn.agent.ID)
	require.NoError(t, err)

	secrets, err := st.ListClientSecrets(ctx, tn.org.ID, tn.agent.ID)
	require.NoError(t, err)
	require.Len(t, secrets, 1)
	keys, err := st.ListAgentKeys(ctx, tn.org.ID, tn.agent.ID)
	require.NoError(t, err)
	require.Len(t, keys, 1)
	got.secret, got.akey = secrets[0], keys[0]
	return got
}

// probe is one attempt by organisation A to reach organisation B's rows.
// It returns how many of B's rows it saw.
type probe struct {
	name string
	run  func(ctx context.Context, st store.Store) (int, error)
	want error // nil: no error and nothing seen
}

// seen counts a found row as one leaked row.
func seen[T any](_ T, err error) (int, error) {
	if err != nil {
		return 0, err
	}
	return 1, nil
}

// count returns how many rows a listing returned.
func count[T any](rows []T, err error) (int, error) {
	return len(rows), err
}

// inTxProbe runs a probe's body in a transaction.
func inTxProbe(fn func(ctx context.Context, tx store.Tx) (int, error)) func(
	context.Context, store.Store) (int, error) {
	return func(ctx context.Context, st store.Store) (int, error) {
		var n int
		err := st.WithTx(ctx, func(tx store.Tx) error {
			var err error
			n, err = fn(ctx, tx)
			return err
		})
		return n, err
	}
}

func testTenancy(t *testing.T, st store.Store) {
	a, b := newTenant(t, st), newTenant(t, st)
	before := b.read(t, st)
	probes := tenancyProbes(a.org.ID, b)

	for _, p := range probes {
		t.Run(p.name, func(t *testing.T) {
			n, err := p.run(t.Context(), st)
			if p.want != nil {
				require.ErrorIs(t, err, p.want)
				return
			}
			require.NoError(t, err)
			require.Zero(t, n, "organisation A saw B's rows")
		})
	}
	require.Equal(t, before, b.read(t, st), "B's rows are unchanged")
}

// tenancyProbes lists every Reader and Tx method asked, with organisation
// A's id, for a row of organisation B.
func tenancyProbes(orgA string, b tenant) []probe {
	rp := readerProbes(orgA, b)
	return append(rp, txProbes(orgA, b)...)
}

func readerProbes(orgA string, b tenant) []probe {
	agentB := b.agent.ID
	return []probe{
		{"Reader.GetOperator", func(ctx context.Context, st store.Store) (int, error) {
			return seen(st.GetOperator(ctx, orgA, b.op.ID))
		}, store.ErrNotFound},
		{"Reader.ListOperators", func(ctx context.Context, st store.Store) (int, error) {
			return countOrg(st.ListOperators(ctx, orgA, store.Page{}))(b.org.ID, opOrg)
		}, nil},
		{"Reader.ListAPIKeys", func(ctx context.Context, st store.Store) (int, error) {
			return countOrg(st.ListAPIKeys(ctx, orgA, store.Page{}))(b.org.ID, keyOrg)
		}, nil},
		{"Reader.GetAgent", func(ctx context.Context, st store.Store) (int, error) {
			return seen(st.GetAgent(ctx, orgA, agentB))
		}, store.ErrNotFound},
		{"Reader.ListAgents", func(ctx context.Context, st store.Store) (int, error) {
			return countOrg(st.ListAgents(ctx, orgA, store.AgentFilter{}))(b.org.ID, agentOrg)
		}, nil},
		{"Reader.ListClientSecrets", func(ctx context.Context, st store.Store) (int, error) {
			return count(st.ListClientSecrets(ctx, orgA, agentB))
		}, nil},
		{"Reader.ListAgentKeys", func(ctx context.Context, st store.Store) (int, error) {
			return count(st.ListAgentKeys(ctx, orgA, agentB))
		}, nil},
		{"Reader.ListAudit", func(ctx context.Context, st store.Store) (int, error) {
			return countOrg(st.ListAudit(ctx, orgA, store.AuditFilter{}))(b.org.ID, auditOrg)
		}, nil},
		{"Reader.ScanAudit", func(ctx context.Context, st store.Store) (int, error) {
			n := 0
			err := st.ScanAudit(ctx, orgA, func(r store.AuditRecord) error {
				if r.OrgID == b.org.ID {
					n++
				}
				return nil
			})
			return n, err
		}, nil},
	}
}

func txProbes(orgA string, b tenant) []probe {
	agentB := b.agent.ID
	later := now().Add(time.Hour)
	return []probe{
		{"Tx.GetOperator", inTxProbe(func(ctx context.Context, tx store.Tx) (int, error) {
			return seen(tx.GetOperator(ctx, orgA, b.op.ID))
		}), store.ErrNotFound},
		{"Tx.UpdateOperator", inTxProbe(func(ctx context.Context, tx store.Tx) (int, error) {
			op := b.op
			op.OrgID, op.Role = orgA, store.RoleViewer
			return 0, tx.UpdateOperator(ctx, op)
		}), store.ErrNotFound},
		{"Tx.GetAPIKey", inTxProbe(func(ctx context.Context, tx store.Tx) (int, error) {
			return seen(tx.GetAPIKey(ctx, orgA, b.key.ID))
		}), store.ErrNotFound},
		{"Tx.UpdateAPIKey", inTxProbe(func(ctx context.Context, tx store.Tx) (int, error) {
			k := b.key
			k.OrgID, k.RevokedAt = orgA, later
			return 0, tx.UpdateAPIKey(ctx, k)
		}), store.ErrNotFound},
		{"Tx.GetAgent", inTxProbe(func(ctx context.Context, tx store.Tx) (int, error) {
			return seen(tx.GetAgent(ctx, orgA, agentB))
		}), store.ErrNotFound},
		{"Tx.UpdateAgent", inTxProbe(func(ctx context.Context, tx store.Tx) (int, error) {
			a := b.agent
			a.OrgID, a.Status = orgA, store.AgentRevoked
			return 0, tx.UpdateAgent(ctx, a)
		}), store.ErrNotFound},
		{"Tx.ListClientSecrets", inTxProbe(func(ctx context.Context, tx store.Tx) (int, error) {
			return count(tx.ListClientSecrets(ctx, orgA, agentB))
		}), nil},
		{"Tx.CreateClientSecret", inTxProbe(func(ctx context.Context, tx store.Tx) (int, error) {
			return 0, tx.CreateClientSecret(ctx, store.ClientSecret{ID: ids.New(ids.Secret),
				OrgID: orgA, AgentID: agentB, Hash: "cc"})
		}), store.ErrNotFound},
		{"Tx.UpdateClientSecret", inTxProbe(func(ctx context.Context, tx store.Tx) (int, error) {
			s := b.secret
			s.OrgID, s.RevokedAt = orgA, later
			return 0, tx.UpdateClientSecret(ctx, s)
		}), store.ErrNotFound},
		{"Tx.ListAgentKeys", inTxProbe(func(ctx context.Context, tx store.Tx) (int, error) {
			return count(tx.ListAgentKeys(ctx, orgA, agentB))
		}), nil},
		{"Tx.CreateAgentKey", inTxProbe(func(ctx context.Context, tx store.Tx) (int, error) {
			return 0, tx.CreateAgentKey(ctx, store.AgentKey{KID: "intruder", OrgID: orgA,
				AgentID: agentB})
		}), store.ErrNotFound},
		{"Tx.UpdateAgentKey", inTxProbe(func(ctx context.Context, tx store.Tx) (int, error) {
			k := b.akey
			k.OrgID, k.RevokedAt = orgA, later
			return 0, tx.UpdateAgentKey(ctx, k)
		}), store.ErrNotFound},
	}
}

// countOrg counts the listed rows that belong to organisation org.
func countOrg[T any](rows []T, err error) func(org string, orgOf func(T) string) (int, error) {
	return func(org string, orgOf func(T) string) (int, error) {
		n := 0
		for _, r := range rows {
			if orgOf(r) == org {
				n++
			}
		}
		return n, err
	}
}

func opOrg(op store.Operator) string      { return op.OrgID }
func keyOrg(k store.APIKey) string        { return k.OrgID }
func agentOrg(a store.Agent) string       { return a.OrgID }
func auditOrg(r store.AuditRecord) string { return r.OrgID }
