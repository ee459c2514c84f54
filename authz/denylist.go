package authz

import (
	"sync"
	"sync/atomic"
	"time"
)

// Subject kinds a Denial names.
const (
	// DenyToken refuses one access token, by its jti, until its exp.
	DenyToken = "token"
	// DenyAgent refuses every token whose sub is the agent.
	DenyAgent = "agent"
	// DenyOrg refuses every token whose org_id is the organisation.
	DenyOrg = "org"
)

// Denial is one change to the revocation state of an issuer's subjects:
// a token, an agent or an organisation starts (Denied) or stops being
// refused. An agent that is reactivated, say, is a Denial with Denied
// false.
type Denial struct {
	// Issuer is the iss of the tokens the denial applies to.
	Issuer string
	// Kind is DenyToken, DenyAgent or DenyOrg.
	Kind string
	// ID is the jti, agent id or organisation id.
	ID string
	// Denied is false when the subject is admitted again.
	Denied bool
	// Reason is the reason code a refusal reports: ReasonRevoked,
	// ReasonAgentSuspended, ReasonAgentRevoked or ReasonOrgInactive.
	Reason string
	// Until is when a denied token expires and its denial may be
	// forgotten; zero keeps it. Unused for agents and organisations.
	Until time.Time
}

// Denylist is the revocation state the edge enforces, held in memory:
// revoked tokens, and suspended or revoked agents and organisations, per
// issuer. Readers never wait: each Check reads an immutable snapshot, and
// writers build the next one (copy on write), which suits a state that
// changes rarely and is read on every request.
//
// A Denylist is not ready until its first Replace: until then the edge
// cannot know what was revoked, so it denies with 503.
type Denylist struct {
	mu  sync.Mutex // serialises writers
	cur atomic.Pointer[denyState]
}

// denyState is one immutable snapshot of the revocation state.
type denyState struct {
	issuers map[string]*issuerDenials
}

// issuerDenials are the refused subjects of one issuer, with the reason
// code each reports.
type issuerDenials struct {
	tokens map[string]tokenDenial
	agents map[string]string
	orgs   map[string]string
}

// tokenDenial is a revoked token: its reason and when it expires.
type tokenDenial struct {
	reason string
	until  int64 // Unix seconds; 0 never
}

// NewDenylist returns a Denylist that is not ready yet.
func NewDenylist() *Denylist {
	return &Denylist{}
}

// Ready reports whether the Denylist holds a complete state.
func (d *Denylist) Ready() bool {
	return d.cur.Load() != nil
}

// Replace sets the whole revocation state to the denials given, which
// must all be Denied, and makes the Denylist ready. It is how a feed
// loads its first snapshot and how it resynchronises.
func (d *Denylist) Replace(all []Denial) {
	d.mu.Lock()
	defer d.mu.Unlock()
	next := &denyState{issuers: map[string]*issuerDenials{}}
	next.apply(all)
	d.cur.Store(next)
}

// Apply applies changes in order on top of the current state. On a
// Denylist that is not ready, it starts from an empty state but stays
// not ready, as a feed may not have read its snapshot yet.
func (d *Denylist) Apply(changes ...Denial) {
	if len(changes) == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	cur := d.cur.Load()
	if cur == nil {
		return
	}
	next := cur.clone(changes)
	next.apply(changes)
	d.cur.Store(next)
}

// Len returns how many tokens, agents and organisations are refused.
func (d *Denylist) Len() (tokens, agents, orgs int) {
	s := d.cur.Load()
	if s == nil {
		return 0, 0, 0
	}
	for _, den := range s.issuers {
		tokens += len(den.tokens)
		agents += len(den.agents)
		orgs += len(den.orgs)
	}
	return tokens, agents, orgs
}

// Refusal returns the reason code that refuses a token of issuer with
// this jti, subject and organisation, or "" when nothing does or the
// Denylist is not ready.
func (d *Denylist) Refusal(issuer, jti, subject, org string) string {
	s := d.cur.Load()
	if s == nil {
		return ""
	}
	return s.refusal(issuer, jti, subject, org)
}

// snapshot returns the current state, nil when not ready.
func (d *Denylist) snapshot() *denyState {
	return d.cur.Load()
}

// refusal returns the reason code that refuses a token of issuer with
// this jti, subject and organisation, or "" when nothing does.
func (s *denyState) refusal(issuer, jti, sub, org string) string {
	den := s.issuers[issuer]
	if den == nil {
		return ""
	}
	if r, ok := den.orgs[org]; ok && org != "" {
		return r
	}
	if r, ok := den.agents[sub]; ok {
		return r
	}
	if t, ok := den.tokens[jti]; ok {
		return t.reason
	}
	return ""
}

// clone copies the state, deeply for the issuers that changes touch and
// by reference for the others.
func (s *denyState) clone(changes []Denial) *denyState {
	next := &denyState{issuers: make(map[string]*issuerDenials, len(s.issuers)+1)}
	for iss, den := range s.issuers {
		next.issuers[iss] = den
	}
	copied := map[string]bool{}
	for _, c := range changes {
		if copied[c.Issuer] {
			continue
		}
		copied[c.Issuer] = true
		if den := s.issuers[c.Issuer]; den != nil {
			next.issuers[c.Issuer] = den.clone()
		}
	}
	return next
}

// apply applies changes to s, which the caller owns.
func (s *denyState) apply(changes []Denial) {
	for _, c := range changes {
		den := s.issuers[c.Issuer]
		if den == nil {
			den = &issuerDenials{tokens: map[string]tokenDenial{}, agents: map[string]string{},
				orgs: map[string]string{}}
			s.issuers[c.Issuer] = den
		}
		den.apply(c)
	}
}

func (den *issuerDenials) clone() *issuerDenials {
	c := &issuerDenials{tokens: make(map[string]tokenDenial, len(den.tokens)+1),
		agents: make(map[string]string, len(den.agents)+1),
		orgs:   make(map[string]string, len(den.orgs)+1)}
	for k, v := range den.tokens {
		c.tokens[k] = v
	}
	for k, v := range den.agents {
		c.agents[k] = v
	}
	for k, v := range den.orgs {
		c.orgs[k] = v
	}
	return c
}

func (den *issuerDenials) apply(c Denial) {
	switch c.Kind {
	case DenyToken:
		if !c.Denied {
			delete(den.tokens, c.ID)
			return
		}
		var until int64
		if !c.Until.IsZero() {
			until = c.Until.Unix()
		}
		den.tokens[c.ID] = tokenDenial{reason: orDefault(c.Reason, ReasonRevoked), until: until}
	case DenyAgent:
		setOrDelete(den.agents, c, ReasonAgentSuspended)
	case DenyOrg:
		setOrDelete(den.orgs, c, ReasonOrgInactive)
	}
}

func setOrDelete(m map[string]string, c Denial, def string) {
	if c.Denied {
		m[c.ID] = orDefault(c.Reason, def)
		return
	}
	delete(m, c.ID)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
