package keyset

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v2/jwa"
	"github.com/lestrrat-go/jwx/v2/jwk"
)

// Algorithms of the keys a Cache returns (RFC 7518 section 3.1, RFC 8037
// section 3.1). No other algorithm is ever accepted.
const (
	ES256 = "ES256"
	ES384 = "ES384"
	EdDSA = "EdDSA"
	RS256 = "RS256"
)

// Bounds on what a key set may hold.
const (
	// MinRSABits is the smallest RSA modulus accepted.
	MinRSABits = 2048
	// MaxRSABits is the largest RSA modulus accepted: verification cost
	// grows with the modulus, and no issuer needs more.
	MaxRSABits = 8192
	// MaxKIDLength bounds a kid, in bytes, both in a key set and when
	// asked for, so that made-up kids cannot fill memory.
	MaxKIDLength = 256
	// MaxKeys bounds the keys of one document; a larger one is refused.
	MaxKeys = 256
)

// Document errors of parseJWKS.
var (
	errNotJWKS = errors.New("not a JWK set")
	errNoKeys  = errors.New(`no "keys" array`)
)

// skippedKey is a key of a document that parseJWKS left out, and why.
type skippedKey struct {
	index  int    // position in the document's "keys" array
	kid    string // its kid as written, cut to MaxKIDLength; may be empty
	reason string // fixed text, safe to log
}

// privateMembers are the JWK members that carry private or symmetric key
// material (RFC 7518 sections 6.2.2, 6.3.2 and 6.4.1).
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// publicMembers are the other JWK members jwx reads (RFC 7517 section 4,
// RFC 7518 sections 6.2.1 and 6.3.1, RFC 8037 section 2).
var publicMembers = []string{"kty", "use", "key_ops", "alg", "kid", "x5u", "x5c", "x5t",
	"x5t#s256", "crv", "x", "y", "n", "e"}

// parseJWKS parses a JWK Set document strictly. It fails when doc is not a
// JSON object with a "keys" array of at most MaxKeys members; otherwise it
// returns the acceptable keys by kid, and the rest as skipped: keys of
// another type or curve, private or symmetric keys, keys not meant for
// signatures, keys whose alg does not match their type, small RSA keys,
// keys without a kid, and every key whose kid occurs more than once.
func parseJWKS(doc []byte) (map[string]Key, []skippedKey, error) {
	list, err := keyList(doc)
	if err != nil {
		return nil, nil, fmt.Errorf("decode jwks: %w", err)
	}

	type accepted struct {
		index int
		key   Key
	}
	var good []accepted
	var skipped []skippedKey
	uses := make(map[string]int, len(list)) // kid -> keys that carry it, refused ones too
	for i, raw := range list {
		kid, k, reason := parseKey(raw)
		if kid != "" {
			uses[kid]++
		}
		if reason != "" {
			skipped = append(skipped, skippedKey{index: i, kid: logKIDOf(kid), reason: reason})
			continue
		}
		good = append(good, accepted{index: i, key: k})
	}

	// A kid that names two keys names neither: which one signed a token
	// cannot be told, so both are left out.
	keys := make(map[string]Key, len(good))
	for _, a := range good {
		if uses[a.key.KID] > 1 {
			skipped = append(skipped, skippedKey{index: a.index, kid: a.key.KID,
				reason: "duplicate kid"})
			continue
		}
		keys[a.key.KID] = a.key
	}
	return keys, skipped, nil
}

// keyList returns the members of doc's "keys" array, at most MaxKeys.
func keyList(doc []byte) ([]json.RawMessage, error) {
	// Members are matched exactly, not case-folded as encoding/json
	// matches struct fields: {"KEYS": ...} is no key set.
	var members map[string]json.RawMessage
	if err := json.Unmarshal(doc, &members); err != nil {
		// Not err itself: a JSON error quotes the document, and a
		// document that is no key set may be anything (an error page).
		return nil, errNotJWKS
	}
	raw, ok := members["keys"]
	if !ok || string(raw) == "null" {
		return nil, errNoKeys
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errNoKeys
	}
	if len(list) > MaxKeys {
		return nil, fmt.Errorf("%d keys, more than %d", len(list), MaxKeys)
	}
	return list, nil
}

// logKIDOf cuts a kid to MaxKIDLength for logging.
func logKIDOf(kid string) string {
	if len(kid) > MaxKIDLength {
		return kid[:MaxKIDLength]
	}
	return kid
}

// parseKey checks one JWK and returns its kid as written ("" when it has
// none), and either the key or the reason it is refused.
func parseKey(raw []byte) (string, Key, string) {
	// 1. Refuse private and symmetric material before jwx sees it: a key
	//    that carries any is refused whole, not stripped to its public part.
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return "", Key{}, "not a JSON object"
	}
	var kid string
	if json.Unmarshal(members["kid"], &kid) != nil {
		kid = ""
	}
	for name := range members {
		// Case folded, as encoding/json (which jwx uses in part) matches
		// member names; a known name in another case is refused, so that
		// no two readers of the key can disagree on it.
		lower := strings.ToLower(name)
		if slices.Contains(privateMembers, lower) {
			return kid, Key{}, "private or symmetric key material"
		}
		if lower != name && slices.Contains(publicMembers, lower) {
			return kid, Key{}, "member name in the wrong case"
		}
	}
	k, reason := parsePublic(raw)
	if reason == "" && k.KID != kid {
		// jwx and encoding/json read the kid differently: take neither.
		return kid, Key{}, "ambiguous kid"
	}
	return kid, k, reason
}

// parsePublic parses a JWK that carries no private members.
func parsePublic(raw []byte) (Key, string) {
	// 2. Parse it and check what it may be used for.
	key, err := jwk.ParseKey(raw)
	if err != nil {
		return Key{}, "unparsable key"
	}
	if reason := checkUse(key); reason != "" {
		return Key{}, reason
	}
	kid := key.KeyID()
	if kid == "" {
		return Key{}, "no kid"
	}
	if len(kid) > MaxKIDLength {
		return Key{}, "kid too long"
	}

	// 3. The type decides the algorithm; a declared alg must agree.
	alg, pub, reason := publicKey(key)
	if reason != "" {
		return Key{}, reason
	}
	if _, ok := key.Get(jwk.AlgorithmKey); ok && key.Algorithm().String() != alg {
		return Key{}, "alg does not match the key type"
	}
	return Key{KID: kid, Alg: alg, Public: pub}, ""
}

// checkUse refuses keys that are not public signature keys by their "use"
// and "key_ops" members (RFC 7517 sections 4.2 and 4.3).
func checkUse(key jwk.Key) string {
	if _, ok := key.Get(jwk.KeyUsageKey); ok && key.KeyUsage() != string(jwk.ForSignature) {
		return "use is not sig"
	}
	if _, ok := key.Get(jwk.KeyOpsKey); ok && !slices.Contains(key.KeyOps(), jwk.KeyOpVerify) {
		return "key_ops lacks verify"
	}
	return ""
}

// publicKey returns the algorithm and standard library public key of a
// JWK, or the reason it is refused.
func publicKey(key jwk.Key) (string, crypto.PublicKey, string) {
	// The private key interfaces embed the public ones' methods, so they
	// are ruled out first.
	switch key.(type) {
	case jwk.ECDSAPrivateKey, jwk.OKPPrivateKey, jwk.RSAPrivateKey, jwk.SymmetricKey:
		return "", nil, "private or symmetric key material"
	}

	switch k := key.(type) {
	case jwk.ECDSAPublicKey:
		return ecPublicKey(k)
	case jwk.OKPPublicKey:
		return okpPublicKey(k)
	case jwk.RSAPublicKey:
		return rsaPublicKey(k)
	default:
		return "", nil, "key type not accepted"
	}
}

// ecPublicKey accepts P-256 and P-384 points that lie on their curve.
func ecPublicKey(k jwk.ECDSAPublicKey) (string, crypto.PublicKey, string) {
	var alg string
	var curve elliptic.Curve
	switch k.Crv() {
	case jwa.P256:
		alg, curve = ES256, elliptic.P256()
	case jwa.P384:
		alg, curve = ES384, elliptic.P384()
	default:
		return "", nil, "curve not accepted"
	}

	var pub ecdsa.PublicKey
	if err := k.Raw(&pub); err != nil || pub.Curve != curve {
		return "", nil, "unparsable key"
	}
	// Bytes fails on a point that is not on the curve; parsing the
	// encoding back gives a key no jwx value is shared with.
	point, err := pub.Bytes()
	if err != nil {
		return "", nil, "point not on the curve"
	}
	clean, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return "", nil, "point not on the curve"
	}
	return alg, clean, ""
}

// okpPublicKey accepts Ed25519 keys of the right size.
func okpPublicKey(k jwk.OKPPublicKey) (string, crypto.PublicKey, string) {
	if k.Crv() != jwa.Ed25519 {
		return "", nil, "curve not accepted"
	}
	x := k.X()
	if len(x) != ed25519.PublicKeySize {
		return "", nil, "wrong Ed25519 key size"
	}
	return EdDSA, ed25519.PublicKey(slices.Clone(x)), ""
}

// rsaPublicKey accepts RSA keys of MinRSABits to MaxRSABits with an odd
// public exponent of at least 3.
func rsaPublicKey(k jwk.RSAPublicKey) (string, crypto.PublicKey, string) {
	var pub rsa.PublicKey
	if err := k.Raw(&pub); err != nil || pub.N == nil {
		return "", nil, "unparsable key"
	}
	if bits := pub.N.BitLen(); bits < MinRSABits {
		return "", nil, "RSA key too small"
	} else if bits > MaxRSABits {
		return "", nil, "RSA key too large"
	}
	if pub.E < 3 || pub.E > 1<<31-1 || pub.E%2 == 0 {
		return "", nil, "bad RSA exponent"
	}
	return RS256, &rsa.PublicKey{N: pub.N, E: pub.E}, ""
}
