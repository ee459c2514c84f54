package keys

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lestrrat-go/jwx/v2/jwk"
	"github.com/lestrrat-go/jwx/v2/jws"

	"github.com/agentidp/agentidp/internal/store"
)

// Values of the JWS "typ" header for the tokens the deployment signs.
const (
	TypeAccessToken = "at+jwt" // RFC 9068 section 2.1
	TypeJWT         = "JWT"    // RFC 7519 section 5.1, e.g. ID tokens
	// TypeVCJWT marks a JOSE-secured verifiable credential (W3C VC-JOSE-COSE
	// section 3.1.1), e.g. an agent badge.
	TypeVCJWT = "vc+jwt"
)

// Errors of Sign.
var (
	// ErrNoSigningKey means no key may sign now.
	ErrNoSigningKey = errors.New("keys: no signing key")
	// ErrKeyUnavailable means the key whose turn it is could not be
	// opened (see the error Refresh returned); the Manager fails closed
	// rather than sign with another.
	ErrKeyUnavailable = errors.New("keys: signing key unavailable")
)

// Sign signs payload with the current key as a compact JWS whose protected
// header holds alg, kid and, when typ is not empty, typ (TypeAccessToken,
// TypeJWT). It returns the JWS and the kid that signed it, which may be
// logged; the payload is the caller's, unread and unchanged.
//
// The current key is the latest, by ActivatesAt, of the active key and the
// pending keys whose time has come: every instance switches to a new key
// at the same moment, before any store transition records it. Sign works
// from memory only.
func (m *Manager) Sign(payload []byte, typ string) (token []byte, kid string, err error) {
	k, err := m.current(m.clock())
	if err != nil {
		return nil, "", err
	}

	h := jws.NewHeaders()
	if err := h.Set(jws.KeyIDKey, k.kid); err != nil {
		return nil, "", fmt.Errorf("sign: set kid: %w", err)
	}
	if typ != "" {
		if err := h.Set(jws.TypeKey, typ); err != nil {
			return nil, "", fmt.Errorf("sign: set typ: %w", err)
		}
	}

	token, err = jws.Sign(payload, jws.WithKey(k.alg, k.priv, jws.WithProtectedHeaders(h)))
	if err != nil {
		return nil, "", fmt.Errorf("sign with key %q: %w", k.kid, err)
	}
	return token, k.kid, nil
}

// current returns the key that signs at now.
func (m *Manager) current(now time.Time) (*liveKey, error) {
	v := m.view.Load()
	if v == nil {
		return nil, ErrNotStarted
	}

	// The active key signs until a pending key's time comes; it is taken
	// even when its own time lies ahead, which a clock behind the one of
	// the instance that activated it shows.
	for _, k := range slices.Backward(v.signers) {
		if k.active || !k.activatesAt.After(now) {
			return k.usable()
		}
	}
	return nil, ErrNoSigningKey
}

// usable returns k when its private key is at hand.
func (k *liveKey) usable() (*liveKey, error) {
	if k.priv == nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrKeyUnavailable, k.kid, k.err)
	}
	return k, nil
}

// JWKS returns the published key set as JSON ({"keys": [...]}): every
// pending, active and retired key not yet past RemoveAfter, each with its
// kid, alg and "use": "sig". It is computed when the key set is read, not
// per call; the bytes are shared and must not be modified.
func (m *Manager) JWKS() []byte {
	v := m.view.Load()
	if v == nil {
		return []byte(`{"keys":[]}`)
	}
	return v.jwks
}

// PublicJWKS returns the published key set as a jwk.Set of the caller's
// own, for verifying in process. It is parsed anew on every call.
func (m *Manager) PublicJWKS() (jwk.Set, error) {
	set, err := jwk.Parse(m.JWKS())
	if err != nil {
		return nil, fmt.Errorf("parse jwks: %w", err)
	}
	return set, nil
}

// KeyInfo describes a signing key for listing, without its key material.
type KeyInfo struct {
	KID       string
	Algorithm string
	State     store.SigningKeyState
	// Signing is true for the key this instance signs with now. It may
	// still be pending in the store until the next tick promotes it.
	Signing     bool
	CreatedAt   time.Time
	ActivatesAt time.Time
	RetiredAt   time.Time
	RemoveAfter time.Time
}

// Keys lists the published keys, oldest first, as of the last read of the
// store. The slice is the caller's.
func (m *Manager) Keys() []KeyInfo {
	v := m.view.Load()
	if v == nil {
		return nil
	}
	signing := ""
	if k, err := m.current(m.clock()); err == nil {
		signing = k.kid
	}

	out := make([]KeyInfo, 0, len(v.rows))
	for _, r := range v.rows {
		out = append(out, KeyInfo{KID: r.KID, Algorithm: r.Algorithm, State: r.State,
			Signing: r.KID == signing, CreatedAt: r.CreatedAt, ActivatesAt: r.ActivatesAt,
			RetiredAt: r.RetiredAt, RemoveAfter: r.RemoveAfter})
	}
	return out
}
