package did

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

// Paths the server serves, relative to the issuer URL.
const (
	PathAgentDocument = "/agents/{id}/did.json"
	PathResolve       = "/1.0/identifiers/"
)

// Cache lifetimes. The deployment's document lists the keys of the JWKS
// and is cached as long, so both change together on rotation.
const (
	documentCache = "public, max-age=60"
	resolveCache  = "no-cache"
)

// Service types of the deployment's DID document.
const (
	ServiceOIDC       = "OpenIDConnectIssuer"
	ServiceJWKS       = "JsonWebKeySet"
	ServiceFederation = "AgentIdPFederation"
)

// Server serves the deployment's and its agents' DID documents and the
// resolver endpoint. It is safe for concurrent use.
type Server struct {
	st        Store
	keys      KeySet
	log       *slog.Logger
	metrics   *metrics
	now       func() time.Time
	remote    *remote
	issuer    string
	federates string

	hostID string
	// host is hostID decoded: host or host:port.
	host string
	// self is the deployment's DID.
	self string
	// deployment caches self's resolution.
	deployment atomic.Pointer[deploymentCache]
}

// New checks cfg, reporting every problem at once, and returns a Server.
// Close releases it.
func New(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	hostID, err := HostID(cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("new did server: %w", err)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("new did server: %w", err)
	}
	r, err := newRemote(cfg.Remote)
	if err != nil {
		return nil, fmt.Errorf("new did server: %w", err)
	}
	return &Server{
		st: cfg.Store, keys: cfg.Keys, log: cfg.Logger, metrics: m, now: cfg.Now, remote: r,
		issuer: cfg.Issuer, federates: cfg.FederationURL,
		hostID: hostID, host: strings.ReplaceAll(hostID, "%3A", ":"),
		self: DeploymentDID(hostID),
	}, nil
}

// Close releases the resolver's cache and connections.
func (s *Server) Close() {
	s.remote.close()
}

// DID returns the deployment's DID.
func (s *Server) DID() string {
	return s.self
}

// AgentDID returns the DID of one of the deployment's agents.
func (s *Server) AgentDID(agentID string) string {
	return AgentDID(s.hostID, agentID)
}

// Register adds the server's routes to mux: the deployment's document,
// the agents' documents and the resolver.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+PathDeploymentDocument, s.serveDeployment)
	mux.HandleFunc("GET "+PathAgentDocument, s.serveAgent)
	mux.HandleFunc("GET "+PathResolve+"{did...}", s.serveResolve)
}

// Resolve resolves a DID: the deployment's own from the key set and the
// store, did:key by decoding it, other hosts' did:web over HTTPS within
// the configured limits. Failures are results with an error code, never
// a Go error. The result is shared: do not modify it.
func (s *Server) Resolve(ctx context.Context, raw string) *Result {
	source, res := s.resolve(ctx, raw)
	s.metrics.count(source, res)
	return res
}

func (s *Server) resolve(ctx context.Context, raw string) (string, *Result) {
	d, err := Parse(raw)
	if err != nil {
		return "none", failed(CodeInvalidDID, "the DID does not follow the DID syntax")
	}
	switch d.Method {
	case MethodKey:
		return "key", resolveKey(d)
	case MethodWeb:
	default:
		return "none", failed(CodeMethodNotSupported,
			"this resolver supports did:web and did:key only")
	}

	w, err := parseWeb(d)
	if err != nil {
		return "none", failed(CodeInvalidDID, "the DID is not a valid did:web")
	}
	switch {
	case w.hostID == s.hostID:
		return "local", s.resolveLocal(ctx, w)
	case strings.EqualFold(w.host, s.host):
		// The deployment's own host in another spelling (%3a, upper
		// case): never fetched from itself, and not its DID either.
		return "local", failed(CodeNotFound, "no such DID on this deployment; "+
			"its DIDs are spelt "+s.self)
	}
	res, hit := s.remote.resolve(ctx, d.String(), w)
	if hit {
		return "cache", res
	}
	return "remote", res
}

// resolveKey decodes a did:key.
func resolveKey(d DID) *Result {
	doc, err := keyDocument(d)
	switch {
	case errors.Is(err, ErrUnsupportedKeyType):
		return failed(CodeUnsupportedPublicKeyType, "the did:key holds a key type not supported")
	case errors.Is(err, ErrInvalidPublicKey):
		return failed(CodeInvalidPublicKey, "the did:key does not hold a valid public key")
	case err != nil:
		return failed(CodeInvalidDID, "the DID is not a valid did:key")
	}
	return encode(doc, DocumentMetadata{})
}

// resolveLocal answers one of the deployment's own did:web from memory
// and the store: the deployment itself or one of its agents.
func (s *Server) resolveLocal(ctx context.Context, w webDID) *Result {
	switch {
	case len(w.path) == 0:
		return s.deploymentResult(ctx)
	case len(w.path) == 2 && w.path[0] == agentSegment:
		return s.agentResult(ctx, w.path[1])
	default:
		return failed(CodeNotFound, "no such DID on this deployment")
	}
}

// deploymentResult returns the resolution of the deployment's DID, built
// again only when the published key set changed.
func (s *Server) deploymentResult(ctx context.Context) *Result {
	jwks := s.keys.JWKS()
	if c := s.deployment.Load(); c != nil && bytes.Equal(c.jwks, jwks) {
		return c.res
	}
	doc, err := s.deploymentDocument(jwks)
	if err != nil {
		s.log.ErrorContext(ctx, "build deployment did document", logError, err.Error())
		return failed(CodeInternalError, "the deployment's keys cannot be read")
	}
	res := encode(doc, DocumentMetadata{})
	s.deployment.Store(&deploymentCache{jwks: bytes.Clone(jwks), res: res})
	return res
}

// deploymentCache is the deployment's resolution and the key set it was
// built from.
type deploymentCache struct {
	jwks []byte
	res  *Result
}

// encode returns the result of a document built here.
func encode(doc *Document, meta DocumentMetadata) *Result {
	raw, err := json.Marshal(doc)
	if err != nil {
		return failed(CodeInternalError, "the DID document cannot be encoded")
	}
	return resolved(doc, raw, meta)
}

// deploymentDocument builds the deployment's DID document from the
// published key set: every key, by kid, as a JsonWebKey2020 method for
// assertions and authentication, and the issuer's services.
func (s *Server) deploymentDocument(jwks []byte) (*Document, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(jwks, &set); err != nil {
		return nil, fmt.Errorf("parse jwks: %w", err)
	}

	doc := &Document{Context: []string{ContextDIDv1, ContextJWS2020}, ID: s.self}
	for _, k := range set.Keys {
		var key struct {
			KID string `json:"kid"`
		}
		if err := json.Unmarshal(k, &key); err != nil || key.KID == "" {
			return nil, errors.New("parse jwks: a key has no kid")
		}
		doc.addKey(key.KID, s.self, k)
	}
	doc.Service = []Service{
		service(s.self+"#oidc", ServiceOIDC, s.issuer),
		service(s.self+"#jwks", ServiceJWKS, s.issuer+"/.well-known/jwks.json"),
		service(s.self+"#federation", ServiceFederation, s.federates),
	}
	return doc, nil
}

// addKey adds a public JWK as a verification method for assertions and
// authentication.
func (d *Document) addKey(kid, controller string, jwk json.RawMessage) {
	id := d.ID + "#" + kid
	d.VerificationMethod = append(d.VerificationMethod, VerificationMethod{
		ID: id, Type: TypeJSONWebKey2020, Controller: controller, PublicKeyJWK: jwk,
	})
	d.AssertionMethod = append(d.AssertionMethod, id)
	d.Authentication = append(d.Authentication, id)
}

func service(id, typ, endpoint string) Service {
	b, _ := json.Marshal(endpoint) // a string always encodes
	return Service{ID: id, Type: typ, ServiceEndpoint: b}
}

// agentResult resolves an agent's DID. An agent of a deleted
// organisation does not exist; a revoked agent is deactivated, its
// document kept without keys.
func (s *Server) agentResult(ctx context.Context, agentID string) *Result {
	if !ids.Valid(ids.Agent, agentID) {
		return failed(CodeNotFound, "no such agent on this deployment")
	}
	a, org, err := s.st.FindAgent(ctx, agentID)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && org.Status == store.OrgDeleted):
		return failed(CodeNotFound, "no such agent on this deployment")
	case err != nil:
		s.log.ErrorContext(ctx, "find agent", logError, err.Error())
		return failed(CodeInternalError, "the agent cannot be read")
	}

	did := s.AgentDID(a.ID)
	doc := &Document{Context: []string{ContextDIDv1, ContextJWS2020}, ID: did,
		Controller: []string{s.self}}
	meta := DocumentMetadata{Created: rfc3339(a.CreatedAt), Updated: rfc3339(a.UpdatedAt),
		Deactivated: a.Status == store.AgentRevoked}
	if meta.Deactivated {
		return encode(doc, meta)
	}

	keys, err := s.st.ListAgentKeys(ctx, a.OrgID, a.ID)
	if err != nil {
		s.log.ErrorContext(ctx, "list agent keys", logError, err.Error())
		return failed(CodeInternalError, "the agent's keys cannot be read")
	}
	now := s.now()
	for _, k := range keys {
		if !k.RevokedAt.IsZero() || (!k.ExpiresAt.IsZero() && !k.ExpiresAt.After(now)) ||
			!publicJWK(k.JWK) {
			continue
		}
		doc.addKey(k.KID, did, k.JWK)
	}
	return encode(doc, meta)
}

// publicJWK reports whether b is a JWK object without private members;
// a stored key that is not is left out of the document, not published.
func publicJWK(b []byte) bool {
	var members map[string]json.RawMessage
	if json.Unmarshal(b, &members) != nil || members["kty"] == nil {
		return false
	}
	for _, m := range privateJWKMembers {
		if _, ok := members[m]; ok {
			return false
		}
	}
	return true
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// serveDeployment serves /.well-known/did.json.
func (s *Server) serveDeployment(w http.ResponseWriter, r *http.Request) {
	s.serveDocument(w, s.Resolve(r.Context(), s.self))
}

// serveAgent serves /agents/{id}/did.json: the document, 404 for an
// unknown agent and 410 for a revoked one (did:web deactivation).
func (s *Server) serveAgent(w http.ResponseWriter, r *http.Request) {
	s.serveDocument(w, s.Resolve(r.Context(), s.AgentDID(r.PathValue("id"))))
}

// serveDocument writes the document of a local result, or its status.
func (s *Server) serveDocument(w http.ResponseWriter, res *Result) {
	status := res.Status()
	if status != http.StatusOK {
		http.Error(w, http.StatusText(status), status)
		return
	}
	writeBody(w, status, MediaTypeDIDLD, documentCache, res.Document)
}

// serveResolve serves GET /1.0/identifiers/{did}: a resolution result,
// or with Accept: application/did+ld+json (or did+json) the document
// alone. The DID is taken as sent when it starts with "did:", so that
// its own percent-encoding (%3A before a port) survives; otherwise it is
// percent-decoded once.
func (s *Server) serveResolve(w http.ResponseWriter, r *http.Request) {
	raw := strings.TrimPrefix(r.URL.EscapedPath(), PathResolve)
	if !strings.HasPrefix(raw, "did:") {
		if dec, err := url.PathUnescape(raw); err == nil {
			raw = dec
		}
	}
	res := s.Resolve(r.Context(), raw)

	if wantsDocument(r.Header.Get("Accept")) {
		if res.Meta.Error != "" {
			http.Error(w, res.Meta.Error, res.Status())
			return
		}
		writeBody(w, res.Status(), MediaTypeDIDLD, resolveCache, res.Document)
		return
	}
	b, err := json.Marshal(res)
	if err != nil {
		http.Error(w, CodeInternalError, http.StatusInternalServerError)
		return
	}
	writeBody(w, res.Status(), MediaTypeResolution, resolveCache, b)
}

// wantsDocument reports whether an Accept header asks for the DID
// document itself rather than a resolution result.
func wantsDocument(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		switch strings.ToLower(mt) {
		case MediaTypeDIDLD, mediaTypeDIDJSON:
			return true
		case "application/ld+json", "application/did-resolution", "application/json", "*/*":
			return false
		}
	}
	return false
}

func writeBody(w http.ResponseWriter, status int, contentType, cache string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cache)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	// JSON or a JWS under its own content type, with nosniff: never HTML.
	_, _ = w.Write(b) //nolint:gosec // G705: see above.
}

// Log attribute keys.
const logError = "error"
