package keyset_test

import (
	"testing"

	"github.com/agentidp/agentidp/authz/keyset"
)

// newBenchCache returns a Cache holding one issuer's fetched set, whose
// kid "k1" is known.
func newBenchCache(b *testing.B) *keyset.Cache {
	b.Helper()
	testKeys(b)
	c, err := keyset.New(keyset.Config{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)
	c.Add(iss, funcSource(docOf(b, jwkOf(b, p256Key.Public(), "k1"),
		jwkOf(b, edKey.Public(), "k2")), nil))
	if err := c.Refresh(b.Context(), iss); err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkKeyHit is the hot path: a known kid of a fresh set, from many
// goroutines. It must not allocate.
func BenchmarkKeyHit(b *testing.B) {
	c := newBenchCache(b)
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Key(ctx, iss, "k1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHas is the decision-cache check of a known kid.
func BenchmarkHas(b *testing.B) {
	c := newBenchCache(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if !c.Has(iss, "k1") {
				b.Fatal("k1 not held")
			}
		}
	})
}

// BenchmarkKeyUnknownFlood is made-up kids within MinRefetchInterval: each
// is refused without a fetch.
func BenchmarkKeyUnknownFlood(b *testing.B) {
	c := newBenchCache(b)
	ctx := b.Context()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Key(ctx, iss, "made-up"); err == nil {
				b.Fatal("made-up kid found")
			}
		}
	})
}
