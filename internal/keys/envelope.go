package keys

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// The sealed form (envelope) of version 1, in bytes:
//
//	[0]       version, 1
//	[1:9]     id of the KEK that wrapped the data key
//	[9:21]    nonce of the wrapping
//	[21:69]   the 32-byte data key, AES-256-GCM under the KEK (with its tag)
//	[69:81]   nonce of the data
//	[81:]     the plaintext, AES-256-GCM under the data key (with its tag)
//
// Both encryptions authenticate the first 9 bytes followed by the caller's
// additional data, so a sealed blob opens only with the KEK it names and
// only for the purpose (row) it was sealed for.
const (
	envelopeVersion = 1
	dekSize         = 32
	nonceSize       = 12
	tagSize         = 16
	headerSize      = 1 + kekIDSize
	wrappedSize     = nonceSize + dekSize + tagSize
	minSealedSize   = headerSize + wrappedSize + nonceSize + tagSize
)

// Errors of Open. None of them carries key material.
var (
	// ErrWrongKEK means the data was sealed under another KEK than the one
	// opening it.
	ErrWrongKEK = errors.New("keys: sealed under another key-encryption key")
	// ErrTampered means the sealed data does not authenticate: it was
	// altered, or moved from the row it was sealed for.
	ErrTampered = errors.New("keys: sealed data altered or moved")
	// ErrMalformed means the data is not an envelope this version reads.
	ErrMalformed = errors.New("keys: sealed data malformed")
)

// Seal encrypts plaintext under a fresh random 256-bit data key, itself
// encrypted (wrapped) under k, both with AES-256-GCM authenticating aad.
// Open must be given the same aad: it binds the result to its purpose.
func (k *KEK) Seal(plaintext, aad []byte) ([]byte, error) {
	dek := make([]byte, dekSize)
	defer clear(dek)
	if _, err := rand.Read(dek); err != nil {
		return nil, fmt.Errorf("seal: generate data key: %w", err)
	}
	data, err := newGCM(dek)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}

	out := make([]byte, headerSize, minSealedSize+len(plaintext))
	out[0] = envelopeVersion
	copy(out[1:headerSize], k.id[:])
	ad := associated(out[:headerSize], aad)

	out, err = appendSealed(out, k.aead, dek, ad)
	if err != nil {
		return nil, fmt.Errorf("seal: wrap data key: %w", err)
	}
	out, err = appendSealed(out, data, plaintext, ad)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return out, nil
}

// Open decrypts what Seal made under k with the same aad. The caller owns
// the plaintext and should clear it once used.
func (k *KEK) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < minSealedSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrMalformed, len(sealed))
	}
	if sealed[0] != envelopeVersion {
		return nil, fmt.Errorf("%w: unknown version %d", ErrMalformed, sealed[0])
	}
	if id := sealed[1:headerSize]; string(id) != string(k.id[:]) {
		return nil, fmt.Errorf("%w: sealed under %q, configured %q", ErrWrongKEK,
			hex.EncodeToString(id), k.ID())
	}
	ad := associated(sealed[:headerSize], aad)

	wrapped := sealed[headerSize : headerSize+wrappedSize]
	dek, err := k.aead.Open(nil, wrapped[:nonceSize], wrapped[nonceSize:], ad)
	if err != nil {
		return nil, ErrTampered
	}
	defer clear(dek)
	data, err := newGCM(dek)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}

	body := sealed[headerSize+wrappedSize:]
	plaintext, err := data.Open(nil, body[:nonceSize], body[nonceSize:], ad)
	if err != nil {
		return nil, ErrTampered
	}
	return plaintext, nil
}

// appendSealed appends a fresh nonce and the encryption of plaintext under
// it to out.
func appendSealed(out []byte, aead cipher.AEAD, plaintext, ad []byte) ([]byte, error) {
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("generate nonce: %w", err)
	}
	out = append(out, nonce...)
	return aead.Seal(out, nonce, plaintext, ad), nil
}

// associated returns the data both encryptions authenticate: the envelope
// header, then the caller's.
func associated(header, aad []byte) []byte {
	ad := make([]byte, 0, len(header)+len(aad))
	return append(append(ad, header...), aad...)
}

// newGCM returns AES-256-GCM under key.
func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
