package oauth

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/issuer/did"
)

// Values of the JWS "typ" header.
const (
	typAccessToken = "at+jwt" // RFC 9068 section 2.1
	typJWT         = "JWT"    // RFC 7519 section 5.1, for ID tokens
)

// tokenTypeBearer is the token_type of every access token (RFC 6750
// section 4).
const tokenTypeBearer = "Bearer"

// scopeOpenID asks for an ID token beside the access token (OIDC Core
// section 3.1.2.1).
const scopeOpenID = "openid"

// jtiBytes is the entropy of a token id: 128 bits, as RFC 9068 section 2.2
// asks of a jti that must not collide across issuers' tokens.
const jtiBytes = 16

// accessClaims are the claims of an access token (RFC 9068 section 2.2),
// plus the organisation and the agent's DID.
type accessClaims struct {
	Issuer    string   `json:"iss"`
	Subject   string   `json:"sub"`
	Audience  audience `json:"aud"`
	ExpiresAt int64    `json:"exp"`
	IssuedAt  int64    `json:"iat"`
	NotBefore int64    `json:"nbf"`
	JTI       string   `json:"jti"`
	ClientID  string   `json:"client_id"`
	Scope     string   `json:"scope,omitempty"`
	OrgID     string   `json:"org_id"`
	AgentDID  string   `json:"agent_did"`
}

// idClaims are the claims of an ID token (OIDC Core section 2) issued to
// an agent, which is both the client and the subject.
type idClaims struct {
	Issuer    string `json:"iss"`
	Subject   string `json:"sub"`
	Audience  string `json:"aud"`
	ExpiresAt int64  `json:"exp"`
	IssuedAt  int64  `json:"iat"`
	AuthTime  int64  `json:"auth_time"`
	Name      string `json:"name,omitempty"`
	Owner     string `json:"owner,omitempty"`
	OrgID     string `json:"org_id"`
	AgentDID  string `json:"agent_did"`
}

// grant is what the token endpoint decided to issue.
type grant struct {
	client   client
	scopes   []string
	audience audience
	ttl      time.Duration
	now      time.Time
}

// minted is a signed access token with what the audit record and the
// response need of it.
type minted struct {
	token  string
	claims accessClaims
	kid    string
}

// mintAccessToken builds and signs the access token of g.
func (s *Server) mintAccessToken(g grant) (minted, error) {
	a := g.client.agent
	iat := g.now.Unix()
	c := accessClaims{
		Issuer: s.issuer, Subject: a.ID, Audience: g.audience,
		ExpiresAt: iat + int64(g.ttl/time.Second), IssuedAt: iat, NotBefore: iat,
		JTI: newJTI(), ClientID: a.ID, Scope: strings.Join(g.scopes, " "),
		OrgID: a.OrgID, AgentDID: s.agentDID(a.ID),
	}
	token, kid, err := s.sign(c, typAccessToken)
	if err != nil {
		return minted{}, err
	}
	return minted{token: token, claims: c, kid: kid}, nil
}

// mintIDToken builds and signs the ID token of g. The agent authenticated
// just now, with its client credentials, so auth_time is iat.
func (s *Server) mintIDToken(g grant, exp int64) (string, error) {
	a := g.client.agent
	iat := g.now.Unix()
	c := idClaims{
		Issuer: s.issuer, Subject: a.ID, Audience: a.ID, ExpiresAt: exp, IssuedAt: iat,
		AuthTime: iat, Name: a.Name, Owner: a.Owner, OrgID: a.OrgID,
		AgentDID: s.agentDID(a.ID),
	}
	token, _, err := s.sign(c, typJWT)
	return token, err
}

// sign encodes claims and signs them.
func (s *Server) sign(claims any, typ string) (token, kid string, err error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", "", fmt.Errorf("encode claims: %w", err)
	}
	b, kid, err := s.signer.Sign(payload, typ)
	if err != nil {
		return "", "", fmt.Errorf("sign %s token: %w", typ, err)
	}
	return string(b), kid, nil
}

// agentDID returns the did:web of an agent, as issuer/did publishes it.
func (s *Server) agentDID(agentID string) string {
	return did.AgentDID(s.didHost, agentID)
}

// tokenTTL returns the lifetime of an agent's tokens: the agent's own,
// else its organisation's, else the deployment default, never more than
// the deployment ceiling and never less than a second.
func (s *Server) tokenTTL(a store.Agent, o store.Org) time.Duration {
	ttl := s.defTTL
	switch {
	case a.TokenTTL > 0:
		ttl = a.TokenTTL
	case o.TokenTTL > 0:
		ttl = o.TokenTTL
	}
	return max(min(ttl, s.maxTTL), time.Second).Truncate(time.Second)
}

// newJTI returns a fresh token id: jtiBytes of entropy, base64url.
func newJTI() string {
	b := make([]byte, jtiBytes)
	// crypto/rand.Read never fails on supported platforms.
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
