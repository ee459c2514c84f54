package keyset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxJWKSBytes is the response size limit of an HTTPSource.
const DefaultMaxJWKSBytes = 1 << 20

// defaultSourceTimeout bounds a fetch whose context has no deadline. The
// Cache always sets one (Config.FetchTimeout); this covers other callers.
const defaultSourceTimeout = 5 * time.Second

// maxRedirects bounds the redirects an HTTPSource follows.
const maxRedirects = 3

// errTooLarge means a JWKS response exceeded its size limit.
var errTooLarge = errors.New("response too large")

// Document is one fetched JWKS.
type Document struct {
	// JWKS is the JWK Set document, as received.
	JWKS []byte
	// MaxAge is the freshness lifetime the server gave (Cache-Control
	// max-age less the Age header); 0 when none was given, or when the
	// response said no-store or no-cache. The Cache bounds it by
	// Config.MinMaxAge and Config.MaxMaxAge.
	MaxAge time.Duration
}

// Source fetches an issuer's current JWKS. Fetch must honour ctx, may be
// called from several goroutines at once (the Cache calls it from one at a
// time per issuer), and must not return an error that holds a secret.
type Source interface {
	Fetch(ctx context.Context) (Document, error)
}

// FuncSource serves an in-process JWKS, such as the key set of the issuer
// running in the same process (keys.Manager.JWKS returns the JSON of
// {"keys":[...]}). Its documents carry no max-age, so the Cache refreshes
// them every Config.DefaultRefresh, or when Refresh is called.
type FuncSource func(ctx context.Context) ([]byte, error)

// Fetch implements Source.
func (f FuncSource) Fetch(ctx context.Context) (Document, error) {
	doc, err := f(ctx)
	if err != nil {
		return Document{}, fmt.Errorf("read jwks: %w", err)
	}
	return Document{JWKS: doc}, nil
}

// HTTPOption changes how an HTTPSource fetches.
type HTTPOption func(*httpSource)

// WithMaxBytes sets the response size limit of an HTTPSource, in bytes;
// a larger response is a failed fetch. DefaultMaxJWKSBytes by default.
func WithMaxBytes(n int64) HTTPOption {
	return func(s *httpSource) { s.maxBytes = n }
}

// httpSource is the Source NewHTTPSource returns.
type httpSource struct {
	url      string
	client   *http.Client
	maxBytes int64
}

// NewHTTPSource returns a Source that fetches the JWKS at rawURL with
// client. The URL must use https, or http when its host is a loopback IP
// address (127.0.0.0/8 or ::1; not a name, which DNS could point elsewhere),
// and carry no user information. The caller's client sets TLS roots,
// proxies and timeouts; the source uses a copy of it that follows at most
// three redirects, each to a URL that passes the same check. A fetch
// accepts status 200 only, and a body of at most DefaultMaxJWKSBytes
// (see WithMaxBytes); a fetch whose context has no deadline gets one of
// five seconds. The source is safe for concurrent use.
func NewHTTPSource(rawURL string, client *http.Client, opts ...HTTPOption) (Source, error) {
	if client == nil {
		return nil, errors.New("new jwks source: nil http client")
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("new jwks source: %w", err)
	}
	if err := checkURL(u); err != nil {
		return nil, fmt.Errorf("new jwks source: %w", err)
	}

	cl := *client
	cl.CheckRedirect = checkRedirect
	s := &httpSource{url: u.String(), client: &cl, maxBytes: DefaultMaxJWKSBytes}
	for _, o := range opts {
		o(s)
	}
	if s.maxBytes <= 0 {
		return nil, errors.New("new jwks source: size limit must be positive")
	}
	return s, nil
}

// checkURL enforces the scheme rule of NewHTTPSource.
func checkURL(u *url.URL) error {
	if u.User != nil {
		return errors.New("url must not carry user information")
	}
	if u.Host == "" {
		return errors.New("url has no host")
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsLoopback() {
			return nil
		}
		return fmt.Errorf("url %q must use https", u.Redacted())
	default:
		return fmt.Errorf("url %q must use https", u.Redacted())
	}
}

// checkRedirect keeps a redirect to the rules of NewHTTPSource.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("follow redirect: more than %d", maxRedirects)
	}
	if err := checkURL(req.URL); err != nil {
		return fmt.Errorf("follow redirect: %w", err)
	}
	return nil
}

// Fetch implements Source. Its errors never hold the response body.
func (s *httpSource) Fetch(ctx context.Context) (Document, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultSourceTimeout)
		defer cancel()
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return Document{}, fmt.Errorf("fetch jwks: %w", err)
	}
	req.Header.Set("Accept", "application/jwk-set+json, application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return Document{}, fmt.Errorf("fetch jwks: %w", err)
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		return Document{}, fmt.Errorf("fetch jwks: status %d", resp.StatusCode)
	}
	if resp.ContentLength > s.maxBytes {
		return Document{}, fmt.Errorf("fetch jwks: %w: %d bytes", errTooLarge, resp.ContentLength)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, s.maxBytes+1))
	if err != nil {
		return Document{}, fmt.Errorf("fetch jwks: read body: %w", err)
	}
	if int64(len(body)) > s.maxBytes {
		return Document{}, fmt.Errorf("fetch jwks: %w: over %d bytes", errTooLarge, s.maxBytes)
	}
	if err := ctx.Err(); err != nil {
		// The transport may hand over a response that raced the deadline,
		// with its body cut short; none is trusted once the time is up.
		return Document{}, fmt.Errorf("fetch jwks: %w", err)
	}
	return Document{JWKS: body, MaxAge: maxAge(resp.Header)}, nil
}

// maxAge returns the freshness lifetime a response's headers give
// (RFC 9111 sections 4.2.1 and 5.1): Cache-Control max-age less Age, or 0
// when there is none or the response is not to be reused as it is
// (no-store, no-cache). A lifetime already used up gives one second, so
// that it stays apart from "none given".
func maxAge(h http.Header) time.Duration {
	lifetime, ok := cacheControlMaxAge(h.Values("Cache-Control"))
	if !ok || lifetime == 0 {
		return 0
	}
	if age, err := strconv.ParseInt(strings.TrimSpace(h.Get("Age")), 10, 64); err == nil &&
		age > 0 {
		if age >= int64(lifetime/time.Second) {
			return time.Second
		}
		lifetime -= time.Duration(age) * time.Second
	}
	return lifetime
}

// maxAgeCap bounds a parsed max-age so that it cannot overflow a Duration;
// the Cache lowers it to Config.MaxMaxAge anyway.
const maxAgeCap = 365 * 24 * time.Hour

// cacheControlMaxAge parses Cache-Control field values. It reports whether
// a usable max-age was given: no-store and no-cache anywhere give (0,
// true); several max-age directives give the smallest; a malformed one is
// ignored.
func cacheControlMaxAge(values []string) (time.Duration, bool) {
	var best time.Duration
	found := false
	for _, v := range values {
		for _, d := range strings.Split(v, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store", "no-cache":
				return 0, true
			case "max-age":
				secs, ok := parseDeltaSeconds(arg)
				if ok && (!found || secs < best) {
					best, found = secs, true
				}
			}
		}
	}
	return best, found
}

// parseDeltaSeconds parses a delta-seconds value (RFC 9111 section 1.2.2),
// tolerating the quoted form, capped at maxAgeCap.
func parseDeltaSeconds(s string) (time.Duration, bool) {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if s == "" {
		return 0, false
	}
	var n int64
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, false
		}
		if n < int64(maxAgeCap/time.Second) {
			n = n*10 + int64(c-'0')
		}
	}
	return min(time.Duration(n)*time.Second, maxAgeCap), true
}
