package did

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAddressAllowed(t *testing.T) {
	r, err := newRemote(RemoteConfig{
		AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("10.20.0.0/16")},
	})
	require.NoError(t, err)
	t.Cleanup(r.close)

	tests := []struct {
		addr string
		ok   bool
	}{
		{"93.184.216.34", true},
		{"2606:2800:220:1:248:1893:25c8:1946", true},
		{"10.20.1.2", true}, // an allowed network
		{"10.21.1.2", false},
		{"127.0.0.1", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.20.1.2", true},
		{"169.254.169.254", false},
		{"192.168.1.1", false},
		{"172.16.0.1", false},
		{"100.64.0.1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"fd00::1", false},
		{"fe80::1", false},
		{"224.0.0.1", false},
		{"64:ff9b::7f00:1", false},
		{"2002:7f00:1::", false},
		{"198.18.0.1", false},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			require.Equal(t, tc.ok, r.addressAllowed(netip.MustParseAddr(tc.addr)))
			err := r.checkAddress("tcp", netip.AddrPortFrom(netip.MustParseAddr(tc.addr), 443).
				String(), nil)
			require.Equal(t, tc.ok, err == nil)
		})
	}
	require.ErrorIs(t, r.checkAddress("tcp", "not an address", nil), errAddressNotAllowed)
}

func TestHostAllowed(t *testing.T) {
	r, err := newRemote(RemoteConfig{AllowedHosts: []string{"partner.example.com",
		"*.trusted.example"}})
	require.NoError(t, err)
	t.Cleanup(r.close)

	tests := []struct {
		host string
		ok   bool
	}{
		{"partner.example.com", true},
		{"PARTNER.example.com", true},
		{"evil-partner.example.com", false},
		{"partner.example.com.evil.example", false},
		{"a.trusted.example", true},
		{"a.b.trusted.example", true},
		{"trusted.example", false},
		{"eviltrusted.example", false},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			require.Equal(t, tc.ok, r.hostAllowed(tc.host))
		})
	}
}

func TestRemoteResultsAreCached(t *testing.T) {
	var hits atomic.Int32
	var id string
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`{"id":"` + id + `"}`))
	}))
	t.Cleanup(ts.Close)
	hostID := strings.ReplaceAll(strings.TrimPrefix(ts.URL, "https://"), ":", "%3A")
	id = "did:web:" + hostID

	r, err := newRemote(RemoteConfig{
		AllowedHosts:    []string{"127.0.0.1"},
		AllowedNetworks: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		RootCAs:         ts.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs,
	})
	require.NoError(t, err)
	t.Cleanup(r.close)
	d, err := Parse(id)
	require.NoError(t, err)
	w, err := parseWeb(d)
	require.NoError(t, err)

	res, hit := r.resolve(t.Context(), id, w)
	require.False(t, hit)
	require.Empty(t, res.Meta.Error)
	r.cache.Wait()

	again, hit := r.resolve(t.Context(), id, w)
	require.True(t, hit)
	require.Same(t, res, again)
	require.Equal(t, int32(1), hits.Load())
}
