package oauth

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// formContentType is the only body type of the POST endpoints (RFC 6749
// section 3.2, RFC 7662 section 2.1, RFC 7009 section 2.1).
const formContentType = "application/x-www-form-urlencoded"

// Request parameters, by the RFC that defines them.
const (
	// RFC 6749 sections 2.3.1, 4.4.2 and 3.3.
	paramGrantType    = "grant_type"
	paramClientID     = "client_id"
	paramClientSecret = "client_secret"
	paramScope        = "scope"
	// RFC 7521 section 4.2 (profiled by RFC 7523 section 2.2).
	paramAssertionType = "client_assertion_type"
	paramAssertion     = "client_assertion"
	// RFC 8707 section 2.
	paramResource = "resource"
	// RFC 8693 section 2.1, which uses it beside resource.
	paramAudience = "audience"
	// RFC 7662 section 2.1 and RFC 7009 section 2.1.
	paramToken     = "token"
	paramTokenHint = "token_type_hint"
)

// repeatable are the parameters that may appear more than once; RFC 6749
// section 3.2 forbids repeating any other.
var repeatable = map[string]bool{paramResource: true, paramAudience: true}

// form is a parsed request body.
type form url.Values

// get returns a parameter's value; absent and empty are alike (RFC 6749
// section 3.2).
func (f form) get(name string) string {
	if v := f[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// all returns the non-empty values of a repeatable parameter.
func (f form) all(name string) []string {
	var out []string
	for _, v := range f[name] {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

// readForm reads the body of a POST endpoint: a bounded
// application/x-www-form-urlencoded body whose parameters appear once each,
// and nothing in the query string, where secrets would reach access logs.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request) (form, *oauthError) {
	if r.URL.RawQuery != "" {
		return nil, badRequest(errInvalidRequest,
			"parameters must be sent in the request body")
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != formContentType {
		return nil, badRequest(errInvalidRequest, "the body must be "+formContentType)
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			e := badRequest(errInvalidRequest, "the request body is too large")
			e.status = http.StatusRequestEntityTooLarge
			return nil, e
		}
		return nil, badRequest(errInvalidRequest, "the request body could not be read")
	}
	return parseForm(string(body))
}

// parseForm parses a form body, refusing malformed encoding and repeated
// parameters.
func parseForm(body string) (form, *oauthError) {
	values, err := url.ParseQuery(body)
	if err != nil {
		return nil, badRequest(errInvalidRequest, "the request body is not a valid form")
	}
	for name, v := range values {
		if len(v) > 1 && !repeatable[name] {
			// The name comes from the client; it is quoted, never a value.
			return nil, badRequest(errInvalidRequest,
				fmt.Sprintf("parameter %q is repeated", truncate(name, 64)))
		}
	}
	return form(values), nil
}

// truncate shortens s to at most n bytes.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
