package issuer

import (
	"fmt"
	"maps"
	"net/mail"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

// Limits on input. Lengths count Unicode code points.
const (
	MaxNameLen        = 200
	MaxDescriptionLen = 2000
	MaxOwnerLen       = 200
	MaxMetadata       = 32
	MaxMetadataKeyLen = 64
	MaxMetadataValLen = 512
	MaxScopes         = 100
	MaxScopeLen       = 128
	MaxEmailLen       = 254
	MaxSubjectLen     = 256
	// MaxLiveCredentials caps the unexpired, unrevoked client secrets, and
	// separately the public keys, of one agent.
	MaxLiveCredentials = 10
	// DefaultPageSize and MaxPageSize bound list responses.
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// Credential lifetimes.
const (
	DefaultCredentialTTL = 90 * 24 * time.Hour
	MaxCredentialTTL     = 365 * 24 * time.Hour
	MinTTL               = time.Minute
	MaxRotateOverlap     = 30 * 24 * time.Hour
	MaxAPIKeyTTL         = 5 * 365 * 24 * time.Hour
)

// checkText checks a single-line text field: valid UTF-8, no control
// characters, and a length within [lo, hi].
func checkText(p *problems, field, s string, lo, hi int) {
	if !utf8.ValidString(s) {
		p.add(field, "must be valid UTF-8")
		return
	}
	n := utf8.RuneCountInString(s)
	switch {
	case n < lo:
		p.add(field, "must not be empty")
	case n > hi:
		p.add(field, "must be at most %d characters", hi)
	case hasControl(s):
		p.add(field, "must not contain control characters")
	}
}

// checkLongText checks a free text field that may span lines.
func checkLongText(p *problems, field, s string, hi int) {
	if !utf8.ValidString(s) {
		p.add(field, "must be valid UTF-8")
		return
	}
	if utf8.RuneCountInString(s) > hi {
		p.add(field, "must be at most %d characters", hi)
	}
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return true
		}
	}
	return false
}

// checkMetadata checks an agent's metadata map, in key order so that the
// problems come out the same way every time.
func checkMetadata(p *problems, m map[string]string) {
	if len(m) > MaxMetadata {
		p.add("metadata", "must have at most %d entries", MaxMetadata)
		return
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !validText(k, 1, MaxMetadataKeyLen) {
			p.add("metadata", "keys must be 1 to %d printable characters", MaxMetadataKeyLen)
			continue
		}
		v := m[k]
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxMetadataValLen {
			p.add("metadata."+k, "must be valid UTF-8 of at most %d characters",
				MaxMetadataValLen)
		}
	}
}

// validText reports whether s passes checkText.
func validText(s string, lo, hi int) bool {
	var p problems
	checkText(&p, "", s, lo, hi)
	return p.err() == nil
}

// checkScopes checks a list of OAuth scope tokens (RFC 6749 section 3.3).
func checkScopes(p *problems, scopes []string) {
	if len(scopes) > MaxScopes {
		p.add("scopes", "must have at most %d entries", MaxScopes)
		return
	}
	seen := make(map[string]bool, len(scopes))
	for i, sc := range scopes {
		field := fmt.Sprintf("scopes[%d]", i)
		switch {
		case sc == "" || len(sc) > MaxScopeLen:
			p.add(field, "must be 1 to %d characters", MaxScopeLen)
		case !scopeToken(sc):
			p.add(field, "must be an RFC 6749 scope token")
		case seen[sc]:
			p.add(field, "duplicates an earlier scope")
		}
		seen[sc] = true
	}
}

// scopeToken reports whether s uses only the characters RFC 6749 allows
// in a scope token: %x21 / %x23-5B / %x5D-7E.
func scopeToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c == 0x22 || c == 0x5c || c > 0x7e {
			return false
		}
	}
	return true
}

// checkEmail checks an operator's e-mail address; empty is allowed.
func checkEmail(p *problems, email string) {
	if email == "" {
		return
	}
	if len(email) > MaxEmailLen {
		p.add("email", "must be at most %d characters", MaxEmailLen)
		return
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email {
		p.add("email", "must be a plain e-mail address")
	}
}

// checkRole checks a role name.
func checkRole(p *problems, field string, r store.Role) {
	if rank(r) == 0 {
		p.add(field, "must be one of owner, admin, viewer")
	}
}

// lifetime turns an optional number of seconds into a duration within
// [MinTTL, hi], or def when absent.
func lifetime(p *problems, field string, secs *int64, def, hi time.Duration) time.Duration {
	if secs == nil {
		return def
	}
	if *secs < int64(MinTTL/time.Second) || *secs > int64(hi/time.Second) {
		p.add(field, "must be between %d and %d seconds", int64(MinTTL/time.Second),
			int64(hi/time.Second))
		return def
	}
	return time.Duration(*secs) * time.Second
}

// tokenTTL turns a token_ttl_seconds into a lifetime: 0 inherits (from
// the organisation, or the deployment), anything else must lie within
// [MinTTL, ceiling].
func tokenTTL(p *problems, secs int64, ceiling time.Duration) time.Duration {
	if secs == 0 {
		return 0
	}
	lo, hi := int64(MinTTL/time.Second), int64(ceiling/time.Second)
	if secs < lo || secs > hi {
		p.add("token_ttl_seconds", "must be 0 (inherit) or between %d and %d seconds", lo, hi)
		return 0
	}
	return time.Duration(secs) * time.Second
}

// overlap turns an optional rotation overlap into a duration; ok is false
// when none was asked for.
func overlap(p *problems, secs *int64) (d time.Duration, ok bool) {
	if secs == nil {
		return 0, false
	}
	if *secs < 0 || *secs > int64(MaxRotateOverlap/time.Second) {
		p.add("rotate_overlap_seconds", "must be between 0 and %d seconds",
			int64(MaxRotateOverlap/time.Second))
		return 0, false
	}
	return time.Duration(*secs) * time.Second, true
}

// pageSize checks a requested page size; zero means the default.
func pageSize(p *problems, n int) int {
	switch {
	case n == 0:
		return DefaultPageSize
	case n < 1 || n > MaxPageSize:
		p.add("limit", "must be between 1 and %d", MaxPageSize)
		return DefaultPageSize
	}
	return n
}

// checkCursor checks a listing cursor: the id, of the given kind, of the
// last object of the previous page.
func checkCursor(p *problems, prefix, cursor string) {
	if cursor != "" && !ids.Valid(prefix, cursor) {
		p.add("cursor", "is not a cursor of this listing")
	}
}
