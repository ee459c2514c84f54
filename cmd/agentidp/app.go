package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/agentidp/agentidp/internal/config"
	"github.com/agentidp/agentidp/internal/secret"
	"github.com/agentidp/agentidp/internal/telemetry"
	"github.com/agentidp/agentidp/issuer/rest"
)

// listeners are the sockets of one process, bound before anything is
// announced so that the addresses in bootstrap.json and the logs are the
// ones actually served (port 0 resolved).
type listeners struct {
	http    net.Listener
	metrics net.Listener
}

func bind(ctx context.Context, srv *config.Server) (*listeners, error) {
	var lc net.ListenConfig
	h, err := lc.Listen(ctx, "tcp", srv.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("listen on server.http_addr: %w", err)
	}
	m, err := lc.Listen(ctx, "tcp", srv.MetricsAddr)
	if err != nil {
		_ = h.Close()
		return nil, fmt.Errorf("listen on server.metrics_addr: %w", err)
	}
	return &listeners{http: h, metrics: m}, nil
}

func (l *listeners) close() {
	_ = l.http.Close()
	_ = l.metrics.Close()
}

// instance is what dev and serve both run: the REST API and the
// operations listener over one store.
type instance struct {
	cfg    *config.Config
	log    *slog.Logger
	store  backend
	hasher *secret.Hasher
	tls    *tls.Config // nil serves plaintext (loopback only, see config)
	ln     *listeners
}

// run serves until ctx is done or a server fails, then shuts the servers
// down gracefully. The caller closes the store afterwards.
func (in *instance) run(ctx context.Context) error {
	reg := telemetry.NewRegistry()
	api, err := rest.New(rest.Config{
		Store:        in.store,
		Hasher:       in.hasher,
		Logger:       in.log.With(slog.String("component", "rest")),
		Registerer:   reg,
		MaxBodyBytes: in.cfg.Server.MaxBodyBytes,
		RateLimit: rest.RateLimit{
			GlobalRPS:   in.cfg.RateLimit.GlobalRPS,
			GlobalBurst: in.cfg.RateLimit.GlobalBurst,
			OrgRPS:      in.cfg.RateLimit.OrgRPS,
			OrgBurst:    in.cfg.RateLimit.OrgBurst,
		},
	})
	if err != nil {
		return fmt.Errorf("build rest server: %w", err)
	}
	ops := telemetry.NewOpsHandler(telemetry.OpsConfig{
		Gatherer: reg,
		Checks:   []telemetry.Check{{Name: "store", Run: in.store.Ping}},
		Logger:   in.log.With(slog.String("component", "ops")),
	})

	in.log.InfoContext(ctx, "serving",
		slog.String("http_addr", in.ln.http.Addr().String()),
		slog.Bool("tls", in.tls != nil),
		slog.String("metrics_addr", in.ln.metrics.Addr().String()))
	err = runTasks(ctx,
		in.serve("rest", in.httpServer(api.Handler(), in.tls), in.ln.http),
		in.serve("metrics", in.httpServer(ops, nil), in.ln.metrics),
	)
	in.log.InfoContext(ctx, "servers stopped")
	return err
}

func (in *instance) httpServer(h http.Handler, tlsCfg *tls.Config) *http.Server {
	s := &in.cfg.Server
	return &http.Server{
		Handler:           h,
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: s.ReadHeaderTimeout,
		ReadTimeout:       s.ReadTimeout,
		WriteTimeout:      s.WriteTimeout,
		IdleTimeout:       s.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(in.log.Handler(), slog.LevelWarn),
	}
}

// serve returns the task that runs srv on ln until ctx is done, then
// stops accepting and lets in-flight requests finish within
// server.shutdown_timeout before closing what remains.
func (in *instance) serve(name string, srv *http.Server, ln net.Listener) task {
	return func(ctx context.Context) error {
		errc := make(chan error, 1)
		go func() {
			if srv.TLSConfig != nil {
				errc <- srv.ServeTLS(ln, "", "")
				return
			}
			errc <- srv.Serve(ln)
		}()

		select {
		case err := <-errc:
			return fmt.Errorf("%s server: %w", name, err)
		case <-ctx.Done():
		}

		timeout := in.cfg.Server.ShutdownTimeout
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		in.log.InfoContext(ctx, "shutting down", slog.String("server", name),
			slog.Duration("timeout", timeout))
		if err := srv.Shutdown(sctx); err != nil {
			_ = srv.Close()
			return fmt.Errorf("shut down %s server: %w", name, err)
		}
		if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("%s server: %w", name, err)
		}
		return nil
	}
}

// loadHasher builds the secret hasher from the configured key.
func loadHasher(cfg *config.Config) (*secret.Hasher, error) {
	key, err := cfg.LoadHMACKey()
	if err != nil {
		return nil, err
	}
	return secret.NewHasher(key)
}
