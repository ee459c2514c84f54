package rest

import (
	"net/http"

	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/issuer"
)

type operatorRequest struct {
	Name    string `json:"name"`
	Email   string `json:"email"`
	Subject string `json:"subject"`
	Role    string `json:"role"`
}

type operatorPatchRequest struct {
	Name    *string `json:"name"`
	Email   *string `json:"email"`
	Subject *string `json:"subject"`
	Role    *string `json:"role"`
}

type apiKeyRequest struct {
	Name             string `json:"name"`
	Role             string `json:"role"`
	OperatorID       string `json:"operator_id"`
	ExpiresInSeconds *int64 `json:"expires_in_seconds"`
}

func (s *Server) createOperator(w http.ResponseWriter, r *http.Request,
	p issuer.Principal) error {
	var req operatorRequest
	if err := s.readBody(w, r, &req, false); err != nil {
		return err
	}

	op, err := s.svc.CreateOperator(r.Context(), p, issuer.OperatorInput{
		Name: req.Name, Email: req.Email, Subject: req.Subject, Role: store.Role(req.Role),
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated, newOperatorView(op))
	return nil
}

func (s *Server) listOperators(w http.ResponseWriter, r *http.Request,
	p issuer.Principal) error {
	q := query{r: r}
	limit := q.limit()
	if err := q.err(); err != nil {
		return err
	}

	page, err := s.svc.ListOperators(r.Context(), p, q.str("cursor"), limit)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, toList(page, newOperatorView))
	return nil
}

func (s *Server) getOperator(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	op, err := s.svc.GetOperator(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, newOperatorView(op))
	return nil
}

func (s *Server) updateOperator(w http.ResponseWriter, r *http.Request,
	p issuer.Principal) error {
	var req operatorPatchRequest
	if err := s.readBody(w, r, &req, false); err != nil {
		return err
	}

	patch := issuer.OperatorPatch{Name: req.Name, Email: req.Email, Subject: req.Subject}
	if req.Role != nil {
		role := store.Role(*req.Role)
		patch.Role = &role
	}
	op, err := s.svc.UpdateOperator(r.Context(), p, r.PathValue("id"), patch)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, newOperatorView(op))
	return nil
}

func (s *Server) deleteOperator(w http.ResponseWriter, r *http.Request,
	p issuer.Principal) error {
	if _, err := s.svc.DeleteOperator(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createAPIKey(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	var req apiKeyRequest
	if err := s.readBody(w, r, &req, false); err != nil {
		return err
	}

	k, err := s.svc.CreateAPIKey(r.Context(), p, issuer.APIKeyInput{
		Name: req.Name, Role: store.Role(req.Role), OperatorID: req.OperatorID,
		ExpiresInSeconds: req.ExpiresInSeconds,
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated,
		newAPIKeyCreatedView{apiKeyView: s.newAPIKeyView(k.APIKey), Key: k.Key})
	return nil
}

func (s *Server) listAPIKeys(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	q := query{r: r}
	limit := q.limit()
	if err := q.err(); err != nil {
		return err
	}

	page, err := s.svc.ListAPIKeys(r.Context(), p, q.str("cursor"), limit)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, toList(page, s.newAPIKeyView))
	return nil
}

func (s *Server) revokeAPIKey(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	k, err := s.svc.RevokeAPIKey(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, s.newAPIKeyView(k))
	return nil
}
