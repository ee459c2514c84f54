package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"google.golang.org/genproto/googleapis/rpc/code"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/agentidp/agentidp/internal/loadtest"
)

// noopCommand is the hidden first argument that makes this binary the
// no-op ext_authz server.
const noopCommand = "serve-noop"

// announcement is the line the no-op server prints once it listens.
type announcement struct {
	Addr    string `json:"addr"`
	CertPEM string `json:"cert_pem"`
}

// serveNoop is the child: it listens on --addr, prints its address and
// certificate as one JSON line on out, and serves until stdin closes.
func serveNoop(args []string, stdin io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet(noopCommand, flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	loadtest.ExitWithParent(stdin)

	cert, certPEM, err := loadtest.SelfSigned("authzload no-op")
	if err != nil {
		return err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	a, err := json.Marshal(announcement{Addr: ln.Addr().String(), CertPEM: string(certPEM)})
	if err != nil {
		return fmt.Errorf("encode the announcement: %w", err)
	}
	fmt.Fprintln(out, string(a))
	return newNoopServer(cert).Serve(ln)
}

// newNoopServer returns a gRPC server with default options and TLS with
// cert, whose Authorization service allows every request.
func newNoopServer(cert tls.Certificate) *grpc.Server {
	creds := credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
	})
	s := grpc.NewServer(grpc.Creds(creds))
	authv3.RegisterAuthorizationServer(s, &noop{resp: okResponse()})
	return s
}

// noop answers every Check with the same response, built once.
type noop struct {
	authv3.UnimplementedAuthorizationServer
	resp *authv3.CheckResponse
}

// Check returns the fixed OK response; it never reads the request.
func (n *noop) Check(context.Context, *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	return n.resp, nil
}

// okResponse is an allow shaped like the real service's: the five
// identity headers set, overwriting what the client sent.
func okResponse() *authv3.CheckResponse {
	set := func(k, v string) *corev3.HeaderValueOption {
		return &corev3.HeaderValueOption{
			Header:       &corev3.HeaderValue{Key: k, Value: v},
			AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
		}
	}
	return &authv3.CheckResponse{
		Status: &rpcstatus.Status{Code: int32(code.Code_OK)},
		HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{
			Headers: []*corev3.HeaderValueOption{
				set("x-agent-id", "agt_noop"),
				set("x-agent-org", "org_noop"),
				set("x-agent-did", "did:web:noop.invalid:agents:agt_noop"),
				set("x-agent-scopes", "invoices:read invoices:write"),
				set("x-agent-issuer", "https://noop.invalid"),
			},
		}},
	}
}

// baseline is the running no-op server child and the address it took.
type baseline struct {
	child *loadtest.Child
	addr  string
	roots *x509.CertPool
}

// startBaseline starts this binary as the no-op server and reads its
// announcement.
func startBaseline(ctx context.Context) (*baseline, error) {
	child, line, err := loadtest.StartChild(ctx, noopCommand, "--addr", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var a announcement
	err = json.Unmarshal(line, &a)
	roots := x509.NewCertPool()
	if err == nil && (a.Addr == "" || !roots.AppendCertsFromPEM([]byte(a.CertPEM))) {
		err = errors.New("no address or certificate")
	}
	if err != nil {
		child.Stop()
		return nil, fmt.Errorf("read the no-op server's announcement: %w", err)
	}
	return &baseline{child: child, addr: a.Addr, roots: roots}, nil
}

func (b *baseline) stop() {
	b.child.Stop()
}
