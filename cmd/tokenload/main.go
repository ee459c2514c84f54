package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
)

// options are the command-line settings of one run.
type options struct {
	bootstrap   string
	levels      []int
	duration    time.Duration
	warmup      time.Duration
	alg         string
	baselineOff bool
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == baselineCommand {
		if err := serveBaseline(os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "tokenload baseline:", err)
			os.Exit(1)
		}
		return
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tokenload:", err)
		os.Exit(1)
	}
}

func parseOptions(args []string) (options, error) {
	fs := flag.NewFlagSet("tokenload", flag.ContinueOnError)
	o := options{}
	levels := fs.String("concurrency", "1,8,64", "comma-separated numbers of concurrent clients")
	fs.StringVar(&o.bootstrap, "bootstrap", ".data/bootstrap.json",
		"bootstrap.json of the instance to load")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measuring time per level and target")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured time before each measurement")
	fs.StringVar(&o.alg, "alg", "ES256", "baseline signing algorithm: ES256, EdDSA or RS256")
	fs.BoolVar(&o.baselineOff, "no-baseline", false, "measure the instance only")
	if err := fs.Parse(args); err != nil {
		return o, err
	}

	for _, f := range strings.Split(*levels, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 || n > 4096 {
			return o, fmt.Errorf("--concurrency: %q is not a number from 1 to 4096", f)
		}
		o.levels = append(o.levels, n)
	}
	if o.duration <= 0 {
		return o, errors.New("--duration: must be positive")
	}
	return o, nil
}

func run(ctx context.Context, args []string, out io.Writer) error {
	o, err := parseOptions(args)
	if err != nil {
		return err
	}

	target, err := provision(ctx, o.bootstrap)
	if err != nil {
		return fmt.Errorf("provision a test agent: %w", err)
	}

	var base *baseline
	if !o.baselineOff {
		base, err = startBaseline(ctx, o.alg)
		if err != nil {
			return fmt.Errorf("start the baseline server: %w", err)
		}
		defer base.stop()
	}

	fmt.Fprintf(out, "token endpoint %s, baseline %s, %s per level\n\n",
		target.tokenURL, baselineName(base, o.alg), o.duration)
	tab := newTable(out)
	tab.Header()
	for _, n := range o.levels {
		if err := measureLevel(ctx, tab, o, n, target, base); err != nil {
			return err
		}
	}
	return nil
}

func baselineName(b *baseline, alg string) string {
	if b == nil {
		return "off"
	}
	return "bare " + alg + " signer at " + b.target.tokenURL
}
