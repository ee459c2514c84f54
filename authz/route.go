package authz

import (
	"errors"
	"fmt"
	"strings"
)

// Keys of the per-route requirements in CheckRequest.attributes.
// context_extensions, as the control plane sets them (DESIGN: outward
// contracts).
const (
	ExtMode     = "agentidp.mode"     // required, optional or public
	ExtScopes   = "agentidp.scopes"   // space-separated; all are required
	ExtAudience = "agentidp.audience" // the token's aud must name it
	ExtOrgs     = "agentidp.orgs"     // comma-separated organisation ids
	ExtPartners = "agentidp.partners" // comma-separated partner ids
)

// Mode is how a route treats the token of a request.
type Mode string

// Route modes.
const (
	// ModeRequired admits only a request with a valid token that meets the
	// route's requirements.
	ModeRequired Mode = "required"
	// ModeOptional admits a request without a token, anonymously, but
	// refuses one with a bad token.
	ModeOptional Mode = "optional"
	// ModePublic admits every request; a token is not even read, and no
	// identity reaches the upstream.
	ModePublic Mode = "public"
)

// Policy is what a route requires of a request. Lists keep their wire
// form (scopes space-separated, organisations and partners
// comma-separated) so that checking a request allocates nothing.
type Policy struct {
	Mode Mode
	// Scopes are the scopes a token must all have, space-separated.
	Scopes string
	// Audience, when set, must be in the token's aud.
	Audience string
	// Orgs, when set, are the organisations of the local issuer whose
	// tokens the route admits; empty admits every local organisation.
	Orgs string
	// Partners are the partners whose tokens the route admits; a partner's
	// token is refused unless its partner is listed, so federation opens
	// no route by default.
	Partners string
}

// errRoutePolicy is wrapped by every invalid route requirement.
var errRoutePolicy = errors.New("invalid route policy")

// routePolicy returns the requirements of a request: those of its
// context_extensions when it has any agentidp.* key, else def. A route
// that sets some keys gets the zero value, not the default, for the
// others, and required when it names no mode: what the control plane
// wrote is the whole policy.
func routePolicy(ext map[string]string, def *Policy) (Policy, error) {
	if !hasAny(ext) {
		return *def, nil
	}
	p := Policy{Mode: ModeRequired, Scopes: ext[ExtScopes], Audience: ext[ExtAudience],
		Orgs: ext[ExtOrgs], Partners: ext[ExtPartners]}
	if mode, ok := ext[ExtMode]; ok {
		p.Mode = Mode(mode)
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// hasAny reports whether ext holds any agentidp.* key, even an empty one.
func hasAny(ext map[string]string) bool {
	for _, k := range [...]string{ExtMode, ExtScopes, ExtAudience, ExtOrgs, ExtPartners} {
		if _, ok := ext[k]; ok {
			return true
		}
	}
	return false
}

// Validate checks a policy: a known mode, and lists of printable,
// non-empty items.
func (p *Policy) Validate() error {
	switch p.Mode {
	case ModeRequired, ModeOptional, ModePublic:
	default:
		return fmt.Errorf("%w: %s %q is not required, optional or public", errRoutePolicy,
			ExtMode, p.Mode)
	}
	for _, v := range [...]string{p.Scopes, p.Audience, p.Orgs, p.Partners} {
		if strings.ContainsFunc(v, unsafeInHeader) {
			return fmt.Errorf("%w: a requirement holds a control character or a quote",
				errRoutePolicy)
		}
	}
	for _, l := range []struct{ key, list string }{{ExtOrgs, p.Orgs}, {ExtPartners, p.Partners}} {
		for item := range strings.SplitSeq(l.list, ",") {
			if l.list != "" && strings.TrimSpace(item) == "" {
				return fmt.Errorf("%w: %s has an empty item", errRoutePolicy, l.key)
			}
		}
	}
	return nil
}

// inList reports whether the comma-separated list names v.
func inList(list, v string) bool {
	for item := range strings.SplitSeq(list, ",") {
		if strings.TrimSpace(item) == v {
			return true
		}
	}
	return false
}

// unsafeInHeader reports the runes a requirement may not hold: it may be
// echoed in a WWW-Authenticate challenge, inside a quoted string.
func unsafeInHeader(r rune) bool {
	return r < 0x20 || r == 0x7f || r == '"' || r == '\\'
}
