package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/api"
	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/secret"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/pgtest"
	"github.com/agentidp/agentidp/internal/store/postgres"
	"github.com/agentidp/agentidp/internal/store/sqlite"
	"github.com/agentidp/agentidp/internal/testclock"
	"github.com/agentidp/agentidp/issuer"
)

// backend opens a fresh, migrated store for one test.
type backend struct {
	name string
	open func(t testing.TB) store.Store
}

// backends are the storage backends the API tests run against.
var backends = []backend{
	{"sqlite", openSQLite},
	{"postgres", openPostgres},
}

// openSQLite returns a migrated SQLite store in the test's temporary
// directory.
func openSQLite(t testing.TB) store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "agentidp.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))
	return st
}

// openPostgres returns a migrated PostgreSQL store in a schema of its own;
// the test is skipped when no database is reachable (and fails in CI).
func openPostgres(t testing.TB) store.Store {
	t.Helper()
	ctx := context.Background()
	url, schema := pgtest.New(t)
	st, err := postgres.Open(ctx, postgres.Config{URL: url, Schema: schema, MaxConns: 8})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))
	return st
}

// clock is the settable test clock.
type clock = testclock.Clock

func newClock() *clock {
	return testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
}

// logBuffer collects log output from concurrent handlers.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a running API server on a real store, with a super-admin key.
type env struct {
	t        testing.TB
	st       store.Store
	srv      *Server
	http     *httptest.Server
	client   *http.Client
	clock    *clock
	logs     *logBuffer
	registry *prometheus.Registry
	adminKey string
	// signing holds the deployment's signing keys, started: one active key.
	signing *keys.Manager
}

// testHasherKey is the server hashing key of the tests.
var testHasherKey = bytes.Repeat([]byte{0x42}, secret.MinKeyBytes)

// newEnv starts a server on st. edit, if given, changes the config first.
func newEnv(t testing.TB, st store.Store, edit ...func(*Config)) *env {
	t.Helper()
	h, err := secret.NewHasher(testHasherKey)
	require.NoError(t, err)
	e := &env{t: t, st: st, clock: newClock(), logs: &logBuffer{},
		registry: prometheus.NewRegistry()}

	e.signing = newKeyManager(t, st, e.clock)
	cfg := Config{
		Store: st, Hasher: h, Registerer: e.registry, Now: e.clock.Now, SigningKeys: e.signing,
		Logger: slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		// The test clock stands still, so the buckets never refill: make
		// them deep enough for any test but the rate limit ones.
		RateLimit: RateLimit{GlobalRPS: 1, GlobalBurst: 100000, OrgRPS: 1, OrgBurst: 100000},
	}
	for _, f := range edit {
		f(&cfg)
	}
	e.srv, err = New(cfg)
	require.NoError(t, err)

	e.http = httptest.NewServer(e.srv.Handler())
	t.Cleanup(e.http.Close)
	e.client = &http.Client{Transport: &contractTransport{t: t, base: http.DefaultTransport}}
	e.adminKey, err = issuer.CreateAdminKey(context.Background(), st, h, "test admin")
	require.NoError(t, err)
	return e
}

// newKeyManager returns a started signing key manager on st, on the test
// clock.
func newKeyManager(t testing.TB, st store.Store, c *clock) *keys.Manager {
	t.Helper()
	kek, err := keys.NewKEK(bytes.Repeat([]byte{0x17}, keys.KEKSize))
	require.NoError(t, err)
	m, err := keys.New(keys.Config{Store: st, KEK: kek, Now: c.Now})
	require.NoError(t, err)
	require.NoError(t, m.Start(context.Background()))
	return m
}

// response is what a test request got back.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into v.
func (r response) json(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), "body: %s", r.body)
}

// object decodes the body as a JSON object.
func (r response) object(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	return m
}

// problemType returns the slug of a problem response's type.
func (r response) problemType(t testing.TB) string {
	t.Helper()
	require.Equal(t, "application/problem+json", r.header.Get("Content-Type"),
		"body: %s", r.body)
	var p problem
	r.json(t, &p)
	return strings.TrimPrefix(p.Type, ProblemTypeBase)
}

// do sends a request. body is sent as is when it is a string or []byte,
// as JSON otherwise, and not at all when nil; a body gets the JSON media
// type unless header says otherwise.
func (e *env) do(method, path, key string, body any, header ...string) response {
	e.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, e.http.URL+path,
		bodyReader(e.t, body))
	require.NoError(e.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}

	resp, err := e.client.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

// bodyReader turns a test body into a reader.
func bodyReader(t testing.TB, body any) io.Reader {
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return strings.NewReader(b)
	case []byte:
		return bytes.NewReader(b)
	}
	data, err := json.Marshal(body)
	require.NoError(t, err)
	return bytes.NewReader(data)
}

// must sends a request that must answer want, and returns its JSON object
// (nil for an empty body).
func (e *env) must(want int, method, path, key string, body any) map[string]any {
	e.t.Helper()
	r := e.do(method, path, key, body)
	require.Equal(e.t, want, r.status, "%s %s: %s", method, path, r.body)
	if len(r.body) == 0 {
		return nil
	}
	return r.object(e.t)
}

// org creates an organisation and returns its id.
func (e *env) org(name string) string {
	e.t.Helper()
	return e.must(201, "POST", "/v1/orgs", e.adminKey, map[string]any{"name": name})["id"].(string)
}

// key creates an organisation key of the given role through the
// super-admin route and returns the key.
func (e *env) key(orgID, role string) string {
	e.t.Helper()
	out := e.must(201, "POST", "/v1/orgs/"+orgID+"/keys", e.adminKey,
		map[string]any{"role": role})
	return out["key"].(string)
}

// registerAgent registers an agent and returns its id.
func (e *env) registerAgent(key, name string) string {
	e.t.Helper()
	out := e.must(201, "POST", "/v1/agents", key,
		map[string]any{"name": name, "scopes": []string{"read"}})
	return out["id"].(string)
}

// openAPIRouter is the router over api/openapi.yaml shared by every test.
var openAPIRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI())
	if err != nil {
		return nil, fmt.Errorf("load openapi: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("validate openapi: %w", err)
	}
	return gorillamux.NewRouter(doc)
})

// contractTransport checks every response a test receives against the
// OpenAPI document, so that every test is also a contract test.
type contractTransport struct {
	t    testing.TB
	base http.RoundTripper
}

// RoundTrip sends req and validates the response.
func (c *contractTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))

	if err := validateResponse(req, resp, body); err != nil {
		c.t.Errorf("%s %s -> %d violates the contract: %v\nbody: %s",
			req.Method, req.URL.Path, resp.StatusCode, err, body)
	}
	return resp, nil
}

// validateResponse checks one response against the OpenAPI document. A
// request for a path or method the document lacks must get a problem.
func validateResponse(req *http.Request, resp *http.Response, body []byte) error {
	router, err := openAPIRouter()
	if err != nil {
		return err
	}
	if resp.Header.Get("X-Request-Id") == "" {
		return fmt.Errorf("no X-Request-Id header")
	}

	route, params, err := router.FindRoute(req)
	if err != nil {
		return checkBareProblem(resp, body)
	}
	return openapi3filter.ValidateResponse(req.Context(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
		},
		Status:  resp.StatusCode,
		Header:  resp.Header,
		Body:    io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true},
	})
}

// checkBareProblem checks the answer to a request outside the document:
// a 404 or 405 problem document.
func checkBareProblem(resp *http.Response, body []byte) error {
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusTooManyRequests:
	default:
		return fmt.Errorf("undocumented route answered %d", resp.StatusCode)
	}
	var p problem
	if err := json.Unmarshal(body, &p); err != nil || p.Status != resp.StatusCode ||
		!strings.HasPrefix(p.Type, ProblemTypeBase) {
		return fmt.Errorf("undocumented route did not answer a problem document")
	}
	return nil
}
