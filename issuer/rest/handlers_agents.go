package rest

import (
	"net/http"

	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/issuer"
)

type agentRequest struct {
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Owner       string            `json:"owner"`
	Metadata    map[string]string `json:"metadata"`
	Scopes      []string          `json:"scopes"`
	// TokenTTLSeconds is 0 when absent: inherit.
	TokenTTLSeconds int64 `json:"token_ttl_seconds"`
}

type agentPatchRequest struct {
	Name        *string            `json:"name"`
	Description *string            `json:"description"`
	Owner       *string            `json:"owner"`
	Metadata    *map[string]string `json:"metadata"`
	Scopes      *[]string          `json:"scopes"`
	// TokenTTLSeconds is nil when absent: unchanged.
	TokenTTLSeconds *int64 `json:"token_ttl_seconds"`
}

func (s *Server) createAgent(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	var req agentRequest
	if err := s.readBody(w, r, &req, false); err != nil {
		return err
	}

	a, err := s.svc.CreateAgent(r.Context(), p, issuer.AgentInput{
		Name: req.Name, Description: req.Description, Owner: req.Owner,
		Metadata: req.Metadata, Scopes: req.Scopes, TokenTTLSeconds: req.TokenTTLSeconds,
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated, newAgentView(a))
	return nil
}

func (s *Server) listAgents(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	q := query{r: r}
	aq := issuer.AgentQuery{Cursor: q.str("cursor"), Limit: q.limit(),
		Status: store.AgentStatus(q.str("status")), Owner: q.str("owner"),
		NamePrefix: q.str("name_prefix")}
	if err := q.err(); err != nil {
		return err
	}

	page, err := s.svc.ListAgents(r.Context(), p, aq)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, toList(page, newAgentView))
	return nil
}

func (s *Server) getAgent(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	a, err := s.svc.GetAgent(r.Context(), p, r.PathValue("id"))
	return s.answerAgent(w, a, err)
}

func (s *Server) updateAgent(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	var req agentPatchRequest
	if err := s.readBody(w, r, &req, false); err != nil {
		return err
	}

	a, err := s.svc.UpdateAgent(r.Context(), p, r.PathValue("id"), issuer.AgentPatch{
		Name: req.Name, Description: req.Description, Owner: req.Owner,
		Metadata: req.Metadata, Scopes: req.Scopes, TokenTTLSeconds: req.TokenTTLSeconds,
	})
	return s.answerAgent(w, a, err)
}

func (s *Server) suspendAgent(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	a, err := s.svc.SuspendAgent(r.Context(), p, r.PathValue("id"))
	return s.answerAgent(w, a, err)
}

func (s *Server) reactivateAgent(w http.ResponseWriter, r *http.Request,
	p issuer.Principal) error {
	a, err := s.svc.ReactivateAgent(r.Context(), p, r.PathValue("id"))
	return s.answerAgent(w, a, err)
}

func (s *Server) revokeAgent(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	a, err := s.svc.RevokeAgent(r.Context(), p, r.PathValue("id"))
	return s.answerAgent(w, a, err)
}

// answerAgent writes an agent with 200, or returns err.
func (s *Server) answerAgent(w http.ResponseWriter, a store.Agent, err error) error {
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, newAgentView(a))
	return nil
}
