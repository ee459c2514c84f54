package store

import (
	"context"
	"time"
)

// TokenReader holds the queries of the OAuth endpoints that need no
// transaction. Reader embeds it.
type TokenReader interface {
	// FindAgent returns an agent by its id alone, whatever its
	// organisation, together with that organisation, in one query: it is
	// the lookup behind OAuth client authentication, which learns the
	// organisation from the client_id (the agent id), as GetAPIKey does
	// for API keys.
	FindAgent(ctx context.Context, id string) (Agent, Org, error)
	// FindClient is FindAgent that also returns the agent's client
	// secrets (all of them, live or not, ordered by id), in one round
	// trip: it is the lookup behind client_secret authentication.
	FindClient(ctx context.Context, id string) (Agent, Org, []ClientSecret, error)

	// IsTokenRevoked reports whether the access token with this jti was
	// revoked and the revocation not yet pruned.
	IsTokenRevoked(ctx context.Context, jti string) (bool, error)
	// ListRevokedTokens returns the revocations recorded at or after
	// since, oldest first (ties by jti), pruned ones excepted. A zero
	// since lists them all; their number is bounded by pruning.
	ListRevokedTokens(ctx context.Context, since time.Time) ([]RevokedToken, error)
}

// TokenTx holds the writes of the OAuth endpoints. Tx embeds it.
type TokenTx interface {
	// RevokeToken records the revocation of an access token. A jti
	// already revoked is ErrConflict.
	RevokeToken(ctx context.Context, t RevokedToken) error
	// PruneRevokedTokens deletes the revocations of tokens that expired
	// at or before before, which no verifier needs any more, and returns
	// how many it deleted.
	PruneRevokedTokens(ctx context.Context, before time.Time) (int64, error)

	// UseAssertion remembers that the client presented a client assertion
	// (RFC 7523) with this jti, until expiresAt. A (clientID, jti) pair
	// remembered already is ErrConflict: the assertion is a replay. On
	// PostgreSQL the conflict aborts the transaction, so UseAssertion
	// belongs in a transaction of its own.
	UseAssertion(ctx context.Context, clientID, jti string, expiresAt time.Time) error
	// PruneUsedAssertions forgets the assertions that expired at or
	// before before, which can no longer be replayed since their exp has
	// passed, and returns how many it deleted.
	PruneUsedAssertions(ctx context.Context, before time.Time) (int64, error)
}

// RevokedToken is the revocation of one access token, found by its jti
// (RFC 7519 section 4.1.7). It is kept until the token expires.
type RevokedToken struct {
	JTI     string
	OrgID   string
	AgentID string
	// ExpiresAt is the token's exp; the revocation may be pruned after it.
	ExpiresAt time.Time
	RevokedAt time.Time
}
