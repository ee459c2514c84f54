package oauth

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"
)

// minRSABits is the smallest RSA modulus accepted for verification.
const minRSABits = 2048

// jwsHeader is the part of a JWS protected header the server reads.
type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
	// Crit and B64 change how a JWS is processed (RFC 7515 section
	// 4.1.11, RFC 7797); the server supports neither, so their presence
	// refuses the JWS.
	Crit json.RawMessage `json:"crit"`
	B64  json.RawMessage `json:"b64"`
}

// compactJWS is a JWS in compact serialisation (RFC 7515 section 7.1),
// split and decoded but not verified.
type compactJWS struct {
	header       jwsHeader
	signingInput string
	payload      []byte
	signature    []byte
}

// parseCompactJWS splits and decodes a compact JWS.
func parseCompactJWS(raw string) (*compactJWS, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS")
	}
	var j compactJWS
	hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, errors.New("malformed JWS header encoding")
	}
	if j.payload, err = base64.RawURLEncoding.DecodeString(parts[1]); err != nil {
		return nil, errors.New("malformed JWS payload encoding")
	}
	if j.signature, err = base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		return nil, errors.New("malformed JWS signature encoding")
	}
	if err := decodeJSON(hdr, &j.header); err != nil {
		return nil, fmt.Errorf("JWS header: %w", err)
	}

	switch {
	case j.header.Alg == "":
		return nil, errors.New("JWS header has no alg")
	case j.header.Crit != nil || j.header.B64 != nil:
		return nil, errors.New("JWS header uses an unsupported extension")
	}
	j.signingInput = parts[0] + "." + parts[1]
	return &j, nil
}

// verify checks j's signature with key under alg, which the caller takes
// from the key, never from j's header alone.
func (j *compactJWS) verify(alg string, key any) error {
	if j.header.Alg != alg {
		return fmt.Errorf("JWS alg %q is not the key's %q", j.header.Alg, alg)
	}
	v, err := jws.NewVerifier(jwa.SignatureAlgorithm(alg))
	if err != nil {
		return fmt.Errorf("verify JWS: %w", err)
	}
	if err := v.Verify([]byte(j.signingInput), j.signature, key); err != nil {
		return errors.New("JWS signature does not verify")
	}
	return nil
}

// parsePublicKey reads a public JWK and returns its raw key, after checking
// that the key suits alg: the allow-list of a key is its own algorithm.
func parsePublicKey(raw []byte, alg string) (any, error) {
	key, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, errors.New("malformed JWK")
	}
	if private, err := jwk.IsPrivateKey(key); err != nil || private {
		return nil, errors.New("not a public key")
	}
	var pub any
	if err := key.Raw(&pub); err != nil {
		return nil, errors.New("malformed JWK")
	}
	if !suits(pub, alg) {
		return nil, fmt.Errorf("a %T does not suit %q", pub, alg)
	}
	return pub, nil
}

// suits reports whether pub is a key of the algorithm: the strict map from
// algorithm to key type and size that keeps "none", MACs and mismatched
// keys out.
func suits(pub any, alg string) bool {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		return (alg == "ES256" && k.Curve == elliptic.P256()) ||
			(alg == "ES384" && k.Curve == elliptic.P384())
	case ed25519.PublicKey:
		return alg == "EdDSA" && len(k) == ed25519.PublicKeySize
	case *rsa.PublicKey:
		return alg == "RS256" && k.N.BitLen() >= minRSABits
	}
	return false
}

// decodeJSON decodes a JSON object into v.
func decodeJSON(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return errors.New("not a JSON object")
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errors.New("malformed JSON")
	}
	return nil
}

// numericDate is a JWT NumericDate (RFC 7519 section 2): seconds since the
// epoch, possibly fractional.
type numericDate float64

// UnmarshalJSON accepts a finite JSON number.
func (d *numericDate) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil || math.IsInf(f, 0) || math.IsNaN(f) ||
		f < 0 || f > math.MaxInt32*4 {
		return errors.New("malformed NumericDate")
	}
	*d = numericDate(f)
	return nil
}

// time returns the date as a time.
func (d *numericDate) time() time.Time {
	sec, frac := math.Modf(float64(*d))
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// audience is a JWT "aud" (RFC 7519 section 4.1.3): one string or an
// array of them.
type audience []string

// UnmarshalJSON accepts a string or an array of strings.
func (a *audience) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*a = audience{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("malformed aud")
	}
	*a = many
	return nil
}

// MarshalJSON writes one audience as a string and several as an array.
func (a audience) MarshalJSON() ([]byte, error) {
	if len(a) == 1 {
		return json.Marshal(a[0])
	}
	return json.Marshal([]string(a))
}

// containsAny reports whether the audience names any of want.
func (a audience) containsAny(want ...string) bool {
	for _, w := range want {
		if slices.Contains(a, w) {
			return true
		}
	}
	return false
}
