package loadtest

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
)

// maxBootstrapSize bounds how much of bootstrap.json is read.
const maxBootstrapSize = 1 << 20

// Bootstrap holds the fields of an instance's bootstrap.json that the load
// tools read. AdminAPIKey is a super-admin secret: never print it.
type Bootstrap struct {
	IssuerURL   string `json:"issuer_url"`
	AdminAPIKey string `json:"admin_api_key"`
	CACert      string `json:"ca_cert"`
	AuthzAddr   string `json:"authz_addr"`
	MetricsAddr string `json:"metrics_addr"`
}

// ReadBootstrap reads and decodes the bootstrap file at path. It checks
// that the fields every tool needs (issuer_url, admin_api_key, ca_cert) are
// there; authz_addr and metrics_addr may be empty.
func ReadBootstrap(path string) (Bootstrap, error) {
	raw, err := readBounded(path, maxBootstrapSize)
	if err != nil {
		return Bootstrap{}, fmt.Errorf("read bootstrap file: %w", err)
	}
	var b Bootstrap
	if err := json.Unmarshal(raw, &b); err != nil {
		return Bootstrap{}, fmt.Errorf("decode %s: %w", path, err)
	}
	switch {
	case b.IssuerURL == "":
		return Bootstrap{}, fmt.Errorf("%s has no issuer_url", path)
	case b.AdminAPIKey == "":
		return Bootstrap{}, fmt.Errorf("%s has no admin_api_key", path)
	case b.CACert == "":
		return Bootstrap{}, fmt.Errorf("%s has no ca_cert", path)
	}
	return b, nil
}

// Roots reads the CA certificate the bootstrap file names and returns a
// pool holding it, for clients of the instance's TLS listeners.
func (b Bootstrap) Roots() (*x509.CertPool, error) {
	pem, err := readBounded(b.CACert, maxBootstrapSize)
	if err != nil {
		return nil, fmt.Errorf("read ca_cert: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, errors.New("ca_cert holds no PEM certificate")
	}
	return roots, nil
}
