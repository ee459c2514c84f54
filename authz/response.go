package authz

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/genproto/googleapis/rpc/code"
	"google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/types/known/structpb"
)

// Identity headers set on an allowed request (DESIGN: outward contracts).
// Envoy hands header names to ext_authz in lower case.
const (
	HeaderAgentID     = "x-agent-id"
	HeaderAgentOrg    = "x-agent-org"
	HeaderAgentDID    = "x-agent-did"
	HeaderAgentScopes = "x-agent-scopes"
	HeaderAgentIssuer = "x-agent-issuer"
)

// identityHeaders are every header the edge owns on an upstream request:
// a client's copies never reach the upstream.
var identityHeaders = []string{HeaderAgentID, HeaderAgentOrg, HeaderAgentDID,
	HeaderAgentScopes, HeaderAgentIssuer}

// Keys of the dynamic metadata every answer carries, for Envoy's access
// log and RBAC filter (under the ext_authz filter's namespace).
const (
	MetaDecision = "decision" // "allow" or "deny"
	MetaReason   = "reason"   // a reason code
	MetaAgent    = "agent_id"
	MetaOrg      = "org_id"
	MetaScopes   = "scopes"
	MetaIssuer   = "issuer"
)

// identity is who an allowed token speaks for, with the answer that
// admits it built once: tokens of the same agent, scopes and audience
// share one identity, so a cache of many decisions holds few answers.
// It never changes once built; its answer is only ever read, so one
// message may be marshalled by many responses at once.
type identity struct {
	issuer  string
	partner string // the partner's id; "" for the local issuer
	subject string
	org     string
	did     string
	scope   string
	scopes  []string
	aud     audience
	allow   *authv3.CheckResponse
}

// hasScope reports whether the identity was granted scope s.
func (id *identity) hasScope(s string) bool {
	for _, v := range id.scopes {
		if v == s {
			return true
		}
	}
	return false
}

// buildAllow makes the answer that admits id: its headers overwrite any
// the client sent, the identity headers it has no value for are removed,
// and so is the authorization header when removeAuth.
func buildAllow(id *identity, authHeader string, removeAuth bool) *authv3.CheckResponse {
	values := [...]string{id.subject, id.org, id.did, id.scope, id.issuer}
	ok := &authv3.OkHttpResponse{}
	for i, name := range identityHeaders {
		if values[i] == "" {
			ok.HeadersToRemove = append(ok.HeadersToRemove, name)
			continue
		}
		ok.Headers = append(ok.Headers, overwrite(name, values[i]))
	}
	if removeAuth {
		ok.HeadersToRemove = append(ok.HeadersToRemove, authHeader)
	}
	return &authv3.CheckResponse{
		Status:       &status.Status{Code: int32(code.Code_OK)},
		HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: ok},
		DynamicMetadata: metadata(map[string]string{MetaDecision: "allow",
			MetaReason: ReasonValid, MetaAgent: id.subject, MetaOrg: id.org,
			MetaScopes: id.scope, MetaIssuer: id.issuer}),
	}
}

// buildPassThrough makes the answer that admits a request without an
// identity (a public route, or an optional one reached without a token):
// every identity header the client sent is removed.
func buildPassThrough(reason string) *authv3.CheckResponse {
	return &authv3.CheckResponse{
		Status: &status.Status{Code: int32(code.Code_OK)},
		HttpResponse: &authv3.CheckResponse_OkResponse{OkResponse: &authv3.OkHttpResponse{
			HeadersToRemove: identityHeaders,
		}},
		DynamicMetadata: metadata(map[string]string{MetaDecision: "allow", MetaReason: reason}),
	}
}

// denial is the wire form of a refusal's body.
type denial struct {
	Error  string `json:"error,omitempty"`
	Reason string `json:"reason"`
	Scope  string `json:"scope,omitempty"`
}

// buildDeny makes the answer that refuses a request for reason. scope is
// the scope the route needs, for insufficient_scope; retryAfter the
// seconds to wait, for unavailable.
func buildDeny(reason, scope string, retryAfter int) *authv3.CheckResponse {
	st := statusOf(reason)
	body := denial{Reason: reason}
	var headers []*corev3.HeaderValueOption
	switch st {
	case http.StatusUnauthorized:
		// RFC 6750 section 3.1: no error code when no token came.
		challenge := "Bearer"
		if reason != ReasonNoToken {
			body.Error = "invalid_token"
			challenge = `Bearer error="invalid_token"`
		}
		headers = append(headers, overwrite("www-authenticate", challenge))
	case http.StatusForbidden:
		body.Error, body.Scope = "insufficient_scope", scope
		challenge := `Bearer error="insufficient_scope"`
		if scope != "" {
			challenge += `, scope="` + scope + `"`
		}
		headers = append(headers, overwrite("www-authenticate", challenge))
	case http.StatusServiceUnavailable:
		body.Error = "temporarily_unavailable"
		headers = append(headers, overwrite("retry-after", strconv.Itoa(max(retryAfter, 1))))
	default:
		body.Error = "server_error"
	}
	headers = append(headers, overwrite("content-type", "application/json"),
		overwrite("cache-control", "no-store"))
	b, _ := json.Marshal(body) // a struct of strings always encodes

	return &authv3.CheckResponse{
		Status: &status.Status{Code: int32(grpcCodeOf(st))},
		HttpResponse: &authv3.CheckResponse_DeniedResponse{DeniedResponse: &authv3.DeniedHttpResponse{
			Status:  &typev3.HttpStatus{Code: typev3.StatusCode(st)},
			Headers: headers,
			Body:    string(b),
		}},
		DynamicMetadata: metadata(map[string]string{MetaDecision: "deny", MetaReason: reason}),
	}
}

// grpcCodeOf maps a denial's HTTP status to the status code of the
// CheckResponse; Envoy denies on any code but OK.
func grpcCodeOf(httpStatus int32) code.Code {
	switch httpStatus {
	case http.StatusUnauthorized:
		return code.Code_UNAUTHENTICATED
	case http.StatusForbidden:
		return code.Code_PERMISSION_DENIED
	case http.StatusServiceUnavailable:
		return code.Code_UNAVAILABLE
	}
	return code.Code_INTERNAL
}

// overwrite is a header that replaces every value of its name.
func overwrite(name, value string) *corev3.HeaderValueOption {
	return &corev3.HeaderValueOption{
		Header:       &corev3.HeaderValue{Key: name, Value: value},
		AppendAction: corev3.HeaderValueOption_OVERWRITE_IF_EXISTS_OR_ADD,
	}
}

// metadata builds dynamic metadata from string fields, leaving out the
// empty ones.
func metadata(fields map[string]string) *structpb.Struct {
	s := &structpb.Struct{Fields: make(map[string]*structpb.Value, len(fields))}
	for k, v := range fields {
		if v != "" {
			s.Fields[k] = structpb.NewStringValue(v)
		}
	}
	return s
}

// denials holds the refusals that depend on their reason alone, built
// once.
type denials map[string]*authv3.CheckResponse

func newDenials() denials {
	d := denials{}
	for _, r := range reasons {
		switch statusOf(r) {
		case http.StatusUnauthorized, http.StatusInternalServerError:
			d[r] = buildDeny(r, "", 0)
		}
	}
	return d
}

// validHeaderValue reports whether a claim can be an HTTP header value
// as is: no control characters (RFC 9110 section 5.5), so that a
// partner's claims can never split or break the upstream request.
func validHeaderValue(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
