package agentcard

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStatusListRoundTrip(t *testing.T) {
	set := []int64{0, 7, 8, 1000, ListBits - 1}
	enc, err := encodeStatusList(set)
	require.NoError(t, err)
	require.Equal(t, byte('u'), enc[0], "multibase base64url")

	bits, err := DecodeStatusList(enc)
	require.NoError(t, err)
	require.Len(t, bits, ListBits/8)
	require.Equal(t, byte(0x81), bits[0], "bit 0 is the left-most bit")
	require.Equal(t, byte(0x80), bits[1])
	for _, i := range []int64{0, 1, 6, 7, 8, 9, 999, 1000, 1001, ListBits - 1} {
		got, err := StatusBit(enc, i)
		require.NoError(t, err)
		want := i == 0 || i == 7 || i == 8 || i == 1000 || i == ListBits-1
		require.Equal(t, want, got, "bit %d", i)
	}

	_, err = StatusBit(enc, ListBits)
	require.ErrorIs(t, err, ErrInvalidStatusList)
	_, err = encodeStatusList([]int64{ListBits})
	require.Error(t, err)
}

func gzipped(b []byte) string {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes())
}

func TestDecodeStatusListRefuses(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"a value without multibase prefix is refused", "H4sI"},
		{"a value that is not base64url is refused", "u!!!"},
		{"a value that is not gzip is refused",
			"u" + base64.RawURLEncoding.EncodeToString([]byte("plain"))},
		{"a list that inflates too far is refused", gzipped(make([]byte, maxListBytes+1))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeStatusList(tc.in)
			require.ErrorIs(t, err, ErrInvalidStatusList)
		})
	}
}

func FuzzStatusBit(f *testing.F) {
	enc, err := encodeStatusList([]int64{3})
	require.NoError(f, err)
	f.Add(enc, int64(3))
	f.Add("u", int64(0))
	f.Add(gzipped([]byte{0xff}), int64(7))
	f.Fuzz(func(t *testing.T, encoded string, index int64) {
		set, err := StatusBit(encoded, index)
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidStatusList)
			require.False(t, set)
			return
		}
		bits, err := DecodeStatusList(encoded)
		require.NoError(t, err)
		require.Less(t, index, int64(len(bits))*8)
	})
}
