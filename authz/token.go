package authz

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strings"
	"unsafe"
)

// JWS algorithms the edge verifies (RFC 7518 section 3.1, RFC 8037). The
// list is closed: "none", every MAC algorithm and everything else is
// refused before a key is looked up.
const (
	algES256 = "ES256"
	algES384 = "ES384"
	algEdDSA = "EdDSA"
	algRS256 = "RS256"
)

// minRSABits is the smallest RSA modulus a signature is checked with.
const minRSABits = 2048

// Values of the JWS "typ" header of an access token (RFC 9068 section
// 2.1, RFC 7515 section 4.1.9).
const (
	typAccessToken      = "at+jwt"
	typAccessTokenMedia = "application/at+jwt"
)

// b64 decodes the parts of a compact JWS: base64url without padding, and
// strict, so that no two encodings of the same bytes both verify and a
// token has exactly one form.
var b64 = base64.RawURLEncoding.Strict()

// errMalformed is why a token that is not a usable compact JWS is refused.
var errMalformed = errors.New("malformed token")

// jwsHeader is the part of a JWS protected header the edge reads.
type jwsHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
	// Extended is set by crit or b64, which change how a JWS is
	// processed (RFC 7515 section 4.1.11, RFC 7797); the edge supports
	// neither, so their presence refuses the token.
	Extended bool            `json:"-"`
	Crit     json.RawMessage `json:"crit"`
	B64      json.RawMessage `json:"b64"`
}

// tokenClaims are the claims of an access token (RFC 9068 section 2.2)
// that the edge reads, plus the organisation and the agent's DID.
type tokenClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  audience `json:"aud"`
	ExpiresAt float64  `json:"exp"`
	NotBefore float64  `json:"nbf"`
	IssuedAt  float64  `json:"iat"`
	JTI       string   `json:"jti"`
	ClientID  string   `json:"client_id"`
	Scope     string   `json:"scope"`
	OrgID     string   `json:"org_id"`
	AgentDID  string   `json:"agent_did"`
}

// jws is a compact JWS split and decoded, not yet verified.
type jws struct {
	header jwsHeader
	claims tokenClaims
	// signingInput is the token up to its second dot, a substring of it.
	signingInput string
	signature    []byte
}

// parseJWS splits and decodes a compact JWS (RFC 7515 section 7.1) whose
// payload is a JSON object of claims. It checks the form only; the
// signature is verify's.
func parseJWS(raw string) (*jws, error) {
	dot1 := strings.IndexByte(raw, '.')
	if dot1 < 0 {
		return nil, errMalformed
	}
	dot2 := dot1 + 1 + strings.IndexByte(raw[dot1+1:], '.')
	if dot2 <= dot1 || strings.IndexByte(raw[dot2+1:], '.') >= 0 {
		return nil, errMalformed
	}

	// One buffer for the three decoded parts: each is shorter than its
	// encoding.
	buf := make([]byte, 0, len(raw))
	hdr, buf, err := decodePart(raw[:dot1], buf)
	if err != nil {
		return nil, err
	}
	payload, buf, err := decodePart(raw[dot1+1:dot2], buf)
	if err != nil {
		return nil, err
	}
	sig, _, err := decodePart(raw[dot2+1:], buf)
	if err != nil {
		return nil, err
	}

	j := &jws{signingInput: raw[:dot2], signature: sig}
	if !parseHeader(hdr, &j.header) || j.header.Extended {
		return nil, errMalformed
	}
	if !parseClaims(payload, &j.claims) {
		return nil, errMalformed
	}
	return j, nil
}

// decodePart appends the base64url decoding (no padding) of s to buf and
// returns the decoded bytes and the grown buffer.
func decodePart(s string, buf []byte) (part, grown []byte, err error) {
	start := len(buf)
	need := b64.DecodedLen(len(s))
	if cap(buf)-start < need {
		return nil, buf, errMalformed
	}
	n, err := b64.Decode(buf[start:start+need], bytesOf(s))
	if err != nil {
		return nil, buf, errMalformed
	}
	return buf[start : start+n], buf[:start+n], nil
}

// isAccessTokenType accepts at+jwt and its media type, in any case.
func isAccessTokenType(typ string) bool {
	return strings.EqualFold(typ, typAccessToken) || strings.EqualFold(typ, typAccessTokenMedia)
}

// supportedAlg reports whether alg is on the edge's list.
func supportedAlg(alg string) bool {
	switch alg {
	case algES256, algES384, algEdDSA, algRS256:
		return true
	}
	return false
}

// verifySignature checks sig over input with pub under alg. The caller
// takes alg from the key, never from the token alone, so an RSA key can
// never be used as a MAC secret or with another curve's rules.
func verifySignature(alg string, pub crypto.PublicKey, input string, sig []byte) bool {
	switch alg {
	case algES256:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || k.Curve != elliptic.P256() || len(sig) != 64 {
			return false
		}
		h := sha256.Sum256(bytesOf(input))
		return verifyECDSA(k, h[:], sig)
	case algES384:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok || k.Curve != elliptic.P384() || len(sig) != 96 {
			return false
		}
		h := sha512.Sum384(bytesOf(input))
		return verifyECDSA(k, h[:], sig)
	case algEdDSA:
		k, ok := pub.(ed25519.PublicKey)
		return ok && len(k) == ed25519.PublicKeySize && ed25519.Verify(k, bytesOf(input), sig)
	case algRS256:
		k, ok := pub.(*rsa.PublicKey)
		if !ok || k.N.BitLen() < minRSABits {
			return false
		}
		h := sha256.Sum256(bytesOf(input))
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig) == nil
	}
	return false
}

// verifyECDSA checks a JWS ECDSA signature: R and S as fixed-size
// big-endian integers, one after the other (RFC 7518 section 3.4).
func verifyECDSA(k *ecdsa.PublicKey, hash, sig []byte) bool {
	half := len(sig) / 2
	r := new(big.Int).SetBytes(sig[:half])
	s := new(big.Int).SetBytes(sig[half:])
	return ecdsa.Verify(k, hash, r, s)
}

// bytesOf returns the bytes of s without copying them. The result is
// only ever read: by a hash, a decoder or a signature check.
func bytesOf(s string) []byte {
	//nolint:gosec // G103: a read-only view; no caller writes to it or keeps it.
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// audience is a JWT "aud" (RFC 7519 section 4.1.3): one string or an
// array of them.
type audience []string

// contains reports whether the audience names want.
func (a audience) contains(want string) bool {
	for _, v := range a {
		if v == want {
			return true
		}
	}
	return false
}

// validDate reports whether a NumericDate (RFC 7519 section 2) is a
// finite, non-negative number of seconds that fits the edge's arithmetic.
func validDate(d float64) bool {
	return !math.IsNaN(d) && !math.IsInf(d, 0) && d >= 0 && d < 1<<40
}
