package oauth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/agentidp/agentidp/internal/store"
)

// maxTokenBytes bounds a presented access token before it is decoded.
const maxTokenBytes = 16 << 10

// errInactive is wrapped by every reason a presented token is not active.
// Any other error of validateToken is a failure of the server.
var errInactive = errors.New("token inactive")

// inactive returns an error wrapping errInactive with a reason for the log.
func inactive(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errInactive, fmt.Sprintf(format, args...))
}

// validToken is an access token that passed every check, with the agent
// it was issued to and that agent's organisation.
type validToken struct {
	claims accessClaims
	agent  store.Agent
	org    store.Org
}

// parseAccessToken checks what a presented access token shows by itself:
// a compact JWS of type at+jwt whose signature verifies with a key of the
// current key set (so a token signed by a removed key is refused), issued
// by this issuer, within its lifetime, with the claims this server always
// sets.
func (s *Server) parseAccessToken(raw string, now time.Time) (accessClaims, error) {
	if len(raw) > maxTokenBytes {
		return accessClaims{}, inactive("token too large")
	}
	j, err := parseCompactJWS(raw)
	if err != nil {
		return accessClaims{}, inactive("%v", err)
	}
	if !isAccessTokenType(j.header.Typ) {
		return accessClaims{}, inactive("typ %q is not at+jwt", j.header.Typ)
	}
	ks := s.currentKeys()
	k, ok := ks.keys[j.header.Kid]
	if !ok {
		return accessClaims{}, inactive("kid %q is not published", j.header.Kid)
	}
	if err := j.verify(k.alg, k.pub); err != nil {
		return accessClaims{}, inactive("%v", err)
	}

	var c accessClaims
	if err := decodeJSON(j.payload, &c); err != nil {
		return accessClaims{}, inactive("claims: %v", err)
	}
	return c, checkAccessClaims(c, s.issuer, now)
}

// isAccessTokenType accepts at+jwt and its full media type (RFC 9068
// section 2.1, RFC 7515 section 4.1.9).
func isAccessTokenType(typ string) bool {
	return strings.EqualFold(typ, typAccessToken) ||
		strings.EqualFold(typ, "application/"+typAccessToken)
}

// checkAccessClaims checks an access token's issuer, lifetime and the
// claims every token of this server has. Another instance may have signed
// the token with a clock slightly ahead, hence the skew on nbf and iat.
func checkAccessClaims(c accessClaims, issuer string, now time.Time) error {
	skewed := now.Add(clockSkew).Unix()
	switch {
	case c.Issuer != issuer:
		return inactive("iss %q is not this issuer", c.Issuer)
	case now.Unix() >= c.ExpiresAt:
		return inactive("expired")
	case c.NotBefore > skewed || c.IssuedAt > skewed:
		return inactive("not valid yet")
	case c.JTI == "" || c.Subject == "" || c.OrgID == "" || c.ClientID == "":
		return inactive("missing jti, sub, org_id or client_id")
	}
	return nil
}

// validateToken is the one place where every check of a presented access
// token happens, for introspection and /agent-info alike. orgID, when not
// empty, confines the answer to tokens of that organisation.
func (s *Server) validateToken(ctx context.Context, raw, orgID string,
	now time.Time) (validToken, error) {
	// 1. Signature, issuer, lifetime: no store needed.
	c, err := s.parseAccessToken(raw, now)
	if err != nil {
		return validToken{}, err
	}

	// 2. The caller's organisation only.
	if orgID != "" && c.OrgID != orgID {
		return validToken{}, inactive("token of another organization")
	}

	// 3. Not revoked.
	revoked, err := s.st.IsTokenRevoked(ctx, c.JTI)
	if err != nil {
		return validToken{}, fmt.Errorf("look up revocation: %w", err)
	}
	if revoked {
		return validToken{}, inactive("revoked")
	}

	// 4. Its agent still exists, in the token's organisation, and both
	// are active.
	agent, org, err := s.st.FindAgent(ctx, c.Subject)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return validToken{}, inactive("agent gone")
	case err != nil:
		return validToken{}, fmt.Errorf("find agent: %w", err)
	case agent.OrgID != c.OrgID:
		return validToken{}, inactive("agent is not of the token's organization")
	}
	if err := admissible(agent, org); err != nil {
		return validToken{}, inactive("%v", err)
	}
	return validToken{claims: c, agent: agent, org: org}, nil
}
