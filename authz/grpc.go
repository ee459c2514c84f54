package authz

import (
	"context"
	"crypto/tls"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/reflection"
)

// Limits of the gRPC listener.
const (
	// MaxRequestBytes bounds a CheckRequest: room for a request's headers
	// and a token far over MaxTokenBytes, which is then refused with an
	// answer rather than a transport error.
	MaxRequestBytes = 4 << 20
	// maxStreams is how many Checks one proxy connection may have in
	// flight; Envoy multiplexes every request of a worker on one.
	maxStreams = 1024
	// handshakeTimeout bounds a connection's TLS handshake.
	handshakeTimeout = 10 * time.Second
)

// healthInterval is how often Run publishes the server's readiness.
const healthInterval = 250 * time.Millisecond

// ServiceName is the gRPC service name of Check, also the name under
// which its health is reported.
const ServiceName = "envoy.service.auth.v3.Authorization"

// GRPC is the gRPC side of a Server: the grpc.Server with Check, health
// checking and reflection registered.
type GRPC struct {
	*grpc.Server
	health *health.Server
	authz  *Server
}

// NewGRPC builds the gRPC server of s. tlsCfg nil serves plaintext, which
// the configuration allows on loopback only; a tlsCfg that requires
// client certificates authenticates the calling proxy.
func NewGRPC(s *Server, tlsCfg *tls.Config) *GRPC {
	creds := insecure.NewCredentials()
	if tlsCfg != nil {
		creds = credentials.NewTLS(tlsCfg)
	}
	g := grpc.NewServer(
		grpc.Creds(creds),
		grpc.MaxRecvMsgSize(MaxRequestBytes),
		grpc.MaxConcurrentStreams(maxStreams),
		grpc.ConnectionTimeout(handshakeTimeout),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime: 10 * time.Second, PermitWithoutStream: true,
		}),
	)
	authv3.RegisterAuthorizationServer(g, s)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	hs.SetServingStatus(ServiceName, healthpb.HealthCheckResponse_NOT_SERVING)
	healthpb.RegisterHealthServer(g, hs)
	reflection.Register(g)
	return &GRPC{Server: g, health: hs, authz: s}
}

// Run reports the server SERVING on gRPC health checks while it is ready
// to decide, until ctx ends; then it reports NOT_SERVING for good, so
// that proxies move away before the listener closes.
func (g *GRPC) Run(ctx context.Context) error {
	t := time.NewTicker(healthInterval)
	defer t.Stop()
	for {
		st := healthpb.HealthCheckResponse_NOT_SERVING
		if g.authz.Ready() {
			st = healthpb.HealthCheckResponse_SERVING
		}
		g.health.SetServingStatus("", st)
		g.health.SetServingStatus(ServiceName, st)
		select {
		case <-ctx.Done():
			g.health.Shutdown()
			return nil
		case <-t.C:
		}
	}
}
