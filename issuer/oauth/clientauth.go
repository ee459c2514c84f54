package oauth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

// Client authentication methods, as named in discovery (RFC 8414 section
// 2, OIDC Core section 9).
const (
	authSecretBasic = "client_secret_basic"
	authSecretPost  = "client_secret_post"
	authPrivateKey  = "private_key_jwt"
)

// authMethods are the methods every client-authenticated endpoint takes.
var authMethods = []string{authSecretBasic, authSecretPost, authPrivateKey}

// maxSecretLen bounds a presented client secret; ours are 43 characters.
const maxSecretLen = 256

// credentials are what a request presents to authenticate its client. They
// hold a secret: never log or format them.
type credentials struct {
	method   string
	clientID string
	// secret is the client secret of the client_secret_* methods.
	secret string
	// assertion is the parsed client assertion of private_key_jwt.
	assertion *assertion
}

// client is an authenticated client: an active agent of an active
// organisation.
type client struct {
	agent  store.Agent
	org    store.Org
	method string
}

// refusal is a failed client authentication. When the client_id named a
// known agent, agent and org are set, so that the refusal can be audited
// in its organisation.
type refusal struct {
	agent *store.Agent
	org   *store.Org
	err   *oauthError
}

// parseCredentials finds the one client authentication method a request
// uses (RFC 6749 section 2.3: a client must not use more than one) and
// checks its form. It reads nothing from the store.
func parseCredentials(r *http.Request, f form) (credentials, *oauthError) {
	header := r.Header.Get("Authorization")
	post := f.get(paramClientSecret) != ""
	jwt := f.get(paramAssertion) != "" || f.get(paramAssertionType) != ""

	used := 0
	for _, b := range []bool{header != "", post, jwt} {
		if b {
			used++
		}
	}
	switch {
	case used > 1:
		return credentials{}, badRequest(errInvalidRequest,
			"exactly one client authentication method must be used")
	case header != "":
		return parseBasic(header, f.get(paramClientID))
	case post:
		return parsePost(f)
	case jwt:
		return parseJWTAuth(f)
	}
	e := clientRefused(errors.New("no client authentication"))
	e.description = "client authentication is required"
	return credentials{}, e
}

// parseBasic reads client_secret_basic credentials: the client id and
// secret, each form-urlencoded, joined by a colon and base64-encoded (RFC
// 6749 section 2.3.1).
func parseBasic(header, formClientID string) (credentials, *oauthError) {
	scheme, encoded, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Basic") {
		return credentials{}, clientRefused(errors.New("unsupported authorization scheme"))
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
	if err != nil {
		return credentials{}, clientRefused(errors.New("malformed basic credentials"))
	}
	encID, encSecret, ok := strings.Cut(string(raw), ":")
	if !ok {
		return credentials{}, clientRefused(errors.New("malformed basic credentials"))
	}
	id, err1 := url.QueryUnescape(encID)
	sec, err2 := url.QueryUnescape(encSecret)
	if err1 != nil || err2 != nil {
		return credentials{}, clientRefused(errors.New("malformed basic credentials"))
	}

	if formClientID != "" && formClientID != id {
		return credentials{}, clientRefused(errors.New("client_id differs from basic credentials"))
	}
	return secretCredentials(authSecretBasic, id, sec)
}

// parsePost reads client_secret_post credentials (RFC 6749 section 2.3.1).
func parsePost(f form) (credentials, *oauthError) {
	return secretCredentials(authSecretPost, f.get(paramClientID), f.get(paramClientSecret))
}

// secretCredentials checks the form of a client id and secret.
func secretCredentials(method, id, sec string) (credentials, *oauthError) {
	if id == "" || sec == "" || len(sec) > maxSecretLen {
		e := clientRefused(errors.New("missing or oversized client id or secret"))
		return credentials{}, e
	}
	return credentials{method: method, clientID: id, secret: sec}, nil
}

// parseJWTAuth reads private_key_jwt credentials (RFC 7523 section 2.2).
// The assertion's issuer names the client; a client_id beside it must
// agree (RFC 7521 section 4.2).
func parseJWTAuth(f form) (credentials, *oauthError) {
	if f.get(paramAssertionType) != assertionTypeJWTBearer {
		e := clientRefused(errors.New("unsupported client_assertion_type"))
		e.description = "client_assertion_type must be " + assertionTypeJWTBearer
		return credentials{}, e
	}
	a, err := parseAssertion(f.get(paramAssertion))
	if err != nil {
		e := clientRefused(err)
		e.description = "the client assertion is malformed or uses a forbidden algorithm"
		return credentials{}, e
	}
	if id := f.get(paramClientID); id != "" && id != a.claims.Issuer {
		return credentials{}, clientRefused(errors.New("client_id differs from the assertion"))
	}
	return credentials{method: authPrivateKey, clientID: a.claims.Issuer, assertion: a}, nil
}

// authenticateClient authenticates a request's client. Its steps run in an
// order that tells a caller without valid credentials nothing: the state
// of the agent and its organisation is looked at only once the credentials
// have matched, and every failure has the same description.
func (s *Server) authenticateClient(ctx context.Context, cred credentials,
	now time.Time) (client, *refusal) {
	// 1. Find the agent, and its organisation, by the client id; with
	// the agent's secrets when a secret was presented.
	agent, org, secrets, err := s.findClient(ctx, cred)
	if err != nil {
		return client{}, &refusal{err: err}
	}
	refuse := func(e *oauthError) (client, *refusal) {
		return client{}, &refusal{agent: &agent, org: &org, err: e}
	}

	// 2. Check the credentials against the agent's live ones.
	if e := s.checkCredentials(ctx, cred, agent, secrets, now); e != nil {
		return refuse(e)
	}

	// 3. Admit only an active agent of an active organisation.
	if err := admissible(agent, org); err != nil {
		return refuse(clientRefused(err))
	}
	return client{agent: agent, org: org, method: cred.method}, nil
}

// findClient looks up the agent a client id names, with its organisation
// and, for a presented secret, its client secrets: one query either way.
func (s *Server) findClient(ctx context.Context, cred credentials) (store.Agent,
	store.Org, []store.ClientSecret, *oauthError) {
	if !ids.Valid(ids.Agent, cred.clientID) {
		s.burnSecretCheck(cred)
		return store.Agent{}, store.Org{}, nil, clientRefused(errors.New("malformed client id"))
	}
	var agent store.Agent
	var org store.Org
	var secrets []store.ClientSecret
	var err error
	if cred.assertion == nil {
		agent, org, secrets, err = s.st.FindClient(ctx, cred.clientID)
	} else {
		agent, org, err = s.st.FindAgent(ctx, cred.clientID)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		s.burnSecretCheck(cred)
		return store.Agent{}, store.Org{}, nil, clientRefused(errors.New("unknown client"))
	case err != nil:
		return store.Agent{}, store.Org{}, nil, internalError(fmt.Errorf("find client: %w", err))
	}
	return agent, org, secrets, nil
}

// burnSecretCheck hashes a presented secret that nothing will be compared
// with, so that an unknown client costs about what a known one does.
func (s *Server) burnSecretCheck(cred credentials) {
	if cred.secret != "" {
		_ = s.hasher.Hash(cred.secret)
	}
}

// checkCredentials checks a client's credentials against the agent's.
func (s *Server) checkCredentials(ctx context.Context, cred credentials, agent store.Agent,
	secrets []store.ClientSecret, now time.Time) *oauthError {
	if cred.assertion != nil {
		return s.checkAssertion(ctx, cred.assertion, agent, now)
	}
	return s.checkSecret(cred.secret, secrets, now)
}

// checkSecret matches a presented secret against every live secret of the
// agent, so that rotation overlaps work. Every stored hash is compared, in
// constant time, whichever matches.
func (s *Server) checkSecret(presented string, secrets []store.ClientSecret,
	now time.Time) *oauthError {
	matched := false
	for _, sec := range secrets {
		if s.hasher.Matches(presented, sec.Hash) && live(sec.ExpiresAt, sec.RevokedAt, now) {
			matched = true
		}
	}
	if !matched {
		return clientRefused(errors.New("no live client secret matches"))
	}
	return nil
}

// admissible is the one check of the state of an agent and its
// organisation, shared by client authentication and token validation.
func admissible(agent store.Agent, org store.Org) error {
	switch {
	case agent.Status != store.AgentActive:
		return fmt.Errorf("agent %s is %s", agent.ID, agent.Status)
	case org.Status != store.OrgActive:
		return fmt.Errorf("organization %s is %s", org.ID, org.Status)
	}
	return nil
}

// live reports whether a credential is neither revoked nor expired at now.
func live(expiresAt, revokedAt, now time.Time) bool {
	return revokedAt.IsZero() && (expiresAt.IsZero() || now.Before(expiresAt))
}
