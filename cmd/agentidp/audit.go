package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/agentidp/agentidp/internal/audit"
)

func newAuditCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Inspect the audit chains",
	}

	var sf storeFlags
	verify := &cobra.Command{
		Use:   "verify (--data-dir DIR | --config FILE)",
		Short: "Check every organisation's audit chain for tampering",
		Long: "verify recomputes every organisation's audit chain and compares it with the\n" +
			"recorded chain heads. It prints a report and exits 0 when every chain is\n" +
			"intact, 1 when one is broken, and 2 when it could not check.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, log, err := sf.open(ctx, s, true)
			if err != nil {
				return &exitCodeError{code: exitError, err: err}
			}
			defer closeStore(ctx, st, log)

			rep, err := audit.Verify(ctx, st)
			if err != nil {
				return &exitCodeError{code: exitError, err: fmt.Errorf("verify audit chains: %w", err)}
			}
			if _, err := fmt.Fprint(s.out, rep.String()); err != nil {
				return &exitCodeError{code: exitError, err: err}
			}
			if !rep.OK() {
				// The report already says what is broken.
				return &exitCodeError{code: exitFailure}
			}
			return nil
		},
	}
	sf.register(verify)
	cmd.AddCommand(verify)
	return cmd
}
