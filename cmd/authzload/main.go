package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"time"
)

// scenarioNames are the scenarios, in the order they run by default.
var scenarioNames = []string{"cached", "distinct", "invalid"}

// Bounds on the settings, so that a typo cannot start a runaway run.
const (
	maxLevel  = 4096
	maxConns  = 256
	maxTokens = 1_000_000
)

// options are the command-line settings of one run.
type options struct {
	bootstrap   string
	authzAddr   string
	serverPID   int
	levels      []int
	scenarios   []string
	duration    time.Duration
	warmup      time.Duration
	timeout     time.Duration
	conns       int
	tokens      int
	baselineOff bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == noopCommand {
		if err := serveNoop(os.Args[2:], os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "authzload no-op server:", err)
			os.Exit(1)
		}
		return
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "authzload:", err)
		os.Exit(1)
	}
}

func parseOptions(args []string) (options, error) {
	fs := flag.NewFlagSet("authzload", flag.ContinueOnError)
	o := options{}
	levels := fs.String("concurrency", "1,16,64", "comma-separated numbers of concurrent clients")
	scenarios := fs.String("scenarios", strings.Join(scenarioNames, ","),
		"comma-separated scenarios: cached, distinct, invalid")
	fs.StringVar(&o.bootstrap, "bootstrap", ".data/bootstrap.json",
		"bootstrap.json of the instance to load")
	fs.StringVar(&o.authzAddr, "authz-addr", "",
		"ext_authz host:port, instead of authz_addr from the bootstrap file")
	fs.IntVar(&o.serverPID, "server-pid", 0,
		"process id of the server, to read its CPU time and memory (0: do not)")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measuring time per level and target")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured time before each measurement")
	fs.DurationVar(&o.timeout, "timeout", 2*time.Second, "deadline of every Check")
	fs.IntVar(&o.conns, "conns", 4, "gRPC connections per target, requests spread across them")
	fs.IntVar(&o.tokens, "tokens", 10000, "distinct tokens of the distinct scenario")
	fs.BoolVar(&o.baselineOff, "no-baseline", false, "measure the server only")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}

	var err error
	if o.levels, err = parseLevels(*levels); err != nil {
		return o, err
	}
	if o.scenarios, err = parseScenarios(*scenarios); err != nil {
		return o, err
	}
	return o, checkOptions(o)
}

func parseLevels(s string) ([]int, error) {
	var levels []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > maxLevel {
			return nil, fmt.Errorf("--concurrency: %q is not a number from 1 to %d", f, maxLevel)
		}
		levels = append(levels, n)
	}
	return levels, nil
}

func parseScenarios(s string) ([]string, error) {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if !slices.Contains(scenarioNames, f) {
			return nil, fmt.Errorf("--scenarios: %q is not one of %s", f,
				strings.Join(scenarioNames, ", "))
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

func checkOptions(o options) error {
	switch {
	case o.duration <= 0:
		return errors.New("--duration: must be positive")
	case o.warmup < 0:
		return errors.New("--warmup: must not be negative")
	case o.timeout <= 0:
		return errors.New("--timeout: must be positive")
	case o.conns < 1 || o.conns > maxConns:
		return fmt.Errorf("--conns: must be from 1 to %d", maxConns)
	case o.tokens < 1 || o.tokens > maxTokens:
		return fmt.Errorf("--tokens: must be from 1 to %d", maxTokens)
	case o.serverPID < 0:
		return errors.New("--server-pid: must not be negative")
	}
	return nil
}
