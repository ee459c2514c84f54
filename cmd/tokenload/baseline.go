package main

import (
	"bufio"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// baselineCommand is the hidden first argument that makes this binary the
// baseline server.
const baselineCommand = "baseline-server"

// baseline is a running baseline server child process.
type baseline struct {
	cmd    *exec.Cmd
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
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	//nolint:gosec // G204: runs this same binary; alg is checked again by the child.
	cmd := exec.CommandContext(ctx, self, baselineCommand, "--alg", alg)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}

	var a announcement
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &a)
	}
	roots := x509.NewCertPool()
	if err == nil && !roots.AppendCertsFromPEM([]byte(a.CertPEM)) {
		err = errors.New("baseline announced no certificate")
	}
	b := &baseline{cmd: cmd, target: target{
		tokenURL: a.URL, roots: roots, clientID: "baseline", clientSecret: "baseline",
	}}
	if err != nil {
		b.stop()
		return nil, fmt.Errorf("read the baseline's announcement: %w", err)
	}
	return b, nil
}

func (b *baseline) stop() {
	_ = b.cmd.Process.Kill()
	_ = b.cmd.Wait()
}

// serveBaseline is the child: an HTTPS server whose token endpoint parses
// the form and signs a fixed set of claims, nothing else.
func serveBaseline(args []string, out io.Writer) error {
	fs := flag.NewFlagSet(baselineCommand, flag.ContinueOnError)
	alg := fs.String("alg", "ES256", "signing algorithm")
	if err := fs.Parse(args); err != nil {
		return err
	}
	signer, sigAlg, err := newSigner(*alg)
	if err != nil {
		return err
	}
	cert, certPEM, err := selfSigned()
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

func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "tokenload baseline"},
		NotBefore:    time.Now().Add(-time.Minute),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, certPEM, nil
}
