package loadtest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestQuantile(t *testing.T) {
	thousand := make([]time.Duration, 1000)
	for i := range thousand {
		thousand[i] = time.Duration(i + 1)
	}
	tests := []struct {
		name    string
		latency []time.Duration
		q       float64
		want    time.Duration
	}{
		{"no latencies give zero", nil, 0.5, 0},
		{"one latency is every quantile", []time.Duration{7}, 0.999, 7},
		{"the median of four is the second", []time.Duration{1, 2, 3, 4}, 0.5, 2},
		{"q of zero is the least", []time.Duration{1, 2, 3, 4}, 0, 1},
		{"q of one is the greatest", []time.Duration{1, 2, 3, 4}, 1, 4},
		{"p50 of a thousand is the 500th", thousand, 0.50, 500},
		{"p99 of a thousand is the 990th", thousand, 0.99, 990},
		{"p999 of a thousand is the 999th", thousand, 0.999, 999},
		{"p999 of ten is the greatest", thousand[:10], 0.999, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Result{Latency: tt.latency, Requests: len(tt.latency)}
			require.Equal(t, tt.want, r.Quantile(tt.q))
		})
	}
}

func TestRate(t *testing.T) {
	r := Result{Requests: 4, Elapsed: 2 * time.Second}
	require.InDelta(t, 2.0, r.Rate(), 1e-9)
	require.Zero(t, Result{Requests: 4}.Rate())
}

func TestRunCountsEachOutcome(t *testing.T) {
	var calls atomic.Int64
	errBoom := errors.New("boom")
	f := func(ctx context.Context, worker int) error {
		require.Less(t, worker, 3)
		switch calls.Add(1) % 4 {
		case 1:
			return fmt.Errorf("check: %w", ErrUnexpected)
		case 2:
			return errBoom
		case 3:
			<-ctx.Done() // still running when the run ends: not counted
			return ctx.Err()
		}
		return nil
	}

	r := Run(t.Context(), 3, 50*time.Millisecond, f)
	require.Positive(t, r.Requests)
	require.Len(t, r.Latency, r.Requests)
	require.Positive(t, r.Unexpected)
	require.Positive(t, r.Failures)
	require.Error(t, r.FirstError)
	require.IsNonDecreasing(t, r.Latency)
	// Every call ended one way: completed, failed, or cut off by the end.
	require.LessOrEqual(t, int64(r.Requests+r.Failures), calls.Load())
	require.GreaterOrEqual(t, r.Elapsed, 50*time.Millisecond)
}

func TestRunStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	r := Run(ctx, 4, time.Hour, func(context.Context, int) error { return nil })
	require.Zero(t, r.Requests)
	require.Zero(t, r.Failures)
}
