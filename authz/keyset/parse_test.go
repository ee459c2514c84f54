package keyset_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/authz/keyset"
)

func TestParseJWKSKeys(t *testing.T) {
	testKeys(t)
	good := jwkOf(t, p256Key.Public(), "good")
	tests := []struct {
		name    string
		key     map[string]any
		wantAlg string // "" when the key must be skipped
		reason  string
	}{
		{"a P-256 key without alg is ES256", jwkOf(t, p256Key.Public(), "k"), keyset.ES256, ""},
		{"a P-256 key with alg ES256 is kept", with(jwkOf(t, p256Key.Public(), "k"),
			"alg", "ES256", "use", "sig"), keyset.ES256, ""},
		{"a P-384 key is ES384", jwkOf(t, p384Key.Public(), "k"), keyset.ES384, ""},
		{"an Ed25519 key is EdDSA", with(jwkOf(t, edKey.Public(), "k"), "alg", "EdDSA"),
			keyset.EdDSA, ""},
		{"an RSA 2048 key is RS256", jwkOf(t, rsaKey.Public(), "k"), keyset.RS256, ""},
		{"key_ops with verify is kept", with(jwkOf(t, p256Key.Public(), "k"),
			"key_ops", []string{"verify"}), keyset.ES256, ""},

		{"a key without kid is skipped", jwkOf(t, p256Key.Public(), ""), "", "no kid"},
		{"a kid over the limit is skipped", jwkOf(t, p256Key.Public(),
			strings.Repeat("k", keyset.MaxKIDLength+1)), "", "kid too long"},
		{"a P-256 key claiming ES384 is skipped", with(jwkOf(t, p256Key.Public(), "k"),
			"alg", "ES384"), "", "alg does not match the key type"},
		{"alg none is skipped", with(jwkOf(t, p256Key.Public(), "k"), "alg", "none"),
			"", "alg does not match the key type"},
		{"an RSA key for PS256 is skipped", with(jwkOf(t, rsaKey.Public(), "k"),
			"alg", "PS256"), "", "alg does not match the key type"},
		{"an RSA key claiming HS256 is skipped", with(jwkOf(t, rsaKey.Public(), "k"),
			"alg", "HS256"), "", "alg does not match the key type"},
		{"an RSA 1024 key is skipped", jwkOf(t, rsa1024Key.Public(), "k"), "",
			"RSA key too small"},
		{"an RSA key with exponent 1 is skipped", with(jwkOf(t, rsaKey.Public(), "k"),
			"e", "AQ"), "", "bad RSA exponent"},
		{"a P-521 key is skipped", jwkOf(t, p521Key.Public(), "k"), "", "curve not accepted"},
		{"an X25519 key is skipped", with(jwkOf(t, edKey.Public(), "k"), "crv", "X25519"),
			"", "curve not accepted"},
		{"a short Ed25519 key is skipped", with(jwkOf(t, edKey.Public(), "k"), "x", "AAAA"),
			"", "wrong Ed25519 key size"},
		{"a point off the curve is skipped", with(jwkOf(t, p256Key.Public(), "k"),
			"y", good["x"]), "", "point not on the curve"},
		{"an encryption key is skipped", with(jwkOf(t, p256Key.Public(), "k"), "use", "enc"),
			"", "use is not sig"},
		{"a sign-only key is skipped", with(jwkOf(t, p256Key.Public(), "k"),
			"key_ops", []string{"sign"}), "", "key_ops lacks verify"},
		{"a symmetric key is skipped", map[string]any{"kty": "oct", "kid": "k",
			"k": "c2VjcmV0", "alg": "HS256"}, "", "private or symmetric key material"},
		{"a symmetric key without k is skipped", map[string]any{"kty": "oct", "kid": "k"},
			"", "unparsable key"},
		{"a private EC key is skipped", with(jwkOf(t, p256Key.Public(), "k"),
			"d", b64(mustBytes(t, p256Key))), "", "private or symmetric key material"},
		{"a private key written with D is skipped", with(jwkOf(t, edKey.Public(), "k"),
			"D", b64(edKey.Seed())), "", "private or symmetric key material"},
		{"a private RSA key is skipped", with(jwkOf(t, rsaKey.Public(), "k"),
			"p", b64(rsaKey.Primes[0].Bytes())), "", "private or symmetric key material"},
		{"a member name in another case is skipped", with(jwkOf(t, p256Key.Public(), "k"),
			"ALG", "none"), "", "member name in the wrong case"},
		{"an unknown key type is skipped", map[string]any{"kty": "AKP", "kid": "k"}, "",
			"unparsable key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, skipped, err := keyset.ParseJWKS(docOf(t, good, tt.key))
			require.NoError(t, err)
			require.Contains(t, keys, "good", "the rest of the set is kept")
			if tt.wantAlg == "" {
				require.Len(t, keys, 1)
				require.Len(t, skipped, 1)
				require.Equal(t, tt.reason, skipped[0].Reason)
				require.Equal(t, 1, skipped[0].Index)
				return
			}
			require.Empty(t, skipped)
			require.Len(t, keys, 2)
			k := keys["k"]
			require.Equal(t, "k", k.KID)
			require.Equal(t, tt.wantAlg, k.Alg)
			switch tt.wantAlg {
			case keyset.ES256, keyset.ES384:
				require.IsType(t, &ecdsa.PublicKey{}, k.Public)
			case keyset.EdDSA:
				require.IsType(t, ed25519.PublicKey{}, k.Public)
			case keyset.RS256:
				require.IsType(t, &rsa.PublicKey{}, k.Public)
			}
		})
	}
}

func TestParseJWKSKeepsTheKeyItParsed(t *testing.T) {
	testKeys(t)
	keys, _, err := keyset.ParseJWKS(docOf(t, jwkOf(t, p256Key.Public(), "ec"),
		jwkOf(t, edKey.Public(), "ed"), jwkOf(t, rsaKey.Public(), "rsa")))
	require.NoError(t, err)
	require.True(t, p256Key.PublicKey.Equal(keys["ec"].Public))
	require.True(t, edKey.Public().(ed25519.PublicKey).Equal(keys["ed"].Public))
	require.True(t, rsaKey.PublicKey.Equal(keys["rsa"].Public))
}

func TestParseJWKSDuplicateKIDs(t *testing.T) {
	testKeys(t)
	keys, skipped, err := keyset.ParseJWKS(docOf(t,
		jwkOf(t, p256Key.Public(), "twice"), jwkOf(t, edKey.Public(), "once"),
		jwkOf(t, rsaKey.Public(), "twice")))
	require.NoError(t, err)
	require.Equal(t, []string{"once"}, kidsOf(keys), "both keys of a repeated kid are skipped")
	require.Equal(t, []keyset.Skipped{
		{Index: 0, KID: "twice", Reason: "duplicate kid"},
		{Index: 2, KID: "twice", Reason: "duplicate kid"},
	}, skipped)

	keys, skipped, err = keyset.ParseJWKS(docOf(t,
		jwkOf(t, p256Key.Public(), "twice"), jwkOf(t, rsa1024Key.Public(), "twice")))
	require.NoError(t, err)
	require.Empty(t, keys, "a kid shared with a refused key is skipped too")
	require.Equal(t, []keyset.Skipped{
		{Index: 1, KID: "twice", Reason: "RSA key too small"},
		{Index: 0, KID: "twice", Reason: "duplicate kid"},
	}, skipped)
}

func TestParseJWKSDocuments(t *testing.T) {
	testKeys(t)
	many := make([]map[string]any, keyset.MaxKeys+1)
	for i := range many {
		many[i] = jwkOf(t, p256Key.Public(), "")
	}
	tests := []struct {
		name string
		doc  string
		ok   bool
	}{
		{"an empty set is a set", `{"keys":[]}`, true},
		{"unknown members are ignored", `{"keys":[],"extra":1}`, true},
		{"HTML is refused", `<html>secret</html>`, false},
		{"an empty body is refused", ``, false},
		{"a document without keys is refused", `{}`, false},
		{"null keys are refused", `{"keys":null}`, false},
		{"keys that are no array are refused", `{"keys":{"kty":"EC"}}`, false},
		{"a single JWK is refused", string(mustJSON(t, jwkOf(t, p256Key.Public(), "k"))), false},
		{"a set over the key limit is refused", string(docOf(t, many...)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys, _, err := keyset.ParseJWKS([]byte(tt.doc))
			if tt.ok {
				require.NoError(t, err)
				require.Empty(t, keys)
				return
			}
			require.Error(t, err)
			require.NotContains(t, err.Error(), "secret", "the document is not quoted")
		})
	}
}

func mustBytes(t testing.TB, k *ecdsa.PrivateKey) []byte {
	t.Helper()
	b, err := k.Bytes()
	require.NoError(t, err)
	return b
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

func kidsOf(keys map[string]keyset.Key) []string {
	var out []string
	for kid := range keys {
		out = append(out, kid)
	}
	return out
}
