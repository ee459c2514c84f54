// Package ids owns the format of AgentIdP's object identifiers: a short
// type prefix, an underscore and 26 characters of Crockford base32 that
// encode a millisecond timestamp and 80 random bits, so ids sort by
// creation time and cannot be guessed.
package ids

import (
	"crypto/rand"
	"encoding/binary"
	"time"
)

// Prefixes of the object kinds.
const (
	Org       = "org"
	Operator  = "op"
	APIKey    = "key"
	AdminKey  = "adm"
	Agent     = "agt"
	Secret    = "sec"
	Event     = "evt"
	Request   = "req"
	encodeLen = 26
)

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// New returns a fresh id with the given prefix.
func New(prefix string) string {
	return NewAt(prefix, time.Now())
}

// NewAt returns a fresh id whose time part is t.
func NewAt(prefix string, t time.Time) string {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(t.UnixMilli())<<16)
	// crypto/rand.Read never fails on supported platforms.
	_, _ = rand.Read(b[6:])
	return prefix + "_" + encode(b)
}

// encode writes the 128 bits of b as 26 base32 digits (the first digit
// carries the top 3 bits).
func encode(b [16]byte) string {
	hi := binary.BigEndian.Uint64(b[:8])
	lo := binary.BigEndian.Uint64(b[8:])
	var out [encodeLen]byte
	for i := encodeLen - 1; i >= 0; i-- {
		out[i] = alphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

// Valid reports whether s is a well-formed id with the given prefix.
func Valid(prefix, s string) bool {
	if len(s) != len(prefix)+1+encodeLen || s[:len(prefix)] != prefix ||
		s[len(prefix)] != '_' {
		return false
	}
	body := s[len(prefix)+1:]
	if body[0] > '7' {
		return false // more than 128 bits
	}
	for i := 0; i < len(body); i++ {
		if !isDigit(body[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool {
	for i := 0; i < len(alphabet); i++ {
		if alphabet[i] == c {
			return true
		}
	}
	return false
}
