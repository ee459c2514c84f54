package oauth

import (
	"encoding/json"
	"net/http"
)

// Cache lifetimes of the public documents. Relying parties refetch the key
// set within jwksCache's max-age; a new signing key is published an hour before it
// signs (internal/keys), so they hold it in time.
const (
	discoveryCache = "public, max-age=300"
	jwksCache      = "public, max-age=60"
)

// metadata is the discovery document: the fields of OIDC Discovery 1.0
// section 3 and RFC 8414 section 2 that apply to a server with a token
// endpoint and no authorization endpoint.
type metadata struct {
	Issuer                       string   `json:"issuer"`
	TokenEndpoint                string   `json:"token_endpoint"`
	JWKSURI                      string   `json:"jwks_uri"`
	IntrospectionEndpoint        string   `json:"introspection_endpoint"`
	RevocationEndpoint           string   `json:"revocation_endpoint"`
	UserinfoEndpoint             string   `json:"userinfo_endpoint"`
	GrantTypes                   []string `json:"grant_types_supported"`
	ResponseTypes                []string `json:"response_types_supported"`
	SubjectTypes                 []string `json:"subject_types_supported"`
	Scopes                       []string `json:"scopes_supported"`
	Claims                       []string `json:"claims_supported"`
	IDTokenSigningAlgs           []string `json:"id_token_signing_alg_values_supported"`
	TokenAuthMethods             []string `json:"token_endpoint_auth_methods_supported"`
	TokenAuthSigningAlgs         []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	IntrospectionAuthMethods     []string `json:"introspection_endpoint_auth_methods_supported"`
	IntrospectionAuthSigningAlgs []string `json:"introspection_endpoint_auth_signing_alg_values_supported"`
	RevocationAuthMethods        []string `json:"revocation_endpoint_auth_methods_supported"`
	RevocationAuthSigningAlgs    []string `json:"revocation_endpoint_auth_signing_alg_values_supported"`
}

// claimsSupported are the claims the server puts in its tokens and
// /agent-info.
var claimsSupported = []string{
	"iss", "sub", "aud", "exp", "iat", "nbf", "jti", "auth_time", "client_id", "scope",
	"name", "owner", "org_id", "agent_did",
}

// discovery serves the OIDC discovery document.
//
// response_types_supported, required by both specifications, is an empty
// array: the server has no authorization endpoint, so it supports no
// response type, and listing one would invite flows that fail. Likewise
// id_token_signing_alg_values_supported lists the algorithms the published
// keys actually sign with (ES256 by default) rather than the RS256 that
// OIDC Discovery asks every dynamic OP to include.
func (s *Server) discovery(w http.ResponseWriter, _ *http.Request) {
	algs := s.currentKeys().algs
	if algs == nil {
		algs = []string{}
	}
	b, err := json.Marshal(metadata{
		Issuer: s.issuer, TokenEndpoint: s.tokenURL, JWKSURI: s.issuer + PathJWKS,
		IntrospectionEndpoint: s.issuer + PathIntrospect,
		RevocationEndpoint:    s.issuer + PathRevoke,
		UserinfoEndpoint:      s.issuer + PathAgentInfo,
		GrantTypes:            []string{grantClientCredentials},
		ResponseTypes:         []string{},
		SubjectTypes:          []string{"public"},
		Scopes:                []string{scopeOpenID},
		Claims:                claimsSupported,
		IDTokenSigningAlgs:    algs,
		TokenAuthMethods:      authMethods, TokenAuthSigningAlgs: assertionAlgs,
		IntrospectionAuthMethods: authMethods, IntrospectionAuthSigningAlgs: assertionAlgs,
		RevocationAuthMethods: authMethods, RevocationAuthSigningAlgs: assertionAlgs,
	})
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: errServerError})
		return
	}
	writeBody(w, http.StatusOK, "application/json", discoveryCache, b)
}

// jwks serves the published key set, at the discovery document's jwks_uri.
func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	writeBody(w, http.StatusOK, "application/json", jwksCache, s.signer.JWKS())
}
