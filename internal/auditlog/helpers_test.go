package auditlog_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/audit"
	"github.com/agentidp/agentidp/internal/auditlog"
	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/pgtest"
	"github.com/agentidp/agentidp/internal/store/postgres"
	"github.com/agentidp/agentidp/internal/store/sqlite"
)

// backend opens a fresh, migrated store that is closed when tb ends.
type backend struct {
	name string
	open func(tb testing.TB) store.Store
}

// backends are the real stores every test runs against.
var backends = []backend{
	{"sqlite", openSQLite},
	{"postgres", openPostgres},
}

// forEachBackend runs test once per backend, as a subtest.
func forEachBackend(t *testing.T, test func(t *testing.T, open func(testing.TB) store.Store)) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) { test(t, be.open) })
	}
}

func openSQLite(tb testing.TB) store.Store {
	tb.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "agentidp.db"))
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, st.Close()) })
	require.NoError(tb, st.Migrate(context.Background()))
	return st
}

func openPostgres(tb testing.TB) store.Store {
	tb.Helper()
	url, schema := pgtest.New(tb)
	st, err := postgres.Open(context.Background(), postgres.Config{URL: url, Schema: schema})
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, st.Close()) })
	require.NoError(tb, st.Migrate(context.Background()))
	return st
}

// countingStore is a real store that counts the transactions it is asked
// to run.
type countingStore struct {
	store.Store
	txs atomic.Int64
}

func (s *countingStore) WithTx(ctx context.Context, fn func(store.Tx) error) error {
	s.txs.Add(1)
	return s.Store.WithTx(ctx, fn)
}

// errInjected is the failure flakyStore reports.
var errInjected = errors.New("injected transaction failure")

// failMode is how a flakyStore transaction fails.
type failMode int

const (
	// failBefore fails without touching the database, as when it cannot
	// be reached.
	failBefore failMode = iota
	// failRollback runs every statement, then rolls back.
	failRollback
	// failReply commits, then reports a failure, as when the commit's
	// reply is lost.
	failReply
)

func (m failMode) String() string {
	return [...]string{"before", "rollback", "lost reply"}[m]
}

// flakyStore is a real store whose first transactions fail.
type flakyStore struct {
	store.Store
	mode  failMode
	left  atomic.Int64 // failures still to come
	calls atomic.Int64 // transactions asked for
}

func newFlaky(st store.Store, mode failMode, failures int64) *flakyStore {
	s := &flakyStore{Store: st, mode: mode}
	s.left.Store(failures)
	return s
}

func (s *flakyStore) WithTx(ctx context.Context, fn func(store.Tx) error) error {
	s.calls.Add(1)
	if s.left.Add(-1) < 0 {
		return s.Store.WithTx(ctx, fn)
	}

	switch s.mode {
	case failBefore:
		return errInjected
	case failRollback:
		return s.Store.WithTx(ctx, func(tx store.Tx) error {
			if err := fn(tx); err != nil {
				return err
			}
			return errInjected
		})
	default:
		if err := s.Store.WithTx(ctx, fn); err != nil {
			return err
		}
		return errInjected
	}
}

// newWriter returns a writer on st, closed (with a bounded wait) when t
// ends if the test has not closed it.
func newWriter(t *testing.T, cfg auditlog.Config) *auditlog.Writer {
	t.Helper()
	w, err := auditlog.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 0)
		defer cancel()
		_ = w.Close(ctx)
	})
	return w
}

// start runs w.Run until the test ends. The channel receives Run's result
// and is then closed.
func start(t *testing.T, w *auditlog.Writer) (context.CancelFunc, <-chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- w.Run(ctx)
		close(done)
	}()
	t.Cleanup(func() {
		cancel()
		for range done {
		}
	})
	return cancel, done
}

// entry returns an audit entry of org whose target names the record.
func entry(org, target string) store.AuditEntry {
	return store.AuditEntry{
		OrgID:     org,
		Actor:     "apikey:key_test",
		Action:    "token.issue",
		Target:    target,
		RequestID: ids.New(ids.Request),
		Outcome:   store.OutcomeSuccess,
	}
}

// event returns an outbox event of org about the record named target.
func event(org, target string) *store.Event {
	return &store.Event{ID: ids.New(ids.Event), OrgID: org, Type: "token.issued",
		Subject: target, Payload: []byte(`{"target":"` + target + `"}`)}
}

// newOrgs returns n fresh organisation ids.
func newOrgs(n int) []string {
	orgs := make([]string, n)
	for i := range orgs {
		orgs[i] = ids.New(ids.Org)
	}
	return orgs
}

// chain returns an organisation's records in chain order.
func chain(t *testing.T, st store.Reader, org string) []store.AuditRecord {
	t.Helper()
	var recs []store.AuditRecord
	err := st.ScanAudit(t.Context(), org, func(r store.AuditRecord) error {
		recs = append(recs, r)
		return nil
	})
	require.NoError(t, err)
	return recs
}

// targets returns the targets of an organisation's records in chain order,
// after checking that the chain is numbered 1..n.
func targets(t *testing.T, st store.Reader, org string) []string {
	t.Helper()
	recs := chain(t, st, org)
	out := make([]string, len(recs))
	for i, r := range recs {
		require.Equal(t, int64(i+1), r.Seq, "org %s", org)
		out[i] = r.Target
	}
	return out
}

// requireIntact fails t unless every chain in st verifies.
func requireIntact(t *testing.T, st store.Reader) {
	t.Helper()
	rep, err := audit.Verify(t.Context(), st)
	require.NoError(t, err)
	p, broken := rep.First()
	require.False(t, broken, "audit chain broken: %s", p)
}

// outbox returns every event in the outbox, in outbox order.
func outbox(t *testing.T, st store.Reader) []store.Event {
	t.Helper()
	var all []store.Event
	var after int64
	for {
		page, err := st.ListEvents(t.Context(), after, 500)
		require.NoError(t, err)
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = page[len(page)-1].Seq
	}
}

// subjects returns the subjects of events, in order.
func subjects(events []store.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Subject
	}
	return out
}

// names returns "prefix-0" .. "prefix-(n-1)".
func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}
