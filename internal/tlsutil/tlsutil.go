package tlsutil

import (
	"crypto/tls"
	"fmt"
)

// ServerConfig returns a server configuration that presents cert and
// accepts TLS 1.2 and later.
func ServerConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{cert},
	}
}

// Load reads a PEM certificate chain (leaf first) and its private key and
// returns a server configuration presenting them.
//
// TODO: reload the pair when the files change, so that a renewed
// certificate takes effect without a restart; until then operators restart
// the process after renewing.
func Load(certFile, keyFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("load certificate %q and key %q: %w", certFile, keyFile, err)
	}
	return ServerConfig(cert), nil
}
