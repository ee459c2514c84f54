package oauth

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzParseRequest feeds arbitrary form bodies and Authorization headers
// to the parsing every client-authenticated request goes through. Whatever
// comes in, parsing must not panic, must refuse with an RFC 6749 error
// code, and what it accepts must be one well-formed set of credentials.
func FuzzParseRequest(f *testing.F) {
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("agt_x:s%3Acret"))
	f.Add("grant_type=client_credentials&client_id=agt_x&client_secret=s", "")
	f.Add("grant_type=client_credentials", basic)
	f.Add("grant_type=client_credentials&client_secret=s", basic)
	f.Add("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"+
		"&client_assertion=eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJhIiwic3ViIjoiYSJ9.AA", "")
	f.Add("scope=a&scope=b", "Basic !!")
	f.Add("a=%zz;b", "basic Og==")
	f.Add("resource=x&resource=y&audience=z", "Bearer t")

	f.Fuzz(func(t *testing.T, body, authorization string) {
		form, e := parseForm(body)
		if e != nil {
			requireRefusal(t, e)
			return
		}
		r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, PathToken,
			strings.NewReader(body))
		if authorization != "" {
			r.Header.Set("Authorization", authorization)
		}
		cred, e := parseCredentials(r, form)
		if e != nil {
			requireRefusal(t, e)
			return
		}
		switch {
		case cred.clientID == "":
			t.Fatal("credentials accepted without a client id")
		case cred.method == authPrivateKey && (cred.assertion == nil || cred.secret != ""):
			t.Fatal("private_key_jwt credentials without an assertion, or with a secret")
		case cred.method != authPrivateKey && (cred.secret == "" || cred.assertion != nil):
			t.Fatal("secret credentials without a secret, or with an assertion")
		}
	})
}

// FuzzParseAssertion feeds arbitrary strings to the client assertion
// parser: it must not panic, and what it accepts must name its client in
// both iss and sub and use an allowed algorithm.
func FuzzParseAssertion(f *testing.F) {
	enc := base64.RawURLEncoding.EncodeToString
	f.Add(enc([]byte(`{"alg":"ES256","kid":"k"}`)) + "." +
		enc([]byte(`{"iss":"agt_x","sub":"agt_x","aud":["a"],"exp":1.5e9,"jti":"j"}`)) + ".AA")
	f.Add(enc([]byte(`{"alg":"none"}`)) + "." + enc([]byte(`{"iss":"a","sub":"a"}`)) + ".")
	f.Add(enc([]byte(`{"alg":"HS256"}`)) + "." + enc([]byte(`{}`)) + ".AA")
	f.Add(enc([]byte(`{"alg":"ES256","crit":["b64"],"b64":false}`)) + "..")
	f.Add("a.b.c.d")

	f.Fuzz(func(t *testing.T, raw string) {
		a, err := parseAssertion(raw)
		if err != nil {
			return
		}
		if a.claims.Issuer == "" || a.claims.Subject != a.claims.Issuer {
			t.Fatalf("accepted iss %q, sub %q", a.claims.Issuer, a.claims.Subject)
		}
		switch a.jws.header.Alg {
		case "ES256", "ES384", "EdDSA", "RS256":
		default:
			t.Fatalf("accepted alg %q", a.jws.header.Alg)
		}
	})
}

// requireRefusal checks that a parsing refusal is an RFC 6749 error.
func requireRefusal(t *testing.T, e *oauthError) {
	t.Helper()
	switch e.code {
	case errInvalidRequest, errInvalidClient:
	default:
		t.Fatalf("refused with %q", e.code)
	}
	if e.status != http.StatusBadRequest && e.status != http.StatusUnauthorized {
		t.Fatalf("refused with status %d", e.status)
	}
}
