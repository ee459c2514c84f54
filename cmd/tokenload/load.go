package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/agentidp/agentidp/internal/loadtest"
)

// target is one token endpoint with the client credentials to use on it.
type target struct {
	tokenURL     string
	roots        *x509.CertPool
	clientID     string
	clientSecret string
}

// newTable returns the result table, written to out.
func newTable(out io.Writer) *loadtest.Table {
	return loadtest.NewTable(out,
		loadtest.Column{Heading: "clients", Width: 7},
		loadtest.Column{Heading: "target", Width: 8, Left: true},
		loadtest.Column{Heading: "tokens/s", Width: 10},
		loadtest.Column{Heading: "p50", Width: 9},
		loadtest.Column{Heading: "p99", Width: 9},
		loadtest.Column{Heading: "failures", Width: 8},
		loadtest.Column{Heading: "ratio", Width: 5},
	)
}

func measureLevel(ctx context.Context, tab *loadtest.Table, o options, n int,
	t target, base *baseline) error {
	got, err := load(ctx, t, n, o.warmup, o.duration)
	if err != nil {
		return err
	}
	printRow(tab, n, "agentidp", got)
	if base == nil {
		return nil
	}

	ref, err := load(ctx, base.target, n, o.warmup, o.duration)
	if err != nil {
		return err
	}
	printRow(tab, n, "baseline", ref)
	tab.Row(strconv.Itoa(n), "ratio", "", "", "", "",
		strconv.FormatFloat(got.Rate()/ref.Rate(), 'f', 2, 64))
	tab.Row()
	return nil
}

func printRow(tab *loadtest.Table, n int, name string, r loadtest.Result) {
	tab.Row(strconv.Itoa(n), name, strconv.FormatFloat(r.Rate(), 'f', 0, 64),
		r.Quantile(0.50).Round(time.Microsecond).String(),
		r.Quantile(0.99).Round(time.Microsecond).String(),
		strconv.Itoa(r.Failures))
}

// load runs n clients, each with its own keep-alive connection, for
// warmup and then for d, and returns what the measured part saw.
func load(ctx context.Context, t target, n int, warmup, d time.Duration) (loadtest.Result, error) {
	client := loadtest.NewHTTPClient(t.roots, n)
	defer client.CloseIdleConnections()
	body := url.Values{
		"grant_type":    {"client_credentials"},
		"client_id":     {t.clientID},
		"client_secret": {t.clientSecret},
	}.Encode()

	if err := call(ctx, client, t.tokenURL, body); err != nil {
		return loadtest.Result{}, fmt.Errorf("first token request: %w", err)
	}
	do := func(ctx context.Context, _ int) error { return call(ctx, client, t.tokenURL, body) }
	_ = loadtest.Run(ctx, n, warmup, do)
	return loadtest.Run(ctx, n, d, do), nil
}

var errStatus = errors.New("unexpected status")

func call(ctx context.Context, c *http.Client, u, body string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")

	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w %d", errStatus, resp.StatusCode)
	}
	return nil
}
