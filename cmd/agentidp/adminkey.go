package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/agentidp/agentidp/issuer"
)

func newAdminKeyCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin-key",
		Short: "Create super-admin API keys",
		Long: "A super-admin key manages organisations (POST /v1/orgs and the keys of\n" +
			"each organisation). `dev` makes one by itself and writes it to\n" +
			"bootstrap.json; a deployment run with `serve` gets its first one here.",
	}
	cmd.AddCommand(newAdminKeyCreateCmd(s))
	return cmd
}

func newAdminKeyCreateCmd(s streams) *cobra.Command {
	var sf storeFlags
	var name string
	cmd := &cobra.Command{
		Use:   "create [--name NAME] (--config FILE | --data-dir DIR)",
		Short: "Create a super-admin key and print it once",
		Long: "create applies pending migrations, stores a new super-admin key as its keyed\n" +
			"hash and prints the key on stdout, once: keep it in a secret store. The\n" +
			"hashing key (secrets.hmac_key_file) must be the one the servers use.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := sf.load(s)
			if err != nil {
				return err
			}
			h, err := loadHasher(&cfg)
			if err != nil {
				return err
			}
			st, log, err := sf.open(ctx, s, false)
			if err != nil {
				return err
			}
			defer closeStore(ctx, st, log)
			if err := st.Migrate(ctx); err != nil {
				return fmt.Errorf("migrate: %w", err)
			}
			key, err := issuer.CreateAdminKey(ctx, st, h, name)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(s.out, key)
			return err
		},
	}
	cmd.Flags().StringVar(&name, "name", "operator", "a name for the key, shown in listings")
	sf.register(cmd)
	return cmd
}
