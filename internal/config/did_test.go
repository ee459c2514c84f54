package config

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestValidateDID(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(r *DIDResolver)
		paths []string
	}{
		{"the defaults are valid", func(*DIDResolver) {}, nil},
		{"exact and wildcard hosts and CIDR networks are valid", func(r *DIDResolver) {
			r.AllowedHosts = []string{"partner.example.com", "*.trusted.example", "10.0.0.7"}
			r.AllowedNetworks = []string{"10.0.0.0/8", "fd00::/8"}
		}, nil},
		{"bad hosts are reported by index", func(r *DIDResolver) {
			r.AllowedHosts = []string{"ok.example.com", "", "UPPER.example.com",
				"a.*.example.com", "https://x.example.com", "x.example.com:443", "a..b"}
		}, []string{"did.resolver.allowed_hosts[1]", "did.resolver.allowed_hosts[2]",
			"did.resolver.allowed_hosts[3]", "did.resolver.allowed_hosts[4]",
			"did.resolver.allowed_hosts[5]", "did.resolver.allowed_hosts[6]"}},
		{"a network that is not CIDR is reported", func(r *DIDResolver) {
			r.AllowedNetworks = []string{"10.0.0.1"}
		}, []string{"did.resolver.allowed_networks[0]"}},
		{"limits out of range are all reported", func(r *DIDResolver) {
			r.Timeout, r.MaxDocumentBytes, r.CacheSize, r.CacheTTL = 0, 10, 0, 48*time.Hour
		}, []string{"did.resolver.timeout", "did.resolver.max_document_bytes",
			"did.resolver.cache_size", "did.resolver.cache_ttl"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.edit(&c.DID.Resolver)
			err := c.Validate()
			if tc.paths == nil {
				require.NoError(t, err)
				return
			}
			var ce *Error
			require.ErrorAs(t, err, &ce)
			var got []string
			for _, p := range ce.Problems {
				got = append(got, p.Path)
			}
			require.Equal(t, tc.paths, got)
		})
	}
}

func TestDIDResolverNetworks(t *testing.T) {
	r := DIDResolver{AllowedNetworks: []string{"10.1.2.3/8", "bad", "fd00::/8"}}
	require.Equal(t, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("fd00::/8")}, r.Networks())
}
