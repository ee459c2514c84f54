package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestChainHashBindsEveryField(t *testing.T) {
	base := AuditEntry{
		OrgID: "org_1", Actor: "apikey:key_1", Action: "agent.create",
		Target: "agt_1", RequestID: "req_1", Outcome: OutcomeSuccess,
		Time: time.Date(2026, 12, 3, 10, 0, 0, 123000, time.UTC),
	}
	want := ChainHash(GenesisHash, base, 1)
	require.Len(t, want, 64)
	require.Equal(t, want, ChainHash(GenesisHash, base, 1), "deterministic")

	changes := []struct {
		name string
		edit func(e *AuditEntry) (prev string, seq int64)
	}{
		{"another previous hash", func(*AuditEntry) (string, int64) { return want, 1 }},
		{"another seq", func(*AuditEntry) (string, int64) { return GenesisHash, 2 }},
		{"another org", func(e *AuditEntry) (string, int64) { e.OrgID = "org_2"; return GenesisHash, 1 }},
		{"another actor", func(e *AuditEntry) (string, int64) { e.Actor = "x"; return GenesisHash, 1 }},
		{"another action", func(e *AuditEntry) (string, int64) { e.Action = "x"; return GenesisHash, 1 }},
		{"another target", func(e *AuditEntry) (string, int64) { e.Target = "x"; return GenesisHash, 1 }},
		{"another request", func(e *AuditEntry) (string, int64) { e.RequestID = "x"; return GenesisHash, 1 }},
		{"another outcome", func(e *AuditEntry) (string, int64) { e.Outcome = OutcomeDenied; return GenesisHash, 1 }},
		{"another time", func(e *AuditEntry) (string, int64) { e.Time = e.Time.Add(time.Microsecond); return GenesisHash, 1 }},
		// Moving a byte between adjacent fields must not collide.
		{"a byte moved between fields", func(e *AuditEntry) (string, int64) {
			e.Action, e.Target = "agent.creat", "eagt_1"
			return GenesisHash, 1
		}},
	}
	for _, c := range changes {
		t.Run(c.name+" changes the hash", func(t *testing.T) {
			e := base
			prev, seq := c.edit(&e)
			require.NotEqual(t, want, ChainHash(prev, e, seq))
		})
	}
}

func TestTruncate(t *testing.T) {
	require.True(t, Truncate(time.Time{}).IsZero())
	in := time.Date(2026, 1, 1, 0, 0, 0, 1999, time.FixedZone("x", 3600))
	got := Truncate(in)
	require.Equal(t, time.UTC, got.Location())
	require.Equal(t, 1000, got.Nanosecond())
}
