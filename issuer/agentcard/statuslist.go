package agentcard

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// ListBits is the length of every status list: the 131,072 bits (16 KiB)
// that W3C Bitstring Status List section 6.1 asks as the minimum, so that
// the position of one agent's bit tells little about which agent it is.
const ListBits = 131072

// maxEncodedList bounds an encoded list DecodeStatusList reads, and
// maxListBytes the list it inflates to.
const (
	maxEncodedList = 1 << 20
	maxListBytes   = 16 << 20
)

// ErrInvalidStatusList is wrapped by every error of DecodeStatusList and
// StatusBit.
var ErrInvalidStatusList = errors.New("invalid status list")

// encodeStatusList returns the encodedList of a list of ListBits bits in
// which the bits at the given positions are set: the multibase base64url
// (prefix "u", no padding) of the GZIP-compressed bitstring, bit 0 being
// the left-most bit of the first byte (Bitstring Status List section 6.1).
func encodeStatusList(set []int64) (string, error) {
	bits := make([]byte, ListBits/8)
	for _, i := range set {
		if i < 0 || i >= ListBits {
			return "", fmt.Errorf("encode status list: position %d out of range", i)
		}
		bits[i/8] |= 0x80 >> (i % 8)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(bits); err != nil {
		return "", fmt.Errorf("encode status list: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("encode status list: %w", err)
	}
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// DecodeStatusList returns the bitstring of an encodedList, refusing one
// that is not multibase base64url GZIP or inflates beyond 16 MiB.
func DecodeStatusList(encoded string) ([]byte, error) {
	body, ok := bytes.CutPrefix([]byte(encoded), []byte("u"))
	if !ok || len(encoded) > maxEncodedList {
		return nil, fmt.Errorf("%w: not multibase base64url", ErrInvalidStatusList)
	}
	gz, err := base64.RawURLEncoding.DecodeString(string(body))
	if err != nil {
		return nil, fmt.Errorf("%w: not base64url", ErrInvalidStatusList)
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		return nil, fmt.Errorf("%w: not gzip", ErrInvalidStatusList)
	}
	bits, err := io.ReadAll(io.LimitReader(zr, maxListBytes+1))
	if err != nil || len(bits) > maxListBytes {
		return nil, fmt.Errorf("%w: bad or oversized gzip stream", ErrInvalidStatusList)
	}
	return bits, nil
}

// StatusBit reports whether the bit at index of an encodedList is set.
// An index beyond the list is an error: a verifier must not take it for
// an unset bit.
func StatusBit(encoded string, index int64) (bool, error) {
	bits, err := DecodeStatusList(encoded)
	if err != nil {
		return false, err
	}
	if index < 0 || index >= int64(len(bits))*8 {
		return false, fmt.Errorf("%w: index %d beyond the list", ErrInvalidStatusList, index)
	}
	return bits[index/8]&(0x80>>(index%8)) != 0, nil
}
