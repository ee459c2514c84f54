package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/agentidp/agentidp/internal/loadtest"
)

// target is one ext_authz server, reached over conns gRPC connections.
type target struct {
	name    string // in the table: "agentidp" or "baseline"
	addr    string
	pid     int // the server's process, for CPU and memory; 0 if unknown
	conns   []*grpc.ClientConn
	clients []authv3.AuthorizationClient
}

// dial opens n TLS connections to addr, trusting roots, and sends one
// Check without a token on each so that every connection is up, and its
// TLS verified, before anything is measured.
func dial(ctx context.Context, name, addr string, roots *x509.CertPool, n int,
	timeout time.Duration) (*target, error) {
	creds := credentials.NewTLS(&tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12})
	t := &target{name: name, addr: addr}
	probe := newCheckRequest("")
	for i := range n {
		cc, err := grpc.NewClient(addr, grpc.WithTransportCredentials(creds))
		if err != nil {
			t.close()
			return nil, fmt.Errorf("connect to %s: %w", name, err)
		}
		t.conns = append(t.conns, cc)
		t.clients = append(t.clients, authv3.NewAuthorizationClient(cc))

		rctx, cancel := context.WithTimeout(ctx, timeout)
		_, err = t.clients[i].Check(rctx, probe)
		cancel()
		if err != nil {
			t.close()
			return nil, fmt.Errorf("first check on connection %d of %s at %s: %w",
				i+1, name, addr, err)
		}
	}
	return t, nil
}

func (t *target) close() {
	for _, cc := range t.conns {
		_ = cc.Close()
	}
}

// workload is what a scenario sends: its requests in turn, each expecting
// the same answer from the server under test.
type workload struct {
	reqs []*authv3.CheckRequest
	want want
	next atomic.Uint64 // the next request and connection, shared by all workers
}

// measurement is one level on one target.
type measurement struct {
	loadtest.Result
	cpu      time.Duration // server CPU over the measured part
	cpuKnown bool
}

// cpuPerRequest returns the server's CPU time per completed request.
func (m measurement) cpuPerRequest() (time.Duration, bool) {
	if !m.cpuKnown || m.Requests == 0 {
		return 0, false
	}
	return m.cpu / time.Duration(m.Requests), true
}

// measure runs n clients against t for o.warmup, unmeasured, and then for
// o.duration, reading the server's CPU time around the measured part. want
// is the answer to require: the workload's for the server under test,
// wantAllow for the no-op baseline.
func (t *target) measure(ctx context.Context, w *workload, want want, n int,
	o options) (measurement, error) {
	do := func(ctx context.Context, _ int) error {
		i := w.next.Add(1)
		req := w.reqs[i%uint64(len(w.reqs))]
		c := t.clients[i%uint64(len(t.clients))]

		rctx, cancel := context.WithTimeout(ctx, o.timeout)
		resp, err := c.Check(rctx, req)
		cancel()
		if err != nil {
			return fmt.Errorf("check: %w", err)
		}
		return want.check(resp)
	}

	_ = loadtest.Run(ctx, n, o.warmup, do)
	if err := ctx.Err(); err != nil {
		return measurement{}, fmt.Errorf("warm up: %w", err)
	}
	before, errBefore := t.cpuTime()
	r := loadtest.Run(ctx, n, o.duration, do)
	after, errAfter := t.cpuTime()
	if err := ctx.Err(); err != nil {
		return measurement{}, fmt.Errorf("measure: %w", err)
	}

	m := measurement{Result: r}
	if err := errors.Join(errBefore, errAfter); t.pid != 0 && err != nil {
		return m, fmt.Errorf("read the CPU time of %s: %w", t.name, err)
	}
	m.cpu, m.cpuKnown = after-before, t.pid != 0
	return m, nil
}

func (t *target) cpuTime() (time.Duration, error) {
	if t.pid == 0 {
		return 0, nil
	}
	return loadtest.CPUTime(t.pid)
}

// rss returns the server's resident memory in bytes, or false if unknown.
func (t *target) rss() (int64, bool) {
	if t.pid == 0 {
		return 0, false
	}
	n, err := loadtest.RSS(t.pid)
	return n, err == nil
}
