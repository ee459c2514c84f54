package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/agentidp/agentidp/internal/loadtest"
)

// newTable returns the result table: one row per scenario, level and
// target. Latencies and CPU are in microseconds; errors are failed
// checks (gRPC errors), wrong the answers that were not the expected one.
func newTable(out io.Writer) *loadtest.Table {
	return loadtest.NewTable(out,
		loadtest.Column{Heading: "scenario", Width: 8, Left: true},
		loadtest.Column{Heading: "clients", Width: 7},
		loadtest.Column{Heading: "target", Width: 8, Left: true},
		loadtest.Column{Heading: "checks/s", Width: 9},
		loadtest.Column{Heading: "p50 µs", Width: 7},
		loadtest.Column{Heading: "p99 µs", Width: 7},
		loadtest.Column{Heading: "p999 µs", Width: 8},
		loadtest.Column{Heading: "errors", Width: 6},
		loadtest.Column{Heading: "wrong", Width: 6},
		loadtest.Column{Heading: "ratio", Width: 5},
		loadtest.Column{Heading: "CPU µs/check", Width: 12},
	)
}

// row prints one measurement; ref, the baseline at the same level, gives
// the ratio column when there is one.
func (r *runner) row(scenario string, n int, target string, m measurement, ref *measurement) {
	ratio := ""
	if ref != nil && ref.Rate() > 0 {
		ratio = strconv.FormatFloat(m.Rate()/ref.Rate(), 'f', 2, 64)
	}
	cpu := "-"
	if c, ok := m.cpuPerRequest(); ok {
		cpu = strconv.FormatFloat(micros(c), 'f', 1, 64)
	}
	r.tab.Row(scenario, strconv.Itoa(n), target,
		strconv.FormatFloat(m.Rate(), 'f', 0, 64),
		us(m.Quantile(0.50)), us(m.Quantile(0.99)), us(m.Quantile(0.999)),
		strconv.Itoa(m.Failures), strconv.Itoa(m.Unexpected), ratio, cpu)
}

func micros(d time.Duration) float64 {
	return float64(d) / float64(time.Microsecond)
}

func us(d time.Duration) string {
	return strconv.FormatFloat(micros(d), 'f', 0, 64)
}

func (r *runner) printHeading() {
	fmt.Fprintf(r.out, "ext_authz %s at %s (%s), %d connections, %s per level after %s warmup\n",
		r.server.name, r.server.addr, pidName(r.server.pid), r.o.conns, r.o.duration, r.o.warmup)
	if r.base != nil {
		fmt.Fprintf(r.out, "baseline no-op ext_authz at %s (%s), measured before each level\n",
			r.base.addr, pidName(r.base.pid))
	}
	fmt.Fprintf(r.out, "CPU from /proc/<pid>/stat at %d clock ticks/s\n\n", loadtest.ClockTicks())
}

func pidName(pid int) string {
	if pid == 0 {
		return "pid unknown: no CPU or memory figures"
	}
	return "pid " + strconv.Itoa(pid)
}

// printMemory prints the resident memory of the server and the baseline
// after a scenario.
func (r *runner) printMemory(scenario string) {
	var parts []string
	for _, t := range []*target{r.server, r.base} {
		if t == nil {
			continue
		}
		if n, ok := t.rss(); ok {
			parts = append(parts, fmt.Sprintf("%s %.1f MiB", t.name, float64(n)/(1<<20)))
		}
	}
	if len(parts) > 0 {
		fmt.Fprintf(r.out, "VmRSS after %s: %s\n", scenario, strings.Join(parts, ", "))
	}
}

// level is one concurrency level of a scenario: the server's measurement
// and the baseline's, if there is one.
type level struct {
	clients int
	got     measurement
	ref     *measurement
}

// summary is one scenario over all its levels.
type summary struct {
	name   string
	levels []level
}

// line states the scenario at the level where the server peaked: its rate
// as a share of the baseline's and its CPU time per check beside the
// baseline's, like
//
//	cached: 0.91 of baseline rate at 16 clients, 23 µs server CPU/request (baseline 19 µs)
func (s summary) line() string {
	if len(s.levels) == 0 {
		return s.name + ": not measured"
	}
	best := s.levels[0]
	for _, lv := range s.levels[1:] {
		if lv.got.Rate() > best.got.Rate() {
			best = lv
		}
	}

	rate := fmt.Sprintf("%.0f requests/s", best.got.Rate())
	if best.ref != nil && best.ref.Rate() > 0 {
		rate = fmt.Sprintf("%.2f of baseline rate", best.got.Rate()/best.ref.Rate())
	}
	cpu := "server CPU/request not measured (no --server-pid)"
	if c, ok := best.got.cpuPerRequest(); ok {
		cpu = fmt.Sprintf("%.0f µs server CPU/request", micros(c))
	}
	if best.ref != nil {
		if c, ok := best.ref.cpuPerRequest(); ok {
			cpu += fmt.Sprintf(" (baseline %.0f µs)", micros(c))
		}
	}
	return fmt.Sprintf("%s: %s at %d clients, %s", s.name, rate, best.clients, cpu)
}
