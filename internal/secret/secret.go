// Package secret owns the bearer secrets AgentIdP hands out (operator API
// keys, super-admin keys and agent client secrets): their generation, their
// wire format, the keyed hash that is the only form ever stored, and their
// constant-time comparison. It never logs and never returns a secret inside
// an error.
package secret

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// MinKeyBytes is the shortest server hashing key accepted.
const MinKeyBytes = 32

// randomBytes is the entropy of every generated secret: 256 bits.
const randomBytes = 32

// tokenPrefix starts every API key so that scanners can recognise one that
// leaked.
const tokenPrefix = "aidp"

// ErrMalformed is returned when a presented secret is not in the expected
// format.
var ErrMalformed = errors.New("secret: malformed")

// Hasher computes keyed hashes of secrets. It is safe for concurrent use.
type Hasher struct {
	key []byte
}

// NewHasher returns a Hasher that uses key, which must be at least
// MinKeyBytes long.
func NewHasher(key []byte) (*Hasher, error) {
	if len(key) < MinKeyBytes {
		return nil, errors.New("secret: hashing key shorter than 32 bytes")
	}
	return &Hasher{key: append([]byte(nil), key...)}, nil
}

// Hash returns the hex HMAC-SHA-256 of s under the server key.
func (h *Hasher) Hash(s string) string {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(s))
	return hex.EncodeToString(m.Sum(nil))
}

// Matches reports, in constant time, whether s hashes to stored.
func (h *Hasher) Matches(s, stored string) bool {
	return hmac.Equal([]byte(h.Hash(s)), []byte(stored))
}

// Random returns randomBytes of fresh entropy, base64url without padding.
func Random() string {
	b := make([]byte, randomBytes)
	// crypto/rand.Read never fails on supported platforms.
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// NewKey returns a new API key for the key object id: the string handed to
// the caller once, of the form "aidp.<id>.<random>".
func NewKey(id string) string {
	return tokenPrefix + "." + id + "." + Random()
}

// ParseKey splits a presented API key into the id used to look it up. The
// whole presented string is what gets hashed and compared.
func ParseKey(key string) (id string, err error) {
	parts := strings.Split(key, ".")
	if len(parts) != 3 || parts[0] != tokenPrefix || parts[1] == "" ||
		len(parts[2]) != base64.RawURLEncoding.EncodedLen(randomBytes) {
		return "", ErrMalformed
	}
	return parts[1], nil
}
