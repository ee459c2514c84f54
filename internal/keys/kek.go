package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// KEKSize is the length of a key-encryption key: an AES-256 key.
const KEKSize = 32

// kekIDSize is how many bytes of the KEK's fingerprint make its id.
const kekIDSize = 8

// kekIDLabel sets the KEK fingerprint apart from any other hash of the same
// bytes.
const kekIDLabel = "agentidp kek id v1\x00"

// maxKEKFile bounds what LoadKEKFile reads: a KEK file holds one line.
const maxKEKFile = 1024

// ErrInvalidKEK means the material offered as a KEK is not 32 bytes, or
// not base64 where base64 was expected.
var ErrInvalidKEK = errors.New("keys: key-encryption key must be 32 bytes, base64-encoded")

// KEK is the key-encryption key: the AES-256 key that wraps the data key of
// every sealed signing key. It is safe for concurrent use.
//
// Its id, a fingerprint, is the only thing about it that is ever printed:
// KEK implements slog.LogValuer, fmt.Stringer and fmt.GoStringer to that
// end, and holds its key only inside the cipher.
type KEK struct {
	id   [kekIDSize]byte
	aead cipher.AEAD
}

// NewKEK returns the KEK of the 32 bytes raw. It keeps no reference to raw,
// which the caller may clear.
func NewKEK(raw []byte) (*KEK, error) {
	if len(raw) != KEKSize {
		return nil, fmt.Errorf("%w: got %d bytes", ErrInvalidKEK, len(raw))
	}

	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("new key-encryption key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("new key-encryption key: %w", err)
	}

	k := &KEK{aead: aead}
	h := sha256.New()
	h.Write([]byte(kekIDLabel))
	h.Write(raw)
	copy(k.id[:], h.Sum(nil))
	return k, nil
}

// ParseKEK returns the KEK encoded in base64 (standard or URL alphabet,
// padded or not), as an environment variable carries it. Surrounding
// white space is ignored.
func ParseKEK(encoded string) (*KEK, error) {
	raw, err := decodeKEK(strings.TrimSpace(encoded))
	if err != nil {
		return nil, err
	}
	defer clear(raw)
	return NewKEK(raw)
}

// decodeKEK decodes base64 in any of its common forms. Its errors never
// quote the input.
func decodeKEK(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding,
		base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil {
			return raw, nil
		}
	}
	return nil, fmt.Errorf("%w: not base64", ErrInvalidKEK)
}

// LoadKEKFile reads a KEK file: one line of base64, as GenerateKEKFile
// writes it.
func LoadKEKFile(path string) (*KEK, error) {
	f, err := os.Open(path) //nolint:gosec // G304: the operator names the file.
	if err != nil {
		return nil, fmt.Errorf("load key-encryption key: %w", err)
	}
	defer f.Close()

	b, err := io.ReadAll(io.LimitReader(f, maxKEKFile+1))
	if err != nil {
		return nil, fmt.Errorf("load key-encryption key %q: %w", path, err)
	}
	defer clear(b)
	if len(b) > maxKEKFile {
		return nil, fmt.Errorf("load key-encryption key %q: %w: file too long", path,
			ErrInvalidKEK)
	}

	k, err := ParseKEK(string(b))
	if err != nil {
		return nil, fmt.Errorf("load key-encryption key %q: %w", path, err)
	}
	return k, nil
}

// GenerateKEKFile creates a new random KEK in a file of its own, readable
// by its owner only (0600), and returns it. It never overwrites: when path
// exists the error satisfies errors.Is(err, fs.ErrExist).
//
// It is meant for `agentidp dev`; a production KEK comes from the
// operator's secret store.
func GenerateKEKFile(path string) (*KEK, error) {
	raw := make([]byte, KEKSize)
	defer clear(raw)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate key-encryption key: %w", err)
	}
	k, err := NewKEK(raw)
	if err != nil {
		return nil, err
	}

	if err := writeNew(path, []byte(base64.StdEncoding.EncodeToString(raw)+"\n")); err != nil {
		return nil, fmt.Errorf("generate key-encryption key: %w", err)
	}
	return k, nil
}

// writeNew writes b to a file that must not exist yet, removing what it
// wrote when it fails halfway.
func writeNew(path string, b []byte) error {
	defer clear(b)
	//nolint:gosec // G304: the caller names the file.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}

	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
		return fmt.Errorf("write %q: %w", path, err)
	}
	return nil
}

// ID returns the KEK's id: 16 hex digits of a SHA-256 fingerprint of it,
// safe to log and to store beside what it sealed.
func (k *KEK) ID() string {
	return hex.EncodeToString(k.id[:])
}

// LogValue implements slog.LogValuer: a KEK logs as its id.
func (k *KEK) LogValue() slog.Value {
	return slog.GroupValue(slog.String(logKEKID, k.ID()))
}

// String implements fmt.Stringer, so that %v and %s print the id only.
func (k *KEK) String() string {
	return "KEK(" + k.ID() + ")"
}

// GoString implements fmt.GoStringer, so that %#v prints the id only.
func (k *KEK) GoString() string {
	return k.String()
}
