package keys_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/pgtest"
	"github.com/agentidp/agentidp/internal/store/postgres"
	"github.com/agentidp/agentidp/internal/store/sqlite"
	"github.com/agentidp/agentidp/internal/testclock"
)

// database is one test database that several instances open, each with a
// store handle of its own.
type database struct {
	// open returns a new migrated handle, closed when t ends.
	open func(t *testing.T) store.Store
	// dump returns the bytes the database holds, as stored.
	dump func(t *testing.T) []byte
}

// backends are the databases every test of the Manager runs on.
var backends = []struct {
	name string
	new  func(t *testing.T) database
}{
	{"sqlite", newSQLite},
	{"postgres", newPostgres},
}

// forEachBackend runs test once per backend, on a fresh database.
func forEachBackend(t *testing.T, test func(t *testing.T, db database)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			test(t, b.new(t))
		})
	}
}

func newSQLite(t *testing.T) database {
	path := filepath.Join(t.TempDir(), "agentidp.db")
	open := func(t *testing.T) store.Store {
		st, err := sqlite.Open(context.Background(), path)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, st.Close()) })
		require.NoError(t, st.Migrate(context.Background()))
		return st
	}
	// The whole database: the main file and its write-ahead log.
	dump := func(t *testing.T) []byte {
		var all []byte
		for _, suffix := range []string{"", "-wal"} {
			b, err := os.ReadFile(path + suffix)
			if err == nil {
				all = append(all, b...)
			}
		}
		require.NotEmpty(t, all)
		return all
	}
	return database{open: open, dump: dump}
}

func newPostgres(t *testing.T) database {
	url, schema := pgtest.New(t)
	open := func(t *testing.T) store.Store {
		cfg := postgres.Config{URL: url, Schema: schema}
		st, err := postgres.Open(context.Background(), cfg)
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, st.Close()) })
		require.NoError(t, st.Migrate(context.Background()))
		return st
	}
	// Every signing key row, each column in its stored text form.
	dump := func(t *testing.T) []byte {
		conn, err := pgx.Connect(t.Context(), url)
		require.NoError(t, err)
		defer conn.Close(context.Background())
		rows, err := conn.Query(t.Context(), "SELECT s::text FROM "+
			pgx.Identifier{schema, "signing_keys"}.Sanitize()+" s")
		require.NoError(t, err)
		all, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err)
		require.NotEmpty(t, all)
		return []byte(strings.Join(all, "\n"))
	}
	return database{open: open, dump: dump}
}

// clock is the settable test clock.
type clock = testclock.Clock

// t0 is where every fake clock starts.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func newClock() *clock {
	return testclock.New(t0)
}

// newKEK returns a fresh random KEK.
func newKEK(t testing.TB) *keys.KEK {
	raw := make([]byte, keys.KEKSize)
	_, _ = rand.Read(raw)
	k, err := keys.NewKEK(raw)
	require.NoError(t, err)
	return k
}

// newManager returns a Manager on st with the defaults, the given KEK and
// clock, changed by edit when it is not nil. It logs to the test's output.
func newManager(t testing.TB, st store.Store, kek *keys.KEK, clk *clock,
	edit func(*keys.Config)) *keys.Manager {
	t.Helper()
	cfg := keys.DefaultConfig()
	cfg.Store, cfg.KEK, cfg.Now = st, kek, clk.Now
	cfg.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	if edit != nil {
		edit(&cfg)
	}
	m, err := keys.New(cfg)
	require.NoError(t, err)
	return m
}

// started returns a started Manager.
func started(t *testing.T, st store.Store, kek *keys.KEK, clk *clock,
	edit func(*keys.Config)) *keys.Manager {
	t.Helper()
	m := newManager(t, st, kek, clk, edit)
	require.NoError(t, m.Start(t.Context()))
	return m
}

// signingKID returns the kid the Manager signs with now, checking on the
// way that what it signs verifies against what it publishes.
func signingKID(t *testing.T, m *keys.Manager) string {
	t.Helper()
	token, kid, err := m.Sign([]byte(`{"sub":"agt_1"}`), keys.TypeAccessToken)
	require.NoError(t, err)
	header, payload := verifyStdlib(t, m.JWKS(), token)
	require.Equal(t, kid, header["kid"])
	require.JSONEq(t, `{"sub":"agt_1"}`, string(payload))
	return kid
}

// publishedKIDs returns the kids of a JWKS, in its order.
func publishedKIDs(t *testing.T, jwks []byte) []string {
	t.Helper()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(jwks, &set))
	kids := []string{}
	for _, k := range set.Keys {
		require.Equal(t, "sig", k["use"], "key %s", k["kid"])
		require.NotEmpty(t, k["alg"], "key %s", k["kid"])
		require.Empty(t, k["d"], "no private part is published")
		kids = append(kids, k["kid"])
	}
	return kids
}

// verifyStdlib verifies a compact JWS with the standard library alone,
// taking the key named by its kid from the JWKS JSON, and returns its
// header and payload.
func verifyStdlib(t *testing.T, jwks, token []byte) (map[string]any, []byte) {
	t.Helper()
	parts := bytes.Split(token, []byte("."))
	require.Len(t, parts, 3)
	var header map[string]any
	require.NoError(t, json.Unmarshal(b64(t, string(parts[0])), &header))
	payload, sig := b64(t, string(parts[1])), b64(t, string(parts[2]))

	jwk := findJWK(t, jwks, header["kid"])
	require.Equal(t, jwk["alg"], header["alg"])
	input := token[:len(parts[0])+1+len(parts[1])]
	digest := sha256.Sum256(input)

	switch jwk["kty"] {
	case "EC":
		require.Equal(t, "P-256", jwk["crv"])
		point := append(append([]byte{4}, b64(t, jwk["x"])...), b64(t, jwk["y"])...)
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
		require.NoError(t, err)
		require.Len(t, sig, 64)
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		require.True(t, ecdsa.Verify(pub, digest[:], r, s), "ES256 signature")
	case "OKP":
		require.Equal(t, "Ed25519", jwk["crv"])
		pub := ed25519.PublicKey(b64(t, jwk["x"]))
		require.True(t, ed25519.Verify(pub, input, sig), "EdDSA signature")
	case "RSA":
		pub := &rsa.PublicKey{N: bigInt(t, jwk["n"]), E: int(bigInt(t, jwk["e"]).Int64())}
		require.NoError(t, rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig))
	default:
		t.Fatalf("unexpected key type %q", jwk["kty"])
	}
	return header, payload
}

// findJWK returns the JWK of the given kid in a JWKS.
func findJWK(t *testing.T, jwks []byte, kid any) map[string]string {
	t.Helper()
	var set struct {
		Keys []map[string]string `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(jwks, &set))
	for _, k := range set.Keys {
		if k["kid"] == kid {
			return k
		}
	}
	t.Fatalf("kid %v is not published", kid)
	return nil
}

func b64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	require.NoError(t, err)
	return b
}

func bigInt(t *testing.T, s string) *big.Int {
	return new(big.Int).SetBytes(b64(t, s))
}

// states returns the states of the listed keys, in order.
func states(infos []keys.KeyInfo) []store.SigningKeyState {
	out := []store.SigningKeyState{}
	for _, k := range infos {
		out = append(out, k.State)
	}
	return out
}

// kids returns the kids of the listed keys, in order.
func kids(infos []keys.KeyInfo) []string {
	out := []string{}
	for _, k := range infos {
		out = append(out, k.KID)
	}
	return out
}

// requireNoSecret fails when out holds any of the secrets, raw, in hex or
// in any base64 alphabet.
func requireNoSecret(t *testing.T, out []byte, secrets ...[]byte) {
	t.Helper()
	for i, s := range secrets {
		require.NotEmpty(t, s)
		forms := [][]byte{s,
			[]byte(hex.EncodeToString(s)),
			[]byte(strings.ToUpper(hex.EncodeToString(s))),
			[]byte(base64.StdEncoding.EncodeToString(s)),
			[]byte(base64.RawStdEncoding.EncodeToString(s)),
			[]byte(base64.URLEncoding.EncodeToString(s)),
			[]byte(base64.RawURLEncoding.EncodeToString(s)),
		}
		for j, form := range forms {
			require.False(t, bytes.Contains(out, form), "secret %d found in form %d", i, j)
		}
	}
}
