package did_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/issuer/did"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		method string
		id     string
	}{
		{"a did:web with a port is split", "did:web:idp.example.com%3A8443",
			"web", "idp.example.com%3A8443"},
		{"an agent did:web keeps its path", "did:web:example.com:agents:agt_1",
			"web", "example.com:agents:agt_1"},
		{"a did:key is split", "did:key:z6Mkf", "key", "z6Mkf"},
		{"any method name of letters and digits parses", "did:example2:a.b-c_d",
			"example2", "a.b-c_d"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := did.Parse(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.method, d.Method)
			require.Equal(t, tc.id, d.ID)
			require.Equal(t, tc.in, d.String())
		})
	}
}

func TestParseRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"an empty string is refused", ""},
		{"a string without the did scheme is refused", "web:example.com"},
		{"an upper-case scheme is refused", "DID:web:example.com"},
		{"an upper-case method is refused", "did:WEB:example.com"},
		{"a missing method is refused", "did::example.com"},
		{"a missing method-specific id is refused", "did:web:"},
		{"a trailing colon is refused", "did:web:example.com:"},
		{"a DID URL with a fragment is refused", "did:web:example.com#key-1"},
		{"a DID URL with a path is refused", "did:web:example.com/path"},
		{"a DID URL with a query is refused", "did:web:example.com?x=1"},
		{"a bad percent-encoding is refused", "did:web:example.com%3"},
		{"a non-hex percent-encoding is refused", "did:web:example.com%zz"},
		{"a space is refused", "did:web:exa mple.com"},
		{"non-ASCII is refused", "did:web:exämple.com"},
		{"an overlong DID is refused", "did:web:" + strings.Repeat("a", did.MaxLength)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := did.Parse(tc.in)
			require.ErrorIs(t, err, did.ErrInvalidDID)
		})
	}
}

func TestDIDWebEncoding(t *testing.T) {
	tests := []struct {
		name, issuer, host string
	}{
		{"a host without port is kept", "https://idp.example.com", "idp.example.com"},
		{"a port is percent-encoded", "https://idp.example.com:8443", "idp.example.com%3A8443"},
		{"a host is lower-cased", "https://IdP.Example.com", "idp.example.com"},
		{"an IP address with a port is encoded", "https://127.0.0.1:8443", "127.0.0.1%3A8443"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			host, err := did.HostID(tc.issuer)
			require.NoError(t, err)
			require.Equal(t, tc.host, host)
			require.Equal(t, "did:web:"+tc.host, did.DeploymentDID(host))
			require.Equal(t, "did:web:"+tc.host+":agents:agt_x", did.AgentDID(host, "agt_x"))
			_, err = did.Parse(did.AgentDID(host, "agt_x"))
			require.NoError(t, err)
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"did:web:example.com", "did:web:example.com%3A8443:agents:agt_1", "did:key:z6Mk",
		"did:web:", "did::", "did:web:a%", "did:web:a#b", "did:x:" + strings.Repeat(":", 10),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := did.Parse(s)
		if err != nil {
			require.ErrorIs(t, err, did.ErrInvalidDID)
			return
		}
		// What parses prints back as it was, and parses again the same.
		require.Equal(t, s, d.String())
		again, err := did.Parse(d.String())
		require.NoError(t, err)
		require.Equal(t, d, again)
		require.NotContains(t, s, "#")
		require.NotContains(t, s, "/")
	})
}
