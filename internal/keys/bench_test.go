package keys_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/store/sqlite"
)

// benchPayload is the size and shape of an RFC 9068 access token's claims.
var benchPayload = []byte(`{"iss":"https://idp.example.com",` +
	`"sub":"agt_01hz8d0m3b4c5d6e7f8g9h0j1k",` +
	`"aud":"https://api.example.com","exp":1893456000,"iat":1893452400,"nbf":1893452400,` +
	`"jti":"01hz8d0m3b4c5d6e7f8g9h0j1k","client_id":"agt_01hz8d0m3b4c5d6e7f8g9h0j1k",` +
	`"scope":"tickets:read tickets:write","org_id":"org_01hz8d0m3b4c5d6e7f8g9h0j1k",` +
	`"agent_did":"did:web:idp.example.com:agents:agt_01hz8d0m3b4c5d6e7f8g9h0j1k"}`)

// BenchmarkSign measures Manager.Sign for each algorithm beside a baseline
// that makes the same compact JWS with the standard library alone. The
// Manager's results carry x_stdlib: its time per token over the baseline's.
func BenchmarkSign(b *testing.B) {
	for _, alg := range []string{keys.ES256, keys.EdDSA, keys.RS256} {
		m, priv, kid := benchManager(b, alg)
		var baseline float64 // ns per token

		b.Run(alg+"/stdlib", func(b *testing.B) {
			for b.Loop() {
				if _, err := stdlibJWS(priv, alg, kid, benchPayload); err != nil {
					b.Fatal(err)
				}
			}
			baseline = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
		b.Run(alg+"/keys", func(b *testing.B) {
			for b.Loop() {
				if _, _, err := m.Sign(benchPayload, keys.TypeAccessToken); err != nil {
					b.Fatal(err)
				}
			}
			if baseline > 0 {
				ns := float64(b.Elapsed().Nanoseconds()) / float64(b.N)
				b.ReportMetric(ns/baseline, "x_stdlib")
			}
		})
	}
}

// benchManager returns a started Manager of alg on SQLite, its private key
// (opened from the store, as the baseline needs it) and its kid. It checks
// that the baseline's tokens verify against the Manager's key set.
func benchManager(b *testing.B, alg string) (*keys.Manager, crypto.Signer, string) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "agentidp.db"))
	require.NoError(b, err)
	b.Cleanup(func() { _ = st.Close() })
	require.NoError(b, st.Migrate(ctx))

	kek := newKEK(b)
	m := newManager(b, st, kek, newClock(), func(c *keys.Config) {
		c.Algorithm, c.Logger = alg, slog.New(slog.DiscardHandler)
	})
	require.NoError(b, m.Start(ctx))

	rows, err := st.ListSigningKeys(ctx)
	require.NoError(b, err)
	der, err := kek.Open(rows[0].Sealed, keys.KeyAAD(rows[0].KID, alg))
	require.NoError(b, err)
	parsed, err := x509.ParsePKCS8PrivateKey(der)
	require.NoError(b, err)
	priv := parsed.(crypto.Signer)

	token, err := stdlibJWS(priv, alg, rows[0].KID, benchPayload)
	require.NoError(b, err)
	set, err := m.PublicJWKS()
	require.NoError(b, err)
	_, err = jws.Verify(token, jws.WithKeySet(set))
	require.NoError(b, err, "the baseline makes valid tokens")
	return m, priv, rows[0].KID
}

// stdlibJWS makes a compact JWS with the standard library alone.
func stdlibJWS(priv crypto.Signer, alg, kid string, payload []byte) ([]byte, error) {
	header, err := json.Marshal(struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
		Typ string `json:"typ"`
	}{alg, kid, keys.TypeAccessToken})
	if err != nil {
		return nil, err
	}
	enc := base64.RawURLEncoding
	input := enc.AppendEncode(nil, header)
	input = append(input, '.')
	input = enc.AppendEncode(input, payload)

	sig, err := stdlibSign(priv, input)
	if err != nil {
		return nil, err
	}
	return enc.AppendEncode(append(input, '.'), sig), nil
}

// stdlibSign signs a JWS signing input per RFC 7518 section 3 and RFC 8037.
func stdlibSign(priv crypto.Signer, input []byte) ([]byte, error) {
	digest := sha256.Sum256(input)
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		r, s, err := ecdsa.Sign(rand.Reader, k, digest[:])
		if err != nil {
			return nil, err
		}
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return sig, nil
	case ed25519.PrivateKey:
		return ed25519.Sign(k, input), nil
	case *rsa.PrivateKey:
		return rsa.SignPKCS1v15(nil, k, crypto.SHA256, digest[:])
	default:
		panic("unexpected key type")
	}
}
