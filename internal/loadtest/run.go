package loadtest

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync"
	"time"
)

// ErrUnexpected marks a round trip that completed but whose answer was not
// the one expected: Run counts it apart from failures, with its latency.
var ErrUnexpected = errors.New("unexpected answer")

// Func sends one request as worker (0 to workers-1) and reports how it
// went: nil for the expected answer, an error wrapping ErrUnexpected for a
// completed round trip with the wrong answer, any other error for a failed
// one. It must return soon after ctx ends.
type Func func(ctx context.Context, worker int) error

// Result is what one run measured. Latency holds one entry per completed
// round trip (expected or not), sorted ascending; the caller owns it.
type Result struct {
	Requests   int           // completed round trips, len(Latency)
	Unexpected int           // completed round trips with the wrong answer
	Failures   int           // requests that failed before ctx ended
	FirstError error         // the first failure or unexpected answer, nil if none
	Elapsed    time.Duration // wall time of the run
	Latency    []time.Duration
}

// Rate returns completed round trips per second.
func (r Result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Elapsed.Seconds()
}

// Quantile returns the q-quantile (0 <= q <= 1) of the latencies by the
// nearest-rank method: the smallest latency with at least q of all the
// latencies at or below it. It returns 0 when there are none.
func (r Result) Quantile(q float64) time.Duration {
	n := len(r.Latency)
	if n == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(n))) - 1
	return r.Latency[min(max(i, 0), n-1)]
}

// Run calls f in a loop on each of workers goroutines until d has passed
// or ctx ends, timing every call, and returns what it saw. Calls that fail
// because the run's end cancelled them are not counted.
func Run(ctx context.Context, workers int, d time.Duration, f Func) Result {
	// The end of the run cancels rather than sets a deadline: a deadline
	// would reach the calls, and a client library that checks it before
	// the context does would report a failure for a call the end cut off.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The clock starts before the timer, so that Elapsed is never less
	// than d when the timer ends the run.
	start := time.Now()
	stop := time.AfterFunc(d, cancel)
	defer stop.Stop()

	per := make([]Result, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { per[w] = work(ctx, w, f) })
	}
	wg.Wait()

	r := Result{Elapsed: time.Since(start)}
	for _, p := range per {
		r.Latency = append(r.Latency, p.Latency...)
		r.Unexpected += p.Unexpected
		r.Failures += p.Failures
		if r.FirstError == nil {
			r.FirstError = p.FirstError
		}
	}
	slices.Sort(r.Latency)
	r.Requests = len(r.Latency)
	return r
}

// work is one worker's loop; its result has unsorted latencies.
func work(ctx context.Context, w int, f Func) Result {
	var r Result
	r.Latency = make([]time.Duration, 0, 1024)
	for ctx.Err() == nil {
		start := time.Now()
		err := f(ctx, w)
		took := time.Since(start)
		switch {
		case err == nil:
			r.Latency = append(r.Latency, took)
		case errors.Is(err, ErrUnexpected):
			r.Latency = append(r.Latency, took)
			r.Unexpected++
		case ctx.Err() != nil:
			continue // cut short by the end of the run
		default:
			r.Failures++
		}
		if err != nil && r.FirstError == nil {
			r.FirstError = err
		}
	}
	return r
}
