package did_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"
)

// timeout is the remote fetch timeout of the tests: long enough for a
// loopback fetch, short enough for the slow host's test.
const timeout = 500 * time.Millisecond

// loopback allows the test hosts' addresses.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// newTLSServer serves h over HTTPS with httptest's certificate, which
// every env trusts, and returns its URL.
func newTLSServer(t testing.TB, h http.Handler) string {
	ts := httptest.NewTLSServer(h)
	t.Cleanup(ts.Close)
	return ts.URL
}
