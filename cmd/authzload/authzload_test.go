package main

import (
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/loadtest"
	"github.com/agentidp/agentidp/internal/loadtest/fakeissuer"
)

// TestMain lets the test binary serve as the no-op baseline child, which
// StartChild runs as this same executable with the hidden argument.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == noopCommand {
		if err := serveNoop(os.Args[2:], os.Stdin, os.Stdout); err != nil {
			os.Exit(1)
		}
		return
	}
	os.Exit(m.Run())
}

// startNoopTarget serves the no-op ext_authz in this process, with the
// fake issuer's certificate, and returns its address.
func startNoopTarget(t *testing.T, iss *fakeissuer.Issuer) string {
	t.Helper()
	var lc net.ListenConfig
	ln, err := lc.Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := newNoopServer(iss.Cert)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	return ln.Addr().String()
}

var (
	rowRE = regexp.MustCompile(`^(cached|distinct|invalid)\s+(\d+)\s+(agentidp|baseline)` +
		`\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+\.\d\d)?\s*(\d+\.\d|-)$`)
	summaryRE = regexp.MustCompile(`^(\w+): (\d+\.\d\d) of baseline rate at (\d+) clients, ` +
		`(\d+) µs server CPU/request \(baseline (\d+) µs\)$`)
)

// row is one parsed line of the result table.
type row struct {
	scenario, target             string
	clients, rate, errors, wrong int
	p50, p99, p999               int
	ratio                        string
}

func parseOutput(t *testing.T, out string) (rows []row, summaries [][]string) {
	t.Helper()
	atoi := func(s string) int {
		n, err := strconv.Atoi(s)
		require.NoError(t, err)
		return n
	}
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\n")
		if m := rowRE.FindStringSubmatch(line); m != nil {
			rows = append(rows, row{
				scenario: m[1], clients: atoi(m[2]), target: m[3], rate: atoi(m[4]),
				p50: atoi(m[5]), p99: atoi(m[6]), p999: atoi(m[7]),
				errors: atoi(m[8]), wrong: atoi(m[9]), ratio: m[10],
			})
		}
		if m := summaryRE.FindStringSubmatch(line); m != nil {
			summaries = append(summaries, m)
		}
	}
	return rows, summaries
}

func shortRun(t *testing.T, scenarios string) (string, error) {
	t.Helper()
	iss := fakeissuer.Start(t)
	addr := startNoopTarget(t, iss)
	boot := iss.WriteBootstrap(t, t.TempDir(), addr)

	var out strings.Builder
	err := run(t.Context(), []string{
		"--bootstrap", boot, "--scenarios", scenarios, "--concurrency", "1,4",
		"--duration", "300ms", "--warmup", "50ms", "--conns", "2", "--tokens", "40",
		"--server-pid", strconv.Itoa(os.Getpid()),
	}, &out)
	return out.String(), err
}

func TestRunAgainstTheNoopServer(t *testing.T) {
	out, err := shortRun(t, "cached,distinct")
	require.NoError(t, err, out)

	rows, sums := parseOutput(t, out)
	require.Len(t, rows, 2*2*2, "two scenarios, two levels, two targets:\n%s", out)
	for _, r := range rows {
		require.Positive(t, r.rate, "%+v", r)
		require.Zero(t, r.errors, "%+v", r)
		require.Zero(t, r.wrong, "%+v", r)
		require.LessOrEqual(t, r.p50, r.p99)
		require.LessOrEqual(t, r.p99, r.p999)
		require.Equal(t, r.target == "agentidp", r.ratio != "", "only the server has a ratio")
	}
	require.Contains(t, out, "distinct: minted 40 tokens in ")
	require.Contains(t, out, "VmRSS after cached: agentidp ")

	require.Len(t, sums, 2, out)
	require.Equal(t, "cached", sums[0][1])
	require.Equal(t, "distinct", sums[1][1])
	for _, s := range sums {
		ratio, err := strconv.ParseFloat(s[2], 64)
		require.NoError(t, err)
		require.Positive(t, ratio)
		require.Contains(t, []string{"1", "4"}, s[3])
	}
}

func TestRunFailsWhenAnInvalidTokenIsAllowed(t *testing.T) {
	out, err := shortRun(t, "invalid")
	require.ErrorIs(t, err, loadtest.ErrUnexpected, out)
	require.ErrorContains(t, err, "want deny with 401, got status 0 with an ok response")

	rows, sums := parseOutput(t, out)
	require.Len(t, rows, 4, out)
	for _, r := range rows {
		if r.target == "baseline" {
			require.Zero(t, r.wrong, "the baseline allows all, as it should")
			continue
		}
		require.Equal(t, r.rate > 0, r.wrong > 0, "every allow of the server is wrong")
	}
	require.Len(t, sums, 1)
}

func TestRunNeedsAnAuthzAddress(t *testing.T) {
	iss := fakeissuer.Start(t)
	boot := iss.WriteBootstrap(t, t.TempDir(), "")
	err := run(t.Context(), []string{"--bootstrap", boot}, &strings.Builder{})
	require.ErrorContains(t, err, "has no authz_addr")
}

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		levels    []int
		scenarios []string
		wantErr   string
	}{
		{"defaults measure 1, 16 and 64 clients in every scenario", nil,
			[]int{1, 16, 64}, []string{"cached", "distinct", "invalid"}, ""},
		{"scenarios are read in order, once each",
			[]string{"--scenarios", "invalid, cached,invalid"}, []int{1, 16, 64},
			[]string{"invalid", "cached"}, ""},
		{"an unknown scenario is refused", []string{"--scenarios", "cached,fast"}, nil, nil,
			"--scenarios"},
		{"a level of zero is refused", []string{"--concurrency", "0"}, nil, nil, "--concurrency"},
		{"a zero duration is refused", []string{"--duration", "0s"}, nil, nil, "--duration"},
		{"no connection is refused", []string{"--conns", "0"}, nil, nil, "--conns"},
		{"no token is refused", []string{"--tokens", "0"}, nil, nil, "--tokens"},
		{"a zero deadline is refused", []string{"--timeout", "0s"}, nil, nil, "--timeout"},
		{"a stray argument is refused", []string{"extra"}, nil, nil, "extra"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.levels, o.levels)
			require.Equal(t, tt.scenarios, o.scenarios)
		})
	}
}
