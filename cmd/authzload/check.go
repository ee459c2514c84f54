package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/genproto/googleapis/rpc/code"

	"github.com/agentidp/agentidp/internal/loadtest"
)

// The route every request is for, with the requirements the control plane
// would set on it.
const (
	routeHost   = "api.internal"
	routePath   = "/invoices/42"
	routeScopes = "invoices:read"
	userAgent   = "authzload/1"
)

// newCheckRequest returns what Envoy's ext_authz filter sends for
// GET https://api.internal/invoices/42 carrying token as its bearer token.
// Each request gets its own x-request-id; a request is built once and then
// sent many times, read-only, from many goroutines.
func newCheckRequest(token string) *authv3.CheckRequest {
	id := requestID()
	hdr := map[string]string{
		":authority":   routeHost,
		":method":      "GET",
		":path":        routePath,
		"user-agent":   userAgent,
		"x-request-id": id,
	}
	if token != "" {
		hdr["authorization"] = "Bearer " + token
	}
	return &authv3.CheckRequest{Attributes: &authv3.AttributeContext{
		Source:      &authv3.AttributeContext_Peer{Address: socket("10.0.0.7", 41234)},
		Destination: &authv3.AttributeContext_Peer{Address: socket("10.0.0.2", 8443)},
		Request: &authv3.AttributeContext_Request{Http: &authv3.AttributeContext_HttpRequest{
			Id:       id,
			Method:   "GET",
			Headers:  hdr,
			Path:     routePath,
			Host:     routeHost,
			Scheme:   "https",
			Protocol: "HTTP/1.1",
		}},
		ContextExtensions: map[string]string{
			"agentidp.mode":   "required",
			"agentidp.scopes": routeScopes,
		},
	}}
}

func socket(ip string, port uint32) *corev3.Address {
	return &corev3.Address{Address: &corev3.Address_SocketAddress{
		SocketAddress: &corev3.SocketAddress{
			Address:       ip,
			PortSpecifier: &corev3.SocketAddress_PortValue{PortValue: port},
		},
	}}
}

func requestID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// want is the answer a request must get.
type want int

const (
	// wantAllow: status OK with an OkHttpResponse.
	wantAllow want = iota
	// wantUnauthorized: a non-OK status with a DeniedHttpResponse of 401.
	wantUnauthorized
)

func (w want) String() string {
	if w == wantAllow {
		return "allow"
	}
	return "deny with 401"
}

// check returns nil when resp is the answer w asks for, and otherwise an
// error wrapping loadtest.ErrUnexpected that says what came instead.
func (w want) check(resp *authv3.CheckResponse) error {
	ok := resp.GetStatus().GetCode() == int32(code.Code_OK)
	switch {
	case w == wantAllow && ok && resp.GetOkResponse() != nil:
		return nil
	case w == wantUnauthorized && !ok &&
		resp.GetDeniedResponse().GetStatus().GetCode() == typev3.StatusCode_Unauthorized:
		return nil
	}
	return fmt.Errorf("%w: want %s, got %s", loadtest.ErrUnexpected, w, describe(resp))
}

// describe names an answer by its status and HTTP outcome, never by its
// headers or body.
func describe(resp *authv3.CheckResponse) string {
	s := fmt.Sprintf("status %d", resp.GetStatus().GetCode())
	switch {
	case resp.GetOkResponse() != nil:
		return s + " with an ok response"
	case resp.GetDeniedResponse() != nil:
		return fmt.Sprintf("%s with a denied response of %d", s,
			resp.GetDeniedResponse().GetStatus().GetCode())
	case resp.GetErrorResponse() != nil:
		return s + " with an error response"
	}
	return s + " without an http response"
}

var errNotJWS = errors.New("the token is not a compact JWS")

// tamper returns token with one bit of its signature flipped: still a
// well-formed JWS whose signature no longer verifies.
func tamper(token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return "", errNotJWS
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) == 0 {
		return "", errNotJWS
	}
	sig[len(sig)/2] ^= 0x01
	parts[2] = base64.RawURLEncoding.EncodeToString(sig)
	return strings.Join(parts, "."), nil
}
