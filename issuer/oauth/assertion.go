package oauth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/agentidp/agentidp/internal/store"
)

// assertionTypeJWTBearer is the client_assertion_type of private_key_jwt
// (RFC 7523 section 2.2).
//
//nolint:gosec // G101: a registered URN, not a credential.
const assertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

// Limits on client assertions.
const (
	// maxAssertionLifetime bounds how far ahead a client assertion's exp
	// may lie (RFC 7523 section 3, item 4 lets the server decide): a short
	// window keeps the replay cache small and a stolen assertion brief.
	maxAssertionLifetime = 5 * time.Minute
	// clockSkew absorbs the difference between the client's clock and
	// ours in exp, nbf and iat (RFC 7519 section 4.1.4).
	clockSkew = 30 * time.Second
	// maxAssertionBytes bounds an assertion before it is decoded.
	maxAssertionBytes = 16 << 10
	// maxJTILen bounds the jti kept in the replay cache.
	maxJTILen = 256
)

// assertionAlgs are the algorithms a client assertion may use: those of the
// public keys agents can register (issuer.ParsePublicJWK). Never "none",
// never a MAC, whose key the server would have to share.
var assertionAlgs = []string{"ES256", "ES384", "EdDSA", "RS256"}

// assertionClaims are the claims of a client assertion that RFC 7523
// section 3 makes the server check.
type assertionClaims struct {
	Issuer    string       `json:"iss"`
	Subject   string       `json:"sub"`
	Audience  audience     `json:"aud"`
	ExpiresAt *numericDate `json:"exp"`
	NotBefore *numericDate `json:"nbf"`
	IssuedAt  *numericDate `json:"iat"`
	JTI       string       `json:"jti"`
}

// assertion is a client assertion, parsed but not yet verified.
type assertion struct {
	jws    *compactJWS
	claims assertionClaims
}

// parseAssertion parses a client assertion and checks what needs no key:
// its form, an allowed algorithm, and iss = sub.
func parseAssertion(raw string) (*assertion, error) {
	if len(raw) > maxAssertionBytes {
		return nil, errors.New("client assertion too large")
	}
	j, err := parseCompactJWS(raw)
	if err != nil {
		return nil, fmt.Errorf("parse client assertion: %w", err)
	}
	if !slices.Contains(assertionAlgs, j.header.Alg) {
		return nil, fmt.Errorf("client assertion algorithm %q is not allowed", j.header.Alg)
	}

	a := &assertion{jws: j}
	if err := decodeJSON(j.payload, &a.claims); err != nil {
		return nil, fmt.Errorf("parse client assertion claims: %w", err)
	}
	// RFC 7523 section 3, items 1 and 2: for client authentication the
	// issuer and the subject are both the client_id.
	if a.claims.Issuer == "" || a.claims.Subject != a.claims.Issuer {
		return nil, errors.New("client assertion iss and sub must both be the client_id")
	}
	return a, nil
}

// checkAssertion verifies a client assertion for agent and remembers its
// jti, in this order: signature, claims, replay. Only an assertion signed
// by the agent reaches the store's replay cache, so that nobody else can
// fill it.
func (s *Server) checkAssertion(ctx context.Context, a *assertion, agent store.Agent,
	now time.Time) *oauthError {
	keys, err := s.st.ListAgentKeys(ctx, agent.OrgID, agent.ID)
	if err != nil {
		return internalError(fmt.Errorf("list agent keys: %w", err))
	}
	if err := verifyWithAgentKeys(a.jws, keys, now); err != nil {
		return clientRefused(err)
	}
	if err := s.checkAssertionClaims(a.claims, now); err != nil {
		return clientRefused(err)
	}

	// RFC 7523 section 3, item 7: a jti is accepted once. It is
	// remembered for as long as the assertion could be accepted.
	exp := a.claims.ExpiresAt.time().Add(clockSkew)
	err = s.st.WithTx(ctx, func(tx store.Tx) error {
		return tx.UseAssertion(ctx, agent.ID, a.claims.JTI, exp)
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		return clientRefused(errors.New("client assertion replayed"))
	case err != nil:
		return internalError(fmt.Errorf("remember client assertion: %w", err))
	}
	return nil
}

// checkAssertionClaims applies RFC 7523 section 3, items 3 to 7, less the
// replay check.
func (s *Server) checkAssertionClaims(c assertionClaims, now time.Time) error {
	switch {
	case !c.Audience.containsAny(s.tokenURL, s.issuer):
		return errors.New("client assertion aud names neither the token endpoint nor the issuer")
	case c.ExpiresAt == nil:
		return errors.New("client assertion has no exp")
	case !now.Before(c.ExpiresAt.time().Add(clockSkew)):
		return errors.New("client assertion expired")
	case c.ExpiresAt.time().After(now.Add(maxAssertionLifetime + clockSkew)):
		return fmt.Errorf("client assertion exp lies more than %s ahead", maxAssertionLifetime)
	case c.NotBefore != nil && c.NotBefore.time().After(now.Add(clockSkew)):
		return errors.New("client assertion not valid yet")
	case c.IssuedAt != nil && c.IssuedAt.time().After(now.Add(clockSkew)):
		return errors.New("client assertion issued in the future")
	case c.JTI == "" || len(c.JTI) > maxJTILen:
		return errors.New("client assertion jti missing or too long")
	}
	return nil
}

// verifyWithAgentKeys verifies j with the agent's live keys whose algorithm
// is j's: the one its kid names, or each in turn when it names none. The
// algorithm comes from the registered key, never from the header alone.
func verifyWithAgentKeys(j *compactJWS, keys []store.AgentKey, now time.Time) error {
	tried := 0
	for _, k := range keys {
		if !live(k.ExpiresAt, k.RevokedAt, now) || k.Algorithm != j.header.Alg ||
			(j.header.Kid != "" && k.KID != j.header.Kid) {
			continue
		}
		tried++
		pub, err := parsePublicKey(k.JWK, k.Algorithm)
		if err != nil {
			return fmt.Errorf("agent key %q: %w", k.KID, err)
		}
		if j.verify(k.Algorithm, pub) == nil {
			return nil
		}
	}
	if tried == 0 {
		return errors.New("no live agent key for the client assertion's kid and alg")
	}
	return errors.New("client assertion signature does not verify")
}
