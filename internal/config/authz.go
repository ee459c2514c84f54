package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// RoleAuthz runs the Envoy ext_authz service.
const RoleAuthz = "authz"

// Modes of a route policy (authz.default_policy.mode), as the ext_authz
// service reads them from context_extensions.
const (
	ModeRequired = "required"
	ModeOptional = "optional"
	ModePublic   = "public"
)

// Bounds of the authz settings.
const (
	MaxAuthzLeeway       = 5 * time.Minute
	MaxAuthzDecisions    = 10_000_000
	MaxAuthzRefusalTTL   = 10 * time.Minute
	MinRevocationPoll    = 50 * time.Millisecond
	MaxRevocationPoll    = 10 * time.Second
	MaxAuthzFetchTimeout = time.Minute
)

// Authz configures the Envoy ext_authz service (package authz), which
// the authz role runs.
type Authz struct {
	// Addr is host:port of the ext_authz gRPC listener. Port 0 picks a
	// free port.
	Addr string   `yaml:"addr"`
	TLS  AuthzTLS `yaml:"tls"`
	// Header is the request header that carries the bearer token.
	Header string `yaml:"header"`
	// Leeway is the clock skew tolerated on a token's exp, nbf and iat.
	// Larger values keep expired tokens working that much longer.
	Leeway time.Duration `yaml:"leeway"`
	// RemoveAuthorization strips the token's header from the requests it
	// admits, so that upstreams never see bearer tokens.
	RemoveAuthorization bool `yaml:"remove_authorization"`
	// DefaultPolicy applies to requests whose route sets no agentidp.*
	// context extension.
	DefaultPolicy AuthzPolicy `yaml:"default_policy"`
	// IssuerJWKSURL is where the service fetches the local issuer's keys
	// when the issuer role runs in another process; empty means
	// issuer.url + /.well-known/jwks.json. With the issuer role in the same
	// process the keys are read in memory and this is unused.
	IssuerJWKSURL string `yaml:"issuer_jwks_url"`
	// IssuerCAFile is a PEM bundle of the CAs trusted for that fetch;
	// empty means the system's roots.
	IssuerCAFile string     `yaml:"issuer_ca_file"`
	JWKS         AuthzJWKS  `yaml:"jwks"`
	Cache        AuthzCache `yaml:"cache"`
	// RevocationPollInterval is how often the service reads the store's
	// outbox for revocations and suspensions: about how late it enforces
	// one. Each read is one indexed query.
	RevocationPollInterval time.Duration `yaml:"revocation_poll_interval"`
}

// AuthzTLS configures the TLS of the ext_authz listener.
type AuthzTLS struct {
	// CertFile and KeyFile are the listener's certificate chain and key
	// (PEM); empty means those of server.tls.
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ClientCAFile, when set, makes every calling proxy present a client
	// certificate that one of these CAs (PEM) signed.
	ClientCAFile string `yaml:"client_ca_file"`
	// Disabled serves plaintext gRPC. It is accepted only when Addr
	// listens on a loopback address.
	Disabled bool `yaml:"disabled"`
}

// AuthzPolicy is a route policy, as context_extensions would set it.
type AuthzPolicy struct {
	// Mode is required, optional or public.
	Mode string `yaml:"mode"`
	// Scopes must all be in the token.
	Scopes []string `yaml:"scopes"`
	// Audience, when set, must be in the token's aud.
	Audience string `yaml:"audience"`
}

// AuthzJWKS configures the cache of issuers' keys.
type AuthzJWKS struct {
	// MinRefetchInterval is the least time between two fetches an unknown
	// kid triggers for one issuer: the bound on what a flood of made-up
	// kids can cost.
	MinRefetchInterval time.Duration `yaml:"min_refetch_interval"`
	// UnknownKIDTTL is how long a kid still unknown after a refetch is
	// refused without another.
	UnknownKIDTTL time.Duration `yaml:"unknown_kid_ttl"`
	// MaxStale is how long the last good keys keep serving while the
	// issuer's JWKS cannot be fetched; after that tokens are refused with
	// 503.
	MaxStale time.Duration `yaml:"max_stale"`
	// MinMaxAge and MaxMaxAge bound the Cache-Control max-age honoured.
	MinMaxAge time.Duration `yaml:"min_max_age"`
	MaxMaxAge time.Duration `yaml:"max_max_age"`
	// DefaultRefresh is how often keys without a max-age are refreshed.
	DefaultRefresh time.Duration `yaml:"default_refresh"`
	// FetchTimeout bounds one fetch.
	FetchTimeout time.Duration `yaml:"fetch_timeout"`
}

// AuthzCache configures the decision cache.
type AuthzCache struct {
	// MaxDecisions bounds the verdicts kept on valid tokens; each costs a
	// few hundred bytes.
	MaxDecisions int64 `yaml:"max_decisions"`
	// MaxRefusals bounds the refusals kept on invalid tokens.
	MaxRefusals int64 `yaml:"max_refusals"`
	// RefusalTTL is how long a refusal is kept: a client replaying a bad
	// token costs one signature check per RefusalTTL.
	RefusalTTL time.Duration `yaml:"refusal_ttl"`
}

// DefaultAuthz returns the defaults of the authz section.
func DefaultAuthz() Authz {
	return Authz{
		Addr:          ":9001",
		Header:        "authorization",
		Leeway:        30 * time.Second,
		DefaultPolicy: AuthzPolicy{Mode: ModeRequired},
		JWKS: AuthzJWKS{
			MinRefetchInterval: 5 * time.Second,
			UnknownKIDTTL:      30 * time.Second,
			MaxStale:           15 * time.Minute,
			MinMaxAge:          30 * time.Second,
			MaxMaxAge:          time.Hour,
			DefaultRefresh:     5 * time.Minute,
			FetchTimeout:       5 * time.Second,
		},
		Cache: AuthzCache{
			MaxDecisions: 200_000,
			MaxRefusals:  20_000,
			RefusalTTL:   30 * time.Second,
		},
		RevocationPollInterval: 500 * time.Millisecond,
	}
}

// HasRole reports whether the process runs role.
func (c *Config) HasRole(role string) bool {
	return slices.Contains(c.Roles, role)
}

// JWKSURL returns where the authz role fetches the local issuer's keys.
func (c *Config) JWKSURL() string {
	if c.Authz.IssuerJWKSURL != "" {
		return c.Authz.IssuerJWKSURL
	}
	return strings.TrimSuffix(c.Issuer.URL, "/") + "/.well-known/jwks.json"
}

func (c *Config) validateAuthz(v *validator) {
	if !c.HasRole(RoleAuthz) {
		return
	}
	a := &c.Authz
	host, ok := checkAddr(v, "authz.addr", a.Addr)
	if a.TLS.Disabled && ok && !IsLoopback(host) {
		v.add("authz.tls.disabled", "plaintext gRPC is allowed only when "+
			"authz.addr listens on a loopback address (127.0.0.1, ::1 or localhost)")
	}
	if ok && !strings.HasSuffix(a.Addr, ":0") &&
		(a.Addr == c.Server.HTTPAddr || a.Addr == c.Server.MetricsAddr) {
		v.add("authz.addr", "must differ from server.http_addr and server.metrics_addr")
	}
	if (a.TLS.CertFile == "") != (a.TLS.KeyFile == "") {
		v.add("authz.tls", "set both cert_file and key_file, or neither")
	}
	if a.Header == "" || strings.ContainsAny(a.Header, " :\t\r\n") {
		v.add("authz.header", "must be a header name such as authorization")
	}
	if a.Leeway < 0 || a.Leeway > MaxAuthzLeeway {
		v.add("authz.leeway", "must be between 0s and %s", MaxAuthzLeeway)
	}
	c.validateAuthzPolicy(v)
	if a.IssuerJWKSURL != "" {
		if u, err := url.Parse(a.IssuerJWKSURL); err != nil || u.Scheme != "https" || u.Host == "" {
			v.add("authz.issuer_jwks_url", "must be an https URL")
		}
	}
	c.validateAuthzJWKS(v)
	if a.Cache.MaxDecisions < 1 || a.Cache.MaxDecisions > MaxAuthzDecisions {
		v.add("authz.cache.max_decisions", "must be between 1 and %d", MaxAuthzDecisions)
	}
	if a.Cache.MaxRefusals < 1 || a.Cache.MaxRefusals > MaxAuthzDecisions {
		v.add("authz.cache.max_refusals", "must be between 1 and %d", MaxAuthzDecisions)
	}
	if a.Cache.RefusalTTL <= 0 || a.Cache.RefusalTTL > MaxAuthzRefusalTTL {
		v.add("authz.cache.refusal_ttl", "must be a positive duration of at most %s",
			MaxAuthzRefusalTTL)
	}
	if a.RevocationPollInterval < MinRevocationPoll || a.RevocationPollInterval > MaxRevocationPoll {
		v.add("authz.revocation_poll_interval", "must be between %s and %s",
			MinRevocationPoll, MaxRevocationPoll)
	}
}

func (c *Config) validateAuthzPolicy(v *validator) {
	p := &c.Authz.DefaultPolicy
	switch p.Mode {
	case ModeRequired, ModeOptional, ModePublic:
	default:
		v.add("authz.default_policy.mode", "unknown mode %q (allowed: %q, %q, %q)", p.Mode,
			ModeRequired, ModeOptional, ModePublic)
	}
	for i, s := range p.Scopes {
		if s == "" || strings.ContainsAny(s, " \"\\") || !validHeaderText(s) {
			v.add(fmt.Sprintf("authz.default_policy.scopes[%d]", i),
				"must be one scope: no spaces, quotes or control characters")
		}
	}
	if !validHeaderText(p.Audience) || strings.ContainsAny(p.Audience, "\"\\") {
		v.add("authz.default_policy.audience", "must hold no quotes or control characters")
	}
}

func (c *Config) validateAuthzJWKS(v *validator) {
	j := &c.Authz.JWKS
	for _, d := range []struct {
		key string
		val time.Duration
	}{
		{"min_refetch_interval", j.MinRefetchInterval}, {"unknown_kid_ttl", j.UnknownKIDTTL},
		{"max_stale", j.MaxStale}, {"min_max_age", j.MinMaxAge}, {"max_max_age", j.MaxMaxAge},
		{"default_refresh", j.DefaultRefresh},
	} {
		if d.val <= 0 {
			v.add("authz.jwks."+d.key, "must be a positive duration")
		}
	}
	if j.MinMaxAge > j.MaxMaxAge {
		v.add("authz.jwks.min_max_age", "must not exceed authz.jwks.max_max_age")
	}
	if j.FetchTimeout <= 0 || j.FetchTimeout > MaxAuthzFetchTimeout {
		v.add("authz.jwks.fetch_timeout", "must be a positive duration of at most %s",
			MaxAuthzFetchTimeout)
	}
}

// validHeaderText reports whether s holds no control characters.
func validHeaderText(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}
