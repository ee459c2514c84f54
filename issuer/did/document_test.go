package did_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/issuer/did"
)

const testDID = "did:web:partner.example.com"

// jwk is a public P-256 JWK.
const testJWK = `{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",` +
	`"y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}`

// validDoc is a DID document of testDID with every shape ParseDocument
// reads: a relative method id, an embedded method and a service.
const validDoc = `{
  "@context": ["https://www.w3.org/ns/did/v1", {"@vocab": "https://example.com/#"}],
  "id": "did:web:partner.example.com",
  "controller": "did:web:partner.example.com",
  "verificationMethod": [
    {"id": "#k1", "type": "JsonWebKey2020", "controller": "did:web:partner.example.com",
     "publicKeyJwk": ` + testJWK + `}
  ],
  "assertionMethod": ["#k1", "did:web:other.example.com#k9"],
  "authentication": [
    {"id": "did:web:partner.example.com#k2", "type": "Multikey",
     "controller": "did:web:partner.example.com", "publicKeyMultibase": "zDnae"}
  ],
  "service": [{"id": "#oidc", "type": ["OpenIDConnectIssuer"],
    "serviceEndpoint": "https://partner.example.com"}]
}`

func TestParseDocument(t *testing.T) {
	doc, err := did.ParseDocument([]byte(validDoc), testDID)
	require.NoError(t, err)

	require.Equal(t, testDID, doc.ID)
	require.Equal(t, []string{did.ContextDIDv1}, doc.Context)
	require.Equal(t, []string{testDID}, doc.Controller)
	require.Len(t, doc.VerificationMethod, 2)
	require.Equal(t, []string{testDID + "#k1", "did:web:other.example.com#k9"},
		doc.AssertionMethod)
	require.Equal(t, []string{testDID + "#k2"}, doc.Authentication)
	require.Equal(t, testDID+"#oidc", doc.Service[0].ID)
	require.Equal(t, "OpenIDConnectIssuer", doc.Service[0].Type)

	for _, ref := range []string{"#k1", "k1", testDID + "#k1"} {
		vm, ok := doc.Method(ref)
		require.True(t, ok, ref)
		require.JSONEq(t, testJWK, string(vm.PublicKeyJWK))
	}
	_, ok := doc.Method("#nope")
	require.False(t, ok)
}

// edit returns validDoc with one member replaced, or removed when v is nil.
func edit(t *testing.T, member string, v any) []byte {
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(validDoc), &m))
	if v == nil {
		delete(m, member)
	} else {
		m[member] = v
	}
	b, err := json.Marshal(m)
	require.NoError(t, err)
	return b
}

func vm(id, controller string, key map[string]any) map[string]any {
	m := map[string]any{"id": id, "type": "JsonWebKey2020", "controller": controller}
	if key != nil {
		m["publicKeyJwk"] = key
	}
	return m
}

func TestParseDocumentRefuses(t *testing.T) {
	pub := map[string]any{"kty": "OKP", "crv": "Ed25519",
		"x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}
	priv := map[string]any{"kty": "OKP", "crv": "Ed25519", "x": "AA", "d": "AA"}
	tests := []struct {
		name string
		raw  []byte
	}{
		{"text that is not JSON is refused", []byte("<html>hello</html>")},
		{"invalid UTF-8 is refused", []byte("{\"id\": \"\xff\"}")},
		{"a JSON array is refused", []byte(`[]`)},
		{"a document of another DID is refused", edit(t, "id", "did:web:evil.example.com")},
		{"a document without id is refused", edit(t, "id", nil)},
		{"a wrong @context is refused", edit(t, "@context", "https://example.com/ctx")},
		{"a controller that is not a DID is refused", edit(t, "controller", "https://x")},
		{"a method id without fragment is refused", edit(t, "verificationMethod",
			[]any{vm(testDID, testDID, pub)})},
		{"a method without type is refused", edit(t, "verificationMethod",
			[]any{map[string]any{"id": "#a", "controller": testDID, "publicKeyJwk": pub}})},
		{"a method without key is refused", edit(t, "verificationMethod",
			[]any{vm("#a", testDID, nil)})},
		{"a method with a private key is refused", edit(t, "verificationMethod",
			[]any{vm("#a", testDID, priv)})},
		{"a method with a bad controller is refused", edit(t, "verificationMethod",
			[]any{vm("#a", "me", pub)})},
		{"duplicate method ids are refused", edit(t, "verificationMethod",
			[]any{vm("#a", testDID, pub), vm(testDID+"#a", testDID, pub)})},
		{"a reference to a missing method is refused", edit(t, "assertionMethod",
			[]any{"#missing"})},
		{"a reference that is not a DID URL is refused", edit(t, "assertionMethod",
			[]any{"https://example.com#k"})},
		{"a service without endpoint is refused", edit(t, "service",
			[]any{map[string]any{"id": "#s", "type": "X"}})},
		{"a service without type is refused", edit(t, "service",
			[]any{map[string]any{"id": "#s", "serviceEndpoint": "https://x"}})},
		{"a service id used by a method is refused", edit(t, "service",
			[]any{map[string]any{"id": "#k1", "type": "X", "serviceEndpoint": "https://x"}})},
		{"a member of the wrong type is refused", edit(t, "verificationMethod", "nope")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := did.ParseDocument(tc.raw, testDID)
			require.ErrorIs(t, err, did.ErrInvalidDocument)
		})
	}
}

func FuzzParseDocument(f *testing.F) {
	f.Add([]byte(validDoc), testDID)
	f.Add([]byte(`{"id":"did:web:a"}`), "did:web:a")
	f.Add([]byte(`{"id":"did:web:a","verificationMethod":[{"id":"#x"}]}`), "did:web:a")
	f.Add([]byte(`{"id":"did:web:a","authentication":[{"id":"#x","type":"T",`+
		`"controller":"did:web:a","publicKeyMultibase":"z"}],"service":[]}`), "did:web:a")
	f.Add([]byte(strings.Repeat("[", 100)), "did:web:a")
	f.Fuzz(func(t *testing.T, raw []byte, id string) {
		doc, err := did.ParseDocument(raw, id)
		if err != nil {
			require.ErrorIs(t, err, did.ErrInvalidDocument)
			return
		}
		require.Equal(t, id, doc.ID)
		seen := map[string]bool{}
		for _, m := range doc.VerificationMethod {
			require.Contains(t, m.ID, "#", "method ids are DID URLs")
			require.False(t, seen[m.ID], "method ids are unique")
			seen[m.ID] = true
		}
		// A parsed document encodes and parses again to the same.
		b, err := json.Marshal(doc)
		require.NoError(t, err)
		again, err := did.ParseDocument(b, id)
		require.NoError(t, err)
		require.Equal(t, doc.VerificationMethod, again.VerificationMethod)
	})
}
