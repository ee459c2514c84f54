package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentidp/agentidp/internal/auditlog"
	"github.com/agentidp/agentidp/internal/config"
	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/secret"
	"github.com/agentidp/agentidp/internal/telemetry"
	"github.com/agentidp/agentidp/issuer/agentcard"
	"github.com/agentidp/agentidp/issuer/did"
	"github.com/agentidp/agentidp/issuer/oauth"
	"github.com/agentidp/agentidp/issuer/rest"
)

// listeners are the sockets of one process, bound before anything is
// announced so that the addresses in bootstrap.json and the logs are the
// ones actually served (port 0 resolved).
type listeners struct {
	http    net.Listener // nil without the issuer role
	metrics net.Listener
	authz   net.Listener // nil without the authz role
}

// bind binds the listeners of the roles cfg names.
func bind(ctx context.Context, cfg *config.Config) (*listeners, error) {
	var lc net.ListenConfig
	l := &listeners{}
	for _, b := range []struct {
		on   bool
		addr string
		key  string
		dst  *net.Listener
	}{
		{cfg.HasRole(config.RoleIssuer), cfg.Server.HTTPAddr, "server.http_addr", &l.http},
		{true, cfg.Server.MetricsAddr, "server.metrics_addr", &l.metrics},
		{cfg.HasRole(config.RoleAuthz), cfg.Authz.Addr, "authz.addr", &l.authz},
	} {
		if !b.on {
			continue
		}
		ln, err := lc.Listen(ctx, "tcp", b.addr)
		if err != nil {
			l.close()
			return nil, fmt.Errorf("listen on %s: %w", b.key, err)
		}
		*b.dst = ln
	}
	return l, nil
}

func (l *listeners) close() {
	for _, ln := range []net.Listener{l.http, l.metrics, l.authz} {
		if ln != nil {
			_ = ln.Close()
		}
	}
}

// addr returns a listener's address, "" for none.
func addr(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}

// instance is what dev and serve both run: the REST API and the OAuth
// endpoints on one HTTPS listener, and the operations listener, over one
// store and one started set of signing keys.
type instance struct {
	cfg    *config.Config
	log    *slog.Logger
	store  backend
	hasher *secret.Hasher
	keys   *keys.Manager
	tls    *tls.Config // nil serves plaintext (loopback only, see config)
	// authzTLS is the ext_authz listener's; nil serves plaintext.
	authzTLS *tls.Config
	ln       *listeners
}

// servers are what an instance serves, built before it announces itself
// so that a bad setting fails the start rather than the first request.
type servers struct {
	audit  *auditlog.Writer
	api    *rest.Server
	tokens *oauth.Server
	ops    http.Handler
	// public serves the DID documents, the resolver, agent cards, badges
	// and status lists (issuer/did, issuer/agentcard).
	public *http.ServeMux
	// dids is the DID resolver behind public, closed after the servers.
	dids *did.Server
	// edge is the authz role; nil without it.
	edge *edge
}

// assemble builds the servers of the roles the configuration names, all
// registering their metrics on one registry that the operations listener
// exposes.
func (in *instance) assemble() (*servers, error) {
	reg := telemetry.NewRegistry()
	sv := &servers{}
	if in.cfg.HasRole(config.RoleIssuer) {
		var err error
		if sv, err = in.build(reg); err != nil {
			return nil, err
		}
	}
	checks := []telemetry.Check{{Name: "store", Run: in.store.Ping}}
	if in.cfg.HasRole(config.RoleAuthz) {
		e, err := in.buildEdge(reg)
		if err != nil {
			return nil, err
		}
		sv.edge = e
		checks = append(checks, telemetry.Check{Name: "authz", Run: func(context.Context) error {
			if !e.srv.Ready() {
				return errors.New("revocation state not loaded yet")
			}
			return nil
		}})
	}
	sv.ops = telemetry.NewOpsHandler(telemetry.OpsConfig{
		Gatherer: reg,
		Checks:   checks,
		Logger:   in.log.With(slog.String("component", "ops")),
	})
	return sv, nil
}

// build makes the issuer role's servers, every one registering its
// metrics on reg.
func (in *instance) build(reg *prometheus.Registry) (*servers, error) {
	audit, err := auditlog.New(auditlog.Config{
		Store:      in.store,
		Logger:     in.log.With(slog.String("component", "auditlog")),
		Registerer: reg,
	})
	if err != nil {
		return nil, fmt.Errorf("build audit writer: %w", err)
	}
	api, err := in.restServer(reg)
	if err != nil {
		return nil, err
	}
	tokens, err := in.oauthServer(reg, audit)
	if err != nil {
		return nil, err
	}
	dr := &in.cfg.DID.Resolver
	dids, err := did.New(did.Config{Issuer: in.cfg.Issuer.URL, Store: in.store, Keys: in.keys,
		Remote: did.RemoteConfig{AllowedHosts: dr.AllowedHosts, AllowedNetworks: dr.Networks(),
			Timeout: dr.Timeout, MaxDocumentBytes: dr.MaxDocumentBytes, CacheSize: dr.CacheSize,
			CacheTTL: dr.CacheTTL},
		Logger: in.log.With(slog.String("component", "did")), Registerer: reg})
	if err != nil {
		return nil, fmt.Errorf("build did server: %w", err)
	}
	cards, err := agentcard.New(agentcard.Config{Issuer: in.cfg.Issuer.URL, Store: in.store,
		Signer: in.keys, Logger: in.log.With(slog.String("component", "agentcard"))})
	if err != nil {
		return nil, fmt.Errorf("build agent card server: %w", err)
	}
	public := http.NewServeMux()
	dids.Register(public)
	cards.Register(public)
	return &servers{audit: audit, api: api, tokens: tokens, public: public, dids: dids}, nil
}

// run serves sv until ctx is done or a task fails, then shuts the servers
// down gracefully and, after them, the audit writer. The caller closes the
// store afterwards.
func (in *instance) run(ctx context.Context, sv *servers) error {
	in.log.InfoContext(ctx, "serving", slog.Any("roles", in.cfg.Roles),
		slog.String("http_addr", addr(in.ln.http)),
		slog.Bool("tls", in.tls != nil),
		slog.String("issuer_url", in.cfg.Issuer.URL),
		slog.String("authz_addr", addr(in.ln.authz)),
		slog.Bool("authz_tls", in.authzTLS != nil),
		slog.String("metrics_addr", addr(in.ln.metrics)))
	var lower []task
	upper := []task{in.serve("metrics", in.httpServer(sv.ops, nil), in.ln.metrics)}
	if sv.api != nil {
		defer sv.dids.Close()
		lower = append(lower, in.drain(sv.audit))
		upper = append(upper,
			in.serve("issuer", in.httpServer(issuerHandler(sv), in.tls), in.ln.http),
			in.keys.Run,
			sv.tokens.Run)
	}
	if sv.edge != nil {
		defer sv.edge.close()
		upper = append(upper, sv.edge.tasks(in)...)
	}
	err := runLayered(ctx, lower, upper)
	in.log.InfoContext(ctx, "servers stopped")
	return err
}

// restServer builds the /v1 management API.
func (in *instance) restServer(reg prometheus.Registerer) (*rest.Server, error) {
	api, err := rest.New(rest.Config{
		Store:        in.store,
		Hasher:       in.hasher,
		SigningKeys:  in.keys,
		MaxTokenTTL:  in.cfg.Tokens.MaxTTL,
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
		return nil, fmt.Errorf("build rest server: %w", err)
	}
	return api, nil
}

// oauthServer builds the OAuth 2.0 and OIDC endpoints. Their body limit
// stays the package's own, smaller than the REST API's: a token request
// is a short form.
func (in *instance) oauthServer(reg prometheus.Registerer,
	audit *auditlog.Writer) (*oauth.Server, error) {
	s, err := oauth.New(oauth.Config{
		Store:           in.store,
		Hasher:          in.hasher,
		Signer:          in.keys,
		Audit:           audit,
		Issuer:          in.cfg.Issuer.URL,
		Logger:          in.log.With(slog.String("component", "oauth")),
		Registerer:      reg,
		DefaultTokenTTL: in.cfg.Tokens.DefaultTTL,
		MaxTokenTTL:     in.cfg.Tokens.MaxTTL,
	})
	if err != nil {
		return nil, fmt.Errorf("build oauth server: %w", err)
	}
	return s, nil
}

// issuerHandler routes the HTTPS listener: the management API under /v1/,
// the DID documents, resolver, agent cards, badges and status lists to
// sv.public, every other path (/oauth2/..., /.well-known/..., /agent-info)
// to the OAuth endpoints.
func issuerHandler(sv *servers) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", sv.api.Handler())
	for _, p := range []string{did.PathDeploymentDocument, "/agents/", did.PathResolve,
		"/status-lists/"} {
		mux.Handle(p, sv.public)
	}
	mux.Handle("/", sv.tokens.Handler())
	return mux
}

// drain returns the task of the audit writer. It writes batches until ctx
// ends, which runLayered makes happen only after the servers stopped;
// then it closes the writer, which commits what is still queued (retrying
// for up to server.shutdown_timeout) before the store is closed.
func (in *instance) drain(w *auditlog.Writer) task {
	return func(ctx context.Context) error {
		runCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
		defer stop()
		done := make(chan error, 1)
		go func() { done <- w.Run(runCtx) }()
		<-ctx.Done()

		timeout := in.cfg.Server.ShutdownTimeout
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
		defer cancel()
		err := w.Close(cctx)
		stop()
		if rerr := <-done; err == nil {
			err = rerr
		}
		if err != nil {
			return fmt.Errorf("drain audit writer: %w", err)
		}
		return nil
	}
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
