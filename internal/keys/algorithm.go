package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// JWS algorithms a deployment may sign with.
const (
	ES256 = "ES256" // ECDSA P-256 with SHA-256, RFC 7518 section 3.4
	EdDSA = "EdDSA" // Ed25519, RFC 8037 section 3.1
	RS256 = "RS256" // RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 section 3.3
)

// RSA key sizes, in bits.
const (
	MinRSABits     = 2048
	DefaultRSABits = 2048
	// MaxRSABits keeps a typing mistake from stalling key generation for
	// minutes.
	MaxRSABits = 16384
)

// supported reports whether alg is an algorithm keys generates.
func supported(alg string) bool {
	return alg == ES256 || alg == EdDSA || alg == RS256
}

// generate makes a new private key for alg.
func generate(alg string, rsaBits int) (crypto.Signer, error) {
	switch alg {
	case ES256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case EdDSA:
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		return priv, err
	case RS256:
		return rsa.GenerateKey(rand.Reader, rsaBits)
	default:
		return nil, fmt.Errorf("generate key: unsupported algorithm %q", alg)
	}
}

// checkKey reports a private key that does not suit alg.
func checkKey(alg string, priv crypto.Signer) error {
	ok := false
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		ok = alg == ES256 && k.Curve == elliptic.P256()
	case ed25519.PrivateKey:
		ok = alg == EdDSA
	case *rsa.PrivateKey:
		ok = alg == RS256 && k.N.BitLen() >= MinRSABits
	}
	if !ok {
		return fmt.Errorf("a %T does not suit %q", priv, alg)
	}
	return nil
}

// parsePrivate reads a PKCS #8 private key and checks that it suits alg.
func parsePrivate(alg string, der []byte) (crypto.Signer, error) {
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	priv, ok := parsed.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("parse private key: a %T cannot sign", parsed)
	}
	if err := checkKey(alg, priv); err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	return priv, nil
}

// publicJWK returns the public JWK of pub for alg as JSON, with its kid:
// the RFC 7638 SHA-256 thumbprint of the key, base64url. The kid therefore
// names the key itself, and no two keys share one.
func publicJWK(alg string, pub crypto.PublicKey) (kid string, js []byte, err error) {
	key, err := jwk.FromRaw(pub)
	if err != nil {
		return "", nil, fmt.Errorf("public jwk: %w", err)
	}
	kid, err = thumbprint(key)
	if err != nil {
		return "", nil, err
	}

	for name, v := range map[string]any{
		jwk.KeyIDKey:     kid,
		jwk.AlgorithmKey: jwa.SignatureAlgorithm(alg),
		jwk.KeyUsageKey:  jwk.ForSignature,
	} {
		if err := key.Set(name, v); err != nil {
			return "", nil, fmt.Errorf("public jwk: set %q: %w", name, err)
		}
	}
	js, err = json.Marshal(key)
	if err != nil {
		return "", nil, fmt.Errorf("public jwk: %w", err)
	}
	return kid, js, nil
}

// thumbprint returns the RFC 7638 SHA-256 thumbprint of key, base64url.
func thumbprint(key jwk.Key) (string, error) {
	sum, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return "", fmt.Errorf("jwk thumbprint: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(sum), nil
}

// keyAAD is the additional data a signing key is sealed with: its kid and
// algorithm, each behind its length, so that the sealed key opens for its
// own row only.
func keyAAD(kid, alg string) []byte {
	const label = "agentidp signing key v1"
	b := make([]byte, 0, len(label)+8+len(kid)+len(alg))
	b = append(b, label...)
	for _, f := range []string{kid, alg} {
		//nolint:gosec // G115: a length is never negative; a kid or an algorithm is short.
		b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
		b = append(b, f...)
	}
	return b
}
