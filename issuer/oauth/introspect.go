package oauth

import (
	"errors"
	"net/http"
)

// introspection is an introspection response (RFC 7662 section 2.2) with
// the organisation and the agent's DID. An inactive token gets
// {"active":false} and nothing else.
type introspection struct {
	Active    bool     `json:"active"`
	Scope     string   `json:"scope,omitempty"`
	ClientID  string   `json:"client_id,omitempty"`
	TokenType string   `json:"token_type,omitempty"`
	ExpiresAt int64    `json:"exp,omitempty"`
	IssuedAt  int64    `json:"iat,omitempty"`
	NotBefore int64    `json:"nbf,omitempty"`
	Subject   string   `json:"sub,omitempty"`
	Audience  audience `json:"aud,omitempty"`
	Issuer    string   `json:"iss,omitempty"`
	JTI       string   `json:"jti,omitempty"`
	OrgID     string   `json:"org_id,omitempty"`
	AgentDID  string   `json:"agent_did,omitempty"`
}

// introspect serves POST /oauth2/introspect.
func (s *Server) introspect(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.clock()

	// 1. Read the form.
	f, e := s.readForm(w, r)
	if e != nil {
		s.fail(w, r, e)
		return
	}

	// 2. Authenticate the caller as the token endpoint does.
	c, ref := s.authenticate(ctx, w, r, f, now)
	if ref != nil {
		s.refuse(w, r, ref, actionTokenIntrospect)
		return
	}

	// 3. A token is required; token_type_hint is only a hint, and every
	// token of this server is an access token.
	raw := f.get(paramToken)
	if raw == "" {
		s.fail(w, r, badRequest(errInvalidRequest, "token is required"))
		return
	}

	// 4. Check the token, within the caller's organisation only.
	v, err := s.validateToken(ctx, raw, c.org.ID, now)
	switch {
	case errors.Is(err, errInactive):
		s.log.DebugContext(ctx, "introspected token inactive", logError, err.Error())
		writeJSON(w, http.StatusOK, introspection{Active: false})
		return
	case err != nil:
		s.fail(w, r, internalError(err))
		return
	}
	writeJSON(w, http.StatusOK, activeIntrospection(v.claims))
}

// activeIntrospection is the response for an active token.
func activeIntrospection(c accessClaims) introspection {
	return introspection{
		Active: true, Scope: c.Scope, ClientID: c.ClientID, TokenType: tokenTypeBearer,
		ExpiresAt: c.ExpiresAt, IssuedAt: c.IssuedAt, NotBefore: c.NotBefore,
		Subject: c.Subject, Audience: c.Audience, Issuer: c.Issuer, JTI: c.JTI,
		OrgID: c.OrgID, AgentDID: c.AgentDID,
	}
}
