package rest

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"sync"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// testJWKs returns JWKs of every kind the key tests need, by name, built
// once per test binary.
var testJWKs = sync.OnceValue(func() map[string]map[string]any {
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	ed, _, _ := ed25519.GenerateKey(rand.Reader)
	x, _ := ecdh.X25519().GenerateKey(rand.Reader)
	small, _ := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // G403: a weak key to refuse

	out := map[string]map[string]any{
		"ed25519":   jwkMap(ed),
		"ecPrivate": jwkMap(ec),
		"p521":      jwkMap(&p521.PublicKey),
		"rsa1024":   jwkMap(&small.PublicKey),
		"x25519":    {"kty": "OKP", "crv": "X25519", "x": b64(x.PublicKey().Bytes())},
	}
	out["ecWrongAlg"] = with(jwkMap(&ec.PublicKey), "alg", "ES384")
	out["ecEnc"] = with(jwkMap(&ec.PublicKey), "use", "enc")
	off := jwkMap(&ec.PublicKey)
	out["ecOffCurve"] = with(off, "y", off["x"])
	return out
})

// jwkMap returns the JWK of a raw key as a JSON object.
func jwkMap(raw any) map[string]any {
	key, err := jwk.FromRaw(raw)
	if err != nil {
		panic(err)
	}
	data, err := json.Marshal(key)
	if err != nil {
		panic(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		panic(err)
	}
	return m
}

// with returns m with one member set.
func with(m map[string]any, name string, v any) map[string]any {
	m[name] = v
	return m
}

// b64 encodes bytes as base64url without padding.
func b64(b []byte) string {
	return base64.RawURLEncoding.EncodeToString(b)
}
