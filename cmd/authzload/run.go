package main

import (
	"context"
	"fmt"
	"io"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"

	"github.com/agentidp/agentidp/internal/loadtest"
)

// runner holds what one run has set up: the agent to mint tokens for, the
// server under test and, unless --no-baseline, the no-op baseline.
type runner struct {
	o      options
	out    io.Writer
	tab    *loadtest.Table
	mint   *minter
	server *target
	base   *target   // nil with --no-baseline
	child  *baseline // the process behind base
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}
	r, err := newRunner(ctx, o, out)
	if err != nil {
		return err
	}
	defer r.close()
	return r.all(ctx)
}

// newRunner provisions the agent, connects to the server and starts and
// connects to the baseline.
func newRunner(ctx context.Context, o options, out io.Writer) (*runner, error) {
	b, err := loadtest.ReadBootstrap(o.bootstrap)
	if err != nil {
		return nil, err
	}
	roots, err := b.Roots()
	if err != nil {
		return nil, err
	}
	addr := o.authzAddr
	if addr == "" {
		addr = b.AuthzAddr
	}
	if addr == "" {
		return nil, fmt.Errorf("%s has no authz_addr (the instance serves no ext_authz); "+
			"pass --authz-addr", o.bootstrap)
	}
	if o.serverPID != 0 {
		if _, err := loadtest.CPUTime(o.serverPID); err != nil {
			return nil, fmt.Errorf("--server-pid: %w", err)
		}
	}

	agent, err := loadtest.Provision(ctx, loadtest.ProvisionConfig{
		Bootstrap: b, Roots: roots, Name: "authzload",
		Scopes: []string{"invoices:read", "invoices:write"},
	})
	if err != nil {
		return nil, fmt.Errorf("provision a test agent: %w", err)
	}
	r := &runner{o: o, out: out, tab: newTable(out),
		mint: &minter{http: loadtest.NewHTTPClient(roots, mintWorkers), agent: agent}}

	if r.server, err = dial(ctx, "agentidp", addr, roots, o.conns, o.timeout); err != nil {
		return nil, err
	}
	r.server.pid = o.serverPID
	if o.baselineOff {
		return r, nil
	}
	if r.child, err = startBaseline(ctx); err != nil {
		r.close()
		return nil, fmt.Errorf("start the baseline server: %w", err)
	}
	if r.base, err = dial(ctx, "baseline", r.child.addr, r.child.roots, o.conns,
		o.timeout); err != nil {
		r.close()
		return nil, err
	}
	r.base.pid = r.child.child.PID()
	return r, nil
}

func (r *runner) close() {
	if r.server != nil {
		r.server.close()
	}
	if r.base != nil {
		r.base.close()
	}
	if r.child != nil {
		r.child.stop()
	}
	r.mint.http.CloseIdleConnections()
}

// all measures every scenario at every level, prints the table and the
// summaries, and fails if any answer was not the one expected.
func (r *runner) all(ctx context.Context) error {
	r.printHeading()
	var sums []summary
	var bad badAnswers
	for _, name := range r.o.scenarios {
		w, err := r.prepare(ctx, name)
		if err != nil {
			return fmt.Errorf("prepare scenario %s: %w", name, err)
		}
		s, err := r.scenario(ctx, name, w, &bad)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", name, err)
		}
		sums = append(sums, s)
	}

	for _, s := range sums {
		fmt.Fprintln(r.out, s.line())
	}
	return bad.err()
}

// scenario measures one workload at every level, the baseline first.
func (r *runner) scenario(ctx context.Context, name string, w *workload,
	bad *badAnswers) (summary, error) {
	r.tab.Header()
	s := summary{name: name}
	for _, n := range r.o.levels {
		lv := level{clients: n}
		if r.base != nil {
			ref, err := r.base.measure(ctx, w, wantAllow, n, r.o)
			if err != nil {
				return s, err
			}
			bad.add(name, n, r.base.name, ref.Result)
			r.row(name, n, r.base.name, ref, nil)
			lv.ref = &ref
		}

		got, err := r.server.measure(ctx, w, w.want, n, r.o)
		if err != nil {
			return s, err
		}
		bad.add(name, n, r.server.name, got.Result)
		r.row(name, n, r.server.name, got, lv.ref)
		lv.got = got
		s.levels = append(s.levels, lv)
	}
	r.printMemory(name)
	fmt.Fprintln(r.out)
	return s, nil
}

// prepare mints the tokens a scenario needs and builds its requests.
func (r *runner) prepare(ctx context.Context, name string) (*workload, error) {
	switch name {
	case "distinct":
		start := time.Now()
		toks, err := r.mint.many(ctx, r.o.tokens)
		if err != nil {
			return nil, err
		}
		took := time.Since(start)
		fmt.Fprintf(r.out, "distinct: minted %d tokens in %s, %d at a time (%.0f tokens/s)\n",
			len(toks), took.Round(time.Millisecond), mintWorkers,
			float64(len(toks))/took.Seconds())
		r.warnExpiry(name, shortest(toks))
		w := &workload{want: wantAllow}
		for _, t := range toks {
			w.reqs = append(w.reqs, newCheckRequest(t.AccessToken))
		}
		return w, nil

	case "cached", "invalid":
		tok, err := r.mint.one(ctx)
		if err != nil {
			return nil, fmt.Errorf("mint a token: %w", err)
		}
		r.warnExpiry(name, tok.ExpiresIn)
		if name == "cached" {
			return &workload{reqs: []*authv3.CheckRequest{newCheckRequest(tok.AccessToken)},
				want: wantAllow}, nil
		}
		bad, err := tamper(tok.AccessToken)
		if err != nil {
			return nil, err
		}
		return &workload{reqs: []*authv3.CheckRequest{newCheckRequest(bad)},
			want: wantUnauthorized}, nil
	}
	return nil, fmt.Errorf("unknown scenario %q", name)
}

// warnExpiry says so when tokens may expire before the scenario ends, in
// which case valid tokens will rightly be denied and counted as wrong.
func (r *runner) warnExpiry(name string, lifetime time.Duration) {
	targets := 1
	if r.base != nil {
		targets = 2
	}
	need := time.Duration(len(r.o.levels)*targets) * (r.o.warmup + r.o.duration)
	if lifetime > 0 && lifetime < need {
		fmt.Fprintf(r.out, "%s: warning: tokens live %s, the scenario takes about %s\n",
			name, lifetime, need)
	}
}

// badAnswers counts the answers that were not the expected ones, and the
// failed checks, over the whole run.
type badAnswers struct {
	wrong, failed int
	first         error
	where         string
}

func (b *badAnswers) add(scenario string, n int, target string, r loadtest.Result) {
	b.wrong += r.Unexpected
	b.failed += r.Failures
	if b.first == nil && r.FirstError != nil {
		b.first = r.FirstError
		b.where = fmt.Sprintf("%s at %d clients on %s", scenario, n, target)
	}
}

func (b *badAnswers) err() error {
	if b.wrong == 0 && b.failed == 0 {
		return nil
	}
	return fmt.Errorf("%d wrong answers and %d failed checks; the first, %s: %w",
		b.wrong, b.failed, b.where, b.first)
}
