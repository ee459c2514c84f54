package rest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/agentidp/agentidp/internal/reqctx"
	"github.com/agentidp/agentidp/issuer"
)

// ProblemTypeBase prefixes every problem type URI; the slug after it is
// stable and names one kind of problem.
const ProblemTypeBase = "https://agentidp.dev/problems/"

// kind is one kind of problem: its slug, title and status.
type kind struct {
	slug   string
	title  string
	status int
}

// Problem kinds. Each slug is part of the API contract.
var (
	kindInvalid        = kind{"invalid-request", "Invalid request", 400}
	kindMalformedJSON  = kind{"malformed-json", "Malformed JSON", 400}
	kindUnknownField   = kind{"unknown-field", "Unknown field", 400}
	kindUnauthorized   = kind{"unauthorized", "Unauthorized", 401}
	kindForbidden      = kind{"forbidden", "Forbidden", 403}
	kindOrgSuspended   = kind{"organization-suspended", "Organization suspended", 403}
	kindNotFound       = kind{"not-found", "Not found", 404}
	kindMethod         = kind{"method-not-allowed", "Method not allowed", 405}
	kindTransition     = kind{"invalid-transition", "Invalid transition", 409}
	kindConflict       = kind{"conflict", "Conflict", 409}
	kindTooLarge       = kind{"payload-too-large", "Payload too large", 413}
	kindUnsupportedMed = kind{"unsupported-media-type", "Unsupported media type", 415}
	kindRateLimited    = kind{"rate-limited", "Rate limited", 429}
	kindInternal       = kind{"internal", "Internal error", 500}
)

// httpError is a refusal decided by this package. Detail is shown to the
// client; Err, when set, is only logged.
type httpError struct {
	kind   kind
	detail string
	fields []fieldError
	// retry is the Retry-After of a 429.
	retry time.Duration
	// allow is the Allow header of a 405.
	allow string
	err   error
}

// Error returns the detail and the logged cause.
func (e *httpError) Error() string {
	if e.err != nil {
		return e.kind.slug + ": " + e.detail + ": " + e.err.Error()
	}
	return e.kind.slug + ": " + e.detail
}

// Unwrap returns the logged cause.
func (e *httpError) Unwrap() error {
	return e.err
}

// fieldError is one entry of a problem's "errors" member.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// problem is an RFC 9457 problem document with our extension members.
type problem struct {
	Type      string       `json:"type"`
	Title     string       `json:"title"`
	Status    int          `json:"status"`
	Detail    string       `json:"detail"`
	Instance  string       `json:"instance,omitempty"`
	RequestID string       `json:"request_id,omitempty"`
	Errors    []fieldError `json:"errors,omitempty"`
}

// classify turns any error into the httpError to answer with.
func classify(err error) *httpError {
	var he *httpError
	if errors.As(err, &he) {
		return he
	}
	detail := "the request failed"
	var ie *issuer.Error
	if errors.As(err, &ie) {
		detail = ie.Detail
	}

	var ve *issuer.ValidationError
	switch {
	case errors.As(err, &ve):
		return &httpError{kind: kindInvalid, detail: "the request is invalid",
			fields: toFieldErrors(ve.Fields), err: err}
	case errors.Is(err, issuer.ErrUnauthenticated):
		return &httpError{kind: kindUnauthorized, detail: unauthorizedDetail, err: err}
	}
	for _, m := range issuerKinds {
		if errors.Is(err, m.err) {
			return &httpError{kind: m.kind, detail: detail, err: err}
		}
	}
	return &httpError{kind: kindInternal, detail: "the server failed to handle the request",
		err: err}
}

// unauthorizedDetail is the one message of every 401: it never says which
// part of the key failed.
const unauthorizedDetail = "a valid API key is required"

// issuerKinds maps the service's refusals onto problem kinds.
var issuerKinds = []struct {
	err  error
	kind kind
}{
	{issuer.ErrOrgSuspended, kindOrgSuspended},
	{issuer.ErrForbidden, kindForbidden},
	{issuer.ErrNotFound, kindNotFound},
	{issuer.ErrInvalidTransition, kindTransition},
	{issuer.ErrConflict, kindConflict},
}

// toFieldErrors converts the service's field errors.
func toFieldErrors(in []issuer.FieldError) []fieldError {
	out := make([]fieldError, len(in))
	for i, f := range in {
		out[i] = fieldError{Field: f.Field, Message: f.Message}
	}
	return out
}

// fail answers a request with the problem that err stands for and logs
// err: at error level for a server failure, at debug level otherwise. It
// is the only writer of error responses.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	he := classify(err)
	ctx := r.Context()
	if he.kind.status >= 500 {
		s.log.ErrorContext(ctx, "request failed", logError, err.Error())
	} else {
		s.log.DebugContext(ctx, "request refused", logError, err.Error())
	}

	h := w.Header()
	switch he.kind.status {
	case http.StatusUnauthorized:
		h.Set("WWW-Authenticate", wwwAuthenticate(err))
	case http.StatusTooManyRequests:
		h.Set("Retry-After", strconv.Itoa(retryAfter(he.retry)))
	case http.StatusMethodNotAllowed:
		h.Set("Allow", he.allow)
	}
	s.writeProblem(w, r, he)
}

// writeProblem writes he as an application/problem+json document.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, he *httpError) {
	id := reqctx.RequestID(r.Context())
	p := problem{
		Type: ProblemTypeBase + he.kind.slug, Title: he.kind.title, Status: he.kind.status,
		Detail: he.detail, RequestID: id, Errors: he.fields,
	}
	if id != "" {
		p.Instance = "urn:agentidp:request:" + id
	}

	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(he.kind.status)
	// The client may be gone; there is nobody left to tell.
	_ = json.NewEncoder(w).Encode(p)
}

// errNoCredentials marks a request that carried no bearer key at all,
// which RFC 6750 section 3.1 answers without an error code.
var errNoCredentials = errors.New("no bearer credentials")

// wwwAuthenticate returns the challenge of a 401.
func wwwAuthenticate(err error) string {
	if errors.Is(err, errNoCredentials) {
		return `Bearer realm="agentidp"`
	}
	return `Bearer realm="agentidp", error="invalid_token"`
}

// writeJSON writes v as the JSON body of a successful response.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	// The client may be gone; there is nobody left to tell.
	_ = json.NewEncoder(w).Encode(v)
}
