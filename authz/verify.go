package authz

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/agentidp/agentidp/authz/keyset"
)

// verify checks a token seen for the first time, in the order that costs
// least for a bad one: its form, its algorithm and type, its issuer and
// key, the signature, then its claims. It returns the verdict, or the
// reason the token is refused (with the seconds to wait when the reason
// is ReasonUnavailable).
func (s *Server) verify(ctx context.Context, token string, d digest,
	now time.Time) (*verdict, string, int) {
	// 1. A compact JWS of an access token, signed with a listed algorithm.
	j, err := parseJWS(token)
	if err != nil {
		return nil, ReasonMalformed, 0
	}
	if !supportedAlg(j.header.Alg) {
		return nil, ReasonAlg, 0
	}
	if !isAccessTokenType(j.header.Typ) {
		return nil, ReasonType, 0
	}

	// 2. A trusted issuer and one of its keys. The claims are read before
	// the signature only to learn which issuer to ask.
	c := &j.claims
	partner, trusted := "", c.Issuer == s.local
	if !trusted {
		partner, trusted = s.partner(c.Issuer)
	}
	if !trusted {
		return nil, ReasonIssuer, 0
	}
	key, err := s.keys.Key(ctx, c.Issuer, j.header.Kid)
	if err != nil {
		return s.keyFailure(ctx, err)
	}

	// 3. The signature, under the key's own algorithm.
	if key.Alg != j.header.Alg || !verifySignature(key.Alg, key.Public, j.signingInput,
		j.signature) {
		return nil, ReasonSignature, 0
	}

	// 4. The claims.
	if reason := s.checkClaims(c, partner == "", now); reason != "" {
		return nil, reason, 0
	}
	id := s.cache.intern(c, partner, func() *identity { return s.newIdentity(c, partner) })
	return &verdict{digest: d, id: id, jti: c.JTI, kid: key.KID, exp: c.ExpiresAt}, "", 0
}

// keyFailure maps a key-set error to the reason a token is refused.
func (s *Server) keyFailure(ctx context.Context, err error) (*verdict, string, int) {
	var unavailable *keyset.UnavailableError
	switch {
	case errors.Is(err, keyset.ErrUnknownIssuer):
		return nil, ReasonIssuer, 0
	case errors.Is(err, keyset.ErrUnknownKey):
		return nil, ReasonKey, 0
	case errors.As(err, &unavailable):
		return nil, ReasonUnavailable, int(unavailable.RetryAfter / time.Second)
	}
	// A context that ended, or a failure of the key set itself: the edge
	// cannot decide, and says so.
	s.log.WarnContext(ctx, "keys unavailable for a check", slog.Any("error", err))
	return nil, ReasonUnavailable, 1
}

// checkClaims checks an access token's lifetime and the claims the edge
// needs. A local token must carry everything this issuer always sets.
func (s *Server) checkClaims(c *tokenClaims, local bool, now time.Time) string {
	sec := float64(now.UnixNano()) / 1e9
	switch {
	case !validDate(c.ExpiresAt) || !validDate(c.NotBefore) || !validDate(c.IssuedAt):
		return ReasonClaims
	case c.ExpiresAt == 0 || c.Subject == "" || c.JTI == "":
		return ReasonClaims
	case local && (c.OrgID == "" || c.ClientID == ""):
		return ReasonClaims
	case sec >= c.ExpiresAt+s.leeway:
		return ReasonExpired
	case c.NotBefore > sec+s.leeway || c.IssuedAt > sec+s.leeway:
		return ReasonNotYet
	}
	for _, v := range [...]string{c.Issuer, c.Subject, c.OrgID, c.AgentDID, c.Scope} {
		if !validHeaderValue(v) {
			return ReasonClaims
		}
	}
	return ""
}

// newIdentity builds the identity a token's claims speak for, with its
// answer.
func (s *Server) newIdentity(c *tokenClaims, partner string) *identity {
	id := &identity{issuer: c.Issuer, partner: partner, subject: c.Subject, org: c.OrgID,
		did: c.AgentDID, scope: c.Scope, scopes: strings.Fields(c.Scope), aud: c.Audience}
	id.allow = buildAllow(id, s.header, s.removeAuth)
	return id
}
