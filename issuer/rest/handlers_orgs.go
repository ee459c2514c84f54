package rest

import (
	"net/http"

	"github.com/agentidp/agentidp/api"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/issuer"
)

// openAPI serves the API's OpenAPI document.
func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request, _ issuer.Principal) error {
	w.Header().Set("Content-Type", "application/yaml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(api.OpenAPI())
	return nil
}

type orgRequest struct {
	Name            string `json:"name"`
	TokenTTLSeconds int64  `json:"token_ttl_seconds"`
}

type orgPatchRequest struct {
	Name            *string `json:"name"`
	TokenTTLSeconds *int64  `json:"token_ttl_seconds"`
}

type orgKeyRequest struct {
	Role             string `json:"role"`
	Name             string `json:"name"`
	ExpiresInSeconds *int64 `json:"expires_in_seconds"`
}

func (s *Server) createOrg(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	var req orgRequest
	if err := s.readBody(w, r, &req, false); err != nil {
		return err
	}

	org, err := s.svc.CreateOrg(r.Context(), p,
		issuer.OrgInput{Name: req.Name, TokenTTLSeconds: req.TokenTTLSeconds})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated, newOrgView(org))
	return nil
}

func (s *Server) listOrgs(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	q := query{r: r}
	limit := q.limit()
	if err := q.err(); err != nil {
		return err
	}

	page, err := s.svc.ListOrgs(r.Context(), p, q.str("cursor"), limit)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, toList(page, newOrgView))
	return nil
}

func (s *Server) getOrg(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	org, err := s.svc.GetOrg(r.Context(), p, r.PathValue("org_id"))
	return s.answerOrg(w, org, err)
}

func (s *Server) currentOrg(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	org, err := s.svc.CurrentOrg(r.Context(), p)
	return s.answerOrg(w, org, err)
}

func (s *Server) updateOrg(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	var req orgPatchRequest
	if err := s.readBody(w, r, &req, false); err != nil {
		return err
	}

	org, err := s.svc.UpdateOrg(r.Context(), p, r.PathValue("org_id"),
		issuer.OrgPatch{Name: req.Name, TokenTTLSeconds: req.TokenTTLSeconds})
	return s.answerOrg(w, org, err)
}

func (s *Server) suspendOrg(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	org, err := s.svc.SuspendOrg(r.Context(), p, r.PathValue("org_id"))
	return s.answerOrg(w, org, err)
}

func (s *Server) reactivateOrg(w http.ResponseWriter, r *http.Request,
	p issuer.Principal) error {
	org, err := s.svc.ReactivateOrg(r.Context(), p, r.PathValue("org_id"))
	return s.answerOrg(w, org, err)
}

func (s *Server) deleteOrg(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	if _, err := s.svc.DeleteOrg(r.Context(), p, r.PathValue("org_id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// answerOrg writes an organisation with 200, or returns err.
func (s *Server) answerOrg(w http.ResponseWriter, org store.Org, err error) error {
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, newOrgView(org))
	return nil
}

func (s *Server) createOrgKey(w http.ResponseWriter, r *http.Request,
	p issuer.Principal) error {
	var req orgKeyRequest
	if err := s.readBody(w, r, &req, false); err != nil {
		return err
	}

	k, err := s.svc.CreateOrgKey(r.Context(), p, r.PathValue("org_id"), issuer.APIKeyInput{
		Name: req.Name, Role: store.Role(req.Role), ExpiresInSeconds: req.ExpiresInSeconds,
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated,
		newAPIKeyCreatedView{apiKeyView: s.newAPIKeyView(k.APIKey), Key: k.Key})
	return nil
}
