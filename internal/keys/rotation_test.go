package keys_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/store"
)

// Durations of the default schedule, and how long a retired key stays
// published under it: MaxTokenTTL + RefreshInterval + Leeway.
const (
	interval = keys.DefaultRotationInterval
	ahead    = keys.DefaultPublishAhead
	keep     = keys.DefaultMaxTokenTTL + keys.DefaultRefreshInterval + keys.DefaultLeeway
)

const (
	pending = store.SigningKeyPending
	active  = store.SigningKeyActive
	retired = store.SigningKeyRetired
)

// TestScheduledRotation walks one key's successor through the schedule
// with a fake clock: published ahead, signing at its time, and the old key
// published until its tokens have expired.
func TestScheduledRotation(t *testing.T) {
	steps := []struct {
		name   string
		at     time.Duration // since the first start
		tick   bool
		states []store.SigningKeyState // of the published keys, oldest first
		signer int                     // index in states of the key that signs
	}{
		{"the first key signs alone", 0, false, []store.SigningKeyState{active}, 0},
		{"nothing changes before the successor is due", interval - ahead - time.Second, true,
			[]store.SigningKeyState{active}, 0},
		{"the successor is published ahead without signing", interval - ahead, true,
			[]store.SigningKeyState{active, pending}, 0},
		{"the old key signs until the successor's time", interval - time.Microsecond, true,
			[]store.SigningKeyState{active, pending}, 0},
		{"the successor signs at its time, before any tick", interval, false,
			[]store.SigningKeyState{active, pending}, 1},
		{"the tick records the switch", interval, true,
			[]store.SigningKeyState{retired, active}, 1},
		{"the retired key stays published while its tokens live",
			interval + keep - time.Microsecond, true,
			[]store.SigningKeyState{retired, active}, 1},
		{"then it is removed", interval + keep, true, []store.SigningKeyState{active}, 0},
		{"the next successor is published a rotation later", 2*interval - ahead, true,
			[]store.SigningKeyState{active, pending}, 0},
	}
	forEachBackend(t, func(t *testing.T, db database) {
		clk := newClock()
		m := started(t, db.open(t), newKEK(t), clk, nil)
		first := signingKID(t, m)

		for _, s := range steps {
			clk.Set(t0.Add(s.at))
			if s.tick {
				require.NoError(t, m.Tick(t.Context()), s.name)
			}
			infos := m.Keys()
			require.Equal(t, s.states, states(infos), s.name)
			require.Equal(t, kids(infos), publishedKIDs(t, m.JWKS()), s.name)
			require.Equal(t, infos[s.signer].KID, signingKID(t, m), s.name)
			require.True(t, infos[s.signer].Signing, s.name)
		}

		infos := m.Keys()
		require.NotEqual(t, first, infos[0].KID, "the first key is gone")
		require.Equal(t, t0.Add(interval), infos[0].ActivatesAt)
		require.Equal(t, t0.Add(2*interval), infos[1].ActivatesAt)
	})
}

func TestRetiredKeyTimes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db database) {
		clk := newClock()
		m := started(t, db.open(t), newKEK(t), clk, nil)
		clk.Set(t0.Add(interval - ahead))
		require.NoError(t, m.Tick(t.Context()))

		// The tick comes late: the key still retires when it stopped
		// signing, not when the tick noticed.
		clk.Set(t0.Add(interval + 10*time.Minute))
		require.NoError(t, m.Tick(t.Context()))
		old := m.Keys()[0]
		require.Equal(t, retired, old.State)
		require.Equal(t, t0.Add(interval), old.RetiredAt)
		require.Equal(t, t0.Add(interval+keep), old.RemoveAfter)
	})
}

func TestNoAutomaticRotationWhenTurnedOff(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db database) {
		clk := newClock()
		m := started(t, db.open(t), newKEK(t), clk, func(c *keys.Config) {
			c.RotationInterval = 0
		})
		first := signingKID(t, m)

		clk.Set(t0.Add(10 * interval))
		require.NoError(t, m.Tick(t.Context()))
		require.Equal(t, []store.SigningKeyState{active}, states(m.Keys()))
		require.Equal(t, first, signingKID(t, m))
	})
}

func TestManualRotation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db database) {
		ctx := t.Context()
		clk := newClock()
		m := started(t, db.open(t), newKEK(t), clk, nil)
		first := signingKID(t, m)

		clk.Set(t0.Add(time.Hour))
		second, err := m.Rotate(ctx, false)
		require.NoError(t, err)
		require.Equal(t, []string{first, second}, publishedKIDs(t, m.JWKS()),
			"the new key is published at once")
		require.Equal(t, first, signingKID(t, m), "and does not sign yet")
		require.Equal(t, t0.Add(time.Hour+ahead), m.Keys()[1].ActivatesAt)

		_, err = m.Rotate(ctx, false)
		require.ErrorIs(t, err, keys.ErrRotationPending)
		require.ErrorContains(t, err, second)

		clk.Set(t0.Add(time.Hour + ahead))
		require.Equal(t, second, signingKID(t, m))
		require.NoError(t, m.Tick(ctx))
		require.Equal(t, []store.SigningKeyState{retired, active}, states(m.Keys()))
	})
}

// TestImmediateRotation replaces a compromised key: the new key signs at
// once on the instance that rotated and, after a refresh, on the others;
// the old key is retired, and a key still waiting is dropped.
func TestImmediateRotation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db database) {
		ctx := t.Context()
		kek, clk := newKEK(t), newClock()
		m := started(t, db.open(t), kek, clk, nil)
		other := started(t, db.open(t), kek, clk, nil)
		first := signingKID(t, m)
		waiting, err := m.Rotate(ctx, false)
		require.NoError(t, err)

		clk.Set(t0.Add(time.Minute))
		fresh, err := m.Rotate(ctx, true)
		require.NoError(t, err)
		require.Equal(t, fresh, signingKID(t, m), "the new key signs at once")
		require.Equal(t, []string{first, fresh}, publishedKIDs(t, m.JWKS()))
		require.NotContains(t, publishedKIDs(t, m.JWKS()), waiting)

		old := m.Keys()[0]
		require.Equal(t, retired, old.State)
		require.Equal(t, t0.Add(time.Minute), old.RetiredAt)
		require.Equal(t, t0.Add(time.Minute+keep), old.RemoveAfter)

		require.Equal(t, first, signingKID(t, other), "until it rereads the store")
		require.NoError(t, other.Tick(ctx))
		require.Equal(t, fresh, signingKID(t, other))
	})
}

func TestRemove(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db database) {
		ctx := t.Context()
		clk := newClock()
		m := started(t, db.open(t), newKEK(t), clk, nil)
		first := signingKID(t, m)
		second, err := m.Rotate(ctx, true)
		require.NoError(t, err)

		tests := []struct {
			name string
			kid  string
			want error
		}{
			{"the signing key cannot be removed", second, keys.ErrActiveKey},
			{"an unknown key is not found", "no-such-kid", store.ErrNotFound},
			{"a retired key is withdrawn at once", first, nil},
			{"a key removed is not found again", first, store.ErrNotFound},
		}
		for _, tc := range tests {
			err := m.Remove(ctx, tc.kid)
			if tc.want == nil {
				require.NoError(t, err, tc.name)
				continue
			}
			require.ErrorIs(t, err, tc.want, tc.name)
		}
		require.Equal(t, []string{second}, publishedKIDs(t, m.JWKS()))
	})
}

func TestKeysDescribeEveryKey(t *testing.T) {
	clk := newClock()
	m := started(t, newSQLite(t).open(t), newKEK(t), clk, nil)
	clk.Set(t0.Add(time.Minute))
	next, err := m.Rotate(t.Context(), false)
	require.NoError(t, err)

	infos := m.Keys()
	require.Len(t, infos, 2)
	require.Equal(t, keys.KeyInfo{KID: next, Algorithm: keys.ES256, State: pending,
		CreatedAt: t0.Add(time.Minute), ActivatesAt: t0.Add(time.Minute + ahead)}, infos[1])
	require.Equal(t, keys.KeyInfo{KID: infos[0].KID, Algorithm: keys.ES256, State: active,
		Signing: true, CreatedAt: t0, ActivatesAt: t0}, infos[0])
}
