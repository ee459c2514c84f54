package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
)

// Exit codes.
const (
	exitOK = 0
	// exitFailure: the command failed, or `audit verify` found a broken
	// chain.
	exitFailure = 1
	// exitError: `audit verify` could not check the chains at all.
	exitError = 2
)

// streams are the process's outside world, passed in so that tests can
// run commands in process. lookup reads the environment; it is the only
// way any command does.
type streams struct {
	out    io.Writer
	err    io.Writer
	lookup func(string) (string, bool)
}

// exitCodeError carries an exit code other than exitFailure.
type exitCodeError struct {
	code int
	err  error
}

func (e *exitCodeError) Error() string { return e.err.Error() }
func (e *exitCodeError) Unwrap() error { return e.err }

// execute runs the command line args and returns the process exit code.
func execute(ctx context.Context, args []string, s streams) int {
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}

	var ec *exitCodeError
	if errors.As(err, &ec) && ec.err == nil {
		return ec.code // already reported
	}
	_, _ = fmt.Fprintf(s.err, "agentidp: %v\n", err)
	if errors.As(err, &ec) {
		return ec.code
	}
	return exitFailure
}

func newRootCmd(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "agentidp",
		Short: "AgentIdP: identities for AI agents, enforced at the mesh edge",
		Long: "AgentIdP registers AI agents and other workloads, issues them credentials\n" +
			"and tokens, and keeps a tamper-evident audit chain of every change.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(s.out)
	root.SetErr(s.err)
	root.CompletionOptions.DisableDefaultCmd = true

	root.AddCommand(
		newDevCmd(s),
		newServeCmd(s),
		newMigrateCmd(s),
		newKeysCmd(s),
		newAdminKeyCmd(s),
		newAuditCmd(s),
		newVersionCmd(s),
	)
	return root
}
