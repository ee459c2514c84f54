package oauth

import (
	"net/url"
	"slices"
	"strings"
)

// Limits on what a token request may ask for.
const (
	// maxAudiences bounds the resource and audience values of a request.
	maxAudiences = 8
	// maxAudienceLen bounds one of them.
	maxAudienceLen = 2048
)

// grantScopes returns the scopes to grant for a requested scope parameter:
// when absent, all the agent's allowed scopes (RFC 6749 section 3.3 lets
// the server pick a default); when present, its scope tokens, each of which
// must be allowed to the agent. openid is always allowed: it asks for an
// ID token and grants no access. Duplicates are dropped, the order kept.
func grantScopes(requested string, allowed []string) ([]string, *oauthError) {
	if requested == "" {
		return slices.Clone(allowed), nil
	}

	var out []string
	for tok := range strings.SplitSeq(requested, " ") {
		switch {
		case tok == "":
			continue // tolerate doubled spaces
		case !validScopeToken(tok):
			return nil, badRequest(errInvalidScope, "the scope parameter is malformed")
		case tok != scopeOpenID && !slices.Contains(allowed, tok):
			return nil, badRequest(errInvalidScope,
				"the requested scope exceeds the scopes allowed to the client")
		case !slices.Contains(out, tok):
			out = append(out, tok)
		}
	}
	return out, nil
}

// validScopeToken reports whether s is a scope-token of RFC 6749 section
// 3.3: printable ASCII without space, double quote or backslash.
func validScopeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// grantAudience returns the audience of the token: the resource values
// (RFC 8707), which must be absolute URIs without a fragment, and the
// audience values (logical names, as RFC 8693 section 2.1 allows), in that
// order without duplicates. A request naming none gets the issuer, so that
// a token is always for someone: the deployment, whose edge admits it on
// routes that ask for no particular audience.
func (s *Server) grantAudience(f form) (audience, *oauthError) {
	resources, names := f.all(paramResource), f.all(paramAudience)
	if len(resources)+len(names) > maxAudiences {
		return nil, badRequest(errInvalidTarget, "too many resource or audience values")
	}

	var out audience
	for _, r := range resources {
		u, err := url.Parse(r)
		if err != nil || !u.IsAbs() || u.Host == "" || strings.Contains(r, "#") ||
			len(r) > maxAudienceLen {
			return nil, badRequest(errInvalidTarget,
				"a resource must be an absolute URI without a fragment")
		}
		out = appendNew(out, r)
	}
	for _, n := range names {
		if len(n) > maxAudienceLen || !validScopeToken(n) {
			return nil, badRequest(errInvalidTarget,
				"an audience must be printable ASCII without spaces")
		}
		out = appendNew(out, n)
	}
	if len(out) == 0 {
		out = audience{s.issuer}
	}
	return out, nil
}

// appendNew appends v unless a already holds it.
func appendNew(a audience, v string) audience {
	if slices.Contains(a, v) {
		return a
	}
	return append(a, v)
}
