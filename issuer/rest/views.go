package rest

import (
	"encoding/json"
	"time"

	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/issuer"
)

// The views below are the JSON bodies of successful responses, as
// api/openapi.yaml describes them. Optional times are omitted when unset.

// listView is one page of a listing.
type listView[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// toList converts a page of the service with conv.
func toList[S, T any](l issuer.List[S], conv func(S) T) listView[T] {
	out := listView[T]{Items: make([]T, len(l.Items)), NextCursor: l.Next}
	for i, v := range l.Items {
		out.Items[i] = conv(v)
	}
	return out
}

// optTime returns nil for an unset time.
func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// credentialStatus is the state of a key or credential at now.
func credentialStatus(expiresAt, revokedAt, now time.Time) string {
	switch {
	case !revokedAt.IsZero():
		return "revoked"
	case !expiresAt.IsZero() && !now.Before(expiresAt):
		return "expired"
	}
	return "active"
}

// seconds returns a token lifetime in whole seconds; 0 means inherited.
func seconds(d time.Duration) int64 {
	return int64(d / time.Second)
}

type orgView struct {
	ID              string    `json:"id"`
	Name            string    `json:"name"`
	Status          string    `json:"status"`
	TokenTTLSeconds int64     `json:"token_ttl_seconds"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func newOrgView(o store.Org) orgView {
	return orgView{ID: o.ID, Name: o.Name, Status: string(o.Status),
		TokenTTLSeconds: seconds(o.TokenTTL), CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

type operatorView struct {
	ID         string     `json:"id"`
	OrgID      string     `json:"org_id"`
	Name       string     `json:"name"`
	Email      string     `json:"email,omitempty"`
	Subject    string     `json:"subject,omitempty"`
	Role       string     `json:"role"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	DisabledAt *time.Time `json:"disabled_at,omitempty"`
}

func newOperatorView(o store.Operator) operatorView {
	status := "active"
	if !o.DisabledAt.IsZero() {
		status = "disabled"
	}
	return operatorView{ID: o.ID, OrgID: o.OrgID, Name: o.Name, Email: o.Email,
		Subject: o.Subject, Role: string(o.Role), Status: status, CreatedAt: o.CreatedAt,
		UpdatedAt: o.UpdatedAt, DisabledAt: optTime(o.DisabledAt)}
}

type apiKeyView struct {
	ID         string     `json:"id"`
	OrgID      string     `json:"org_id"`
	OperatorID string     `json:"operator_id,omitempty"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	CreatedBy  string     `json:"created_by"`
}

func (s *Server) newAPIKeyView(k store.APIKey) apiKeyView {
	return apiKeyView{ID: k.ID, OrgID: k.OrgID, OperatorID: k.OperatorID, Name: k.Name,
		Role: string(k.Role), Status: credentialStatus(k.ExpiresAt, k.RevokedAt, s.now()),
		CreatedAt: k.CreatedAt, ExpiresAt: optTime(k.ExpiresAt),
		RevokedAt: optTime(k.RevokedAt), CreatedBy: k.CreatedBy}
}

// newAPIKeyCreatedView carries the key itself: the only response that
// ever does.
type newAPIKeyCreatedView struct {
	apiKeyView
	Key string `json:"key"`
}

type agentView struct {
	ID          string            `json:"id"`
	OrgID       string            `json:"org_id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	Owner       string            `json:"owner"`
	Metadata    map[string]string `json:"metadata"`
	Scopes      []string          `json:"scopes"`
	Status      string            `json:"status"`
	// TokenTTLSeconds is 0 when the agent inherits its organisation's.
	TokenTTLSeconds int64     `json:"token_ttl_seconds"`
	CreatedAt       time.Time `json:"created_at"`
	UpdatedAt       time.Time `json:"updated_at"`
}

func newAgentView(a store.Agent) agentView {
	v := agentView{ID: a.ID, OrgID: a.OrgID, Name: a.Name, Description: a.Description,
		Owner: a.Owner, Metadata: a.Metadata, Scopes: a.Scopes, Status: string(a.Status),
		TokenTTLSeconds: seconds(a.TokenTTL), CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	if v.Metadata == nil {
		v.Metadata = map[string]string{}
	}
	if v.Scopes == nil {
		v.Scopes = []string{}
	}
	return v
}

type secretView struct {
	ID        string     `json:"id"`
	ClientID  string     `json:"client_id"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

func (s *Server) newSecretView(c store.ClientSecret) secretView {
	return secretView{ID: c.ID, ClientID: c.AgentID,
		Status:    credentialStatus(c.ExpiresAt, c.RevokedAt, s.now()),
		CreatedAt: c.CreatedAt, ExpiresAt: optTime(c.ExpiresAt), RevokedAt: optTime(c.RevokedAt)}
}

// secretCreatedView carries the client secret itself: the only response
// that ever does.
type secretCreatedView struct {
	secretView
	ClientSecret string `json:"client_secret"`
}

type agentKeyView struct {
	KID       string          `json:"kid"`
	AgentID   string          `json:"agent_id"`
	Alg       string          `json:"alg"`
	JWK       json.RawMessage `json:"jwk"`
	Status    string          `json:"status"`
	CreatedAt time.Time       `json:"created_at"`
	ExpiresAt *time.Time      `json:"expires_at,omitempty"`
	RevokedAt *time.Time      `json:"revoked_at,omitempty"`
}

func (s *Server) newAgentKeyView(k store.AgentKey) agentKeyView {
	return agentKeyView{KID: k.KID, AgentID: k.AgentID, Alg: k.Algorithm, JWK: k.JWK,
		Status:    credentialStatus(k.ExpiresAt, k.RevokedAt, s.now()),
		CreatedAt: k.CreatedAt, ExpiresAt: optTime(k.ExpiresAt), RevokedAt: optTime(k.RevokedAt)}
}

// signingKeyView describes a deployment signing key, never its key
// material.
type signingKeyView struct {
	KID         string     `json:"kid"`
	Alg         string     `json:"alg"`
	State       string     `json:"state"`
	Signing     bool       `json:"signing"`
	CreatedAt   time.Time  `json:"created_at"`
	ActivatesAt time.Time  `json:"activates_at"`
	RetiredAt   *time.Time `json:"retired_at,omitempty"`
	RemoveAfter *time.Time `json:"remove_after,omitempty"`
}

func newSigningKeyView(k keys.KeyInfo) signingKeyView {
	return signingKeyView{KID: k.KID, Alg: k.Algorithm, State: string(k.State),
		Signing: k.Signing, CreatedAt: k.CreatedAt, ActivatesAt: k.ActivatesAt,
		RetiredAt: optTime(k.RetiredAt), RemoveAfter: optTime(k.RemoveAfter)}
}

type auditView struct {
	Seq       int64     `json:"seq"`
	Time      time.Time `json:"time"`
	Actor     string    `json:"actor"`
	Action    string    `json:"action"`
	Target    string    `json:"target"`
	RequestID string    `json:"request_id"`
	Outcome   string    `json:"outcome"`
	PrevHash  string    `json:"prev_hash"`
	Hash      string    `json:"hash"`
}

func newAuditView(r store.AuditRecord) auditView {
	return auditView{Seq: r.Seq, Time: r.Time, Actor: r.Actor, Action: r.Action,
		Target: r.Target, RequestID: r.RequestID, Outcome: string(r.Outcome),
		PrevHash: r.PrevHash, Hash: r.Hash}
}
