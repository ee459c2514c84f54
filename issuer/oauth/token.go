package oauth

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"
)

// grantClientCredentials is the one grant type the token endpoint offers
// (RFC 6749 section 4.4.2).
const grantClientCredentials = "client_credentials"

// tokenResponse is a successful token response (RFC 6749 section 5.1),
// with the ID token of OIDC Core section 3.1.3.3 when openid was asked.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope,omitempty"`
	IDToken     string `json:"id_token,omitempty"`
}

// token serves POST /oauth2/token.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.clock()

	// 1. Read the form: bounded, well-formed, each parameter once.
	f, e := s.readForm(w, r)
	if e != nil {
		s.fail(w, r, e)
		return
	}

	// 2. Check the grant type before any lookup: only
	// client_credentials is offered.
	if e := checkGrantType(f.get(paramGrantType)); e != nil {
		s.fail(w, r, e)
		return
	}

	// 3. Authenticate the client: an active agent of an active
	// organisation presenting one live credential.
	c, ref := s.authenticate(ctx, w, r, f, now)
	if ref != nil {
		s.refuse(w, r, ref, actionTokenRefuse)
		return
	}

	// 4. Decide scopes, audience and lifetime.
	g, e := s.decide(f, c, now)
	if e != nil {
		s.refuse(w, r, &refusal{agent: &c.agent, org: &c.org, err: e}, actionTokenRefuse)
		return
	}

	// 5. Mint, record, and only then deliver.
	resp, e := s.issue(ctx, g)
	if e != nil {
		s.fail(w, r, e)
		return
	}
	s.metrics.issued.WithLabelValues(c.method).Inc()
	writeJSON(w, http.StatusOK, resp)
}

// checkGrantType refuses a missing or unsupported grant type.
func checkGrantType(gt string) *oauthError {
	switch gt {
	case grantClientCredentials:
		return nil
	case "":
		return badRequest(errInvalidRequest, "grant_type is required")
	}
	return badRequest(errUnsupportedGrantType, "only client_credentials is supported")
}

// authenticate parses a request's client credentials and authenticates its
// client: the one path every client-authenticated endpoint takes.
func (s *Server) authenticate(ctx context.Context, w http.ResponseWriter, r *http.Request,
	f form, now time.Time) (client, *refusal) {
	cred, e := parseCredentials(r, f)
	if e != nil {
		return client{}, &refusal{err: e}
	}
	noteClient(w, cred.clientID)
	return s.authenticateClient(ctx, cred, now)
}

// decide works out what to grant an authenticated client.
func (s *Server) decide(f form, c client, now time.Time) (grant, *oauthError) {
	scopes, e := grantScopes(f.get(paramScope), c.agent.Scopes)
	if e != nil {
		return grant{}, e
	}
	aud, e := s.grantAudience(f)
	if e != nil {
		return grant{}, e
	}
	return grant{client: c, scopes: scopes, audience: aud,
		ttl: s.tokenTTL(c.agent, c.org), now: now}, nil
}

// issue mints the tokens of g and records the issuance. A token whose
// issuance could not be recorded is never delivered.
func (s *Server) issue(ctx context.Context, g grant) (tokenResponse, *oauthError) {
	m, err := s.mintAccessToken(g)
	if err != nil {
		return tokenResponse{}, internalError(err)
	}
	resp := tokenResponse{AccessToken: m.token, TokenType: tokenTypeBearer,
		ExpiresIn: m.claims.ExpiresAt - m.claims.IssuedAt,
		Scope:     strings.Join(g.scopes, " ")}
	if slices.Contains(g.scopes, scopeOpenID) {
		if resp.IDToken, err = s.mintIDToken(g, m.claims.ExpiresAt); err != nil {
			return tokenResponse{}, internalError(err)
		}
	}

	if err := s.recordIssue(ctx, g, m); err != nil {
		return tokenResponse{}, internalError(err)
	}
	s.log.DebugContext(ctx, "token issued", logClientID, g.client.agent.ID,
		logJTI, m.claims.JTI, logKID, m.kid)
	return resp, nil
}
