package rest

import (
	"net/http"

	"github.com/agentidp/agentidp/issuer"
)

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	q := query{r: r}
	aq := issuer.AuditQuery{Cursor: q.str("cursor"), Limit: q.limit(),
		Action: q.str("action"), Actor: q.str("actor"), Target: q.str("target"),
		Since: q.time("since"), Until: q.time("until")}
	if err := q.err(); err != nil {
		return err
	}

	page, err := s.svc.ListAudit(r.Context(), p, aq)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, toList(page, newAuditView))
	return nil
}
