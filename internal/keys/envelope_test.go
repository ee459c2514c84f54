package keys_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/keys"
)

func TestSealOpensWithItsKEKAndPurpose(t *testing.T) {
	kek := newKEK(t)
	secret := []byte("a private key, as DER")
	aad := []byte("row 1")

	sealed, err := kek.Seal(secret, aad)
	require.NoError(t, err)
	require.False(t, bytes.Contains(sealed, secret), "the plaintext is not in the envelope")

	opened, err := kek.Open(sealed, aad)
	require.NoError(t, err)
	require.Equal(t, secret, opened)

	again, err := kek.Seal(secret, aad)
	require.NoError(t, err)
	require.NotEqual(t, sealed, again, "every seal uses a fresh data key and nonces")
}

func TestOpenRefusesWhatItShouldNot(t *testing.T) {
	kek, other := newKEK(t), newKEK(t)
	aad := []byte("row 1")
	sealed, err := kek.Seal([]byte("a private key, as DER"), aad)
	require.NoError(t, err)

	// flip returns sealed with one bit flipped at offset i.
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name   string
		kek    *keys.KEK
		sealed []byte
		aad    []byte
		want   error
	}{
		{"another KEK is refused", other, sealed, aad, keys.ErrWrongKEK},
		{"another row's data is refused", kek, sealed, []byte("row 2"), keys.ErrTampered},
		{"no additional data is refused", kek, sealed, nil, keys.ErrTampered},
		{"a changed KEK id is refused", kek, flip(1), aad, keys.ErrWrongKEK},
		{"a changed wrapping nonce is refused", kek, flip(10), aad, keys.ErrTampered},
		{"a changed wrapped data key is refused", kek, flip(30), aad, keys.ErrTampered},
		{"a changed data nonce is refused", kek, flip(70), aad, keys.ErrTampered},
		{"a changed ciphertext is refused", kek, flip(len(sealed) - 20), aad, keys.ErrTampered},
		{"a changed tag is refused", kek, flip(len(sealed) - 1), aad, keys.ErrTampered},
		{"an unknown version is refused", kek, flip(0), aad, keys.ErrMalformed},
		{"a truncated envelope is refused", kek, sealed[:40], aad, keys.ErrMalformed},
		{"nothing is refused", kek, nil, aad, keys.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.kek.Open(tc.sealed, tc.aad)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestWrongKEKErrorNamesBothIDs(t *testing.T) {
	kek, other := newKEK(t), newKEK(t)
	sealed, err := kek.Seal([]byte("x"), nil)
	require.NoError(t, err)

	_, err = other.Open(sealed, nil)
	require.ErrorIs(t, err, keys.ErrWrongKEK)
	require.Contains(t, err.Error(), kek.ID())
	require.Contains(t, err.Error(), other.ID())
}
