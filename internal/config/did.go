package config

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Bounds of the did.resolver settings.
const (
	MaxDIDResolverTimeout = time.Minute
	MinDIDDocumentBytes   = 1 << 10
	MaxDIDDocumentBytes   = 10 << 20
	MaxDIDCacheSize       = 1_000_000
	MaxDIDCacheTTL        = 24 * time.Hour
)

// DID configures the decentralised identifiers the issuer publishes and
// resolves (issuer/did).
type DID struct {
	Resolver DIDResolver `yaml:"resolver"`
}

// DIDResolver configures how GET /1.0/identifiers/{did} resolves did:web
// identifiers of other deployments. The issuer's own identifiers are
// answered from the store and did:key is decoded locally: neither fetches
// anything, so none of these settings apply to them.
type DIDResolver struct {
	// AllowedHosts are the host names whose did:web documents may be
	// fetched over HTTPS: exact names, or "*.example.com" for every name
	// below example.com. Empty, the default, fetches nothing, so the
	// resolver cannot be turned against other hosts.
	AllowedHosts []string `yaml:"allowed_hosts"`
	// AllowedNetworks are CIDR prefixes such as 10.20.0.0/16 that a
	// fetched host may resolve to although they are not public unicast
	// addresses. Loopback, private, link-local and other special
	// addresses are refused at dial time unless listed here, which keeps
	// a DNS name of an allowed host from pointing the resolver inside.
	AllowedNetworks []string `yaml:"allowed_networks"`
	// Timeout bounds one fetch, connection and TLS handshake included.
	Timeout time.Duration `yaml:"timeout"`
	// MaxDocumentBytes caps a fetched DID document; a larger one is
	// refused unread.
	MaxDocumentBytes int64 `yaml:"max_document_bytes"`
	// CacheSize is how many resolution results are kept; each costs about
	// its document's size in memory.
	CacheSize int64 `yaml:"cache_size"`
	// CacheTTL is how long a fetched document is served from the cache:
	// how long a partner's key rotation takes to be seen. Failures are
	// kept for a tenth of it, at most 30 seconds.
	CacheTTL time.Duration `yaml:"cache_ttl"`
}

// DefaultDID returns the defaults of the did section.
func DefaultDID() DID {
	return DID{Resolver: DIDResolver{
		Timeout:          5 * time.Second,
		MaxDocumentBytes: 64 << 10,
		CacheSize:        1000,
		CacheTTL:         5 * time.Minute,
	}}
}

func (c *Config) validateDID(v *validator) {
	r := &c.DID.Resolver
	for i, h := range r.AllowedHosts {
		if msg := checkHostPattern(h); msg != "" {
			v.add(fmt.Sprintf("did.resolver.allowed_hosts[%d]", i), "%s", msg)
		}
	}
	for i, n := range r.AllowedNetworks {
		if _, err := netip.ParsePrefix(n); err != nil {
			v.add(fmt.Sprintf("did.resolver.allowed_networks[%d]", i),
				`must be a CIDR prefix such as "10.0.0.0/8"`)
		}
	}
	if r.Timeout <= 0 || r.Timeout > MaxDIDResolverTimeout {
		v.add("did.resolver.timeout", "must be a positive duration of at most %s",
			MaxDIDResolverTimeout)
	}
	if r.MaxDocumentBytes < MinDIDDocumentBytes || r.MaxDocumentBytes > MaxDIDDocumentBytes {
		v.add("did.resolver.max_document_bytes", "must be between %d and %d",
			MinDIDDocumentBytes, MaxDIDDocumentBytes)
	}
	if r.CacheSize < 1 || r.CacheSize > MaxDIDCacheSize {
		v.add("did.resolver.cache_size", "must be between 1 and %d", MaxDIDCacheSize)
	}
	if r.CacheTTL <= 0 || r.CacheTTL > MaxDIDCacheTTL {
		v.add("did.resolver.cache_ttl", "must be a positive duration of at most %s",
			MaxDIDCacheTTL)
	}
}

// checkHostPattern returns what is wrong with an allowed host, or "".
func checkHostPattern(h string) string {
	name := strings.TrimPrefix(h, "*.")
	switch {
	case h == "":
		return "must not be empty"
	case h != strings.ToLower(h):
		return "must be lower case"
	case strings.Contains(name, "*"):
		return `a wildcard is allowed only as a leading "*."`
	case strings.ContainsAny(name, ":/@?#[] "):
		return "must be a bare host name, with no scheme, port or path"
	case strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".") ||
		strings.Contains(name, ".."):
		return "must be a host name such as partner.example.com"
	}
	return ""
}

// Networks returns AllowedNetworks parsed, leaving out any that does not
// parse (Validate reports those).
func (r *DIDResolver) Networks() []netip.Prefix {
	var out []netip.Prefix
	for _, n := range r.AllowedNetworks {
		if p, err := netip.ParsePrefix(n); err == nil {
			out = append(out, p.Masked())
		}
	}
	return out
}
