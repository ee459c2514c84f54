package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/agentidp/agentidp/internal/config"
	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/secret"
	"github.com/agentidp/agentidp/internal/telemetry"
	"github.com/agentidp/agentidp/internal/tlsutil"
)

// overrideFlags are the few settings that flags may override, mapped to
// their key paths.
var overrideFlags = []struct{ flag, path, usage string }{
	{"http-addr", "server.http_addr", "host:port of the API, overriding server.http_addr"},
	{"metrics-addr", "server.metrics_addr", "host:port of /metrics, /healthz and /readyz, overriding server.metrics_addr"},
	{"authz-addr", "authz.addr", "host:port of the ext_authz gRPC listener, overriding authz.addr"},
	{"log-level", "log.level", "debug, info, warn or error, overriding log.level"},
}

func newServeCmd(s streams) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "serve --config FILE",
		Short: "Run the roles a configuration file names",
		Long: "serve runs the roles listed in the configuration (issuer: the REST API and\n" +
			"the OAuth endpoints; authz: the Envoy ext_authz service) with the metrics\n" +
			"and health listener, on PostgreSQL or SQLite. It applies pending migrations\n" +
			"and, for the issuer, loads the signing keys at start; several instances may\n" +
			"start at once.\n\n" +
			"Settings come from the file, then AGENTIDP_* environment variables, then\n" +
			"flags, each overriding the one before.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(file, s, changedOverrides(cmd))
			if err != nil {
				return err
			}
			return runServe(cmd.Context(), &cfg, s, nil)
		},
	}
	cmd.Flags().StringVar(&file, "config", "", "configuration file (see deploy/config.example.yaml)")
	_ = cmd.MarkFlagRequired("config")
	for _, f := range overrideFlags {
		cmd.Flags().String(f.flag, "", f.usage)
	}
	return cmd
}

// changedOverrides returns the key paths set by flags on the command line.
func changedOverrides(cmd *cobra.Command) map[string]string {
	out := map[string]string{}
	for _, f := range overrideFlags {
		if fl := cmd.Flags().Lookup(f.flag); fl != nil && fl.Changed {
			out[f.path] = fl.Value.String()
		}
	}
	return out
}

// loadConfig loads file, the environment and overrides, and validates the
// result, reporting every problem at once.
func loadConfig(file string, s streams, overrides map[string]string) (config.Config, error) {
	cfg, err := config.Load(config.Source{File: file, Env: s.lookup, Overrides: overrides})
	if err == nil {
		err = cfg.Validate()
	}
	var cerr *config.Error
	if errors.As(err, &cerr) {
		return config.Config{}, fmt.Errorf("invalid configuration %q:\n%w", file, err)
	}
	return cfg, err
}

// runServe runs a configured process until ctx is done. ready, when set,
// is called once the listeners are bound; tests wait on it.
func runServe(ctx context.Context, cfg *config.Config, s streams, ready func(*listeners)) error {
	log, err := telemetry.NewLogger(s.err, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return err
	}
	log.InfoContext(ctx, "starting", slog.Any("roles", cfg.Roles), slog.String("version", version))

	// 1. Secrets and certificates: a bad file fails the start at once.
	issuerRole := cfg.HasRole(config.RoleIssuer)
	var hasher *secret.Hasher
	var kek *keys.KEK
	var tlsCfg *tls.Config
	if issuerRole {
		if hasher, err = loadHasher(cfg); err != nil {
			return err
		}
		if kek, err = loadKEK(cfg); err != nil {
			return err
		}
		if !cfg.Server.TLS.Disabled {
			if tlsCfg, err = tlsutil.Load(cfg.Server.TLS.CertFile, cfg.Server.TLS.KeyFile); err != nil {
				return err
			}
		} else {
			log.WarnContext(ctx, "serving plaintext HTTP on loopback (server.tls.disabled)")
		}
	}
	var authzTLS *tls.Config
	if cfg.HasRole(config.RoleAuthz) {
		if authzTLS, err = loadAuthzTLS(cfg, tlsCfg); err != nil {
			return err
		}
		if authzTLS == nil {
			log.WarnContext(ctx, "serving plaintext gRPC on loopback (authz.tls.disabled)")
		}
	}

	// 2. The listeners, so that a port in use fails before the database
	// is touched.
	ln, err := bind(ctx, cfg)
	if err != nil {
		return err
	}
	defer ln.close()

	// 3. The store, migrated; closed only after every server stopped.
	st, err := openStore(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer closeStore(ctx, st, log)
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate store: %w", err)
	}

	// 4. The signing keys: a KEK that opens none of them fails the start.
	var signing *keys.Manager
	if issuerRole {
		if signing, err = startKeys(ctx, cfg, st, kek, log); err != nil {
			return err
		}
	}

	// 5. The servers, then serve until told to stop.
	in := &instance{cfg: cfg, log: log, store: st, hasher: hasher, keys: signing, tls: tlsCfg,
		authzTLS: authzTLS, ln: ln}
	sv, err := in.assemble()
	if err != nil {
		return err
	}
	if ready != nil {
		ready(ln)
	}
	return in.run(ctx, sv)
}
