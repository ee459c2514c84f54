package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentidp/agentidp/authz"
	"github.com/agentidp/agentidp/authz/keyset"
	"github.com/agentidp/agentidp/authz/revocation"
	"github.com/agentidp/agentidp/internal/config"
	"github.com/agentidp/agentidp/internal/tlsutil"
)

// keyWatchInterval is how often an edge in the issuer's process compares
// the issuer's published keys with the ones it verifies with: a key the
// issuer removed stops admitting tokens within about this long.
const keyWatchInterval = time.Second

// edge is the authz role: the ext_authz service and what keeps its
// memory current.
type edge struct {
	keys *keyset.Cache
	feed *revocation.Feed
	srv  *authz.Server
	grpc *authz.GRPC
}

// buildEdge makes the authz role's parts. With the issuer role in this
// process, the local keys are read in memory; else they are fetched from
// the issuer's JWKS over HTTPS.
func (in *instance) buildEdge(reg prometheus.Registerer) (*edge, error) {
	a := &in.cfg.Authz
	log := in.log.With(slog.String("component", "authz"))
	ks, err := keyset.New(keyset.Config{
		MinRefetchInterval: a.JWKS.MinRefetchInterval, UnknownKIDTTL: a.JWKS.UnknownKIDTTL,
		MaxStale: a.JWKS.MaxStale, MinMaxAge: a.JWKS.MinMaxAge, MaxMaxAge: a.JWKS.MaxMaxAge,
		DefaultRefresh: a.JWKS.DefaultRefresh, FetchTimeout: a.JWKS.FetchTimeout,
		Logger: log, Registerer: reg,
	})
	if err != nil {
		return nil, fmt.Errorf("build key set cache: %w", err)
	}
	src, err := in.localKeySource()
	if err != nil {
		ks.Close()
		return nil, err
	}
	ks.Add(in.cfg.Issuer.URL, src)

	deny := authz.NewDenylist()
	feed, err := revocation.New(revocation.Config{Store: in.store, Denylist: deny,
		Issuer: in.cfg.Issuer.URL, Interval: a.RevocationPollInterval, Logger: log,
		Registerer: reg})
	if err != nil {
		ks.Close()
		return nil, fmt.Errorf("build revocation feed: %w", err)
	}
	srv, err := authz.New(authz.Config{
		Keys: ks, Denylist: deny, LocalIssuer: in.cfg.Issuer.URL, Header: a.Header,
		Leeway: a.Leeway, RemoveAuthorization: a.RemoveAuthorization,
		DefaultPolicy: authz.Policy{Mode: authz.Mode(a.DefaultPolicy.Mode),
			Scopes:   strings.Join(a.DefaultPolicy.Scopes, " "),
			Audience: a.DefaultPolicy.Audience},
		MaxDecisions: a.Cache.MaxDecisions, MaxRefusals: a.Cache.MaxRefusals,
		RefusalTTL: a.Cache.RefusalTTL, Logger: log, Registerer: reg,
	})
	if err != nil {
		ks.Close()
		return nil, fmt.Errorf("build authz server: %w", err)
	}
	return &edge{keys: ks, feed: feed, srv: srv, grpc: authz.NewGRPC(srv, in.authzTLS)}, nil
}

// localKeySource is where the edge reads the local issuer's keys.
func (in *instance) localKeySource() (keyset.Source, error) {
	if in.keys != nil {
		m := in.keys
		return keyset.FuncSource(func(context.Context) ([]byte, error) { return m.JWKS(), nil }), nil
	}
	client, err := jwksClient(in.cfg)
	if err != nil {
		return nil, err
	}
	src, err := keyset.NewHTTPSource(in.cfg.JWKSURL(), client)
	if err != nil {
		return nil, fmt.Errorf("authz.issuer_jwks_url: %w", err)
	}
	return src, nil
}

// jwksClient is the HTTPS client of JWKS fetches, trusting
// authz.issuer_ca_file when set.
func jwksClient(cfg *config.Config) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	if f := cfg.Authz.IssuerCAFile; f != "" {
		pem, err := os.ReadFile(f) //nolint:gosec // G304: a path of the operator's configuration.
		if err != nil {
			return nil, fmt.Errorf("authz.issuer_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("authz.issuer_ca_file: no PEM certificate in it")
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return &http.Client{Transport: tr, Timeout: cfg.Authz.JWKS.FetchTimeout}, nil
}

// loadAuthzTLS returns the TLS configuration of the ext_authz listener:
// authz.tls's certificate or, when none is set, the server's; client
// certificates required when authz.tls.client_ca_file is set. nil means
// plaintext.
func loadAuthzTLS(cfg *config.Config, server *tls.Config) (*tls.Config, error) {
	a := &cfg.Authz.TLS
	if a.Disabled {
		return nil, nil
	}
	t := server
	if a.CertFile != "" {
		var err error
		if t, err = tlsutil.Load(a.CertFile, a.KeyFile); err != nil {
			return nil, fmt.Errorf("authz.tls: %w", err)
		}
	}
	if t == nil {
		var err error
		if t, err = tlsutil.Load(cfg.Server.TLS.CertFile, cfg.Server.TLS.KeyFile); err != nil {
			return nil, fmt.Errorf("authz tls from server.tls: %w", err)
		}
	}
	t = t.Clone()
	t.NextProtos = nil // gRPC sets its own
	if a.ClientCAFile != "" {
		pem, err := os.ReadFile(a.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("authz.tls.client_ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, errors.New("authz.tls.client_ca_file: no PEM certificate in it")
		}
		t.ClientCAs, t.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return t, nil
}

// tasks are the edge's long-running parts: the gRPC server, its health,
// the key refresher, the revocation feed and, in the issuer's process,
// the watch on the issuer's keys.
func (e *edge) tasks(in *instance) []task {
	ts := []task{
		in.serveGRPC(e.grpc, in.ln.authz),
		e.grpc.Run,
		e.keys.Run,
		e.feed.Run,
	}
	if in.keys != nil {
		ts = append(ts, e.watchLocalKeys(in))
	}
	return ts
}

// watchLocalKeys refreshes the local key set whenever the issuer in this
// process publishes another JWKS (a rotation, a removal), instead of
// waiting for the next scheduled refresh.
func (e *edge) watchLocalKeys(in *instance) task {
	return func(ctx context.Context) error {
		t := time.NewTicker(keyWatchInterval)
		defer t.Stop()
		last := in.keys.JWKS()
		for {
			select {
			case <-ctx.Done():
				return nil
			case <-t.C:
			}
			if cur := in.keys.JWKS(); !bytes.Equal(cur, last) {
				last = cur
				if err := e.keys.Refresh(ctx, in.cfg.Issuer.URL); err != nil {
					in.log.WarnContext(ctx, "refresh local keys for authz", slog.Any("error", err))
				}
			}
		}
	}
}

// close releases the edge's caches once it has stopped.
func (e *edge) close() {
	e.srv.Close()
	e.keys.Close()
}

// serveGRPC returns the task that serves g on ln until ctx is done, then
// stops it gracefully within server.shutdown_timeout.
func (in *instance) serveGRPC(g *authz.GRPC, ln net.Listener) task {
	return func(ctx context.Context) error {
		errc := make(chan error, 1)
		go func() { errc <- g.Serve(ln) }()
		select {
		case err := <-errc:
			return fmt.Errorf("authz server: %w", err)
		case <-ctx.Done():
		}
		in.log.InfoContext(ctx, "shutting down", slog.String("server", "authz"))
		stopped := make(chan struct{})
		go func() {
			g.GracefulStop()
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-time.After(in.cfg.Server.ShutdownTimeout):
			g.Stop()
		}
		return nil
	}
}
