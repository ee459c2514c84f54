package main

import "context"

// task is one long-running part of the process. It runs until ctx is done
// and then returns nil, or returns an error as soon as it fails.
type task func(ctx context.Context) error

// runTasks runs every task concurrently. The first task to fail cancels
// the context of the others; runTasks returns once all have returned, with
// the first error.
func runTasks(ctx context.Context, tasks ...task) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	errc := make(chan error, len(tasks))
	for _, t := range tasks {
		go func() { errc <- t(ctx) }()
	}

	var first error
	for range tasks {
		if err := <-errc; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// runLayered runs the upper tasks (the servers) on top of the lower ones
// (what the servers use while they finish requests, such as the audit
// writer). The upper tasks run under ctx; the lower tasks' context ends
// only once every upper task has returned, so that a request a server
// finishes during a shutdown still finds them running. The first failure
// of any task stops the upper tasks, and with them the lower ones.
// runLayered returns once all have returned, with an upper task's error
// before a lower one's.
func runLayered(ctx context.Context, lower, upper []task) error {
	upperCtx, stopUpper := context.WithCancel(ctx)
	defer stopUpper()
	lowerCtx, stopLower := context.WithCancel(context.WithoutCancel(ctx))
	defer stopLower()

	lowerErr := make(chan error, 1)
	go func() {
		err := runTasks(lowerCtx, lower...)
		if err != nil {
			stopUpper()
		}
		lowerErr <- err
	}()

	err := runTasks(upperCtx, upper...)
	stopLower()
	if lerr := <-lowerErr; err == nil {
		err = lerr
	}
	return err
}
