package issuer

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/stretchr/testify/require"
)

// jwkJSON returns the JWK of a raw key with extra members set.
func jwkJSON(t testing.TB, raw any, extra map[string]any) []byte {
	t.Helper()
	key, err := jwk.FromRaw(raw)
	require.NoError(t, err)
	data, err := json.Marshal(key)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(data, &m))
	for k, v := range extra {
		m[k] = v
	}
	out, err := json.Marshal(m)
	require.NoError(t, err)
	return out
}

// testKeys are key pairs of every kind the JWK tests need.
type testKeys struct {
	p256, p384, p521 *ecdsa.PrivateKey
	edPub            ed25519.PublicKey
	edPriv           ed25519.PrivateKey
	r2048, r1024     *rsa.PrivateKey
}

// newTestKeys generates the test keys.
func newTestKeys(t *testing.T) testKeys {
	var k testKeys
	var err error
	k.p256, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	k.p384, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	k.p521, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	require.NoError(t, err)
	k.edPub, k.edPriv, err = ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	k.r2048, err = rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	k.r1024, err = rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // G403: a weak key to refuse
	require.NoError(t, err)
	return k
}

func TestParsePublicJWKAccepts(t *testing.T) {
	k := newTestKeys(t)
	p256, p384, edPub, r2048 := k.p256, k.p384, k.edPub, k.r2048
	accepted := []struct {
		name string
		jwk  []byte
		alg  string
	}{
		{"a P-256 key is accepted for ES256", jwkJSON(t, &p256.PublicKey, nil), "ES256"},
		{"a P-384 key is accepted for ES384", jwkJSON(t, &p384.PublicKey, nil), "ES384"},
		{"an Ed25519 key is accepted for EdDSA", jwkJSON(t, edPub, nil), "EdDSA"},
		{"an RSA 2048 key is accepted for RS256", jwkJSON(t, &r2048.PublicKey, nil), "RS256"},
		{"a matching alg, use and key_ops are accepted", jwkJSON(t, &p256.PublicKey,
			map[string]any{"alg": "ES256", "use": "sig", "key_ops": []string{"verify"}}), "ES256"},
		{"other members are dropped", jwkJSON(t, edPub,
			map[string]any{"kid": "mine", "x5u": "https://example.com"}), "EdDSA"},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			pub, err := ParsePublicJWK(tc.jwk)
			require.NoError(t, err)

			require.Equal(t, tc.alg, pub.Algorithm)
			require.True(t, ValidKID(pub.KID))
			key, err := jwk.ParseKey(pub.JSON)
			require.NoError(t, err)
			sum, err := key.Thumbprint(crypto.SHA256)
			require.NoError(t, err)
			require.Equal(t, base64.RawURLEncoding.EncodeToString(sum), pub.KID)
			require.Equal(t, pub.KID, key.KeyID())
			require.NotContains(t, string(pub.JSON), "x5u")
		})
	}
}

func TestParsePublicJWKRefuses(t *testing.T) {
	k := newTestKeys(t)
	p256, p521, edPriv, r2048, r1024 := k.p256, k.p521, k.edPriv, k.r2048, k.r1024
	refused := []struct {
		name  string
		jwk   []byte
		field string
	}{
		{"a private EC key is refused", jwkJSON(t, p256, nil), "jwk.d"},
		{"a private Ed25519 key is refused", jwkJSON(t, edPriv, nil), "jwk.d"},
		{"a private RSA key is refused", jwkJSON(t, r2048, nil), "jwk.d"},
		{"a symmetric key is refused", []byte(`{"kty":"oct","k":"c2VjcmV0"}`), "jwk.k"},
		{"an oct key without k is refused", []byte(`{"kty":"oct"}`), "jwk.kty"},
		{"a key without kty is refused", []byte(`{"x":"abc"}`), "jwk.kty"},
		{"a P-521 key is refused", jwkJSON(t, &p521.PublicKey, nil), "jwk.crv"},
		{"an RSA 1024 key is refused", jwkJSON(t, &r1024.PublicKey, nil), "jwk.n"},
		{"an even RSA exponent is refused", jwkJSON(t, &r2048.PublicKey,
			map[string]any{"e": "Ag"}), "jwk.e"},
		{"a mismatched alg is refused", jwkJSON(t, &p256.PublicKey,
			map[string]any{"alg": "RS256"}), "jwk.alg"},
		{"an encryption use is refused", jwkJSON(t, &p256.PublicKey,
			map[string]any{"use": "enc"}), "jwk.use"},
		{"a signing key_op is refused", jwkJSON(t, &p256.PublicKey,
			map[string]any{"key_ops": []string{"sign"}}), "jwk.key_ops"},
		{"a point off the curve is refused", jwkJSON(t, &p256.PublicKey,
			map[string]any{"y": base64.RawURLEncoding.EncodeToString(make([]byte, 32))}), "jwk"},
		{"an array is refused", []byte(`[]`), "jwk"},
		{"null is refused", []byte(`null`), "jwk"},
		{"nothing is refused", nil, "jwk"},
		{"an oversized JWK is refused", append([]byte(`{"kty":"EC","pad":"`),
			make([]byte, MaxJWKBytes)...), "jwk"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePublicJWK(tc.jwk)

			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, tc.field, ve.Fields[0].Field)
		})
	}
}

func TestValidKID(t *testing.T) {
	tests := []struct {
		name string
		kid  string
		want bool
	}{
		{"a base64url SHA-256 is a kid", "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", true},
		{"a short string is not", "abc", false},
		{"padding is not allowed", "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9X=", false},
		{"standard base64 is not allowed", "NzbLsXh8uDCcd+6MNwXF4W/7noWXFZAfHkxZsRGC9Xs", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, ValidKID(tc.kid))
		})
	}
}

func FuzzParsePublicJWK(f *testing.F) {
	p256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	f.Add(jwkJSON(f, &p256.PublicKey, nil))
	f.Add(jwkJSON(f, p256, nil))
	f.Add(jwkJSON(f, edPub, map[string]any{"alg": "EdDSA"}))
	f.Add([]byte(`{"kty":"RSA","n":"AQAB","e":"AQAB"}`))
	f.Add([]byte(`{"kty":"oct","k":"AA"}`))
	f.Add([]byte(`{"kty":"EC","crv":"P-256","x":"","y":""}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		pub, err := ParsePublicJWK(data)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("refusal is not a validation error: %v", err)
			}
			return
		}
		if !ValidKID(pub.KID) {
			t.Fatalf("accepted key has kid %q", pub.KID)
		}
		var m map[string]any
		if err := json.Unmarshal(pub.JSON, &m); err != nil {
			t.Fatalf("stored JWK is not JSON: %v", err)
		}
		for _, member := range privateMembers {
			if _, ok := m[member]; ok {
				t.Fatalf("stored JWK has private member %q", member)
			}
		}
	})
}
