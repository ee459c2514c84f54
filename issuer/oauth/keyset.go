package oauth

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync/atomic"

	"github.com/lestrrat-go/jwx/v2/jwk"
)

// keySet is the Signer's published key set as the server uses it: the
// keys that verify its own tokens, by kid, and their algorithms. It never
// changes once built.
type keySet struct {
	raw  []byte
	keys map[string]verifyKey
	// algs are the algorithms of the keys, sorted, for discovery.
	algs []string
	// err is why raw could not be read; no token verifies meanwhile.
	err error
}

// verifyKey is one published key: its algorithm and its raw public key.
type verifyKey struct {
	alg string
	pub any
}

// keyCache holds the key set built from the last JWKS the Signer gave.
type keyCache struct {
	cur atomic.Pointer[keySet]
}

// currentKeys returns the key set of the Signer's current JWKS, rebuilding
// it only when the JWKS changed. A key removed from the JWKS stops
// verifying at once.
func (s *Server) currentKeys() *keySet {
	raw := s.signer.JWKS()
	if ks := s.keys.cur.Load(); ks != nil && bytes.Equal(ks.raw, raw) {
		return ks
	}
	ks := buildKeySet(raw)
	if ks.err != nil {
		s.log.ErrorContext(context.Background(), "published key set unusable",
			logError, ks.err.Error())
	}
	s.keys.cur.Store(ks)
	return ks
}

// buildKeySet parses a JWKS. A key without kid or alg, or whose alg does
// not suit it, makes the whole set unusable: the Signer publishes neither.
func buildKeySet(raw []byte) *keySet {
	ks := &keySet{raw: bytes.Clone(raw), keys: map[string]verifyKey{}}
	set, err := jwk.Parse(raw)
	if err != nil {
		ks.err = fmt.Errorf("parse jwks: %w", err)
		return ks
	}
	for i := range set.Len() {
		key, _ := set.Key(i)
		kid, alg := key.KeyID(), ""
		if a := key.Algorithm(); a != nil {
			alg = a.String()
		}
		var pub any
		if err := key.Raw(&pub); err != nil || kid == "" || !suits(pub, alg) {
			ks.err = fmt.Errorf("jwks key %q: missing kid, or alg %q does not suit it", kid, alg)
			ks.keys = map[string]verifyKey{}
			return ks
		}
		ks.keys[kid] = verifyKey{alg: alg, pub: pub}
		if !slices.Contains(ks.algs, alg) {
			ks.algs = append(ks.algs, alg)
		}
	}
	slices.Sort(ks.algs)
	return ks
}
