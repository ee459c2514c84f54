package oauth

import (
	"encoding/json"
	"net/http"
)

// Error codes of the endpoints, grouped by the RFC that defines them.
const (
	// RFC 6749 section 5.2.
	errInvalidRequest       = "invalid_request"
	errInvalidClient        = "invalid_client"
	errUnsupportedGrantType = "unsupported_grant_type"
	errInvalidScope         = "invalid_scope"
	// RFC 6749 section 4.1.2.1; used by the token endpoint for its own
	// failures as most servers do.
	errServerError = "server_error"
	// RFC 8707 section 2.
	errInvalidTarget = "invalid_target"
	// RFC 6750 section 3.1.
	errInvalidToken = "invalid_token"
)

// Challenges of 401 answers (RFC 9110 section 11.6.1 requires one). Basic
// is the only HTTP authentication scheme the client-authenticated
// endpoints accept (RFC 6749 section 2.3.1); Bearer guards /agent-info
// (RFC 6750 section 3).
const (
	realm            = "agentidp"
	basicChallenge   = `Basic realm="` + realm + `"`
	bearerChallenge  = `Bearer realm="` + realm + `"`
	invalidTokenAuth = bearerChallenge + `, error="` + errInvalidToken + `"`
)

// authFailed is the one description of every failed client
// authentication, so that a caller never learns which part failed.
const authFailed = "client authentication failed"

// oauthError is a refusal. Description is shown to the client; err, when
// set, is only logged.
type oauthError struct {
	status      int
	code        string
	description string
	// challenge is the WWW-Authenticate value of a 401.
	challenge string
	// allow is the Allow value of a 405.
	allow string
	err   error
}

// Error returns the code, the description and the logged cause.
func (e *oauthError) Error() string {
	if e.err != nil {
		return e.code + ": " + e.description + ": " + e.err.Error()
	}
	return e.code + ": " + e.description
}

// Unwrap returns the logged cause.
func (e *oauthError) Unwrap() error {
	return e.err
}

// badRequest is a 400 refusal with the given code.
func badRequest(code, description string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: code, description: description}
}

// clientRefused is a failed client authentication: 401 with the Basic
// challenge (RFC 6749 section 5.2) and the one description. Why it failed
// is in err, for the log only.
func clientRefused(err error) *oauthError {
	return &oauthError{status: http.StatusUnauthorized, code: errInvalidClient,
		description: authFailed, challenge: basicChallenge, err: err}
}

// internalError is a failure of the server itself; err is logged, never
// shown.
func internalError(err error) *oauthError {
	return &oauthError{status: http.StatusInternalServerError, code: errServerError,
		description: "the server failed to handle the request", err: err}
}

// errorBody is the JSON body of every refusal (RFC 6749 section 5.2).
type errorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// fail answers a request with e and logs it: at error level for a server
// failure, at debug level otherwise. It is the only writer of refusals.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, e *oauthError) {
	if rec, ok := w.(*recorder); ok {
		rec.errCode = e.code
	}
	ctx := r.Context()
	if e.status >= http.StatusInternalServerError {
		s.log.ErrorContext(ctx, "oauth request failed", logError, e.Error())
	} else {
		s.log.DebugContext(ctx, "oauth request refused", logError, e.Error())
	}

	h := w.Header()
	if e.challenge != "" {
		h.Set("WWW-Authenticate", e.challenge)
	}
	if e.allow != "" {
		h.Set("Allow", e.allow)
	}
	writeJSON(w, e.status, errorBody{Error: e.code, Description: e.description})
}

// writeJSON writes v as a JSON body that no cache may keep (RFC 6749
// section 5.1).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Every body is a plain struct of strings and numbers.
		status = http.StatusInternalServerError
		b = []byte(`{"error":"server_error"}`)
	}
	writeBody(w, status, "application/json", "no-store", b)
}

// writeEmpty answers 200 with no body, which no cache may keep.
func writeEmpty(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(http.StatusOK)
}

// writeBody writes a body with its content type and cache policy.
func writeBody(w http.ResponseWriter, status int, contentType, cache string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cache)
	if cache == "no-store" {
		h.Set("Pragma", "no-cache")
	}
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	// The client may be gone; there is nobody left to tell.
	_, _ = w.Write(b)
}
