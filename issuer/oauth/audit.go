package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/reqctx"
	"github.com/agentidp/agentidp/internal/store"
)

// Audit actions and event types of the endpoints.
const (
	actionTokenIssue      = "token.issue"
	actionTokenRefuse     = "token.refuse"
	actionTokenRevoke     = "token.revoke"
	actionTokenIntrospect = "token.introspect"

	eventTokenIssued  = "token.issued"
	eventTokenRevoked = "token.revoked"
)

// actor is the audit name of a client.
func actor(clientID string) string {
	return "client:" + clientID
}

// tokenEvent is the payload of token events: ids and times only, never a
// token.
type tokenEvent struct {
	JTI       string `json:"jti"`
	AgentID   string `json:"agent_id"`
	KID       string `json:"kid,omitempty"`
	ExpiresAt int64  `json:"exp"`
}

// newEvent builds an outbox event about a token of an agent.
func newEvent(typ string, orgID, subject string, payload tokenEvent,
	now time.Time) (*store.Event, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode event %q: %w", typ, err)
	}
	return &store.Event{ID: ids.NewAt(ids.Event, now), OrgID: orgID, Type: typ,
		Subject: subject, Payload: b, CreatedAt: now}, nil
}

// entry builds the audit entry of an action of a client.
func entry(ctx context.Context, orgID, clientID, action, target string,
	outcome store.Outcome, now time.Time) store.AuditEntry {
	return store.AuditEntry{OrgID: orgID, Actor: actor(clientID), Action: action,
		Target: target, RequestID: reqctx.RequestID(ctx), Outcome: outcome, Time: now}
}

// recordIssue records an issued token and enqueues token.issued.
func (s *Server) recordIssue(ctx context.Context, g grant, m minted) error {
	a := g.client.agent
	ev, err := newEvent(eventTokenIssued, a.OrgID, a.ID, tokenEvent{JTI: m.claims.JTI,
		AgentID: a.ID, KID: m.kid, ExpiresAt: m.claims.ExpiresAt}, g.now)
	if err != nil {
		return err
	}
	e := entry(ctx, a.OrgID, a.ID, actionTokenIssue, m.claims.JTI, store.OutcomeSuccess, g.now)
	if err := s.audit.Record(ctx, e, ev); err != nil {
		return fmt.Errorf("record token issue: %w", err)
	}
	return nil
}

// refuse answers a refused request. A refusal of a known client (not a
// failure of the server) is audited first in the client's organisation
// under action; when the record cannot be written the answer is a
// server_error instead, so that no refusal goes unrecorded silently.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, ref *refusal,
	action string) {
	if ref.agent != nil && ref.err.status < http.StatusInternalServerError {
		ctx := r.Context()
		e := entry(ctx, ref.agent.OrgID, ref.agent.ID, action, ref.agent.ID,
			store.OutcomeDenied, s.clock())
		if err := s.audit.Record(ctx, e, nil); err != nil {
			s.fail(w, r, internalError(fmt.Errorf("record %s: %w", action, err)))
			return
		}
	}
	s.fail(w, r, ref.err)
}
