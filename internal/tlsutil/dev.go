package tlsutil

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Lifetimes of the development certificates.
const (
	CALifetime     = 10 * 365 * 24 * time.Hour
	ServerLifetime = 365 * 24 * time.Hour
	// RenewBefore is how long before expiry a certificate is replaced.
	RenewBefore = 30 * 24 * time.Hour
	// backdate absorbs small clock differences between processes.
	backdate = time.Hour
)

// DevNames are the names the development server certificate covers.
var DevNames = []string{"localhost", "127.0.0.1", "::1"}

// DevFiles are the paths of the development CA and server certificate.
type DevFiles struct {
	CACert string // ca.pem: what clients trust
	CAKey  string // ca-key.pem
	Cert   string // server.pem
	Key    string // server-key.pem
}

// DevPaths returns the file paths EnsureDev uses inside dir.
func DevPaths(dir string) DevFiles {
	return DevFiles{
		CACert: filepath.Join(dir, "ca.pem"),
		CAKey:  filepath.Join(dir, "ca-key.pem"),
		Cert:   filepath.Join(dir, "server.pem"),
		Key:    filepath.Join(dir, "server-key.pem"),
	}
}

// EnsureDev makes sure dir holds a development CA (ECDSA P-256, valid ten
// years) and a server certificate it signed for DevNames (valid one year),
// creating or renewing what is missing, unusable or within RenewBefore of
// expiry at now. A CA that is still good is kept, so clients that trust it
// keep working across restarts. It returns a server configuration and the
// absolute path of the CA certificate.
//
// EnsureDev is not safe for concurrent use on the same dir.
func EnsureDev(dir string, now time.Time) (*tls.Config, string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", fmt.Errorf("resolve tls directory: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, "", fmt.Errorf("create tls directory: %w", err)
	}
	files := DevPaths(dir)

	ca, caKey, err := loadCA(files)
	if err != nil || !fresh(ca, now) {
		ca, caKey, err = createCA(files, now)
		if err != nil {
			return nil, "", err
		}
	}

	cert, err := tls.LoadX509KeyPair(files.Cert, files.Key)
	if err != nil || !servesDev(cert, ca, now) {
		if err := createServer(files, ca, caKey, now); err != nil {
			return nil, "", err
		}
		if cert, err = tls.LoadX509KeyPair(files.Cert, files.Key); err != nil {
			return nil, "", fmt.Errorf("load new server certificate: %w", err)
		}
	}
	return ServerConfig(cert), files.CACert, nil
}

// fresh reports whether c is valid at now and stays so for RenewBefore.
func fresh(c *x509.Certificate, now time.Time) bool {
	return !now.Before(c.NotBefore) && now.Add(RenewBefore).Before(c.NotAfter)
}

func loadCA(files DevFiles) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	pair, err := tls.LoadX509KeyPair(files.CACert, files.CAKey)
	if err != nil {
		return nil, nil, err
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok || !pair.Leaf.IsCA {
		return nil, nil, errors.New("not an ECDSA certificate authority")
	}
	return pair.Leaf, key, nil
}

// servesDev reports whether cert is signed by ca, covers DevNames and is
// fresh at now.
func servesDev(cert tls.Certificate, ca *x509.Certificate, now time.Time) bool {
	leaf := cert.Leaf
	if leaf == nil || !fresh(leaf, now) || leaf.CheckSignatureFrom(ca) != nil {
		return false
	}
	for _, name := range DevNames {
		if leaf.VerifyHostname(name) != nil {
			return false
		}
	}
	return true
}

func createCA(files DevFiles, now time.Time) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generate CA key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			Organization: []string{"AgentIdP development"},
			CommonName:   "AgentIdP development CA " + serial.Text(16)[:8],
		},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(CALifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          keyID(&key.PublicKey),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create CA certificate: %w", err)
	}
	if err := writePair(files.CACert, files.CAKey, der, key); err != nil {
		return nil, nil, err
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	return ca, key, nil
}

func createServer(files DevFiles, ca *x509.Certificate, caKey *ecdsa.PrivateKey,
	now time.Time,
) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generate server key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return err
	}
	notAfter := now.Add(ServerLifetime)
	if notAfter.After(ca.NotAfter) {
		notAfter = ca.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{Organization: []string{"AgentIdP development"}, CommonName: "localhost"},
		NotBefore:    now.Add(-backdate),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("create server certificate: %w", err)
	}
	return writePair(files.Cert, files.Key, der, key)
}

func newSerial() (*big.Int, error) {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, fmt.Errorf("generate serial number: %w", err)
	}
	return serial.Add(serial, big.NewInt(1<<32)), nil // never short
}

func keyID(pub crypto.PublicKey) []byte {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(der)
	return sum[:20]
}

// writePair writes the key first, so that a certificate on disk always has
// its key beside it; each file is replaced atomically.
func writePair(certPath, keyPath string, der []byte, key *ecdsa.PrivateKey) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encode private key: %w", err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := writeAtomic(keyPath, keyPEM, 0o600); err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return writeAtomic(certPath, certPEM, 0o644)
}

// writeAtomic replaces path with data through a temporary file in the same
// directory, created with mode perm from the start.
func writeAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	tmp := f.Name()
	defer func() { _ = os.Remove(tmp) }() // a no-op once renamed

	if err := f.Chmod(perm); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %q: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	return nil
}

// PoolFromFile returns a certificate pool holding the PEM certificates in
// path, e.g. the development CA for a client.
func PoolFromFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path) //nolint:gosec // G304: the caller names the file.
	if err != nil {
		return nil, fmt.Errorf("read CA certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(bytes.TrimSpace(data)) {
		return nil, fmt.Errorf("no certificate in %q", path)
	}
	return pool, nil
}
