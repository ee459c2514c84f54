package rest

import (
	"net/http"

	"github.com/agentidp/agentidp/issuer"
)

type rotateRequest struct {
	Immediate bool `json:"immediate"`
}

// signingKeyList is the whole key set: it is short, and not paginated.
type signingKeyList struct {
	Items []signingKeyView `json:"items"`
}

func (s *Server) listSigningKeys(w http.ResponseWriter, r *http.Request,
	p issuer.Principal) error {
	list, err := s.svc.ListSigningKeys(r.Context(), p)
	if err != nil {
		return err
	}
	out := signingKeyList{Items: make([]signingKeyView, len(list))}
	for i, k := range list {
		out.Items[i] = newSigningKeyView(k)
	}
	s.writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) rotateSigningKey(w http.ResponseWriter, r *http.Request,
	p issuer.Principal) error {
	var req rotateRequest
	if err := s.readBody(w, r, &req, true); err != nil {
		return err
	}

	k, err := s.svc.RotateSigningKey(r.Context(), p, req.Immediate)
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated, newSigningKeyView(k))
	return nil
}

func (s *Server) removeSigningKey(w http.ResponseWriter, r *http.Request,
	p issuer.Principal) error {
	if err := s.svc.RemoveSigningKey(r.Context(), p, r.PathValue("kid")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
