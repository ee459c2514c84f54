package keyset_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentidp/agentidp/authz/keyset"
)

// FuzzParseJWKS checks that the document parser never panics and never
// returns a key that breaks the rules: a kid of its own, one of the four
// algorithms with the key type and size it implies, and in the document a
// public signature key whose alg (if any) is that algorithm.
func FuzzParseJWKS(f *testing.F) {
	testKeys(f)
	ec := jwkOf(f, p256Key.Public(), "ec")
	f.Add(docOf(f, ec, jwkOf(f, p384Key.Public(), "p384"), jwkOf(f, edKey.Public(), "ed"),
		jwkOf(f, rsaKey.Public(), "rsa")))
	f.Add(docOf(f, with(ec, "alg", "ES256", "use", "sig", "key_ops", []string{"verify"})))
	f.Add(docOf(f, with(ec, "alg", "none"), with(ec, "use", "enc"), with(ec, "d", "AAAA")))
	f.Add(docOf(f, map[string]any{"kty": "oct", "kid": "h", "k": "AAAA", "alg": "HS256"}))
	f.Add(docOf(f, jwkOf(f, rsa1024Key.Public(), "small"), jwkOf(f, p521Key.Public(), "p521")))
	f.Add(docOf(f, ec, with(ec, "x", ec["y"])))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"X25519","kid":"x","x":"AAAA"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`{"KEYS":[]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(``))

	f.Fuzz(func(t *testing.T, doc []byte) {
		keys, skipped, err := keyset.ParseJWKS(doc)
		if err != nil {
			if len(keys) != 0 || len(skipped) != 0 {
				t.Fatalf("a refused document returned keys")
			}
			return
		}
		objects := documentKeys(t, doc)
		for kid, k := range keys {
			checkKey(t, kid, k)
			checkSource(t, kid, k, objects)
		}
	})
}

// checkKey checks a returned key on its own.
func checkKey(t *testing.T, kid string, k keyset.Key) {
	t.Helper()
	if kid == "" || kid != k.KID || len(kid) > keyset.MaxKIDLength {
		t.Fatalf("bad kid %q for %q", k.KID, kid)
	}
	switch k.Alg {
	case keyset.ES256, keyset.ES384:
		pub, ok := k.Public.(*ecdsa.PublicKey)
		want := map[string]elliptic.Curve{keyset.ES256: elliptic.P256(),
			keyset.ES384: elliptic.P384()}[k.Alg]
		if !ok || pub.Curve != want {
			t.Fatalf("%s key of type %T", k.Alg, k.Public)
		}
		if _, err := pub.Bytes(); err != nil {
			t.Fatalf("invalid EC key: %v", err)
		}
	case keyset.EdDSA:
		pub, ok := k.Public.(ed25519.PublicKey)
		if !ok || len(pub) != ed25519.PublicKeySize {
			t.Fatalf("EdDSA key of type %T", k.Public)
		}
	case keyset.RS256:
		pub, ok := k.Public.(*rsa.PublicKey)
		if !ok || pub.N.BitLen() < keyset.MinRSABits || pub.N.BitLen() > keyset.MaxRSABits ||
			pub.E < 3 || pub.E%2 == 0 {
			t.Fatalf("bad RS256 key")
		}
	default:
		t.Fatalf("algorithm %q returned", k.Alg)
	}
}

// checkSource checks a returned key against the document: one object has
// its kid, and that object is a public signature key of its algorithm.
func checkSource(t *testing.T, kid string, k keyset.Key, objects []map[string]json.RawMessage) {
	t.Helper()
	var found []map[string]json.RawMessage
	for _, o := range objects {
		if member(o, "kid") == kid {
			found = append(found, o)
		}
	}
	if len(found) != 1 {
		t.Fatalf("kid %q returned, written %d times", kid, len(found))
	}
	o := found[0]
	for name := range o {
		if slices.Contains([]string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"},
			strings.ToLower(name)) {
			t.Fatalf("key %q with private member %q returned", kid, name)
		}
	}
	if _, ok := o["use"]; ok && member(o, "use") != "sig" {
		t.Fatalf("key %q with use %q returned", kid, member(o, "use"))
	}
	if _, ok := o["alg"]; ok && member(o, "alg") != k.Alg {
		t.Fatalf("key %q with alg %q returned as %s", kid, member(o, "alg"), k.Alg)
	}
	kty := map[string]string{keyset.ES256: "EC", keyset.ES384: "EC", keyset.EdDSA: "OKP",
		keyset.RS256: "RSA"}[k.Alg]
	if member(o, "kty") != kty {
		t.Fatalf("key %q of kty %q returned as %s", kid, member(o, "kty"), k.Alg)
	}
}

// documentKeys returns the objects of doc's "keys" array.
func documentKeys(t *testing.T, doc []byte) []map[string]json.RawMessage {
	t.Helper()
	var set map[string]json.RawMessage
	if err := json.Unmarshal(doc, &set); err != nil {
		t.Fatalf("accepted document does not decode: %v", err)
	}
	var list []json.RawMessage
	_ = json.Unmarshal(set["keys"], &list)
	var out []map[string]json.RawMessage
	for _, raw := range list {
		var o map[string]json.RawMessage
		if json.Unmarshal(raw, &o) == nil {
			out = append(out, o)
		}
	}
	return out
}

// member returns o's string member name, or "" when it is none.
func member(o map[string]json.RawMessage, name string) string {
	var s string
	if json.Unmarshal(o[name], &s) != nil {
		return ""
	}
	return s
}

// FuzzMaxAge checks that the Cache-Control parser never panics and never
// gives a negative or unbounded lifetime.
func FuzzMaxAge(f *testing.F) {
	f.Add("max-age=60", "")
	f.Add(`public, max-age="300", no-cache`, "10")
	f.Add("max-age=99999999999999999999", "-1")
	f.Add("max-age=", "x")
	f.Fuzz(func(t *testing.T, cc, age string) {
		h := http.Header{"Cache-Control": {cc}, "Age": {age}}
		got := keyset.MaxAgeOf(h)
		if got < 0 || got > 366*24*time.Hour {
			t.Fatalf("max-age %v", got)
		}
	})
}
