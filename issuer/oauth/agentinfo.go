package oauth

import (
	"errors"
	"net/http"
	"strings"
)

// agentInfo is the body of /agent-info: the agent's claims, like an OIDC
// userinfo response (OIDC Core section 5.3.2).
type agentInfo struct {
	Subject  string `json:"sub"`
	Name     string `json:"name,omitempty"`
	OrgID    string `json:"org_id"`
	AgentDID string `json:"agent_did"`
	Owner    string `json:"owner,omitempty"`
	Scope    string `json:"scope,omitempty"`
	ClientID string `json:"client_id"`
}

// agentInfo serves GET and POST /agent-info for a bearer access token
// sent in the Authorization header (RFC 6750 section 2.1), the one way
// that keeps tokens out of bodies and URLs. The token's audience is not
// checked: a valid token of this issuer may always learn who it stands
// for.
func (s *Server) agentInfo(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()

	// 1. Take the bearer token.
	raw, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		// RFC 6750 section 3.1: a request without a token gets the
		// challenge without an error code.
		s.fail(w, r, &oauthError{status: http.StatusUnauthorized, code: errInvalidRequest,
			description: "a bearer access token is required", challenge: bearerChallenge})
		return
	}

	// 2. Check it as introspection does, in any organisation.
	v, err := s.validateToken(ctx, raw, "", s.clock())
	switch {
	case errors.Is(err, errInactive):
		s.fail(w, r, &oauthError{status: http.StatusUnauthorized, code: errInvalidToken,
			description: "the access token is invalid", challenge: invalidTokenAuth, err: err})
		return
	case err != nil:
		s.fail(w, r, internalError(err))
		return
	}
	noteClient(w, v.agent.ID)

	// 3. Answer with the agent's claims as stored now.
	a := v.agent
	writeJSON(w, http.StatusOK, agentInfo{Subject: a.ID, Name: a.Name, OrgID: a.OrgID,
		AgentDID: s.agentDID(a.ID), Owner: a.Owner, Scope: v.claims.Scope,
		ClientID: v.claims.ClientID})
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(header string) (string, bool) {
	scheme, token, ok := strings.Cut(header, " ")
	token = strings.TrimSpace(token)
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
		return "", false
	}
	return token, true
}
