package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestValidateAuthz(t *testing.T) {
	tests := []struct {
		name   string
		modify func(c *Config)
		want   []string
	}{
		{"dev runs the edge beside the issuer", func(*Config) {}, nil},
		{"plaintext gRPC is refused off loopback", func(c *Config) {
			c.Authz.Addr = ":9001"
			c.Authz.TLS.Disabled = true
		}, []string{"authz.tls.disabled: plaintext gRPC is allowed only when authz.addr " +
			"listens on a loopback address (127.0.0.1, ::1 or localhost)"}},
		{"plaintext gRPC on loopback is accepted", func(c *Config) {
			c.Authz.TLS.Disabled = true
		}, nil},
		{"the edge needs its own port", func(c *Config) {
			c.Authz.Addr = c.Server.HTTPAddr
		}, []string{"authz.addr: must differ from server.http_addr and server.metrics_addr"}},
		{"a certificate needs its key", func(c *Config) {
			c.Authz.TLS.CertFile = "/etc/agentidp/authz.pem"
		}, []string{"authz.tls: set both cert_file and key_file, or neither"}},
		{"every bad setting is named with its path", func(c *Config) {
			c.Authz.Addr = "9001"
			c.Authz.Header = "x token"
			c.Authz.Leeway = time.Hour
			c.Authz.DefaultPolicy = AuthzPolicy{Mode: "lenient", Scopes: []string{"a b"},
				Audience: "x\ny"}
			c.Authz.IssuerJWKSURL = "http://idp.example.com/jwks"
			c.Authz.JWKS.MaxStale = 0
			c.Authz.JWKS.MinMaxAge = 2 * time.Hour
			c.Authz.JWKS.FetchTimeout = 0
			c.Authz.Cache.MaxDecisions = 0
			c.Authz.Cache.RefusalTTL = time.Hour
			c.Authz.RevocationPollInterval = time.Millisecond
		}, []string{
			`authz.addr: must be host:port, e.g. "127.0.0.1:8443" or ":8443"`,
			"authz.header: must be a header name such as authorization",
			"authz.leeway: must be between 0s and 5m0s",
			`authz.default_policy.mode: unknown mode "lenient" (allowed: "required", "optional", "public")`,
			"authz.default_policy.scopes[0]: must be one scope: no spaces, quotes or control characters",
			"authz.default_policy.audience: must hold no quotes or control characters",
			"authz.issuer_jwks_url: must be an https URL",
			"authz.jwks.max_stale: must be a positive duration",
			"authz.jwks.min_max_age: must not exceed authz.jwks.max_max_age",
			"authz.jwks.fetch_timeout: must be a positive duration of at most 1m0s",
			"authz.cache.max_decisions: must be between 1 and 10000000",
			"authz.cache.refusal_ttl: must be a positive duration of at most 10m0s",
			"authz.revocation_poll_interval: must be between 50ms and 10s",
		}},
		{"without the authz role nothing of it is checked", func(c *Config) {
			c.Roles = []string{RoleIssuer}
			c.Authz.Addr = "nonsense"
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Dev("/data")
			tc.modify(&c)
			err := c.Validate()
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			var cerr *Error
			require.ErrorAs(t, err, &cerr)
			var got []string
			for _, p := range cerr.Problems {
				got = append(got, p.Path+": "+p.Msg)
			}
			require.Equal(t, tc.want, got)
		})
	}
}
