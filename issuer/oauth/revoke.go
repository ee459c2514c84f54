package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/agentidp/agentidp/internal/store"
)

// revoke serves POST /oauth2/revoke (RFC 7009). A token that is malformed,
// unknown, expired, already revoked or issued to another client is
// answered like a revoked one, with 200 and no effect (RFC 7009 section
// 2.2): the caller can do nothing more about it.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	now := s.clock()

	// 1. Read the form.
	f, e := s.readForm(w, r)
	if e != nil {
		s.fail(w, r, e)
		return
	}

	// 2. Authenticate the caller as the token endpoint does.
	c, ref := s.authenticate(ctx, w, r, f, now)
	if ref != nil {
		s.refuse(w, r, ref, actionTokenRevoke)
		return
	}

	// 3. A token is required; token_type_hint is accepted and, since
	// every token of this server is an access token, not needed.
	raw := f.get(paramToken)
	if raw == "" {
		s.fail(w, r, badRequest(errInvalidRequest, "token is required"))
		return
	}

	// 4. Only a live token of this issuer, issued to the caller, is
	// revoked.
	claims, err := s.parseAccessToken(raw, now)
	if err != nil || claims.ClientID != c.agent.ID || claims.OrgID != c.org.ID {
		s.log.DebugContext(ctx, "revocation without effect", logClientID, c.agent.ID)
		writeEmpty(w)
		return
	}

	// 5. Store the revocation with its audit record and event.
	if err := s.storeRevocation(ctx, c, claims, now); err != nil {
		s.fail(w, r, internalError(err))
		return
	}
	writeEmpty(w)
}

// storeRevocation records the revocation of a token, its audit record and
// its token.revoked event in one transaction. A token revoked already is
// left as it is.
func (s *Server) storeRevocation(ctx context.Context, c client, claims accessClaims,
	now time.Time) error {
	ev, err := newEvent(eventTokenRevoked, c.org.ID, claims.JTI, tokenEvent{
		JTI: claims.JTI, AgentID: c.agent.ID, ExpiresAt: claims.ExpiresAt}, now)
	if err != nil {
		return err
	}

	err = s.st.WithTx(ctx, func(tx store.Tx) error {
		err := tx.RevokeToken(ctx, store.RevokedToken{JTI: claims.JTI, OrgID: c.org.ID,
			AgentID: c.agent.ID, ExpiresAt: time.Unix(claims.ExpiresAt, 0).UTC(),
			RevokedAt: now})
		if err != nil {
			return err
		}
		_, err = tx.AppendAudit(ctx, entry(ctx, c.org.ID, c.agent.ID, actionTokenRevoke,
			claims.JTI, store.OutcomeSuccess, now))
		if err != nil {
			return fmt.Errorf("append audit: %w", err)
		}
		return tx.Enqueue(ctx, *ev)
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		return nil
	case err != nil:
		return fmt.Errorf("store revocation: %w", err)
	}
	s.log.InfoContext(ctx, "token revoked", logClientID, c.agent.ID, logJTI, claims.JTI)
	return nil
}
