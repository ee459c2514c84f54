package did

import (
	"crypto/ed25519"
	"crypto/elliptic"
	"errors"
	"fmt"
)

// Multicodec codes of the public keys did:key carries (the multicodec
// table's ed25519-pub, p256-pub and p384-pub).
const (
	codecEd25519 = 0xed
	codecP256    = 0x1200
	codecP384    = 0x1201
)

// maxKeyID bounds a did:key method-specific id: the largest key decoded
// here (a compressed P-384 point) is well under it.
const maxKeyID = 128

// Errors of did:key decoding, beside ErrInvalidDID.
var (
	// ErrInvalidPublicKey means the key bytes are not a point or key of
	// their type.
	ErrInvalidPublicKey = errors.New("invalid public key")
	// ErrUnsupportedKeyType means the multicodec names a key type this
	// package does not decode.
	ErrUnsupportedKeyType = errors.New("unsupported public key type")
)

// keyDocument decodes a did:key (did:key method specification, section
// 3.1.2: the multibase base58btc of a multicodec-prefixed public key) and
// returns its document: one Multikey verification method, used for every
// verification relationship. keyAgreement keys derived from Ed25519 are
// not produced.
func keyDocument(d DID) (*Document, error) {
	mb := d.ID
	if len(mb) > maxKeyID || len(mb) < 2 || mb[0] != 'z' {
		return nil, fmt.Errorf("%w: did:key must be a base58btc multibase value", ErrInvalidDID)
	}
	raw, err := decodeBase58(mb[1:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDID, err)
	}
	codec, key, err := readUvarint(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDID, err)
	}
	if err := checkKey(codec, key); err != nil {
		return nil, err
	}

	did := d.String()
	vmID := did + "#" + mb
	refs := []string{vmID}
	return &Document{
		Context: []string{ContextDIDv1, ContextMultikey},
		ID:      did,
		VerificationMethod: []VerificationMethod{{
			ID: vmID, Type: TypeMultikey, Controller: did, PublicKeyMultibase: mb,
		}},
		Authentication: refs, AssertionMethod: refs,
		CapabilityInvocation: refs, CapabilityDelegation: refs,
	}, nil
}

// checkKey checks that key is a public key of the codec's type.
func checkKey(codec uint64, key []byte) error {
	switch codec {
	case codecEd25519:
		if len(key) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: an Ed25519 key has %d bytes", ErrInvalidPublicKey,
				ed25519.PublicKeySize)
		}
		return nil
	case codecP256, codecP384:
		curve := elliptic.P256()
		if codec == codecP384 {
			curve = elliptic.P384()
		}
		if x, _ := elliptic.UnmarshalCompressed(curve, key); x == nil {
			return fmt.Errorf("%w: not a compressed point of %s", ErrInvalidPublicKey,
				curve.Params().Name)
		}
		return nil
	default:
		return fmt.Errorf("%w: multicodec 0x%x", ErrUnsupportedKeyType, codec)
	}
}

// readUvarint reads the unsigned varint (multiformats unsigned-varint, at
// most 9 bytes) that prefixes b and returns it with the rest of b.
func readUvarint(b []byte) (uint64, []byte, error) {
	var v uint64
	for i := 0; i < len(b) && i < 9; i++ {
		v |= uint64(b[i]&0x7f) << (7 * i)
		if b[i]&0x80 == 0 {
			if i > 0 && b[i] == 0 {
				return 0, nil, errors.New("multicodec varint is not minimal")
			}
			return v, b[i+1:], nil
		}
	}
	return 0, nil, errors.New("bad multicodec varint")
}

// base58Alphabet is the Bitcoin base58 alphabet of multibase base58btc.
const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

var base58Index = func() [256]int8 {
	var idx [256]int8
	for i := range idx {
		idx[i] = -1
	}
	for i := range len(base58Alphabet) {
		idx[base58Alphabet[i]] = int8(i)
	}
	return idx
}()

// decodeBase58 decodes base58btc. The input is bounded by the caller, so
// the quadratic big-number loop stays small.
func decodeBase58(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty base58 value")
	}
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	// Little-endian base-256 digits of the number.
	var num []byte
	for i := zeros; i < len(s); i++ {
		d := base58Index[s[i]]
		if d < 0 {
			return nil, errors.New("not base58")
		}
		carry := int(d)
		for j := range num {
			carry += int(num[j]) * 58
			num[j] = byte(carry & 0xff)
			carry >>= 8
		}
		for carry > 0 {
			num = append(num, byte(carry&0xff))
			carry >>= 8
		}
	}
	out := make([]byte, zeros, zeros+len(num))
	for i := len(num) - 1; i >= 0; i-- {
		out = append(out, num[i])
	}
	return out, nil
}
