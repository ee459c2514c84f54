package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// target is one token endpoint with the client credentials to use on it.
type target struct {
	tokenURL     string
	roots        *x509.CertPool
	clientID     string
	clientSecret string
}

// result is what one level of load measured on one target.
type result struct {
	requests int
	failures int
	elapsed  time.Duration
	latency  []time.Duration // sorted
}

func (r result) rate() float64 {
	return float64(r.requests) / r.elapsed.Seconds()
}

func (r result) quantile(q float64) time.Duration {
	if len(r.latency) == 0 {
		return 0
	}
	return r.latency[int(q*float64(len(r.latency)-1))]
}

const header = "clients  target     tokens/s     p50       p99   failures  ratio"

func measureLevel(ctx context.Context, out io.Writer, o options, n int,
	t target, base *baseline) error {
	got, err := load(ctx, t, n, o.warmup, o.duration)
	if err != nil {
		return err
	}
	printRow(out, n, "agentidp", got)
	if base == nil {
		return nil
	}

	ref, err := load(ctx, base.target, n, o.warmup, o.duration)
	if err != nil {
		return err
	}
	printRow(out, n, "baseline", ref)
	fmt.Fprintf(out, "%7d  %-8s %50s %.2f\n\n", n, "ratio", "", got.rate()/ref.rate())
	return nil
}

func printRow(out io.Writer, n int, name string, r result) {
	fmt.Fprintf(out, "%7d  %-8s %10.0f %9s %9s %10d\n", n, name, r.rate(),
		r.quantile(0.50).Round(time.Microsecond), r.quantile(0.99).Round(time.Microsecond),
		r.failures)
}

// load runs n clients, each with its own keep-alive connection, for
// warmup and then for d, and returns what the measured part saw.
func load(ctx context.Context, t target, n int, warmup, d time.Duration) (result, error) {
	client := newClient(t.roots, n)
	defer client.CloseIdleConnections()
	body := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {t.clientID},
		"client_secret": {t.clientSecret},
	}.Encode()

	if _, err := call(ctx, client, t.tokenURL, body); err != nil {
		return result{}, fmt.Errorf("first token request: %w", err)
	}
	_ = hammer(ctx, client, t.tokenURL, body, n, warmup)
	return hammer(ctx, client, t.tokenURL, body, n, d), nil
}

func hammer(ctx context.Context, client *http.Client, u, body string, n int,
	d time.Duration) result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()

	var failures atomic.Int64
	lat := make([][]time.Duration, n)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Go(func() {
			for ctx.Err() == nil {
				took, err := call(ctx, client, u, body)
				switch {
				case err == nil:
					lat[i] = append(lat[i], took)
				case ctx.Err() == nil:
					failures.Add(1)
				}
			}
		})
	}
	wg.Wait()

	r := result{elapsed: time.Since(start), failures: int(failures.Load())}
	for _, l := range lat {
		r.latency = append(r.latency, l...)
	}
	slices.Sort(r.latency)
	r.requests = len(r.latency)
	return r
}

var errStatus = errors.New("unexpected status")

func call(ctx context.Context, c *http.Client, u, body string) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	took := time.Since(start)
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("%w %d", errStatus, resp.StatusCode)
	}
	return took, nil
}

func newClient(roots *x509.CertPool, conns int) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			MaxIdleConns:        conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     time.Minute,
		},
	}
}
