package keys_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/store"
)

// instances is how many Managers, each on a store handle of its own, play
// the instances of one deployment.
const instances = 4

// together runs fn once per instance, all at once, and returns their
// errors.
func together(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func TestInstancesStartingTogetherMakeOneKey(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db database) {
		kek, clk := newKEK(t), newClock()
		ms := make([]*keys.Manager, instances)
		for i := range ms {
			ms[i] = newManager(t, db.open(t), kek, clk, nil)
		}

		errs := together(instances, func(i int) error { return ms[i].Start(t.Context()) })
		for _, err := range errs {
			require.NoError(t, err)
		}

		rows, err := db.open(t).ListSigningKeys(t.Context())
		require.NoError(t, err)
		require.Len(t, rows, 1, "one first key")
		for _, m := range ms {
			require.Equal(t, rows[0].KID, signingKID(t, m))
		}
	})
}

// TestInstancesTickingTogetherAgree ticks every instance at once at each
// moment of three rotations: each transition happens once, and there is
// never more than one active key.
func TestInstancesTickingTogetherAgree(t *testing.T) {
	moments := []struct {
		at   time.Duration
		want []store.SigningKeyState
	}{
		{interval - ahead, []store.SigningKeyState{active, pending}},
		{interval, []store.SigningKeyState{retired, active}},
		{interval + keep, []store.SigningKeyState{active}},
		{2*interval - ahead, []store.SigningKeyState{active, pending}},
		{2 * interval, []store.SigningKeyState{retired, active}},
		{3*interval - ahead, []store.SigningKeyState{active, pending}},
		{3 * interval, []store.SigningKeyState{retired, active}},
		{3*interval + keep, []store.SigningKeyState{active}},
	}
	forEachBackend(t, func(t *testing.T, db database) {
		kek, clk := newKEK(t), newClock()
		ms := make([]*keys.Manager, instances)
		for i := range ms {
			ms[i] = started(t, db.open(t), kek, clk, nil)
		}
		st := db.open(t)

		for _, mo := range moments {
			clk.Set(t0.Add(mo.at))
			errs := together(instances, func(i int) error { return ms[i].Tick(t.Context()) })
			for _, err := range errs {
				require.NoError(t, err, "at %s", mo.at)
			}

			rows, err := st.ListSigningKeys(t.Context())
			require.NoError(t, err)
			got := []store.SigningKeyState{}
			for _, r := range rows {
				got = append(got, r.State)
			}
			require.Equal(t, mo.want, got, "at %s", mo.at)

			signer := signingKID(t, ms[0])
			for _, m := range ms[1:] {
				require.Equal(t, signer, signingKID(t, m), "every instance signs alike")
			}
		}
	})
}

// TestRunRefreshes lets one instance run its loop while another rotates:
// the first learns of the new key within a few refresh intervals.
func TestRunRefreshes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db database) {
		kek, clk := newKEK(t), newClock()
		fast := func(c *keys.Config) { c.RefreshInterval = 10 * time.Millisecond }
		runner := started(t, db.open(t), kek, clk, fast)
		rotator := started(t, db.open(t), kek, clk, nil)

		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error, 1)
		go func() { done <- runner.Run(ctx) }()

		fresh, err := rotator.Rotate(t.Context(), true)
		require.NoError(t, err)
		require.Eventually(t, func() bool {
			_, kid, err := runner.Sign([]byte(`{}`), keys.TypeJWT)
			return err == nil && kid == fresh
		}, 10*time.Second, 5*time.Millisecond)

		cancel()
		require.NoError(t, <-done, "Run ends without error when its context does")
	})
}
