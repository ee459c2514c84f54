package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentidp/agentidp/internal/config"
	"github.com/agentidp/agentidp/internal/telemetry"
)

// storeFlags select a store for the operator's tools: a configuration file
// or a dev data directory, exactly one of them.
type storeFlags struct {
	configFile string
	dataDir    string
}

func (f *storeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.configFile, "config", "", "configuration file of the deployment")
	cmd.Flags().StringVar(&f.dataDir, "data-dir", "", "data directory of an agentidp dev instance")
}

// open loads the configuration and opens its store. Logs go to s.err at
// warn level: the command's own output is what matters.
func (f *storeFlags) open(ctx context.Context, s streams, mustExist bool) (backend, *slog.Logger, error) {
	cfg, err := f.load(s)
	if err != nil {
		return nil, nil, err
	}
	log, err := telemetry.NewLogger(s.err, "warn", config.FormatText)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, &cfg, log, mustExist)
	if err != nil {
		return nil, nil, err
	}
	return st, log, nil
}

// load returns the configuration the flags name: a validated file, or the
// one of a dev data directory.
func (f *storeFlags) load(s streams) (config.Config, error) {
	if (f.configFile == "") == (f.dataDir == "") {
		return config.Config{}, errors.New("name exactly one of --config FILE and --data-dir DIR")
	}
	if f.configFile != "" {
		return loadConfig(f.configFile, s, nil)
	}
	dir, err := filepath.Abs(f.dataDir)
	if err != nil {
		return config.Config{}, fmt.Errorf("resolve data dir: %w", err)
	}
	return config.Dev(dir), nil
}

func newMigrateCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply or list the database schema migrations",
		Long: "The migrations are embedded in the binary. `serve` and `dev` apply them at\n" +
			"start; `migrate up` does so ahead of a rollout. Concurrent runs are safe.",
	}

	var upFlags, statusFlags storeFlags
	up := &cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, log, err := upFlags.open(ctx, s, false)
			if err != nil {
				return err
			}
			defer closeStore(ctx, st, log)
			if err := st.Migrate(ctx); err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
			return printMigrations(ctx, s.out, st)
		},
	}
	upFlags.register(up)

	status := &cobra.Command{
		Use:   "status",
		Short: "List the migrations and whether each is applied",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, log, err := statusFlags.open(ctx, s, true)
			if err != nil {
				return err
			}
			defer closeStore(ctx, st, log)
			return printMigrations(ctx, s.out, st)
		},
	}
	statusFlags.register(status)

	cmd.AddCommand(up, status)
	return cmd
}

func printMigrations(ctx context.Context, w io.Writer, st backend) error {
	list, err := st.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("migration status: %w", err)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED")
	for _, m := range list {
		applied := "pending"
		if m.Applied {
			applied = m.AppliedAt.UTC().Format(time.RFC3339)
		}
		_, _ = fmt.Fprintf(tw, "%04d\t%s\t%s\n", m.Version, m.Name, applied)
	}
	return errors.Join(tw.Flush())
}
