package did_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store/testdb"
	"github.com/agentidp/agentidp/issuer/did"
)

// base58 encodes b in the Bitcoin alphabet, the slow and obvious way.
func base58(b []byte) string {
	const alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	n := new(big.Int).SetBytes(b)
	var out []byte
	for mod := new(big.Int); n.Sign() > 0; {
		n.DivMod(n, big.NewInt(58), mod)
		out = append([]byte{alphabet[mod.Int64()]}, out...)
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append([]byte{'1'}, out...)
	}
	return string(out)
}

// compress returns the SEC 1 compressed form of an ECDSA public key: the
// parity of y, then x.
func compress(t *testing.T, pub *ecdsa.PublicKey) []byte {
	b, err := pub.Bytes()
	require.NoError(t, err)
	size := (len(b) - 1) / 2
	return append([]byte{0x02 | b[len(b)-1]&1}, b[1:1+size]...)
}

// didKey returns the did:key of a multicodec-prefixed key.
func didKey(prefix, key []byte) string {
	return "did:key:z" + base58(append(append([]byte{}, prefix...), key...))
}

func TestResolveDIDKey(t *testing.T) {
	edPub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	p256 := compress(t, &ec.PublicKey)
	ec384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	p384 := compress(t, &ec384.PublicKey)
	// An x beyond the field's prime is no point at all.
	badPoint := append([]byte{0x02}, bytes.Repeat([]byte{0xff}, 32)...)

	e := newEnv(t, testdb.SQLite(t), nil)
	tests := []struct {
		name string
		did  string
		code string
	}{
		{"an Ed25519 did:key resolves", didKey([]byte{0xed, 0x01}, edPub), ""},
		{"a P-256 did:key resolves", didKey([]byte{0x80, 0x24}, p256), ""},
		{"a P-384 did:key resolves", didKey([]byte{0x81, 0x24}, p384), ""},
		{"a well-known did:key resolves",
			"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", ""},
		{"a short Ed25519 key is invalid", didKey([]byte{0xed, 0x01}, edPub[:31]),
			did.CodeInvalidPublicKey},
		{"a point off the curve is invalid", didKey([]byte{0x80, 0x24}, badPoint),
			did.CodeInvalidPublicKey},
		{"an X25519 key is not supported", didKey([]byte{0xec, 0x01}, edPub),
			did.CodeUnsupportedPublicKeyType},
		{"a value that is not base58btc is invalid", "did:key:z0OIl", did.CodeInvalidDID},
		{"a value without multibase prefix is invalid", "did:key:6Mkhaa", did.CodeInvalidDID},
		{"a truncated varint is invalid", didKey([]byte{0x80}, nil), did.CodeInvalidDID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := e.resolve(t, tc.did)
			require.Equal(t, tc.code, res.Meta.Error)
			if tc.code != "" {
				require.Less(t, res.status, 500)
				return
			}
			require.Equal(t, 200, res.status)
			doc, err := did.ParseDocument(res.Document, tc.did)
			require.NoError(t, err)
			require.Len(t, doc.VerificationMethod, 1)
			vmID := doc.VerificationMethod[0].ID
			require.Equal(t, did.TypeMultikey, doc.VerificationMethod[0].Type)
			require.Equal(t, []string{vmID}, doc.AssertionMethod)
			require.Equal(t, []string{vmID}, doc.Authentication)
			require.Equal(t, tc.did[len("did:key:"):], doc.VerificationMethod[0].PublicKeyMultibase)
		})
	}
}
