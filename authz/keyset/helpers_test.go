package keyset_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/authz/keyset"
	"github.com/agentidp/agentidp/internal/testclock"
)

// clock is the settable test clock.
type clock = testclock.Clock

func newClock() *clock {
	return testclock.New(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
}

// Server modes of jwksServer.
const (
	healthy int32 = iota
	failing       // answers 500
	hanging       // answers nothing until the client gives up
)

// jwksServer is a real TLS JWKS endpoint that counts the fetches it
// answers and can be switched between healthy, failing and hanging.
type jwksServer struct {
	*httptest.Server
	fetches atomic.Int64
	mode    atomic.Int32

	mu           sync.Mutex
	doc          []byte
	cacheControl string
}

func newJWKSServer(t *testing.T, doc []byte) *jwksServer {
	t.Helper()
	s := &jwksServer{doc: doc}
	release := make(chan struct{})
	s.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		s.fetches.Add(1)
		switch s.mode.Load() {
		case failing:
			http.Error(w, "upstream secret detail", http.StatusInternalServerError)
			return
		case hanging:
			select {
			case <-r.Context().Done():
				// Answer nothing at all, not even an empty 200.
				panic(http.ErrAbortHandler)
			case <-release:
			}
			return
		}
		s.mu.Lock()
		doc, cc := s.doc, s.cacheControl
		s.mu.Unlock()
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		w.Write(doc)
	}))
	t.Cleanup(func() {
		close(release)
		s.Close()
	})
	return s
}

// serve changes the document and Cache-Control header served.
func (s *jwksServer) serve(doc []byte, cacheControl string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.doc, s.cacheControl = doc, cacheControl
}

// source returns an HTTPSource for s that trusts its certificate.
func (s *jwksServer) source(t *testing.T) keyset.Source {
	t.Helper()
	src, err := keyset.NewHTTPSource(s.URL+"/jwks.json", s.Client())
	require.NoError(t, err)
	return src
}

// testConfig returns a Config on clk with a registry and a log buffer.
func testConfig(clk *clock) (keyset.Config, *prometheus.Registry, *bytes.Buffer) {
	reg := prometheus.NewRegistry()
	var logs bytes.Buffer
	return keyset.Config{
		FetchTimeout: 2 * time.Second,
		Logger:       slog.New(slog.NewJSONHandler(&lockedWriter{w: &logs}, nil)),
		Registerer:   reg,
		Now:          clk.Now,
	}, reg, &logs
}

// lockedWriter serialises writes to a buffer shared across goroutines.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func newCache(t *testing.T, cfg keyset.Config) *keyset.Cache {
	t.Helper()
	c, err := keyset.New(cfg)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c
}

// Test keys, generated once.
var (
	testKeysOnce              sync.Once
	p256Key, p384Key, p521Key *ecdsa.PrivateKey
	edKey                     ed25519.PrivateKey
	rsaKey, rsa1024Key        *rsa.PrivateKey
)

func testKeys(t testing.TB) {
	t.Helper()
	testKeysOnce.Do(func() {
		var err error
		p256Key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		p384Key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
		require.NoError(t, err)
		p521Key, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
		require.NoError(t, err)
		_, edKey, err = ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		rsaKey, err = rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		// G403 warns of small RSA keys: this one is made to be refused.
		rsa1024Key, err = rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // a refused key
		require.NoError(t, err)
	})
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// jwkOf returns the public JWK members of pub with kid (none when empty).
func jwkOf(t testing.TB, pub crypto.PublicKey, kid string) map[string]any {
	t.Helper()
	m := map[string]any{}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		point, err := k.Bytes()
		require.NoError(t, err)
		size := (len(point) - 1) / 2
		m["kty"] = "EC"
		m["crv"] = k.Curve.Params().Name
		m["x"], m["y"] = b64(point[1:1+size]), b64(point[1+size:])
	case ed25519.PublicKey:
		m["kty"], m["crv"], m["x"] = "OKP", "Ed25519", b64(k)
	case *rsa.PublicKey:
		m["kty"], m["n"] = "RSA", b64(k.N.Bytes())
		m["e"] = b64(big.NewInt(int64(k.E)).Bytes())
	default:
		t.Fatalf("no JWK for %T", pub)
	}
	if kid != "" {
		m["kid"] = kid
	}
	return m
}

// with returns a copy of m with the given members set.
func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// docOf returns the JWK Set document of keys.
func docOf(t testing.TB, keys ...map[string]any) []byte {
	t.Helper()
	if keys == nil {
		keys = []map[string]any{}
	}
	doc, err := json.Marshal(map[string]any{"keys": keys})
	require.NoError(t, err)
	return doc
}

// funcSource serves doc, counting calls.
func funcSource(doc []byte, calls *atomic.Int64) keyset.FuncSource {
	return func(context.Context) ([]byte, error) {
		if calls != nil {
			calls.Add(1)
		}
		return doc, nil
	}
}
