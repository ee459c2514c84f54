package authz

import "net/http"

// Reason codes are the stable, machine-readable why of a decision. A denial
// reports one in its JSON body and in the dynamic metadata Envoy's access
// log reads; every decision is counted by it. They say what kind of
// problem a token has, never anything that helps forge one.
const (
	// Reasons of an allow.
	ReasonValid     = "valid"     // a verified token met the route's requirements
	ReasonPublic    = "public"    // the route needs no token
	ReasonAnonymous = "anonymous" // an optional route, reached without a token
)

// Reasons of a deny: 401 for a missing or invalid token, 403 for a valid
// token the route does not admit, 503 when the edge cannot decide.
const (
	ReasonNoToken   = "no_token"   // a route that needs a token, reached without one
	ReasonMalformed = "malformed"  // not a bearer token, or not a compact JWS
	ReasonTooLarge  = "too_large"  // over the size limit; not even decoded
	ReasonAlg       = "algorithm"  // an algorithm off the list, "none" included
	ReasonType      = "token_type" // typ is not at+jwt
	ReasonIssuer    = "unknown_issuer"
	ReasonKey       = "unknown_key"
	ReasonSignature = "bad_signature"
	ReasonClaims    = "bad_claims" // a needed claim is missing or unusable
	ReasonExpired   = "expired"
	ReasonNotYet    = "not_yet_valid"
	ReasonAudience  = "wrong_audience"
	ReasonRevoked   = "revoked"
	// ReasonAgentSuspended and ReasonAgentRevoked refuse the tokens of an
	// agent that may not act now, or ever again.
	ReasonAgentSuspended = "agent_suspended"
	ReasonAgentRevoked   = "agent_revoked"
	// ReasonOrgInactive refuses the tokens of a suspended or deleted
	// organisation.
	ReasonOrgInactive = "org_inactive"
	ReasonScope       = "insufficient_scope"
	ReasonOrg         = "org_not_allowed"
	ReasonPartner     = "partner_not_allowed"
	// ReasonUnavailable means the edge could not decide: the keys or the
	// revocation state are not to be had. The token is not known to be
	// bad.
	ReasonUnavailable = "unavailable"
	// ReasonRoutePolicy means the route's requirements are not valid: a
	// fault of the gateway's configuration, refused rather than guessed,
	// with 500.
	ReasonRoutePolicy = "invalid_route_policy"
)

// reasons lists every reason code, for metrics that start at zero.
var reasons = []string{ReasonValid, ReasonPublic, ReasonAnonymous, ReasonNoToken,
	ReasonMalformed, ReasonTooLarge, ReasonAlg, ReasonType, ReasonIssuer, ReasonKey,
	ReasonSignature, ReasonClaims, ReasonExpired, ReasonNotYet, ReasonAudience, ReasonRevoked,
	ReasonAgentSuspended, ReasonAgentRevoked, ReasonOrgInactive, ReasonScope, ReasonOrg,
	ReasonPartner, ReasonUnavailable, ReasonRoutePolicy}

// statusOf returns the HTTP status a denial answers: 401 for a missing or
// invalid token (RFC 6750 section 3.1), 403 for a valid token the route
// does not admit, 503 when the edge cannot decide.
func statusOf(reason string) int32 {
	switch reason {
	case ReasonScope, ReasonOrg, ReasonPartner:
		return http.StatusForbidden
	case ReasonUnavailable:
		return http.StatusServiceUnavailable
	case ReasonRoutePolicy:
		return http.StatusInternalServerError
	}
	return http.StatusUnauthorized
}
