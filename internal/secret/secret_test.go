package secret

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func testHasher(t testing.TB) *Hasher {
	t.Helper()
	h, err := NewHasher([]byte(strings.Repeat("k", MinKeyBytes)))
	require.NoError(t, err)
	return h
}

func TestNewHasherRefusesShortKeys(t *testing.T) {
	_, err := NewHasher(make([]byte, MinKeyBytes-1))
	require.Error(t, err)
}

func TestHashIsKeyed(t *testing.T) {
	a := testHasher(t)
	b, err := NewHasher([]byte(strings.Repeat("x", MinKeyBytes)))
	require.NoError(t, err)

	s := Random()
	require.Len(t, a.Hash(s), 64)
	require.NotEqual(t, a.Hash(s), b.Hash(s))
	require.NotContains(t, a.Hash(s), s)
	require.True(t, a.Matches(s, a.Hash(s)))
	require.False(t, a.Matches(s, b.Hash(s)))
	require.False(t, a.Matches(s+"x", a.Hash(s)))
	require.False(t, a.Matches(s, ""))
}

func TestRandomHas256Bits(t *testing.T) {
	s := Random()
	require.Len(t, s, 43)
	require.NotEqual(t, s, Random())
}

func TestParseKey(t *testing.T) {
	key := NewKey("key_123")
	tests := []struct {
		name   string
		key    string
		wantID string
		ok     bool
	}{
		{"a generated key parses to its id", key, "key_123", true},
		{"an empty key is malformed", "", "", false},
		{"a foreign prefix is malformed", "sk." + key[5:], "", false},
		{"a missing id is malformed", "aidp.." + Random(), "", false},
		{"a short secret is malformed", "aidp.key_1.abc", "", false},
		{"an extra part is malformed", key + ".x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, err := ParseKey(tt.key)
			if !tt.ok {
				require.ErrorIs(t, err, ErrMalformed)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.wantID, id)
		})
	}
}

func TestParseKeyErrorNeverHoldsTheKey(t *testing.T) {
	bad := "aidp.key_1." + strings.Repeat("s", 10)
	_, err := ParseKey(bad)
	require.NotContains(t, err.Error(), bad)
	require.NotContains(t, err.Error(), "ssss")
}

func FuzzParseKey(f *testing.F) {
	f.Add(NewKey("key_01"))
	f.Add("aidp...")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseKey(s)
		if err != nil {
			require.Empty(t, id)
			return
		}
		require.NotEmpty(t, id)
		require.True(t, strings.HasPrefix(s, "aidp."+id+"."))
	})
}
