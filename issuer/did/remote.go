package did

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	"golang.org/x/sync/singleflight"
)

// Defaults of RemoteConfig.
const (
	DefaultTimeout          = 5 * time.Second
	DefaultMaxDocumentBytes = 64 << 10
	DefaultCacheSize        = 1000
	DefaultCacheTTL         = 5 * time.Minute
)

// maxFailureTTL bounds how long a failed resolution is cached.
const maxFailureTTL = 30 * time.Second

// RemoteConfig configures the resolution of other hosts' did:web.
type RemoteConfig struct {
	// AllowedHosts are the host names whose documents may be fetched:
	// exact names, or "*.example.com" for every name below example.com.
	// Empty fetches nothing.
	AllowedHosts []string
	// AllowedNetworks are the non-public prefixes a fetched host may
	// resolve to. Every other loopback, private, link-local, shared or
	// reserved address is refused on the address dialled.
	AllowedNetworks []netip.Prefix
	// Timeout bounds one fetch; DefaultTimeout when zero.
	Timeout time.Duration
	// MaxDocumentBytes caps a document; DefaultMaxDocumentBytes when zero.
	MaxDocumentBytes int64
	// CacheSize is how many results are kept; DefaultCacheSize when zero.
	CacheSize int64
	// CacheTTL is how long a fetched document is reused; DefaultCacheTTL
	// when zero. A failure is kept a tenth of it, at most 30 seconds.
	CacheTTL time.Duration
	// RootCAs verifies the hosts' certificates; nil means the system's.
	RootCAs *x509.CertPool
}

// errAddressNotAllowed is what the dialler returns for a refused address.
var errAddressNotAllowed = errors.New("address not allowed")

// blockedPrefixes are the special-purpose ranges that IsPrivate and
// IsGlobalUnicast leave open, among them the IPv6 prefixes that embed an
// IPv4 address (NAT64, 6to4, Teredo) and could lead back inside.
var blockedPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("100::/64"),
	netip.MustParsePrefix("2001::/32"),
	netip.MustParsePrefix("2001:db8::/32"),
	netip.MustParsePrefix("2002::/16"),
}

// remote resolves other hosts' did:web over HTTPS. It is safe for
// concurrent use.
type remote struct {
	client   *http.Client
	hosts    []string
	networks []netip.Prefix
	maxBytes int64
	ttl      time.Duration
	cache    *ristretto.Cache[string, *Result]
	group    singleflight.Group
	timeout  time.Duration
}

func newRemote(cfg RemoteConfig) (*remote, error) {
	cfg = remoteDefaults(cfg)
	cache, err := ristretto.NewCache(&ristretto.Config[string, *Result]{
		NumCounters: 10 * cfg.CacheSize, MaxCost: cfg.CacheSize, BufferItems: 64,
	})
	if err != nil {
		return nil, fmt.Errorf("new did cache: %w", err)
	}
	r := &remote{
		hosts: cfg.AllowedHosts, networks: cfg.AllowedNetworks,
		maxBytes: cfg.MaxDocumentBytes, ttl: cfg.CacheTTL, cache: cache, timeout: cfg.Timeout,
	}

	// The address is checked when it is dialled, after DNS resolution, so
	// a name of an allowed host cannot point the resolver inside. No proxy
	// is used: through one, the dialled address would be the proxy's.
	dialer := &net.Dialer{Timeout: cfg.Timeout, Control: r.checkAddress}
	r.client = &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{
			Proxy:                  nil,
			DialContext:            dialer.DialContext,
			TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: cfg.RootCAs},
			TLSHandshakeTimeout:    cfg.Timeout,
			ResponseHeaderTimeout:  cfg.Timeout,
			MaxResponseHeaderBytes: 32 << 10,
			MaxIdleConns:           16,
			IdleConnTimeout:        90 * time.Second,
			DisableCompression:     true,
			ForceAttemptHTTP2:      true,
		},
		// did:web documents are fetched from the URL the DID names and no
		// other: a redirect could lead anywhere.
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return r, nil
}

func remoteDefaults(cfg RemoteConfig) RemoteConfig {
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxDocumentBytes == 0 {
		cfg.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if cfg.CacheSize == 0 {
		cfg.CacheSize = DefaultCacheSize
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	return cfg
}

// close releases the cache and idle connections.
func (r *remote) close() {
	r.cache.Close()
	r.client.CloseIdleConnections()
}

// checkAddress is the dialler's Control hook: it refuses every address
// that is neither public nor in an allowed network.
func (r *remote) checkAddress(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return errAddressNotAllowed
	}
	if !r.addressAllowed(ap.Addr()) {
		return errAddressNotAllowed
	}
	return nil
}

func (r *remote) addressAllowed(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range r.networks {
		if p.Contains(a) {
			return true
		}
	}
	if !a.IsGlobalUnicast() || a.IsPrivate() {
		return false
	}
	for _, p := range blockedPrefixes {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// hostAllowed reports whether host (without port) is an allowed host.
func (r *remote) hostAllowed(host string) bool {
	host = strings.ToLower(host)
	for _, h := range r.hosts {
		if suffix, ok := strings.CutPrefix(h, "*."); ok {
			if strings.HasSuffix(host, "."+suffix) {
				return true
			}
		} else if host == h {
			return true
		}
	}
	return false
}

// resolve returns the result for a did:web of another host: from the
// cache, or fetched once however many callers ask at the same time.
func (r *remote) resolve(ctx context.Context, did string, w webDID) (*Result, bool) {
	name, _, _ := strings.Cut(w.host, ":")
	if !r.hostAllowed(name) {
		return failed(CodeNotAllowed, "this resolver does not fetch DID documents from that host"),
			false
	}
	if res, ok := r.cache.Get(did); ok {
		return res, true
	}

	ch := r.group.DoChan(did, func() (any, error) {
		// The fetch outlives a caller that gives up, for the others
		// waiting on it; the timeout still bounds it.
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.timeout)
		defer cancel()
		res := r.fetch(fctx, did, w)
		ttl := r.ttl
		if res.Meta.Error != "" {
			ttl = min(r.ttl/10, maxFailureTTL)
		}
		r.cache.SetWithTTL(did, res, 1, ttl)
		return res, nil
	})
	select {
	case <-ctx.Done():
		return failed(CodeNotFound, "resolution was cancelled"), false
	case out := <-ch:
		return out.Val.(*Result), false
	}
}

// fetch gets and checks the document of a did:web.
func (r *remote) fetch(ctx context.Context, did string, w webDID) *Result {
	// The URL is the one the DID names, and its host was allowed; the
	// dialler checks the address it resolves to.
	u := w.documentURL()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil) //nolint:gosec // G704: above.
	if err != nil {
		return failed(CodeInvalidDID, "the DID does not name a fetchable URL")
	}
	req.Header.Set("Accept", "application/did+ld+json, application/did+json, application/json")
	resp, err := r.client.Do(req) //nolint:gosec // G704: the guarded request above.
	if err != nil {
		return fetchFailure(err)
	}
	defer resp.Body.Close()

	switch {
	case resp.StatusCode == http.StatusGone:
		return &Result{Context: ContextResolution, Document: json.RawMessage("null"),
			DocMeta: DocumentMetadata{Deactivated: true}}
	case resp.StatusCode != http.StatusOK:
		return failed(CodeNotFound, fmt.Sprintf("the host answered HTTP %d", resp.StatusCode))
	case resp.ContentLength > r.maxBytes:
		return failed(CodeInvalidDocument, r.tooLarge())
	}

	body, err := io.ReadAll(io.LimitReader(resp.Body, r.maxBytes+1))
	switch {
	case err != nil:
		return fetchFailure(err)
	case int64(len(body)) > r.maxBytes:
		return failed(CodeInvalidDocument, r.tooLarge())
	}
	doc, err := ParseDocument(body, did)
	if err != nil {
		return failed(CodeInvalidDocument, err.Error())
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, body); err != nil {
		return failed(CodeInvalidDocument, "not JSON")
	}
	return resolved(doc, compact.Bytes(), DocumentMetadata{})
}

func (r *remote) tooLarge() string {
	return fmt.Sprintf("the DID document is larger than %d bytes", r.maxBytes)
}

// fetchFailure classifies a failed request without repeating its error,
// which may name internal addresses.
func fetchFailure(err error) *Result {
	var ne net.Error
	switch {
	case errors.Is(err, errAddressNotAllowed):
		return failed(CodeNotAllowed, "the host resolves to an address that is not allowed")
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return failed(CodeNotFound, "fetching the DID document timed out")
	default:
		return failed(CodeNotFound, "the DID document could not be fetched")
	}
}
