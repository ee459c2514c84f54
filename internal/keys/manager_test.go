package keys_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"log/slog"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v2/jws"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/store"
)

func TestNewValidatesConfig(t *testing.T) {
	st, kek := newSQLite(t).open(t), newKEK(t)
	tests := []struct {
		name string
		edit func(*keys.Config)
		want []string // parts of the error; none means valid
	}{
		{"the defaults are valid", func(*keys.Config) {}, nil},
		{"zero fields take their defaults", func(c *keys.Config) {
			*c = keys.Config{Store: c.Store, KEK: c.KEK}
		}, nil},
		{"each algorithm is accepted", func(c *keys.Config) { c.Algorithm = keys.EdDSA }, nil},
		{"an unknown algorithm is refused, naming the field", func(c *keys.Config) {
			c.Algorithm = "HS256"
		}, []string{`Algorithm: unsupported "HS256"`}},
		{"RSA keys below 2048 bits are refused", func(c *keys.Config) {
			c.Algorithm, c.RSABits = keys.RS256, 1024
		}, []string{"RSABits: 1024"}},
		{"a missing store and KEK are both reported", func(c *keys.Config) {
			c.Store, c.KEK = nil, nil
		}, []string{"Store: required", "KEK: required"}},
		{"negative durations are refused", func(c *keys.Config) {
			c.MaxTokenTTL, c.Leeway = -time.Second, -time.Minute
		}, []string{"MaxTokenTTL: -1s is negative", "Leeway: -1m0s is negative"}},
		{"a rotation interval within PublishAhead is refused", func(c *keys.Config) {
			c.RotationInterval = c.PublishAhead
		}, []string{"RotationInterval: 1h0m0s is not longer than PublishAhead"}},
		{"PublishAhead within RefreshInterval is refused", func(c *keys.Config) {
			c.PublishAhead, c.RefreshInterval = time.Minute, 2*time.Minute
		}, []string{"PublishAhead: 1m0s is not longer than RefreshInterval"}},
		{"a zero rotation interval turns rotation off", func(c *keys.Config) {
			c.RotationInterval = 0
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := keys.DefaultConfig()
			cfg.Store, cfg.KEK = st, kek
			tc.edit(&cfg)
			m, err := keys.New(cfg)
			if tc.want == nil {
				require.NoError(t, err)
				require.NotNil(t, m)
				return
			}
			require.ErrorIs(t, err, keys.ErrInvalidConfig)
			for _, part := range tc.want {
				require.ErrorContains(t, err, part)
			}
		})
	}
}

// TestAlgorithms takes a key of each algorithm through its whole storage
// round trip: generated, sealed, stored, reloaded by another instance, and
// signing tokens that verify against the published set, with jwx and with
// the standard library alone.
func TestAlgorithms(t *testing.T) {
	tests := []struct {
		name string
		alg  string
		bits int
	}{
		{"ES256 keys sign and verify", keys.ES256, keys.DefaultRSABits},
		{"EdDSA keys sign and verify", keys.EdDSA, keys.DefaultRSABits},
		{"RS256 keys sign and verify", keys.RS256, 2048},
		{"larger RS256 keys sign and verify", keys.RS256, 3072},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			forEachBackend(t, func(t *testing.T, db database) {
				testAlgorithm(t, db, tc.alg, tc.bits)
			})
		})
	}
}

func testAlgorithm(t *testing.T, db database, alg string, bits int) {
	kek, clk := newKEK(t), newClock()
	var logs bytes.Buffer
	withAlg := func(c *keys.Config) {
		c.Algorithm, c.RSABits = alg, bits
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	m := started(t, db.open(t), kek, clk, withAlg)

	// 1. Sign, verify with jwx and with the standard library.
	payload := []byte(`{"iss":"https://idp.example","sub":"agt_1"}`)
	token, kid, err := m.Sign(payload, keys.TypeAccessToken)
	require.NoError(t, err)
	set, err := m.PublicJWKS()
	require.NoError(t, err)
	got, err := jws.Verify(token, jws.WithKeySet(set))
	require.NoError(t, err)
	require.Equal(t, payload, got)
	header, _ := verifyStdlib(t, m.JWKS(), token)
	require.Equal(t, map[string]any{"alg": alg, "kid": kid, "typ": "at+jwt"}, header)

	// 2. Another instance loads the key from the store and signs with it.
	other := started(t, db.open(t), kek, clk, withAlg)
	token2, kid2, err := other.Sign([]byte(`{}`), keys.TypeJWT)
	require.NoError(t, err)
	require.Equal(t, kid, kid2)
	_, err = jws.Verify(token2, jws.WithKeySet(set))
	require.NoError(t, err)

	// 3. The stored row holds the key sealed and nowhere in clear, and
	// neither do the logs.
	row := onlyRow(t, db.open(t))
	require.Equal(t, alg, row.Algorithm)
	require.Equal(t, kek.ID(), row.KEKID)
	der, err := kek.Open(row.Sealed, keys.KeyAAD(row.KID, row.Algorithm))
	require.NoError(t, err)
	secrets := privateParts(t, der, bits)
	requireNoSecret(t, db.dump(t), secrets...)
	requireNoSecret(t, logs.Bytes(), secrets...)
}

// onlyRow returns the one signing key stored.
func onlyRow(t *testing.T, st store.Store) store.SigningKey {
	t.Helper()
	rows, err := st.ListSigningKeys(t.Context())
	require.NoError(t, err)
	require.Len(t, rows, 1)
	return rows[0]
}

// privateParts returns the PKCS #8 encoding of a private key and the
// secret numbers inside it, checking an RSA key's size on the way.
func privateParts(t *testing.T, der []byte, rsaBits int) [][]byte {
	t.Helper()
	priv, err := x509.ParsePKCS8PrivateKey(der)
	require.NoError(t, err)

	parts := [][]byte{der}
	switch k := priv.(type) {
	case *ecdsa.PrivateKey:
		d, err := k.Bytes()
		require.NoError(t, err)
		parts = append(parts, d)
	case ed25519.PrivateKey:
		parts = append(parts, k.Seed())
	case *rsa.PrivateKey:
		require.Equal(t, rsaBits, k.N.BitLen())
		parts = append(parts, k.D.Bytes(), k.Primes[0].Bytes(), k.Primes[1].Bytes())
	default:
		t.Fatalf("unexpected key type %T", priv)
	}
	return parts
}

func TestWrongKEKFailsToOpen(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db database) {
		clk := newClock()
		first := started(t, db.open(t), newKEK(t), clk, nil)
		kid := signingKID(t, first)

		otherKEK := newKEK(t)
		second := newManager(t, db.open(t), otherKEK, clk, nil)
		err := second.Start(t.Context())
		require.ErrorIs(t, err, keys.ErrWrongKEK)
		require.ErrorContains(t, err, kid)
		require.ErrorContains(t, err, otherKEK.ID())

		_, _, err = second.Sign([]byte(`{}`), keys.TypeJWT)
		require.ErrorIs(t, err, keys.ErrKeyUnavailable, "fails closed")
		require.Equal(t, []string{kid}, publishedKIDs(t, second.JWKS()),
			"the public key is still published")
	})
}

// TestSwappedSealedKeysFail exchanges the sealed private keys of two rows,
// as someone with write access to the database might: neither opens.
func TestSwappedSealedKeysFail(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db database) {
		ctx := t.Context()
		kek, clk, st := newKEK(t), newClock(), db.open(t)
		m := started(t, st, kek, clk, nil)
		_, err := m.Rotate(ctx, false)
		require.NoError(t, err)

		err = st.WithTx(ctx, func(tx store.Tx) error {
			rows, err := tx.ListSigningKeys(ctx)
			require.NoError(t, err)
			require.Len(t, rows, 2)
			rows[0].Sealed, rows[1].Sealed = rows[1].Sealed, rows[0].Sealed
			require.NoError(t, tx.UpdateSigningKey(ctx, rows[0]))
			return tx.UpdateSigningKey(ctx, rows[1])
		})
		require.NoError(t, err)

		err = newManager(t, db.open(t), kek, clk, nil).Start(ctx)
		require.ErrorIs(t, err, keys.ErrTampered)
	})
}

func TestNothingWorksBeforeStart(t *testing.T) {
	m := newManager(t, newSQLite(t).open(t), newKEK(t), newClock(), nil)

	_, _, err := m.Sign([]byte(`{}`), keys.TypeJWT)
	require.ErrorIs(t, err, keys.ErrNotStarted)
	require.ErrorIs(t, m.Run(context.Background()), keys.ErrNotStarted)
	require.JSONEq(t, `{"keys":[]}`, string(m.JWKS()))
	require.Empty(t, m.Keys())
}

// TestLostKEKIsRecoveredByImmediateRotation replaces a KEK that was lost:
// an immediate rotation under the new KEK needs no key it cannot open, and
// the old keys, retired, are never opened again.
func TestLostKEKIsRecoveredByImmediateRotation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, db database) {
		ctx := t.Context()
		clk := newClock()
		lost := signingKID(t, started(t, db.open(t), newKEK(t), clk, nil))

		m := newManager(t, db.open(t), newKEK(t), clk, nil)
		require.ErrorIs(t, m.Start(ctx), keys.ErrWrongKEK)
		fresh, err := m.Rotate(ctx, true)
		require.NoError(t, err)
		require.NoError(t, m.Start(ctx))
		require.Equal(t, fresh, signingKID(t, m))
		require.NoError(t, m.Remove(ctx, lost))
		require.Equal(t, []string{fresh}, publishedKIDs(t, m.JWKS()))
	})
}
