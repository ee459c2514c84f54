package did

import (
	"encoding/json"
	"net/http"
)

// ContextResolution is the JSON-LD context of a resolution result.
const ContextResolution = "https://w3id.org/did-resolution/v1"

// Media types of the resolver's answers (DID Core section 6, DID
// Resolution section 10).
const (
	MediaTypeDIDLD      = "application/did+ld+json"
	mediaTypeDIDJSON    = "application/did+json"
	MediaTypeResolution = `application/ld+json;profile="https://w3id.org/did-resolution"`
)

// Error codes of didResolutionMetadata.error. The first four are DID
// Core's (section 7.1.2); invalidDidDocument and internalError are DID
// Resolution's; the key codes are the did:key method's; notAllowed is
// this resolver's own, for a DID it refuses to fetch by policy.
const (
	CodeInvalidDID                 = "invalidDid"
	CodeNotFound                   = "notFound"
	CodeRepresentationNotSupported = "representationNotSupported"
	CodeMethodNotSupported         = "methodNotSupported"
	CodeInvalidDocument            = "invalidDidDocument"
	CodeInternalError              = "internalError"
	CodeInvalidPublicKey           = "invalidPublicKey"
	CodeUnsupportedPublicKeyType   = "unsupportedPublicKeyType"
	CodeNotAllowed                 = "notAllowed"
)

// statusOf is the HTTP status of a resolution error. Every code caused by
// the DID asked about, or by the remote document, is a 4xx: only a
// failure of this server's own (the store) is a 5xx. The DIF binding's
// 501 for methodNotSupported is answered as 400 for that reason.
var statusOf = map[string]int{
	CodeInvalidDID:                 http.StatusBadRequest,
	CodeInvalidPublicKey:           http.StatusBadRequest,
	CodeUnsupportedPublicKeyType:   http.StatusBadRequest,
	CodeMethodNotSupported:         http.StatusBadRequest,
	CodeNotAllowed:                 http.StatusForbidden,
	CodeNotFound:                   http.StatusNotFound,
	CodeRepresentationNotSupported: http.StatusNotAcceptable,
	CodeInvalidDocument:            http.StatusUnprocessableEntity,
	CodeInternalError:              http.StatusInternalServerError,
}

// Result is a DID resolution result (DID Resolution section 4; DID Core
// section 7.1). Results are shared by the cache: never modify one.
type Result struct {
	Context string `json:"@context"`
	// Document is the DID document as JSON, null when resolution failed
	// or the DID is deactivated without a document.
	Document json.RawMessage    `json:"didDocument"`
	Meta     ResolutionMetadata `json:"didResolutionMetadata"`
	DocMeta  DocumentMetadata   `json:"didDocumentMetadata"`

	// Parsed is Document as read by ParseDocument (or as built here);
	// nil when Document is null.
	Parsed *Document `json:"-"`
}

// ResolutionMetadata is didResolutionMetadata.
type ResolutionMetadata struct {
	ContentType string `json:"contentType,omitempty"`
	// Error is one of the Code constants; empty on success.
	Error string `json:"error,omitempty"`
	// ErrorMessage says what went wrong for a person; it never holds more
	// than the DID asked about and a fixed text.
	ErrorMessage string `json:"errorMessage,omitempty"`
}

// DocumentMetadata is didDocumentMetadata (DID Core section 7.1.3).
type DocumentMetadata struct {
	Created     string `json:"created,omitempty"`
	Updated     string `json:"updated,omitempty"`
	Deactivated bool   `json:"deactivated,omitempty"`
}

// Status returns the HTTP status the resolver endpoint answers r with:
// 200, 410 for a deactivated DID (DIF universal resolver), or the status
// of its error code.
func (r *Result) Status() int {
	switch {
	case r.Meta.Error != "":
		if s, ok := statusOf[r.Meta.Error]; ok {
			return s
		}
		return http.StatusInternalServerError
	case r.DocMeta.Deactivated:
		return http.StatusGone
	default:
		return http.StatusOK
	}
}

// failed returns the result of a resolution that failed with code.
func failed(code, message string) *Result {
	return &Result{Context: ContextResolution, Document: json.RawMessage("null"),
		Meta: ResolutionMetadata{Error: code, ErrorMessage: message}}
}

// resolved returns the result of a resolution that found doc.
func resolved(doc *Document, raw []byte, meta DocumentMetadata) *Result {
	return &Result{Context: ContextResolution, Document: raw, Parsed: doc,
		Meta: ResolutionMetadata{ContentType: MediaTypeDIDLD}, DocMeta: meta}
}
