package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/agentidp/agentidp/internal/loadtest"
)

// baselineCommand is the hidden first argument that makes this binary the
// baseline server.
const baselineCommand = "baseline-server"

// baseline is a running baseline server child process.
type baseline struct {
	child  *loadtest.Child
	target target
}

// announcement is the line the child prints once it listens.
type announcement struct {
	URL     string `json:"url"`
	CertPEM string `json:"cert_pem"`
}

// startBaseline starts this binary as the baseline server and waits for it
// to announce its address and certificate.
func startBaseline(ctx context.Context, alg string) (*baseline, error) {
	child, line, err := loadtest.StartChild(ctx, baselineCommand, "--alg", alg)
	if err != nil {
		return nil, err
	}
	var a announcement
	err = json.Unmarshal(line, &a)
	roots := x509.NewCertPool()
	if err == nil && !roots.AppendCertsFromPEM([]byte(a.CertPEM)) {
		err = errors.New("baseline announced no certificate")
	}
	if err != nil {
		child.Stop()
		return nil, fmt.Errorf("read the baseline's announcement: %w", err)
	}
	return &baseline{child: child, target: target{
		tokenURL: a.URL, roots: roots, clientID: "baseline", clientSecret: "baseline",
	}}, nil
}

func (b *baseline) stop() {
	b.child.Stop()
}

// serveBaseline is the child: an HTTPS server whose token endpoint parses
// the form and signs a fixed set of claims, nothing else.
func serveBaseline(args []string, out io.Writer) error {
	fs := flag.NewFlagSet(baselineCommand, flag.ContinueOnError)
	alg := fs.String("alg", "ES256", "signing algorithm")
	if err := fs.Parse(args); err != nil {
		return err
	}
	loadtest.ExitWithParent(os.Stdin)
	signer, sigAlg, err := newSigner(*alg)
	if err != nil {
		return err
	}
	cert, certPEM, err := loadtest.SelfSigned("tokenload baseline")
	if err != nil {
		return err
	}

	var lc net.ListenConfig
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	a, _ := json.Marshal(announcement{
		URL: "https://" + ln.Addr().String() + "/oauth2/token", CertPEM: string(certPEM),
	})
	fmt.Fprintln(out, string(a))

	srv := &http.Server{
		Handler:           signOnly(signer, sigAlg),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 5 * time.Second,
	}
	return srv.ServeTLS(ln, "", "")
}

func signOnly(key crypto.Signer, alg jwa.SignatureAlgorithm) http.Handler {
	hdr := jws.NewHeaders()
	_ = hdr.Set(jws.TypeKey, "at+jwt")
	_ = hdr.Set(jws.KeyIDKey, "baseline")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		now := time.Now().Unix()
		jti := make([]byte, 16)
		_, _ = rand.Read(jti)
		claims, _ := json.Marshal(map[string]any{
			"iss": "https://baseline.invalid", "sub": "agt_baseline", "aud": "https://api.invalid",
			"exp": now + 600, "iat": now, "nbf": now, "client_id": "agt_baseline",
			"jti": base64.RawURLEncoding.EncodeToString(jti), "scope": "load:test",
			"org_id": "org_baseline", "agent_did": "did:web:baseline.invalid:agents:agt_baseline",
		})
		tok, err := jws.Sign(claims, jws.WithKey(alg, key, jws.WithProtectedHeaders(hdr)))
		if err != nil {
			http.Error(w, "sign", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"access_token": string(tok), "token_type": "Bearer", "expires_in": 600,
			"scope": "load:test",
		})
	})
}

func newSigner(alg string) (crypto.Signer, jwa.SignatureAlgorithm, error) {
	switch alg {
	case "ES256":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		return k, jwa.ES256, err
	case "EdDSA":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return k, jwa.EdDSA, err
	case "RS256":
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		return k, jwa.RS256, err
	}
	return nil, "", fmt.Errorf("--alg: %q is not ES256, EdDSA or RS256", alg)
}
