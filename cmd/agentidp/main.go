package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// After the first signal, restore the default handling so that a
		// second one ends a shutdown that takes too long.
		<-ctx.Done()
		stop()
	}()

	code := execute(ctx, os.Args[1:], streams{
		out:    os.Stdout,
		err:    os.Stderr,
		lookup: os.LookupEnv,
	})
	stop()
	os.Exit(code)
}
