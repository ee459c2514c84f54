package keyset

import "time"

// Kick wakes Run, as Add does, after a test moved the clock.
func (c *Cache) Kick() { c.wake() }

// SetMaxAge returns the bounded max-age of issuer's current set, and
// whether it has one.
func (c *Cache) SetMaxAge(issuer string) (time.Duration, bool) {
	is := c.lookup(issuer)
	if is == nil || is.set.Load() == nil {
		return 0, false
	}
	return is.set.Load().maxAge, true
}

// NextRefresh returns when Run refreshes issuer next.
func (c *Cache) NextRefresh(issuer string) time.Time {
	is := c.lookup(issuer)
	is.mu.Lock()
	defer is.mu.Unlock()
	return is.nextRefresh
}

// RememberedUnknown returns how many unknown kids are remembered.
func (c *Cache) RememberedUnknown() int {
	c.unknownMu.Lock()
	defer c.unknownMu.Unlock()
	return len(c.unknown)
}

// Skipped is a skipped key of ParseJWKS.
type Skipped struct {
	Index  int
	KID    string
	Reason string
}

// ParseJWKS exposes the document parser.
func ParseJWKS(doc []byte) (map[string]Key, []Skipped, error) {
	keys, skipped, err := parseJWKS(doc)
	var out []Skipped
	for _, s := range skipped {
		out = append(out, Skipped{Index: s.index, KID: s.kid, Reason: s.reason})
	}
	return keys, out, err
}

// MaxAgeOf exposes the Cache-Control parser.
var MaxAgeOf = maxAge
