package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentidp/agentidp/internal/config"
	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/telemetry"
)

func newKeysCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "List and rotate the deployment's token-signing keys",
		Long: "The signing keys live in the database, their private halves sealed under the\n" +
			"key-encryption key (KEK). These commands need the KEK too: from the data\n" +
			"directory (kek.key) or from the configuration (keys.kek_file or\n" +
			"AGENTIDP_KEYS_KEK). Running instances learn of a change within\n" +
			"keys.refresh_interval.",
	}
	cmd.AddCommand(newKeysRotateCmd(s), newKeysListCmd(s))
	return cmd
}

func newKeysRotateCmd(s streams) *cobra.Command {
	var sf storeFlags
	var immediate bool
	cmd := &cobra.Command{
		Use:   "rotate [--immediate] (--data-dir DIR | --config FILE)",
		Short: "Create the next signing key",
		Long: "rotate publishes a new signing key that takes over after keys.publish_ahead,\n" +
			"as the schedule would; it fails while another key is pending. With\n" +
			"--immediate the new key signs at once and the current one is retired (it\n" +
			"stays published until its tokens expire): for a key believed compromised.\n" +
			"It prints the new key's kid, then the key set.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			m, closeAll, err := openKeys(ctx, s, &sf)
			if err != nil {
				return err
			}
			defer closeAll()
			return rotateKeys(ctx, s, m, immediate)
		},
	}
	cmd.Flags().BoolVar(&immediate, "immediate", false,
		"make the new key sign at once and retire the current one")
	sf.register(cmd)
	return cmd
}

// rotateKeys rotates and prints the outcome. A rotation that committed is
// reported even when the key set could not be reread afterwards.
func rotateKeys(ctx context.Context, s streams, m *keys.Manager, immediate bool) error {
	kid, err := m.Rotate(ctx, immediate)
	if errors.Is(err, keys.ErrRotationPending) {
		return fmt.Errorf("%w (--immediate replaces the pending key)", err)
	}
	if kid == "" {
		return err
	}
	if err != nil {
		_, _ = fmt.Fprintf(s.err, "agentidp: warning: %v\n", err)
	}
	if _, err := fmt.Fprintf(s.out, "new signing key %s\n\n", kid); err != nil {
		return err
	}
	return printKeys(s.out, m.Keys())
}

func newKeysListCmd(s streams) *cobra.Command {
	var sf storeFlags
	cmd := &cobra.Command{
		Use:   "list (--data-dir DIR | --config FILE)",
		Short: "List the published signing keys, never their key material",
		Long: "list prints every published signing key: its kid, algorithm, state, whether\n" +
			"it signs now, and when it was created, activates, retired and leaves the\n" +
			"key set. It only reads: it makes no scheduled transition.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			m, closeAll, err := openKeys(ctx, s, &sf)
			if err != nil {
				return err
			}
			defer closeAll()

			// Keys that this KEK cannot open are still listed: the
			// warning says which.
			if err := m.Refresh(ctx); err != nil {
				if m.Keys() == nil {
					return err
				}
				_, _ = fmt.Fprintf(s.err, "agentidp: warning: %v\n", err)
			}
			return printKeys(s.out, m.Keys())
		},
	}
	sf.register(cmd)
	return cmd
}

// openKeys opens the store and the KEK the flags name and returns a
// signing key manager that has read nothing yet, with the function that
// closes the store.
func openKeys(ctx context.Context, s streams, sf *storeFlags) (*keys.Manager, func(), error) {
	cfg, err := sf.load(s)
	if err != nil {
		return nil, nil, err
	}
	log, err := telemetry.NewLogger(s.err, "warn", config.FormatText)
	if err != nil {
		return nil, nil, err
	}
	st, err := openStore(ctx, &cfg, log, true)
	if err != nil {
		return nil, nil, err
	}
	closeAll := func() { closeStore(ctx, st, log) }

	kek, err := loadKEK(&cfg)
	if err == nil {
		var m *keys.Manager
		if m, err = newKeyManager(&cfg, st, kek, log); err == nil {
			return m, closeAll, nil
		}
	}
	closeAll()
	return nil, nil, err
}

// printKeys writes the key set as a table, without key material.
func printKeys(w io.Writer, list []keys.KeyInfo) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "KID\tALG\tSTATE\tSIGNING\tCREATED\tACTIVATES\tRETIRED\tREMOVE AFTER")
	for _, k := range list {
		signing := "no"
		if k.Signing {
			signing = "yes"
		}
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.KID, k.Algorithm, k.State,
			signing, stamp(k.CreatedAt), stamp(k.ActivatesAt), stamp(k.RetiredAt),
			stamp(k.RemoveAfter))
	}
	return errors.Join(tw.Flush())
}

// stamp formats a time for the table; a zero time is "-".
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
