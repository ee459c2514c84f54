package oauth

import "time"

// Signer signs the tokens the server mints and publishes the keys that
// verify them. *keys.Manager implements it. Its methods are called
// concurrently and on every token request, so they must not block on I/O.
type Signer interface {
	// Sign signs payload as a compact JWS with the current key, putting typ
	// (when not empty) in the protected header, and returns the JWS and the
	// kid of the key that signed it.
	Sign(payload []byte, typ string) (token []byte, kid string, err error)
	// JWKS returns the published key set as JSON ({"keys": [...]}), each
	// key with its kid and alg. The server reads the bytes only; it
	// re-parses them only when they change.
	JWKS() []byte
}

// ttlBound is implemented by a Signer whose keys stay published only for a
// bounded token lifetime (*keys.Manager): New refuses a MaxTokenTTL beyond
// it, since a token that outlives its key's publication stops verifying.
type ttlBound interface {
	MaxTokenTTL() time.Duration
}
