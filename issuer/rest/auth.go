package rest

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/agentidp/agentidp/internal/reqctx"
	"github.com/agentidp/agentidp/issuer"
)

// bearer returns the key of an `Authorization: Bearer <key>` header
// (RFC 6750 section 2.1; the scheme is case-insensitive).
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", fmt.Errorf("%w: %w", issuer.ErrUnauthenticated, errNoCredentials)
	}
	scheme, key, _ := strings.Cut(h, " ")
	key = strings.TrimSpace(key)
	if !strings.EqualFold(scheme, "Bearer") || key == "" {
		return "", fmt.Errorf("%w: not a bearer authorization", issuer.ErrUnauthenticated)
	}
	return key, nil
}

// admit runs the checks every authenticated route needs, in order: (1)
// authenticate the key, (2) apply the caller's rate limit, (3) check the
// route's operation against the caller's role and organisation state. It
// returns the caller and the request with the actor in its context.
func (s *Server) admit(w http.ResponseWriter, r *http.Request,
	rt route) (issuer.Principal, *http.Request, error) {
	key, err := bearer(r)
	if err != nil {
		return issuer.Principal{}, r, err
	}
	p, err := s.svc.Authenticate(r.Context(), key)
	if err != nil {
		return issuer.Principal{}, r, err
	}
	if rec, ok := w.(*recorder); ok {
		rec.keyID = p.KeyID
	}
	r = r.WithContext(reqctx.WithActor(r.Context(), p.Actor()))

	if wait, ok := s.limits.allowOrg(limitKey(p), s.now()); !ok {
		s.metrics.limited.WithLabelValues("org").Inc()
		return issuer.Principal{}, r, &httpError{kind: kindRateLimited, retry: wait,
			detail: "this organization is sending too many requests"}
	}

	if err := s.svc.Permit(r.Context(), p, rt.op, r.PathValue(rt.target)); err != nil {
		return issuer.Principal{}, r, err
	}
	return p, r, nil
}

// limitKey names the rate limit bucket of a caller: its organisation, or
// its own key for a super-admin.
func limitKey(p issuer.Principal) string {
	if p.Admin {
		return p.Actor()
	}
	return "org:" + p.OrgID
}
