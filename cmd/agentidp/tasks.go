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
