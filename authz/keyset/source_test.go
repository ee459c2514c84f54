package keyset_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/authz/keyset"
)

func TestNewHTTPSourceURLs(t *testing.T) {
	tests := []struct {
		name string
		url  string
		ok   bool
	}{
		{"https is accepted", "https://issuer.example/.well-known/jwks.json", true},
		{"http to 127.0.0.1 is accepted", "http://127.0.0.1:8080/jwks", true},
		{"http to another loopback address is accepted", "http://127.0.0.2/jwks", true},
		{"http to ::1 is accepted", "http://[::1]:8080/jwks", true},
		{"http to a public host is refused", "http://issuer.example/jwks", false},
		{"http to localhost by name is refused", "http://localhost/jwks", false},
		{"http to a private address is refused", "http://10.0.0.1/jwks", false},
		{"user information is refused", "https://user:pass@issuer.example/jwks", false},
		{"another scheme is refused", "file:///etc/jwks.json", false},
		{"a URL without host is refused", "https:///jwks", false},
		{"a malformed URL is refused", "https://issuer.example/%zz", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := keyset.NewHTTPSource(tt.url, http.DefaultClient)
			if tt.ok {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			require.NotContains(t, err.Error(), "pass", "no password in errors")
		})
	}

	_, err := keyset.NewHTTPSource("https://issuer.example/jwks", nil)
	require.Error(t, err, "a nil client is refused")
	_, err = keyset.NewHTTPSource("https://issuer.example/jwks", http.DefaultClient,
		keyset.WithMaxBytes(0))
	require.Error(t, err, "a size limit of zero is refused")
}

func TestHTTPSourceFetch(t *testing.T) {
	const doc = `{"keys":[]}`
	tests := []struct {
		name    string
		handler http.HandlerFunc
		maxAge  time.Duration
		errText string // "" when the fetch succeeds
	}{
		{"a 200 with max-age is fetched", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Cache-Control", "public, max-age=300")
			w.Write([]byte(doc))
		}, 5 * time.Minute, ""},
		{"Age shortens max-age", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Cache-Control", "max-age=300")
			w.Header().Set("Age", "100")
			w.Write([]byte(doc))
		}, 200 * time.Second, ""},
		{"no-cache counts as no max-age", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Cache-Control", "max-age=300, no-cache")
			w.Write([]byte(doc))
		}, 0, ""},
		{"a 404 is a failed fetch", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "secret page", http.StatusNotFound)
		}, 0, "status 404"},
		{"a 204 is a failed fetch", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(http.StatusNoContent)
		}, 0, "status 204"},
		{"a redirect to plain http is refused", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://issuer.example/jwks", http.StatusFound)
		}, 0, "must use https"},
		{"a body over the limit is a failed fetch", func(w http.ResponseWriter, _ *http.Request) {
			w.Write([]byte(strings.Repeat(" ", keyset.DefaultMaxJWKSBytes) + doc))
		}, 0, "response too large"},
		{"a body over the limit without length is a failed fetch",
			func(w http.ResponseWriter, _ *http.Request) {
				w.Write([]byte(doc))
				w.(http.Flusher).Flush() // chunked: no Content-Length
				w.Write([]byte(strings.Repeat(" ", keyset.DefaultMaxJWKSBytes)))
			}, 0, "response too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewTLSServer(tt.handler)
			t.Cleanup(srv.Close)
			src, err := keyset.NewHTTPSource(srv.URL, srv.Client())
			require.NoError(t, err)

			got, err := src.Fetch(t.Context())
			if tt.errText != "" {
				require.ErrorContains(t, err, tt.errText)
				require.NotContains(t, err.Error(), "secret", "no body in errors")
				return
			}
			require.NoError(t, err)
			require.JSONEq(t, doc, string(got.JWKS))
			require.Equal(t, tt.maxAge, got.MaxAge)
		})
	}
}

func TestHTTPSourceHonoursContext(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() {
		close(release)
		srv.Close()
	})
	src, err := keyset.NewHTTPSource(srv.URL, srv.Client())
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err = src.Fetch(ctx)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestHTTPSourceWithMaxBytes(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"keys":[]}`))
	}))
	t.Cleanup(srv.Close)
	src, err := keyset.NewHTTPSource(srv.URL, srv.Client(), keyset.WithMaxBytes(5))
	require.NoError(t, err)
	_, err = src.Fetch(t.Context())
	require.ErrorContains(t, err, "response too large")
}

func TestMaxAgeHeader(t *testing.T) {
	tests := []struct {
		name   string
		cc     []string
		age    string
		maxAge time.Duration
	}{
		{"no header gives none", nil, "", 0},
		{"max-age is read", []string{"max-age=60"}, "", time.Minute},
		{"names are case-insensitive", []string{"Max-Age=60"}, "", time.Minute},
		{"a quoted value is read", []string{`max-age="60"`}, "", time.Minute},
		{"the smallest of several is taken", []string{"max-age=600", "max-age=60"}, "",
			time.Minute},
		{"no-store wins", []string{"max-age=60, no-store"}, "", 0},
		{"max-age=0 gives none", []string{"max-age=0"}, "", 0},
		{"a malformed value is ignored", []string{"max-age=-5, max-age=1e3, max-age="}, "", 0},
		{"a huge value is capped", []string{"max-age=99999999999999999999999999"}, "",
			365 * 24 * time.Hour},
		{"s-maxage is not max-age", []string{"s-maxage=60"}, "", 0},
		{"Age is subtracted", []string{"max-age=60"}, "20", 40 * time.Second},
		{"a used-up lifetime gives a second", []string{"max-age=60"}, "90", time.Second},
		{"a malformed Age is ignored", []string{"max-age=60"}, "soon", time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.cc {
				h.Add("Cache-Control", v)
			}
			if tt.age != "" {
				h.Set("Age", tt.age)
			}
			require.Equal(t, tt.maxAge, keyset.MaxAgeOf(h))
		})
	}
}

func TestFuncSource(t *testing.T) {
	src := keyset.FuncSource(func(context.Context) ([]byte, error) {
		return []byte(`{"keys":[]}`), nil
	})
	doc, err := src.Fetch(t.Context())
	require.NoError(t, err)
	require.Equal(t, keyset.Document{JWKS: []byte(`{"keys":[]}`)}, doc)
}
