package agentcard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/issuer/did"
)

// Paths the server serves, relative to the issuer URL.
const (
	PathCard       = "/agents/{id}/card"
	PathBadges     = "/agents/{id}/.well-known/vcs.json"
	PathStatusList = "/status-lists/{n}"
	statusListBase = "/status-lists/"
)

// Defaults of Config.
const (
	DefaultBadgeTTL         = 24 * time.Hour
	DefaultStatusListMaxAge = 30 * time.Second
)

// maxList bounds the number of a status list asked for: 2^20 lists of
// ListBits bits is far more agents than a deployment holds.
const maxList = 1 << 20

// maxCachedLists bounds the status lists kept built.
const maxCachedLists = 64

// ErrInvalidConfig is wrapped by every problem New finds in a Config.
var ErrInvalidConfig = errors.New("agentcard: invalid config")

// Store is what the server reads of the store. store.Store implements it.
type Store interface {
	FindAgent(ctx context.Context, id string) (store.Agent, store.Org, error)
	AgentStatusIndex(ctx context.Context, agentID string) (int64, error)
	ListStatusIndexes(ctx context.Context, f store.StatusIndexFilter) ([]int64, error)
}

// Signer signs the credentials with the deployment's current key, whose
// kid is the fragment of a verification method of the deployment's DID
// document. *keys.Manager implements it; Sign must not block.
type Signer interface {
	Sign(payload []byte, typ string) (token []byte, kid string, err error)
}

// Config configures a Server.
type Config struct {
	// Issuer is the issuer URL, an https origin; required.
	Issuer string
	// Store holds the agents and their status indexes; required.
	Store Store
	// Signer signs badges and status lists; required.
	Signer Signer
	// BadgeTTL is how long a badge, and a status list credential, is
	// valid; DefaultBadgeTTL when zero. A revocation ends a badge earlier,
	// through its status list.
	BadgeTTL time.Duration
	// StatusListMaxAge is how long a built status list is served before
	// it is built again, and how long verifiers may cache it: the longest
	// a revocation takes to show. DefaultStatusListMaxAge when zero.
	StatusListMaxAge time.Duration
	// Logger receives the errors behind 500 answers; nil discards them.
	Logger *slog.Logger
	// Now is the clock of the credentials' validity and of the status
	// list cache; nil means time.Now.
	Now func() time.Time
}

// Server serves agent cards, agent badges and the status lists. It is
// safe for concurrent use.
type Server struct {
	st         Store
	signer     Signer
	log        *slog.Logger
	now        func() time.Time
	issuer     string
	dids       dids
	badgeTTL   time.Duration
	listMaxAge time.Duration

	// mu guards lists and serialises their building, so that a burst of
	// requests builds a list once.
	mu    sync.Mutex
	lists map[int64]builtList
}

// dids names the deployment's and its agents' DIDs.
type dids struct{ hostID string }

func (d dids) DID() string               { return did.DeploymentDID(d.hostID) }
func (d dids) AgentDID(id string) string { return did.AgentDID(d.hostID, id) }

// builtList is a signed status list and when it was built.
type builtList struct {
	jwt   []byte
	built time.Time
}

// New checks cfg, reporting every problem at once, and returns a Server.
func New(cfg Config) (*Server, error) {
	var errs []error
	bad := func(field, msg string) {
		errs = append(errs, fmt.Errorf("%w: %s: %s", ErrInvalidConfig, field, msg))
	}
	cfg.Issuer = strings.TrimSuffix(cfg.Issuer, "/")
	hostID, err := did.HostID(cfg.Issuer)
	if err != nil || !strings.HasPrefix(cfg.Issuer, "https://") {
		bad("Issuer", "must be an https origin")
	}
	if cfg.Store == nil {
		bad("Store", "required")
	}
	if cfg.Signer == nil {
		bad("Signer", "required")
	}
	if cfg.BadgeTTL < 0 || cfg.StatusListMaxAge < 0 {
		bad("BadgeTTL", "durations must not be negative")
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	s := &Server{
		st: cfg.Store, signer: cfg.Signer, log: cfg.Logger, now: cfg.Now, issuer: cfg.Issuer,
		dids: dids{hostID: hostID}, badgeTTL: cfg.BadgeTTL, listMaxAge: cfg.StatusListMaxAge,
		lists: map[int64]builtList{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.badgeTTL == 0 {
		s.badgeTTL = DefaultBadgeTTL
	}
	if s.listMaxAge == 0 {
		s.listMaxAge = DefaultStatusListMaxAge
	}
	return s, nil
}

// Register adds the server's routes to mux.
func (s *Server) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET "+PathCard, s.serveCard)
	mux.HandleFunc("GET "+PathBadges, s.serveBadges)
	mux.HandleFunc("GET "+PathStatusList, s.serveStatusList)
}

func (s *Server) statusListURL(n int64) string {
	return s.issuer + statusListBase + strconv.FormatInt(n, 10)
}

// findAgent returns a live agent, writing the answer when there is none:
// 404 for an unknown agent or one of a deleted organisation, 410 for a
// revoked one.
func (s *Server) findAgent(w http.ResponseWriter, r *http.Request) (store.Agent, store.Org,
	bool) {
	id := r.PathValue("id")
	if !ids.Valid(ids.Agent, id) {
		http.NotFound(w, r)
		return store.Agent{}, store.Org{}, false
	}
	a, org, err := s.st.FindAgent(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && org.Status == store.OrgDeleted):
		http.NotFound(w, r)
	case err != nil:
		s.fail(w, r, "find agent", err)
	case a.Status == store.AgentRevoked:
		http.Error(w, "agent revoked", http.StatusGone)
	default:
		return a, org, true
	}
	return store.Agent{}, store.Org{}, false
}

// serveCard serves an agent's A2A AgentCard.
func (s *Server) serveCard(w http.ResponseWriter, r *http.Request) {
	a, org, ok := s.findAgent(w, r)
	if !ok {
		return
	}
	b, err := json.Marshal(BuildCard(s.issuer, a, org))
	if err != nil {
		s.fail(w, r, "encode agent card", err)
		return
	}
	writeBody(w, "application/json", "public, max-age=60", b)
}

// serveBadges serves vcs.json: the agent's badge, enveloped in a JSON
// list, or alone as application/vc+jwt when the client asks for that.
// A suspended agent, or one of a suspended organisation, gets no badge
// until it is reactivated.
func (s *Server) serveBadges(w http.ResponseWriter, r *http.Request) {
	a, org, ok := s.findAgent(w, r)
	if !ok {
		return
	}
	if a.Status != store.AgentActive || org.Status != store.OrgActive {
		http.Error(w, "agent suspended", http.StatusForbidden)
		return
	}
	index, err := s.st.AgentStatusIndex(r.Context(), a.ID)
	if err != nil {
		s.fail(w, r, "get status index", err)
		return
	}
	jwt, err := s.badge(a, org, index)
	if err != nil {
		s.fail(w, r, "issue agent badge", err)
		return
	}

	if strings.Contains(r.Header.Get("Accept"), MediaTypeVCJWT) {
		writeBody(w, MediaTypeVCJWT, "no-cache", jwt)
		return
	}
	b, err := json.Marshal([]Enveloped{envelope(jwt)})
	if err != nil {
		s.fail(w, r, "encode agent badge", err)
		return
	}
	writeBody(w, "application/json", "no-cache", b)
}

// serveStatusList serves status list credential n as application/vc+jwt.
func (s *Server) serveStatusList(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.PathValue("n"), 10, 64)
	if err != nil || n < 0 || n >= maxList || strconv.FormatInt(n, 10) != r.PathValue("n") {
		http.NotFound(w, r)
		return
	}
	jwt, err := s.currentList(r.Context(), n)
	if err != nil {
		s.fail(w, r, "build status list", err)
		return
	}
	maxAge := int(s.listMaxAge / time.Second)
	writeBody(w, MediaTypeVCJWT, "public, max-age="+strconv.Itoa(maxAge), jwt)
}

// currentList returns status list n, built again when the one at hand is
// older than listMaxAge. A bit is set for every agent that is revoked or
// whose organisation was deleted.
func (s *Server) currentList(ctx context.Context, n int64) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if l, ok := s.lists[n]; ok && now.Sub(l.built) < s.listMaxAge {
		return l.jwt, nil
	}

	from := n * ListBits
	set, err := s.st.ListStatusIndexes(ctx, store.StatusIndexFilter{
		From: from, To: from + ListBits,
		AgentStatuses: []store.AgentStatus{store.AgentRevoked},
		OrgStatuses:   []store.OrgStatus{store.OrgDeleted},
	})
	if err != nil {
		return nil, fmt.Errorf("list revoked status indexes: %w", err)
	}
	for i := range set {
		set[i] -= from
	}
	jwt, err := s.statusList(n, set)
	if err != nil {
		return nil, err
	}
	if len(s.lists) >= maxCachedLists {
		clear(s.lists)
	}
	s.lists[n] = builtList{jwt: jwt, built: now}
	return jwt, nil
}

// fail logs an error of the server's own and answers 500.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.ErrorContext(r.Context(), what, "error", err.Error())
	http.Error(w, http.StatusText(http.StatusInternalServerError),
		http.StatusInternalServerError)
}

func writeBody(w http.ResponseWriter, contentType, cache string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", cache)
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	// JSON or a JWS under its own content type, with nosniff: never HTML.
	_, _ = w.Write(b) //nolint:gosec // G705: see above.
}
