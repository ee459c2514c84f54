package issuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Limits on registered public keys.
const (
	// MaxJWKBytes bounds the JSON of one submitted JWK.
	MaxJWKBytes = 16 << 10
	// MinRSABits and MaxRSABits bound RSA moduli: below 2048 bits is weak,
	// above 8192 makes every verification needlessly slow.
	MinRSABits = 2048
	MaxRSABits = 8192
)

// privateMembers are the JWK members that carry private or symmetric key
// material (RFC 7518 section 6); a public key registration never has them.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// PublicJWK is a checked public key ready to store.
type PublicJWK struct {
	// KID is the key's RFC 7638 SHA-256 thumbprint, base64url.
	KID string
	// Algorithm is the JWS algorithm the key is used with.
	Algorithm string
	// JSON is the key as stored and published: its public members plus
	// kid, alg and use; any other member of the input is dropped.
	JSON []byte
}

// ParsePublicJWK checks a submitted JWK and returns it in stored form. It
// accepts EC P-256 (ES256), EC P-384 (ES384), OKP Ed25519 (EdDSA) and RSA of
// MinRSABits to MaxRSABits (RS256) public keys, and refuses private and
// symmetric keys. A "kid" in the input is ignored: the kid is always the
// thumbprint. The error is a *ValidationError whose fields start with
// "jwk".
func ParsePublicJWK(raw []byte) (PublicJWK, error) {
	if err := checkJWKMembers(raw); err != nil {
		return PublicJWK{}, err
	}
	key, err := jwk.ParseKey(raw)
	if err != nil {
		return PublicJWK{}, invalid("jwk", "is not a valid JSON Web Key")
	}
	if private, err := jwk.IsPrivateKey(key); err != nil || private {
		return PublicJWK{}, invalid("jwk", "must be an asymmetric public key")
	}

	pub, alg, err := publicKeyOf(key)
	if err != nil {
		return PublicJWK{}, err
	}
	if err := checkJWKUse(key, alg); err != nil {
		return PublicJWK{}, err
	}
	return normalizeJWK(pub, alg)
}

// checkJWKMembers refuses input that is not a JSON object, is too large, or
// carries private or symmetric key members.
func checkJWKMembers(raw []byte) error {
	if len(raw) > MaxJWKBytes {
		return invalid("jwk", "must be at most %d bytes", MaxJWKBytes)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return invalid("jwk", "must be a JSON object")
	}

	for _, m := range privateMembers {
		if _, ok := members[m]; ok {
			return invalid("jwk."+m, "private or symmetric key material is not accepted")
		}
	}
	var kty string
	if err := json.Unmarshal(members["kty"], &kty); err != nil {
		return invalid("jwk.kty", "is required")
	}
	switch jwa.KeyType(kty) {
	case jwa.EC, jwa.OKP, jwa.RSA:
		return nil
	}
	return invalid("jwk.kty", "must be EC, OKP or RSA")
}

// publicKeyOf returns the raw public key of key and the algorithm it is
// used with.
func publicKeyOf(key jwk.Key) (crypto.PublicKey, jwa.SignatureAlgorithm, error) {
	switch k := key.(type) {
	case jwk.ECDSAPublicKey:
		return ecPublicKey(k)
	case jwk.OKPPublicKey:
		return okpPublicKey(k)
	case jwk.RSAPublicKey:
		return rsaPublicKey(k)
	}
	return nil, "", invalid("jwk.kty", "must be EC, OKP or RSA")
}

// ecPublicKey checks an EC key's curve and point.
func ecPublicKey(k jwk.ECDSAPublicKey) (crypto.PublicKey, jwa.SignatureAlgorithm, error) {
	var alg jwa.SignatureAlgorithm
	switch k.Crv() {
	case jwa.P256:
		alg = jwa.ES256
	case jwa.P384:
		alg = jwa.ES384
	default:
		return nil, "", invalid("jwk.crv", "must be P-256 or P-384")
	}

	var pub ecdsa.PublicKey
	if err := k.Raw(&pub); err != nil {
		return nil, "", invalid("jwk", "is not a valid EC public key")
	}
	// ECDH refuses a point that is not on the curve, the infinity point
	// included.
	if _, err := pub.ECDH(); err != nil {
		return nil, "", invalid("jwk", "is not a point on curve %s", k.Crv())
	}
	return &pub, alg, nil
}

// okpPublicKey checks an OKP key's curve.
func okpPublicKey(k jwk.OKPPublicKey) (crypto.PublicKey, jwa.SignatureAlgorithm, error) {
	if k.Crv() != jwa.Ed25519 {
		return nil, "", invalid("jwk.crv", "must be Ed25519")
	}
	var raw any
	if err := k.Raw(&raw); err != nil {
		return nil, "", invalid("jwk", "is not a valid Ed25519 public key")
	}
	pub, ok := raw.(ed25519.PublicKey)
	if !ok || len(pub) != ed25519.PublicKeySize {
		return nil, "", invalid("jwk", "is not a valid Ed25519 public key")
	}
	return pub, jwa.EdDSA, nil
}

// rsaPublicKey checks an RSA key's size and exponent.
func rsaPublicKey(k jwk.RSAPublicKey) (crypto.PublicKey, jwa.SignatureAlgorithm, error) {
	var pub rsa.PublicKey
	if err := k.Raw(&pub); err != nil || pub.N == nil {
		return nil, "", invalid("jwk", "is not a valid RSA public key")
	}
	if bits := pub.N.BitLen(); bits < MinRSABits || bits > MaxRSABits {
		return nil, "", invalid("jwk.n", "must be %d to %d bits", MinRSABits, MaxRSABits)
	}
	if pub.E < 3 || pub.E%2 == 0 {
		return nil, "", invalid("jwk.e", "must be an odd exponent of at least 3")
	}
	return &pub, jwa.RS256, nil
}

// checkJWKUse refuses an "alg" other than the key's algorithm and a "use"
// or "key_ops" that is not signature verification.
func checkJWKUse(key jwk.Key, alg jwa.SignatureAlgorithm) error {
	if a := key.Algorithm(); a != nil && a.String() != "" && a.String() != alg.String() {
		return invalid("jwk.alg", "must be %s for this key", alg)
	}
	if u := key.KeyUsage(); u != "" && u != jwk.ForSignature.String() {
		return invalid("jwk.use", "must be sig")
	}
	for _, op := range key.KeyOps() {
		if op != jwk.KeyOpVerify {
			return invalid("jwk.key_ops", "may only contain verify")
		}
	}
	return nil
}

// normalizeJWK builds the stored form of a checked public key.
func normalizeJWK(pub crypto.PublicKey, alg jwa.SignatureAlgorithm) (PublicJWK, error) {
	key, err := jwk.FromRaw(pub)
	if err != nil {
		return PublicJWK{}, fmt.Errorf("build jwk: %w", err)
	}
	sum, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		return PublicJWK{}, fmt.Errorf("compute jwk thumbprint: %w", err)
	}
	kid := base64.RawURLEncoding.EncodeToString(sum)

	for name, v := range map[string]any{
		jwk.KeyIDKey: kid, jwk.AlgorithmKey: alg, jwk.KeyUsageKey: jwk.ForSignature,
	} {
		if err := key.Set(name, v); err != nil {
			return PublicJWK{}, fmt.Errorf("set jwk %s: %w", name, err)
		}
	}
	out, err := json.Marshal(key)
	if err != nil {
		return PublicJWK{}, fmt.Errorf("encode jwk: %w", err)
	}
	return PublicJWK{KID: kid, Algorithm: alg.String(), JSON: out}, nil
}

// ValidKID reports whether s has the form of a kid this service assigns:
// a base64url SHA-256 thumbprint.
func ValidKID(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(crypto.SHA256.Size()) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}
