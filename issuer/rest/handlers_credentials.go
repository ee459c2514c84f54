package rest

import (
	"encoding/json"
	"net/http"

	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/issuer"
)

type credentialRequest struct {
	ExpiresInSeconds     *int64 `json:"expires_in_seconds"`
	RotateOverlapSeconds *int64 `json:"rotate_overlap_seconds"`
}

type agentKeyRequest struct {
	JWK                  json.RawMessage `json:"jwk"`
	ExpiresInSeconds     *int64          `json:"expires_in_seconds"`
	RotateOverlapSeconds *int64          `json:"rotate_overlap_seconds"`
}

func (s *Server) createSecret(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	var req credentialRequest
	if err := s.readBody(w, r, &req, true); err != nil {
		return err
	}

	sec, err := s.svc.CreateSecret(r.Context(), p, r.PathValue("id"), issuer.CredentialInput{
		ExpiresInSeconds: req.ExpiresInSeconds, RotateOverlapSeconds: req.RotateOverlapSeconds,
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated, secretCreatedView{
		secretView: s.newSecretView(sec.ClientSecret), ClientSecret: sec.Secret})
	return nil
}

func (s *Server) listSecrets(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	secrets, err := s.svc.ListSecrets(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, toList(issuer.List[store.ClientSecret]{Items: secrets},
		s.newSecretView))
	return nil
}

func (s *Server) revokeSecret(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	sec, err := s.svc.RevokeSecret(r.Context(), p, r.PathValue("id"), r.PathValue("secret_id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, s.newSecretView(sec))
	return nil
}

func (s *Server) addAgentKey(w http.ResponseWriter, r *http.Request, p issuer.Principal) error {
	var req agentKeyRequest
	if err := s.readBody(w, r, &req, false); err != nil {
		return err
	}

	k, err := s.svc.AddAgentKey(r.Context(), p, r.PathValue("id"), issuer.AgentKeyInput{
		JWK: req.JWK, CredentialInput: issuer.CredentialInput{
			ExpiresInSeconds:     req.ExpiresInSeconds,
			RotateOverlapSeconds: req.RotateOverlapSeconds,
		},
	})
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusCreated, s.newAgentKeyView(k))
	return nil
}

func (s *Server) listAgentKeys(w http.ResponseWriter, r *http.Request,
	p issuer.Principal) error {
	keys, err := s.svc.ListAgentKeys(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, toList(issuer.List[store.AgentKey]{Items: keys},
		s.newAgentKeyView))
	return nil
}

func (s *Server) revokeAgentKey(w http.ResponseWriter, r *http.Request,
	p issuer.Principal) error {
	k, err := s.svc.RevokeAgentKey(r.Context(), p, r.PathValue("id"), r.PathValue("kid"))
	if err != nil {
		return err
	}
	s.writeJSON(w, http.StatusOK, s.newAgentKeyView(k))
	return nil
}
