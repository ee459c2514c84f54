package authz

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"runtime"
	"strings"
	"testing"
	"time"

	authv3 "github.com/envoyproxy/go-control-plane/envoy/service/auth/v3"
	jose "github.com/go-jose/go-jose/v4"
)

// BenchmarkCheck measures one Check in process, from many goroutines:
// a cached valid token, 10,000 distinct valid tokens seen over and over,
// and a replayed invalid token. The route requires a scope, an audience
// and an organisation, so every requirement is checked.
func BenchmarkCheck(b *testing.B) {
	ext := map[string]string{ExtMode: "required", ExtScopes: "invoices:read",
		ExtAudience: testIssuer, ExtOrgs: testOrg}
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.RS256} {
		e := newEnv(b, nil)
		e.signing = newKey(b, alg, "k-"+string(alg))
		e.publish(b, testIssuer, e.signing)
		many := make([]*authv3.CheckRequest, 10_000)
		for i := range many {
			many[i] = request(bearer(token(b, e.signing, e.claims())), ext)
		}
		bad := []byte(token(b, e.signing, e.claims()))
		bad[len(bad)-5] ^= 1
		cases := []struct {
			name string
			reqs []*authv3.CheckRequest
			want int32
		}{
			{"cached", many[:1], 0},
			{"distinct-10000", many, 0},
			{"invalid-replayed", []*authv3.CheckRequest{request(bearer(string(bad)), ext)}, 16},
		}
		for _, tc := range cases {
			b.Run(string(alg)+"/"+tc.name, func(b *testing.B) {
				for _, r := range tc.reqs { // warm the caches
					_, _ = e.srv.Check(b.Context(), r)
				}
				e.srv.cache.wait()
				benchChecks(b, e, tc.reqs, tc.want)
			})
		}
	}
}

func benchChecks(b *testing.B, e *env, reqs []*authv3.CheckRequest, want int32) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			resp, _ := e.srv.Check(b.Context(), reqs[i%len(reqs)])
			if resp.GetStatus().GetCode() != want {
				b.Errorf("status %d, want %d", resp.GetStatus().GetCode(), want)
				return
			}
			i++
		}
	})
}

// BenchmarkFirstSeen compares a Check of a token never seen before (no
// cached decision: parse, key lookup, signature, claims, caching) with the
// bare standard library check of the same token's signature: a hash and
// ecdsa.Verify, rsa.VerifyPKCS1v15 or ed25519.Verify. Each iteration does
// both, one after the other, so that a noisy machine slows both alike; it
// reports each one's ns/op and their ratio, the cost of everything but the
// signature.
func BenchmarkFirstSeen(b *testing.B) {
	for _, alg := range []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.EdDSA} {
		b.Run(string(alg), func(b *testing.B) {
			e := newEnv(b, nil)
			e.signing = newKey(b, alg, "k-"+string(alg))
			e.publish(b, testIssuer, e.signing)
			pool := make([]string, 2048)
			reqs := make([]*authv3.CheckRequest, len(pool))
			for i := range pool {
				pool[i] = token(b, e.signing, e.claims())
				reqs[i] = request(bearer(pool[i]), nil)
			}
			pub := e.signing.priv.Public()

			var check, bare time.Duration
			i := 0
			for b.Loop() {
				n := i % len(reqs)
				if n == 0 {
					b.StopTimer()
					e.srv.cache.wait()
					e.srv.cache.clear()
					b.StartTimer()
				}
				t0 := time.Now()
				resp, _ := e.srv.Check(b.Context(), reqs[n])
				t1 := time.Now()
				ok := stdlibVerify(pub, pool[n])
				t2 := time.Now()
				if resp.GetStatus().GetCode() != 0 || !ok {
					b.Fatalf("status %d, stdlib %v", resp.GetStatus().GetCode(), ok)
				}
				check, bare = check+t1.Sub(t0), bare+t2.Sub(t1)
				i++
			}
			b.ReportMetric(float64(check.Nanoseconds())/float64(i), "check-ns/op")
			b.ReportMetric(float64(bare.Nanoseconds())/float64(i), "stdlib-ns/op")
			b.ReportMetric(float64(check)/float64(bare), "check/stdlib")
		})
	}
}

// stdlibVerify checks a compact JWS's signature with nothing but the
// standard library, as the baseline of BenchmarkFirstSeen.
func stdlibVerify(pub crypto.PublicKey, tok string) bool {
	dot := strings.LastIndexByte(tok, '.')
	sig, err := base64.RawURLEncoding.DecodeString(tok[dot+1:])
	if err != nil {
		return false
	}
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		h := sha256.Sum256([]byte(tok[:dot]))
		return verifyECDSA(k, h[:], sig)
	case *rsa.PublicKey:
		h := sha256.Sum256([]byte(tok[:dot]))
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, h[:], sig) == nil
	case ed25519.PublicKey:
		return ed25519.Verify(k, []byte(tok[:dot]), sig)
	}
	return false
}

// BenchmarkDecisionCacheMemory fills the cache with 100,000 verdicts on
// distinct tokens and reports how much the heap grew, in MiB. Run it once:
// go test -run '^$' -bench DecisionCacheMemory -benchtime 1x ./authz
func BenchmarkDecisionCacheMemory(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		e := newEnv(b, nil)
		e.signing = newKey(b, jose.EdDSA, "k-mem")
		e.publish(b, testIssuer, e.signing)
		reqs := make([]*authv3.CheckRequest, n)
		for i := range reqs {
			reqs[i] = request(bearer(token(b, e.signing, e.claims())), nil)
		}
		before := heapInUse()
		for _, r := range reqs {
			if resp, _ := e.srv.Check(b.Context(), r); resp.GetStatus().GetCode() != 0 {
				b.Fatalf("status %d", resp.GetStatus().GetCode())
			}
		}
		e.srv.cache.wait()
		after := heapInUse()
		b.ReportMetric(float64(after-before)/(1<<20), "MiB/100k-decisions")
		runtime.KeepAlive(reqs)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
