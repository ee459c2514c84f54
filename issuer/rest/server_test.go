package rest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/secret"
)

func TestNewRefusesBadConfig(t *testing.T) {
	st := openSQLite(t)
	h, err := secret.NewHasher(testHasherKey)
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	_, err = New(Config{Store: st, Hasher: h, Registerer: reg})
	require.NoError(t, err)

	tests := []struct {
		name string
		cfg  Config
	}{
		{"a missing store is refused", Config{Hasher: h}},
		{"a missing hasher is refused", Config{Store: st}},
		{"a negative body limit is refused", Config{Store: st, Hasher: h, MaxBodyBytes: -1}},
		{"metrics registered twice are refused", Config{Store: st, Hasher: h, Registerer: reg}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			require.Error(t, err)
		})
	}
}

func TestOrgBucketsAreBounded(t *testing.T) {
	l := newLimiter(RateLimit{OrgRPS: 1, OrgBurst: 1})
	now := time.Now()
	_, ok := l.allowOrg("first", now)
	require.True(t, ok)
	_, ok = l.allowOrg("first", now)
	require.False(t, ok, "the bucket of first is empty")

	for i := range maxOrgLimiters {
		l.allowOrg(fmt.Sprint("org-", i), now)
	}
	require.Len(t, l.orgs, maxOrgLimiters)
	_, ok = l.allowOrg("first", now)
	require.True(t, ok, "the least recently used bucket was dropped")
}

func TestConcurrentWritesKeepTheAuditChain(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			e := newEnv(t, b.open(t))
			orgID := e.org("Acme")
			key := e.key(orgID, "admin")

			const writers = 16
			var wg sync.WaitGroup
			statuses := make([]int, writers)
			for i := range writers {
				wg.Go(func() {
					statuses[i] = e.do("POST", "/v1/agents", key,
						map[string]any{"name": fmt.Sprint("agent-", i)}).status
				})
			}
			wg.Wait()

			for _, s := range statuses {
				require.Equal(t, 201, s)
			}
			recs := audit(t, e.st, orgID)
			require.Len(t, recs, writers+2)
			for i := 1; i < len(recs); i++ {
				require.Equal(t, recs[i].Hash, recs[i-1].PrevHash)
			}
		})
	}
}
