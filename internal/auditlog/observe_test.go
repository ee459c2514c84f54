package auditlog_test

import (
	"bytes"
	"log/slog"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/auditlog"
	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

func TestMetrics(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	st := newFlaky(openSQLite(t), failBefore, 2)
	w := newWriter(t, auditlog.Config{Store: st, Registerer: reg})
	org := newOrgs(1)[0]
	for _, n := range names("m", 20) {
		require.NoError(t, w.Record(t.Context(), entry(org, n), event(org, n)))
	}

	depth, err := testutil.GatherAndCount(reg, "agentidp_auditlog_queue_depth")
	require.NoError(t, err)
	require.Equal(t, 1, depth)
	families, err := reg.Gather()
	require.NoError(t, err)
	require.Len(t, families, 5)
	for _, f := range families {
		for _, m := range f.GetMetric() {
			require.Empty(t, m.GetLabel(), "%s carries no labels", f.GetName())
		}
		if f.GetName() == "agentidp_auditlog_queue_depth" {
			require.InDelta(t, 20.0, f.GetMetric()[0].GetGauge().GetValue(), 0)
		}
	}

	start(t, w)
	require.NoError(t, w.Flush(t.Context()))
	families, err = reg.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, f := range families {
		m := f.GetMetric()[0]
		switch {
		case m.GetHistogram() != nil:
			got[f.GetName()+"_count"] = float64(m.GetHistogram().GetSampleCount())
			got[f.GetName()+"_sum"] = m.GetHistogram().GetSampleSum()
		case m.GetCounter() != nil:
			got[f.GetName()] = m.GetCounter().GetValue()
		case m.GetGauge() != nil:
			got[f.GetName()] = m.GetGauge().GetValue()
		}
	}
	require.Equal(t, map[string]float64{
		"agentidp_auditlog_batch_size_count":              1,
		"agentidp_auditlog_batch_size_sum":                20,
		"agentidp_auditlog_commit_duration_seconds_count": 3,
		"agentidp_auditlog_commit_duration_seconds_sum":   got["agentidp_auditlog_commit_duration_seconds_sum"],
		"agentidp_auditlog_commit_failures_total":         2,
		"agentidp_auditlog_duplicate_events_total":        0,
		"agentidp_auditlog_queue_depth":                   0,
	}, got)
}

// TestLogsHoldNoRecordContent records entries whose every field is
// recognisable, through failures and a duplicate event, and checks that
// the debug log names their organisation and action and nothing else.
func TestLogsHoldNoRecordContent(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	st := newFlaky(openSQLite(t), failRollback, 1)
	w := newWriter(t, auditlog.Config{Store: st, Logger: log})
	start(t, w)
	org := ids.New(ids.Org)

	e := store.AuditEntry{OrgID: org, Actor: "apikey:key_actor-marker", Action: "token.issue",
		Target: "agt_target-marker", RequestID: "req_request-marker", Outcome: store.OutcomeDenied}
	ev := &store.Event{ID: "evt_id-marker", OrgID: org, Type: "type-marker",
		Subject: "subject-marker", Payload: []byte(`{"secret":"payload-marker"}`)}
	require.NoError(t, w.Record(t.Context(), e, ev))
	require.NoError(t, w.Flush(t.Context()))
	require.NoError(t, w.Record(t.Context(), e, ev))
	require.NoError(t, w.Close(t.Context()))

	out := buf.String()
	require.Contains(t, out, "audit batch not committed")
	require.Contains(t, out, "outbox already holds")
	require.Contains(t, out, "audit batch committed")
	require.Contains(t, out, org)
	for _, marker := range []string{"actor-marker", "target-marker", "request-marker",
		"id-marker", "type-marker", "subject-marker", "payload-marker"} {
		require.NotContains(t, out, marker)
	}
}

// syncBuffer is a bytes.Buffer safe for the flusher and the test at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
