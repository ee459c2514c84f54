package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentidp/agentidp/internal/config"
	"github.com/agentidp/agentidp/internal/telemetry"
	"github.com/agentidp/agentidp/internal/tlsutil"
)

// devOptions are the flags of `agentidp dev`.
type devOptions struct {
	dataDir     string
	httpAddr    string
	metricsAddr string
	authzAddr   string
	signingAlg  string
	logLevel    string
	// ready, when set, is called with the bootstrap once every listener is
	// bound and bootstrap.json is written; tests wait on it.
	ready func(bootstrap)
}

func newDevCmd(s streams) *cobra.Command {
	def := config.Dev("")
	o := devOptions{}
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run every role in one process on a local data directory",
		Long: "dev sets up (once) and runs a self-contained AgentIdP: an HMAC key, a\n" +
			"key-encryption key for the signing keys, a local CA and server certificate,\n" +
			"and a SQLite store in --data-dir. It binds every listener, writes\n" +
			"DATA_DIR/bootstrap.json (issuer URL, super-admin key, CA certificate,\n" +
			"addresses) and prints how to drive it with curl.\n\n" +
			"It reads no configuration file and no environment variables: only its flags.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDev(cmd.Context(), o, s)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.dataDir, "data-dir", ".data", "directory for the database, keys, certificates and bootstrap.json")
	f.StringVar(&o.httpAddr, "http-addr", def.Server.HTTPAddr, "host:port of the HTTPS API (port 0 picks a free port)")
	f.StringVar(&o.metricsAddr, "metrics-addr", def.Server.MetricsAddr,
		"host:port of /metrics, /healthz and /readyz (port 0 picks a free port)")
	f.StringVar(&o.authzAddr, "authz-addr", def.Authz.Addr,
		"host:port of the ext_authz gRPC listener (port 0 picks a free port)")
	f.StringVar(&o.signingAlg, "signing-alg", def.Keys.Algorithm,
		"algorithm of new signing keys: ES256, EdDSA or RS256 (the first key of a fresh data dir)")
	f.StringVar(&o.logLevel, "log-level", def.Log.Level, "debug, info, warn or error")
	return cmd
}

// devConfig is the configuration dev runs with.
func devConfig(o devOptions) (config.Config, error) {
	dir, err := filepath.Abs(o.dataDir)
	if err != nil {
		return config.Config{}, fmt.Errorf("resolve data dir: %w", err)
	}
	base := config.Dev(dir)
	tlsFiles := tlsutil.DevPaths(filepath.Join(dir, "tls"))
	base.Server.TLS.CertFile, base.Server.TLS.KeyFile = tlsFiles.Cert, tlsFiles.Key

	cfg, err := config.Load(config.Source{Base: &base, Overrides: map[string]string{
		"server.http_addr":    o.httpAddr,
		"server.metrics_addr": o.metricsAddr,
		"authz.addr":          o.authzAddr,
		"keys.algorithm":      o.signingAlg,
		"log.level":           o.logLevel,
	}})
	if err != nil {
		return config.Config{}, err
	}
	// The issuer URL follows the listener. With port 0 this is only a
	// placeholder until runDev knows the port it bound; a malformed
	// address keeps the default, and validation reports the address.
	if u := issuerURL(cfg.Server.HTTPAddr); u != "" {
		cfg.Issuer.URL = u
	}
	if err := cfg.Validate(); err != nil {
		return config.Config{}, fmt.Errorf("invalid flags:\n%w", err)
	}
	return cfg, nil
}

// runDev binds the listeners, prepares the data directory, writes
// bootstrap.json, prints the guide and serves until ctx is done.
func runDev(ctx context.Context, o devOptions, s streams) error {
	cfg, err := devConfig(o)
	if err != nil {
		return err
	}
	log, err := telemetry.NewLogger(s.err, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return err
	}

	// 1. Every listener first: a port in use fails the start before
	// anything is created, and the addresses announced below are the ones
	// bound (port 0 resolved). The deferred close matters only when the
	// start fails: a server closes its own listener when it shuts down.
	ln, err := bind(ctx, &cfg)
	if err != nil {
		return err
	}
	defer ln.close()
	cfg.Issuer.URL = issuerURL(ln.http.Addr().String())

	// 2. The data directory, the hashing key and the certificates.
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	if err := ensureKeyFile(cfg.Secrets.HMACKeyFile); err != nil {
		return err
	}
	hasher, err := loadHasher(&cfg)
	if err != nil {
		return err
	}
	kek, kekCreated, err := ensureKEK(cfg.Keys.KEKFile)
	if err != nil {
		return err
	}
	tlsCfg, caCert, err := tlsutil.EnsureDev(filepath.Join(cfg.DataDir, "tls"), time.Now())
	if err != nil {
		return fmt.Errorf("prepare dev certificates: %w", err)
	}

	// 3. The store, migrated.
	st, err := openStore(ctx, &cfg, log, false)
	if err != nil {
		return err
	}
	defer closeStore(ctx, st, log)
	if err := st.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate store: %w", err)
	}

	// 4. The signing keys: the first one is made on the first start.
	signing, err := startKeys(ctx, &cfg, st, kek, log)
	if err != nil {
		return err
	}

	// 5. The servers, built before anything is announced.
	in := &instance{cfg: &cfg, log: log, store: st, hasher: hasher, keys: signing, tls: tlsCfg,
		ln: ln}
	if in.authzTLS, err = loadAuthzTLS(&cfg, tlsCfg); err != nil {
		return err
	}
	sv, err := in.assemble()
	if err != nil {
		return err
	}

	// 6. The super-admin key and bootstrap.json.
	key, created, err := adminKey(ctx, st, hasher, readBootstrap(cfg.DataDir).AdminAPIKey)
	if err != nil {
		return fmt.Errorf("bootstrap admin key: %w", err)
	}
	b := bootstrap{
		IssuerURL:   cfg.Issuer.URL,
		AdminAPIKey: key,
		CACert:      caCert,
		AuthzAddr:   addr(ln.authz),
		MetricsAddr: ln.metrics.Addr().String(),
	}
	if err := writeBootstrap(cfg.DataDir, b); err != nil {
		return err
	}
	log.InfoContext(ctx, "dev instance ready",
		slog.String("data_dir", cfg.DataDir), slog.Bool("admin_key_created", created),
		slog.Bool("kek_created", kekCreated))
	printGuide(s.out, b, filepath.Join(cfg.DataDir, bootstrapFile))
	if o.ready != nil {
		o.ready(b)
	}

	// 7. Serve until told to stop. run returns once every server has
	// stopped and the audit writer has drained; only then does the
	// deferred closeStore run.
	return in.run(ctx, sv)
}
