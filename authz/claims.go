package authz

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The JSON of a token's header and claims is read by a scanner of its
// own rather than by encoding/json: it is the largest cost of a token
// seen for the first time after its signature. It reads one flat object,
// takes the members the edge needs and skips the others, and is stricter
// than encoding/json: it refuses duplicate members, invalid UTF-8 and
// anything after the object. Whatever it accepts, encoding/json reads to
// the same values (FuzzClaimsMatchEncodingJSON checks this).

// Bounds of what the scanner reads.
const (
	// maxDepth bounds the nesting of the values it skips.
	maxDepth = 32
	// maxMembers bounds an object's members: an access token has a dozen.
	maxMembers = 64
)

// scanner reads one JSON text.
type scanner struct {
	b   []byte
	pos int
}

// member is called for each member of the object with its name; it reads
// the value (or skips it) and reports false to refuse the object.
type member func(s *scanner, name string) bool

// object reads a whole JSON text that must be one object, calling fn for
// each member. JSON names are case-sensitive but encoding/json matches
// them without regard to case, so two names equal but for case, or a name
// equal but for case to one of known, refuse the object: no reader can
// then see another value than the scanner did.
func (s *scanner) object(known []string, fn member) bool {
	s.space()
	if !s.eat('{') {
		return false
	}
	var buf [16]string
	seen := buf[:0]
	s.space()
	if s.eat('}') {
		return s.end()
	}
	for {
		s.space()
		name, ok := s.str()
		if !ok || len(seen) == maxMembers || !distinct(name, seen, known) {
			return false
		}
		seen = append(seen, name)
		s.space()
		if !s.eat(':') {
			return false
		}
		s.space()
		if !fn(s, name) {
			return false
		}
		s.space()
		if s.eat('}') {
			return s.end()
		}
		if !s.eat(',') {
			return false
		}
	}
}

// distinct reports whether name differs, even ignoring case, from every
// name seen, and from every known name it is not exactly.
func distinct(name string, seen, known []string) bool {
	for _, prev := range seen {
		if strings.EqualFold(prev, name) {
			return false
		}
	}
	for _, k := range known {
		if k != name && strings.EqualFold(k, name) {
			return false
		}
	}
	return true
}

// end reports whether nothing but white space follows.
func (s *scanner) end() bool {
	s.space()
	return s.pos == len(s.b)
}

func (s *scanner) eat(c byte) bool {
	if s.pos < len(s.b) && s.b[s.pos] == c {
		s.pos++
		return true
	}
	return false
}

func (s *scanner) space() {
	for s.pos < len(s.b) {
		switch s.b[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// str reads a JSON string. Strings without escapes, the usual case, are
// taken as they are; those with escapes are decoded by encoding/json.
func (s *scanner) str() (string, bool) {
	if !s.eat('"') {
		return "", false
	}
	start, escaped := s.pos, false
	for s.pos < len(s.b) {
		c := s.b[s.pos]
		switch {
		case c == '"':
			raw := s.b[start:s.pos]
			s.pos++
			if !utf8.Valid(raw) {
				return "", false
			}
			if !escaped {
				return string(raw), true
			}
			var v string
			if err := json.Unmarshal(s.b[start-1:s.pos], &v); err != nil {
				return "", false
			}
			return v, true
		case c == '\\':
			escaped = true
			s.pos += 2
		case c < 0x20:
			return "", false
		default:
			s.pos++
		}
	}
	return "", false
}

// number reads a JSON number as a float64.
func (s *scanner) number() (float64, bool) {
	start := s.pos
	s.eat('-')
	switch {
	case s.eat('0'):
	case s.digits() == 0:
		return 0, false
	}
	if s.eat('.') && s.digits() == 0 {
		return 0, false
	}
	if s.eat('e') || s.eat('E') {
		if !s.eat('+') {
			s.eat('-')
		}
		if s.digits() == 0 {
			return 0, false
		}
	}
	f, err := strconv.ParseFloat(string(s.b[start:s.pos]), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

func (s *scanner) digits() int {
	n := 0
	for s.pos < len(s.b) && s.b[s.pos] >= '0' && s.b[s.pos] <= '9' {
		s.pos++
		n++
	}
	return n
}

// strings reads a string or an array of strings (an "aud").
func (s *scanner) strings() ([]string, bool) {
	if s.pos < len(s.b) && s.b[s.pos] == '"' {
		v, ok := s.str()
		return []string{v}, ok
	}
	if !s.eat('[') {
		return nil, false
	}
	out := []string{}
	s.space()
	if s.eat(']') {
		return out, true
	}
	for {
		s.space()
		v, ok := s.str()
		if !ok {
			return nil, false
		}
		out = append(out, v)
		s.space()
		if s.eat(']') {
			return out, true
		}
		if !s.eat(',') {
			return nil, false
		}
	}
}

// skip reads any JSON value and drops it.
func (s *scanner) skip(depth int) bool {
	if depth > maxDepth || s.pos >= len(s.b) {
		return false
	}
	switch c := s.b[s.pos]; {
	case c == '"':
		_, ok := s.str()
		return ok
	case c == '{' || c == '[':
		return s.skipComposite(c, depth)
	case c == '-' || c >= '0' && c <= '9':
		_, ok := s.number()
		return ok
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s.b)-s.pos >= len(lit) && string(s.b[s.pos:s.pos+len(lit)]) == lit {
			s.pos += len(lit)
			return true
		}
	}
	return false
}

// skipComposite skips an object or an array.
func (s *scanner) skipComposite(open byte, depth int) bool {
	closing := byte(']')
	if open == '{' {
		closing = '}'
	}
	s.pos++
	s.space()
	if s.eat(closing) {
		return true
	}
	for {
		s.space()
		if open == '{' {
			if _, ok := s.str(); !ok {
				return false
			}
			s.space()
			if !s.eat(':') {
				return false
			}
			s.space()
		}
		if !s.skip(depth + 1) {
			return false
		}
		s.space()
		if s.eat(closing) {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// parseHeader reads a JWS protected header.
func parseHeader(b []byte, h *jwsHeader) bool {
	s := scanner{b: b}
	return s.object(headerNames, func(s *scanner, name string) bool {
		var ok bool
		switch name {
		case "alg":
			h.Alg, ok = s.str()
		case "kid":
			h.Kid, ok = s.str()
		case "typ":
			h.Typ, ok = s.str()
		case "crit", "b64":
			// Extensions the edge does not support: their presence
			// refuses the token (RFC 7515 section 4.1.11, RFC 7797).
			h.Extended = true
			ok = s.skip(0)
		default:
			ok = s.skip(0)
		}
		return ok
	})
}

// Names of the header parameters and claims the edge reads.
var (
	headerNames = []string{"alg", "kid", "typ", "crit", "b64"}
	claimNames  = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id",
		"scope", "org_id", "agent_did"}
)

// parseClaims reads a token's claims.
func parseClaims(b []byte, c *tokenClaims) bool {
	s := scanner{b: b}
	return s.object(claimNames, func(s *scanner, name string) bool {
		var ok bool
		switch name {
		case "iss":
			c.Issuer, ok = s.str()
		case "sub":
			c.Subject, ok = s.str()
		case "aud":
			var aud []string
			aud, ok = s.strings()
			c.Audience = aud
		case "exp":
			c.ExpiresAt, ok = s.number()
		case "nbf":
			c.NotBefore, ok = s.number()
		case "iat":
			c.IssuedAt, ok = s.number()
		case "jti":
			c.JTI, ok = s.str()
		case "client_id":
			c.ClientID, ok = s.str()
		case "scope":
			c.Scope, ok = s.str()
		case "org_id":
			c.OrgID, ok = s.str()
		case "agent_did":
			c.AgentDID, ok = s.str()
		default:
			ok = s.skip(0)
		}
		return ok
	})
}
