package keys_test

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/keys"
)

func TestParseKEK(t *testing.T) {
	raw := make([]byte, keys.KEKSize)
	_, _ = rand.Read(raw)
	want, err := keys.NewKEK(raw)
	require.NoError(t, err)

	tests := []struct {
		name    string
		encoded string
		wantErr bool
	}{
		{"standard base64 is read", base64.StdEncoding.EncodeToString(raw), false},
		{"unpadded base64 is read", base64.RawStdEncoding.EncodeToString(raw), false},
		{"url-safe base64 is read", base64.URLEncoding.EncodeToString(raw), false},
		{"surrounding white space is ignored",
			"  " + base64.StdEncoding.EncodeToString(raw) + "\n", false},
		{"a 16-byte key is refused", base64.StdEncoding.EncodeToString(raw[:16]), true},
		{"a 33-byte key is refused", base64.StdEncoding.EncodeToString(append(raw, 1)), true},
		{"text that is not base64 is refused", "not base64 at all!", true},
		{"an empty value is refused", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := keys.ParseKEK(tc.encoded)
			if tc.wantErr {
				require.ErrorIs(t, err, keys.ErrInvalidKEK)
				if tc.encoded != "" {
					require.NotContains(t, err.Error(), tc.encoded, "the value is never quoted")
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, want.ID(), got.ID())
		})
	}
}

func TestKEKIDIsAFingerprint(t *testing.T) {
	a, b := newKEK(t), newKEK(t)
	require.Len(t, a.ID(), 16)
	require.NotEqual(t, a.ID(), b.ID())

	raw := make([]byte, keys.KEKSize)
	again1, err := keys.NewKEK(raw)
	require.NoError(t, err)
	again2, err := keys.NewKEK(raw)
	require.NoError(t, err)
	require.Equal(t, again1.ID(), again2.ID(), "the same key has the same id")
}

func TestGenerateKEKFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kek")
	made, err := keys.GenerateKEKFile(path)
	require.NoError(t, err)

	info, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, fs.FileMode(0o600), info.Mode().Perm(), "readable by its owner only")

	loaded, err := keys.LoadKEKFile(path)
	require.NoError(t, err)
	require.Equal(t, made.ID(), loaded.ID())

	before, err := os.ReadFile(path)
	require.NoError(t, err)
	_, err = keys.GenerateKEKFile(path)
	require.ErrorIs(t, err, fs.ErrExist, "an existing file is never overwritten")
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, before, after)
}

func TestLoadKEKFileRefusesBadFiles(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		content []byte
		want    error
	}{
		{"a file of raw bytes is refused", bytes.Repeat([]byte{0xff}, keys.KEKSize),
			keys.ErrInvalidKEK},
		{"a short key is refused", []byte(base64.StdEncoding.EncodeToString(make([]byte, 16))),
			keys.ErrInvalidKEK},
		{"a huge file is refused", bytes.Repeat([]byte("A"), 4096), keys.ErrInvalidKEK},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, fmt.Sprintf("kek-%d", i))
			require.NoError(t, os.WriteFile(path, tc.content, 0o600))
			_, err := keys.LoadKEKFile(path)
			require.ErrorIs(t, err, tc.want)
		})
	}

	_, err := keys.LoadKEKFile(filepath.Join(dir, "missing"))
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// TestKEKPrintsOnlyItsID formats and logs a KEK every way there is and
// looks for its key in the output.
func TestKEKPrintsOnlyItsID(t *testing.T) {
	raw := make([]byte, keys.KEKSize)
	_, _ = rand.Read(raw)
	kek, err := keys.NewKEK(raw)
	require.NoError(t, err)

	var out bytes.Buffer
	fmt.Fprintf(&out, "%v %+v %#v %s\n", kek, kek, kek, kek)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("loaded", "kek", kek)
	slog.New(slog.NewTextHandler(&out, nil)).Info("loaded", "kek", kek)

	require.Contains(t, out.String(), kek.ID())
	requireNoSecret(t, out.Bytes(), raw)
}
