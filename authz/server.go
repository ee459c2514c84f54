package authz

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/agentidp/agentidp/authz/keyset"
)

// Defaults of Config.
const (
	DefaultHeader        = "authorization"
	DefaultLeeway        = 30 * time.Second
	DefaultMaxDecisions  = 200_000
	DefaultMaxRefusals   = 20_000
	DefaultRefusalTTL    = 30 * time.Second
	DefaultMaxTokenBytes = 8 << 10
)

// Config configures a Server. Zero values take their defaults.
type Config struct {
	// Keys holds the verification keys of every trusted issuer; required.
	Keys *keyset.Cache
	// Denylist is the revocation state to enforce; required. Until it is
	// ready every request that carries a token is denied with 503.
	Denylist *Denylist
	// LocalIssuer is the iss of this deployment's tokens; required. Its
	// tokens must carry org_id and client_id.
	LocalIssuer string
	// Partner maps a trusted partner's iss to its partner id; nil trusts
	// no partner. A partner must also be registered in Keys.
	Partner func(issuer string) (id string, ok bool)
	// Header is the request header that carries the bearer token, lower
	// case; DefaultHeader by default.
	Header string
	// Leeway is the clock skew tolerated on exp, nbf and iat, against
	// issuers whose clocks run a little apart from ours; DefaultLeeway by
	// default. Larger values keep expired tokens working longer.
	Leeway time.Duration
	// DefaultPolicy applies to requests whose context_extensions hold no
	// agentidp.* key; the zero value requires a valid token.
	DefaultPolicy Policy
	// RemoveAuthorization removes the token's header from allowed
	// requests, so that upstreams never see bearer tokens.
	RemoveAuthorization bool
	// MaxDecisions bounds the verdicts cached on valid tokens
	// (DefaultMaxDecisions); each costs a few hundred bytes.
	MaxDecisions int64
	// MaxRefusals bounds the refusals cached on invalid tokens
	// (DefaultMaxRefusals), each kept for RefusalTTL (DefaultRefusalTTL):
	// a client replaying a bad token costs one signature check per TTL.
	MaxRefusals int64
	RefusalTTL  time.Duration
	// MaxTokenBytes bounds a token before anything is decoded
	// (DefaultMaxTokenBytes).
	MaxTokenBytes int
	// Logger receives failures of the service (never a token); nil
	// discards.
	Logger *slog.Logger
	// Registerer receives the decision metrics; nil leaves them
	// unregistered.
	Registerer prometheus.Registerer
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Server answers ext_authz Check requests. Its methods are safe for
// concurrent use.
type Server struct {
	authv3.UnimplementedAuthorizationServer

	keys       *keyset.Cache
	denylist   *Denylist
	local      string
	partner    func(string) (string, bool)
	header     string
	leeway     float64 // seconds
	def        Policy
	removeAuth bool
	maxToken   int
	log        *slog.Logger
	now        func() time.Time

	cache   *decisions
	denials denials
	anon    *authv3.CheckResponse
	public  *authv3.CheckResponse
	m       *metrics
}

// New returns a Server built from cfg.
func New(cfg Config) (*Server, error) {
	cfg, err := withDefaults(cfg)
	if err != nil {
		return nil, fmt.Errorf("new authz server: %w", err)
	}
	cache, err := newDecisions(cfg.MaxDecisions, cfg.MaxRefusals, cfg.RefusalTTL)
	if err != nil {
		return nil, fmt.Errorf("new authz server: %w", err)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		cache.close()
		return nil, fmt.Errorf("new authz server: %w", err)
	}
	return &Server{
		keys: cfg.Keys, denylist: cfg.Denylist, local: cfg.LocalIssuer, partner: cfg.Partner,
		header: cfg.Header, leeway: cfg.Leeway.Seconds(), def: cfg.DefaultPolicy,
		removeAuth: cfg.RemoveAuthorization, maxToken: cfg.MaxTokenBytes, log: cfg.Logger,
		now: cfg.Now, cache: cache, denials: newDenials(),
		anon: buildPassThrough(ReasonAnonymous), public: buildPassThrough(ReasonPublic), m: m,
	}, nil
}

func withDefaults(cfg Config) (Config, error) {
	switch {
	case cfg.Keys == nil:
		return cfg, errors.New("no key set")
	case cfg.Denylist == nil:
		return cfg, errors.New("no denylist")
	case cfg.LocalIssuer == "":
		return cfg, errors.New("no local issuer")
	}
	if cfg.DefaultPolicy.Mode == "" {
		cfg.DefaultPolicy.Mode = ModeRequired
	}
	if err := cfg.DefaultPolicy.Validate(); err != nil {
		return cfg, fmt.Errorf("default policy: %w", err)
	}
	cfg.Header = strings.ToLower(orDefault(cfg.Header, DefaultHeader))
	if cfg.Leeway <= 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.MaxDecisions <= 0 {
		cfg.MaxDecisions = DefaultMaxDecisions
	}
	if cfg.MaxRefusals <= 0 {
		cfg.MaxRefusals = DefaultMaxRefusals
	}
	if cfg.RefusalTTL <= 0 {
		cfg.RefusalTTL = DefaultRefusalTTL
	}
	if cfg.MaxTokenBytes <= 0 {
		cfg.MaxTokenBytes = DefaultMaxTokenBytes
	}
	if cfg.Partner == nil {
		cfg.Partner = func(string) (string, bool) { return "", false }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return cfg, nil
}

// Close releases the caches.
func (s *Server) Close() {
	s.cache.close()
}

// Ready reports whether the server can decide: its revocation state is
// loaded.
func (s *Server) Ready() bool {
	return s.denylist.Ready()
}

// Check decides on one request. Every decision, allow or deny, is a
// CheckResponse with a nil error: Envoy acts on its status and HTTP
// response.
func (s *Server) Check(ctx context.Context, req *authv3.CheckRequest) (*authv3.CheckResponse, error) {
	start := s.now()
	resp, reason := s.decide(ctx, req, start)
	s.m.observe(resp.GetOkResponse() != nil, reason, start, s.now())
	return resp, nil
}

// decide is the whole pipeline of a request. It returns the answer and
// its reason code.
func (s *Server) decide(ctx context.Context, req *authv3.CheckRequest,
	now time.Time) (*authv3.CheckResponse, string) {
	// 1. What the route requires.
	attrs := req.GetAttributes()
	p, err := routePolicy(attrs.GetContextExtensions(), &s.def)
	if err != nil {
		s.log.ErrorContext(ctx, "refusing a request: route policy", slog.Any("error", err))
		return s.deny(ReasonRoutePolicy, "", 0)
	}
	if p.Mode == ModePublic {
		return s.public, ReasonPublic
	}

	// 2. The token, when there is one.
	raw, present := headerValue(attrs.GetRequest().GetHttp(), s.header)
	if !present {
		if p.Mode == ModeOptional {
			return s.anon, ReasonAnonymous
		}
		return s.deny(ReasonNoToken, "", 0)
	}
	token, ok := bearerToken(raw)
	switch {
	case !ok:
		return s.deny(ReasonMalformed, "", 0)
	case len(token) > s.maxToken:
		return s.deny(ReasonTooLarge, "", 0)
	}

	// 3. Who it speaks for: a cached verdict, or a verification.
	v, reason, retry := s.verdictOf(ctx, token, now)
	if reason != "" {
		return s.deny(reason, "", retry)
	}

	// 4. Whether the route admits it.
	return s.admit(v.id, &p)
}

// verdictOf returns the verdict on token, from the cache when it is
// there and still holds, else by verifying it. A token that is not
// admitted has a reason code instead, and retry seconds when the reason
// is unavailable.
func (s *Server) verdictOf(ctx context.Context, token string,
	now time.Time) (*verdict, string, int) {
	d := sha256.Sum256(bytesOf(token))
	if v, ok := s.cache.verdict(&d); ok {
		if reason, recheck := s.stillValid(v, now); !recheck {
			s.m.cacheHit()
			return v, reason, 0
		}
		// The key is gone from the set, or the set is too stale to
		// say: verify again, which tells which.
		s.cache.forget(&d)
	} else if r, ok := s.cache.refusal(&d); ok {
		s.m.refusalHit()
		return nil, r.reason, 0
	}
	s.m.cacheMiss()

	v, reason, retry := s.verify(ctx, token, d, now)
	switch {
	case reason == ReasonUnavailable:
		return nil, reason, retry
	case reason != "":
		s.cache.refuse(&d, reason)
		return nil, reason, 0
	}
	s.cache.keep(v, now)
	// Its lifetime and key were checked just now; its revocation was not.
	return v, s.revocation(v), 0
}

// stillValid checks what may have changed since a verdict was reached:
// the token's lifetime, the revocation state and the key's presence in
// its issuer's set. recheck reports that the key is no longer known, so
// the token must be verified afresh.
func (s *Server) stillValid(v *verdict, now time.Time) (reason string, recheck bool) {
	if float64(now.Unix()) >= v.exp+s.leeway {
		return ReasonExpired, false
	}
	if r := s.revocation(v); r != "" {
		return r, false
	}
	return "", !s.keys.Has(v.id.issuer, v.kid)
}

// revocation returns the reason the revocation state refuses a verdict's
// token, ReasonUnavailable while that state is not loaded, or "".
func (s *Server) revocation(v *verdict) string {
	st := s.denylist.snapshot()
	if st == nil {
		return ReasonUnavailable
	}
	return st.refusal(v.id.issuer, v.jti, v.id.subject, v.id.org)
}

// admit applies the route's requirements to a verified identity.
func (s *Server) admit(id *identity, p *Policy) (*authv3.CheckResponse, string) {
	if p.Audience != "" && !id.aud.contains(p.Audience) {
		return s.deny(ReasonAudience, "", 0)
	}
	if id.partner != "" {
		if !inList(p.Partners, id.partner) {
			return s.deny(ReasonPartner, "", 0)
		}
	} else if p.Orgs != "" && !inList(p.Orgs, id.org) {
		return s.deny(ReasonOrg, "", 0)
	}
	for scope := range strings.FieldsSeq(p.Scopes) {
		if !id.hasScope(scope) {
			return s.deny(ReasonScope, p.Scopes, 0)
		}
	}
	return id.allow, ReasonValid
}

// deny returns the refusal for reason.
func (s *Server) deny(reason, scope string, retry int) (*authv3.CheckResponse, string) {
	if r, ok := s.denials[reason]; ok {
		return r, reason
	}
	return buildDeny(reason, scope, retry), reason
}

// headerValue returns the value of the named header of the request, from
// the headers map or, when Envoy sends raw headers, from header_map.
func headerValue(h *authv3.AttributeContext_HttpRequest, name string) (string, bool) {
	if v, ok := h.GetHeaders()[name]; ok {
		return v, true
	}
	for _, hv := range h.GetHeaderMap().GetHeaders() {
		if strings.EqualFold(hv.GetKey(), name) {
			if raw := hv.GetRawValue(); raw != nil {
				return string(raw), true
			}
			return hv.GetValue(), true
		}
	}
	return "", false
}

// bearerToken returns the token of an Authorization header value using
// the Bearer scheme (RFC 6750 section 2.1): the scheme in any case, one
// space, and a token68 (RFC 9110 section 11.2).
func bearerToken(v string) (string, bool) {
	const scheme = "bearer "
	if len(v) <= len(scheme) || !strings.EqualFold(v[:len(scheme)], scheme) {
		return "", false
	}
	tok := v[len(scheme):]
	body := strings.TrimRight(tok, "=")
	if body == "" {
		return "", false
	}
	for i := 0; i < len(body); i++ {
		if !isToken68(body[i]) {
			return "", false
		}
	}
	return tok, true
}

// token68 marks the bytes that may appear in a token68 before its
// padding: letters, digits and -._~+/.
var token68 = func() (t [256]bool) {
	for _, c := range []byte("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~+/") {
		t[c] = true
	}
	return t
}()

// isToken68 reports whether c may appear in a token68 before its padding.
func isToken68(c byte) bool {
	return token68[c]
}
