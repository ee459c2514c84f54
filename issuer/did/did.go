package did

import (
	"errors"
	"fmt"
	"strings"
)

// MaxLength bounds a DID this package parses. DID Core sets no limit; one
// is needed so that a caller cannot make the resolver work on megabytes.
const MaxLength = 2048

// Methods this package resolves.
const (
	MethodWeb = "web"
	MethodKey = "key"
)

// ErrInvalidDID is wrapped by every error of Parse.
var ErrInvalidDID = errors.New("invalid DID")

// DID is a parsed decentralised identifier: did:<method>:<id>.
type DID struct {
	// Method is the method name, lower-case letters and digits.
	Method string
	// ID is the method-specific identifier, still percent-encoded.
	ID string
}

// String returns the DID as it was parsed.
func (d DID) String() string {
	return "did:" + d.Method + ":" + d.ID
}

// Parse checks s against the DID syntax of DID Core section 3.1 and splits
// it. A DID URL (with a path, query or fragment) is not a DID and is
// refused, as is anything longer than MaxLength.
func Parse(s string) (DID, error) {
	if len(s) > MaxLength {
		return DID{}, fmt.Errorf("%w: longer than %d bytes", ErrInvalidDID, MaxLength)
	}
	rest, ok := strings.CutPrefix(s, "did:")
	if !ok {
		return DID{}, fmt.Errorf("%w: must start with \"did:\"", ErrInvalidDID)
	}
	method, id, ok := strings.Cut(rest, ":")
	if !ok || method == "" {
		return DID{}, fmt.Errorf("%w: want did:<method>:<id>", ErrInvalidDID)
	}
	for _, c := range []byte(method) {
		if !isLower(c) && !isDigit(c) {
			return DID{}, fmt.Errorf("%w: method name must be lower-case letters and digits",
				ErrInvalidDID)
		}
	}
	if err := checkMethodID(id); err != nil {
		return DID{}, err
	}
	return DID{Method: method, ID: id}, nil
}

// checkMethodID checks a method-specific id: colon-separated runs of
// idchar (ALPHA / DIGIT / "." / "-" / "_" / pct-encoded), the last one
// not empty.
func checkMethodID(id string) error {
	if id == "" || strings.HasSuffix(id, ":") {
		return fmt.Errorf("%w: the method-specific id must not be empty or end with \":\"",
			ErrInvalidDID)
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case isLower(c) || isUpper(c) || isDigit(c) || c == '.' || c == '-' || c == '_' ||
			c == ':':
		case c == '%' && i+2 < len(id) && isHex(id[i+1]) && isHex(id[i+2]):
			i += 2
		default:
			return fmt.Errorf("%w: character %d is not allowed in a DID", ErrInvalidDID, i+1)
		}
	}
	return nil
}

func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool {
	return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// SplitURL splits a DID URL into its DID and its fragment (without "#"):
// did:web:example.com#key-1 gives did:web:example.com and key-1. Paths and
// queries are not supported.
func SplitURL(s string) (DID, string, error) {
	base, frag, _ := strings.Cut(s, "#")
	d, err := Parse(base)
	if err != nil {
		return DID{}, "", err
	}
	return d, frag, nil
}
