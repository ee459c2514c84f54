package authz

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"slices"
	"time"

	"github.com/dgraph-io/ristretto/v2"
)

// digest is the SHA-256 of a presented token: the only form in which a
// token is kept.
type digest = [32]byte

// verdict is a cached decision on a token that verified: who it speaks
// for and what must still be checked on every use (its lifetime, its
// key and the revocation state, all of which change after it was cached).
type verdict struct {
	digest digest
	id     *identity
	jti    string
	kid    string
	exp    float64
}

// refusal is a cached decision on a token that did not verify.
type refusal struct {
	digest digest
	reason string
}

// decisions caches verdicts and refusals by token digest. The caches are
// keyed by the digest's first 64 bits; each value holds the whole digest,
// compared on every hit, so two tokens can never share a decision.
type decisions struct {
	ok  *ristretto.Cache[uint64, *verdict]
	bad *ristretto.Cache[uint64, *refusal]
	ids *ristretto.Cache[uint64, *identity]
	// okMargin is how long before a token's exp its verdict leaves the
	// cache; badTTL how long a refusal stays.
	okMargin time.Duration
	badTTL   time.Duration
}

// newDecisions makes caches of at most maxOK verdicts and maxBad refusals.
func newDecisions(maxOK, maxBad int64, badTTL time.Duration) (*decisions, error) {
	ok, err := ristretto.NewCache(&ristretto.Config[uint64, *verdict]{
		NumCounters: 10 * maxOK, MaxCost: maxOK, BufferItems: 64,
		IgnoreInternalCost: true, KeyToHash: keyToHash,
	})
	if err != nil {
		return nil, fmt.Errorf("new decision cache: %w", err)
	}
	bad, err := ristretto.NewCache(&ristretto.Config[uint64, *refusal]{
		NumCounters: 10 * maxBad, MaxCost: maxBad, BufferItems: 64,
		IgnoreInternalCost: true, KeyToHash: keyToHash,
	})
	if err != nil {
		ok.Close()
		return nil, fmt.Errorf("new refusal cache: %w", err)
	}
	// Identities are shared by many verdicts; a quarter of the verdicts'
	// bound is room for every agent of a busy deployment.
	maxIDs := max(maxOK/4, 1024)
	ids, err := ristretto.NewCache(&ristretto.Config[uint64, *identity]{
		NumCounters: 10 * maxIDs, MaxCost: maxIDs, BufferItems: 64, IgnoreInternalCost: true,
		KeyToHash: keyToHash,
	})
	if err != nil {
		ok.Close()
		bad.Close()
		return nil, fmt.Errorf("new identity cache: %w", err)
	}
	return &decisions{ok: ok, bad: bad, ids: ids, okMargin: time.Second, badTTL: badTTL}, nil
}

// idSeed keys the identity hashes of this process.
var idSeed = maphash.MakeSeed()

// identityHash hashes what makes two tokens' identities the same. A zero
// byte ends each part; claims that become headers hold none, and a
// collision only costs an identity built anew.
func identityHash(c *tokenClaims, partner string) uint64 {
	var h maphash.Hash
	h.SetSeed(idSeed)
	for _, p := range [...]string{c.Issuer, partner, c.Subject, c.OrgID, c.AgentDID, c.Scope} {
		h.WriteString(p)
		h.WriteByte(0)
	}
	for _, a := range c.Audience {
		h.WriteString(a)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// matches reports whether id is the identity of claims c.
func (id *identity) matches(c *tokenClaims, partner string) bool {
	return id.issuer == c.Issuer && id.partner == partner && id.subject == c.Subject &&
		id.org == c.OrgID && id.did == c.AgentDID && id.scope == c.Scope &&
		slices.Equal(id.aud, c.Audience)
}

// keyToHash uses a cache key as its own hash: keys are hashes already,
// and every hit is checked against the whole value.
func keyToHash(k uint64) (uint64, uint64) { return k, 0 }

func keyOf(d *digest) uint64 {
	return binary.LittleEndian.Uint64(d[:8])
}

// verdict returns the cached verdict of the token with digest d.
func (c *decisions) verdict(d *digest) (*verdict, bool) {
	v, ok := c.ok.Get(keyOf(d))
	if !ok || v.digest != *d {
		return nil, false
	}
	return v, true
}

// refusal returns the cached refusal of the token with digest d.
func (c *decisions) refusal(d *digest) (*refusal, bool) {
	r, ok := c.bad.Get(keyOf(d))
	if !ok || r.digest != *d {
		return nil, false
	}
	return r, true
}

// keep caches v until shortly before its token expires.
func (c *decisions) keep(v *verdict, now time.Time) {
	ttl := time.Duration((v.exp-float64(now.UnixNano())/1e9)*float64(time.Second)) - c.okMargin
	if ttl <= 0 {
		return
	}
	c.ok.SetWithTTL(keyOf(&v.digest), v, 1, ttl)
}

// refuse caches a refusal for badTTL.
func (c *decisions) refuse(d *digest, reason string) {
	c.bad.SetWithTTL(keyOf(d), &refusal{digest: *d, reason: reason}, 1, c.badTTL)
}

// forget drops the verdict of the token with digest d.
func (c *decisions) forget(d *digest) {
	c.ok.Del(keyOf(d))
}

// intern returns the cached identity of claims c, building and caching
// it when there is none, so that verdicts of the same agent, scopes and
// audience share one answer. Identities are found by a hash of what makes
// them equal and compared whole on a hit.
func (c *decisions) intern(claims *tokenClaims, partner string,
	build func() *identity) *identity {
	key := identityHash(claims, partner)
	if id, ok := c.ids.Get(key); ok && id.matches(claims, partner) {
		return id
	}
	id := build()
	c.ids.Set(key, id, 1)
	return id
}

func (c *decisions) close() {
	c.ok.Close()
	c.bad.Close()
	c.ids.Close()
}
