package did

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// JSON-LD contexts of the documents this package writes.
const (
	ContextDIDv1    = "https://www.w3.org/ns/did/v1"
	ContextJWS2020  = "https://w3id.org/security/suites/jws-2020/v1"
	ContextMultikey = "https://w3id.org/security/multikey/v1"
)

// Verification method types this package writes.
const (
	TypeJSONWebKey2020 = "JsonWebKey2020"
	TypeMultikey       = "Multikey"
)

// Limits of ParseDocument beyond the byte limit its caller applies.
const (
	maxMethods  = 64
	maxServices = 64
)

// ErrInvalidDocument is wrapped by every error of ParseDocument.
var ErrInvalidDocument = errors.New("invalid DID document")

// Document is a DID document (DID Core section 5) as this package writes
// it, and as ParseDocument returns it: relative ids made absolute and
// verification methods embedded in a relationship moved to
// VerificationMethod and referenced by id.
type Document struct {
	Context            []string             `json:"@context"`
	ID                 string               `json:"id"`
	Controller         []string             `json:"controller,omitempty"`
	AlsoKnownAs        []string             `json:"alsoKnownAs,omitempty"`
	VerificationMethod []VerificationMethod `json:"verificationMethod,omitempty"`
	Authentication     []string             `json:"authentication,omitempty"`
	AssertionMethod    []string             `json:"assertionMethod,omitempty"`
	KeyAgreement       []string             `json:"keyAgreement,omitempty"`
	// CapabilityInvocation and CapabilityDelegation are the remaining
	// verification relationships of DID Core section 5.3.
	CapabilityInvocation []string  `json:"capabilityInvocation,omitempty"`
	CapabilityDelegation []string  `json:"capabilityDelegation,omitempty"`
	Service              []Service `json:"service,omitempty"`
}

// VerificationMethod is a public key of a DID subject (DID Core section
// 5.2). Exactly one of PublicKeyJWK and PublicKeyMultibase is set.
type VerificationMethod struct {
	ID                 string          `json:"id"`
	Type               string          `json:"type"`
	Controller         string          `json:"controller"`
	PublicKeyJWK       json.RawMessage `json:"publicKeyJwk,omitempty"`
	PublicKeyMultibase string          `json:"publicKeyMultibase,omitempty"`
}

// Service is a service endpoint of a DID subject (DID Core section 5.4).
// ServiceEndpoint is a URL, a map or a list of either, kept as JSON.
type Service struct {
	ID              string          `json:"id"`
	Type            string          `json:"type"`
	ServiceEndpoint json.RawMessage `json:"serviceEndpoint"`
}

// Method returns the verification method whose id is ref, or whose
// fragment is ref when ref is a bare fragment ("#key-1" or "key-1").
func (d *Document) Method(ref string) (VerificationMethod, bool) {
	id := d.absolute(strings.TrimPrefix(ref, "#"))
	if strings.HasPrefix(ref, "did:") {
		id = ref
	}
	for _, vm := range d.VerificationMethod {
		if vm.ID == id {
			return vm, true
		}
	}
	return VerificationMethod{}, false
}

// absolute turns a fragment into a DID URL of the document.
func (d *Document) absolute(fragment string) string {
	return d.ID + "#" + fragment
}

// wireDocument is a DID document as received: every member that may take
// several shapes kept as JSON.
type wireDocument struct {
	Context              json.RawMessage   `json:"@context"`
	ID                   string            `json:"id"`
	Controller           json.RawMessage   `json:"controller"`
	AlsoKnownAs          []string          `json:"alsoKnownAs"`
	VerificationMethod   []json.RawMessage `json:"verificationMethod"`
	Authentication       []json.RawMessage `json:"authentication"`
	AssertionMethod      []json.RawMessage `json:"assertionMethod"`
	KeyAgreement         []json.RawMessage `json:"keyAgreement"`
	CapabilityInvocation []json.RawMessage `json:"capabilityInvocation"`
	CapabilityDelegation []json.RawMessage `json:"capabilityDelegation"`
	Service              []wireService     `json:"service"`
}

type wireService struct {
	ID              string          `json:"id"`
	Type            json.RawMessage `json:"type"`
	ServiceEndpoint json.RawMessage `json:"serviceEndpoint"`
}

// ParseDocument reads a DID document in its JSON or JSON-LD representation
// and checks it against the DID Core data model as the document of did:
// one JSON object; an id equal to did; @context, when present, starting
// with the DID v1 context; controllers that are DIDs; verification methods
// with an id (a DID URL with a fragment, or a relative "#fragment"), a
// type, a controller and exactly one public key, which holds no private
// key part; ids unique across methods and services; every relationship
// entry a method of the document or a DID URL of another; and services
// with an id, a type and an endpoint. The caller bounds the input's size.
func ParseDocument(raw []byte, did string) (*Document, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidDocument, fmt.Sprintf(format, args...))
	}
	if !utf8.Valid(raw) || !json.Valid(raw) {
		return nil, bad("not JSON")
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, bad("not a JSON object")
	}
	var w wireDocument
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, bad("a member has the wrong type")
	}
	if w.ID != did {
		return nil, bad("id is not the DID resolved")
	}

	p := docParser{doc: &Document{ID: w.ID, AlsoKnownAs: w.AlsoKnownAs}, ids: map[string]bool{}}
	if err := p.parse(&w); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDocument, err)
	}
	return p.doc, nil
}

// docParser fills a Document from a wireDocument.
type docParser struct {
	doc *Document
	ids map[string]bool
}

func (p *docParser) parse(w *wireDocument) error {
	var err error
	if p.doc.Context, err = parseContext(w.Context); err != nil {
		return err
	}
	if p.doc.Controller, err = parseControllers(w.Controller); err != nil {
		return err
	}
	if len(w.VerificationMethod) > maxMethods || len(w.Service) > maxServices {
		return fmt.Errorf("more than %d verification methods or services", maxMethods)
	}
	for i, m := range w.VerificationMethod {
		if err := p.addMethod(m); err != nil {
			return fmt.Errorf("verificationMethod[%d]: %w", i, err)
		}
	}

	for _, rel := range []struct {
		name string
		in   []json.RawMessage
		out  *[]string
	}{
		{"authentication", w.Authentication, &p.doc.Authentication},
		{"assertionMethod", w.AssertionMethod, &p.doc.AssertionMethod},
		{"keyAgreement", w.KeyAgreement, &p.doc.KeyAgreement},
		{"capabilityInvocation", w.CapabilityInvocation, &p.doc.CapabilityInvocation},
		{"capabilityDelegation", w.CapabilityDelegation, &p.doc.CapabilityDelegation},
	} {
		refs, err := p.relationship(rel.in)
		if err != nil {
			return fmt.Errorf("%s: %w", rel.name, err)
		}
		*rel.out = refs
	}
	return p.addServices(w.Service)
}

// parseContext accepts no @context (the plain JSON representation) or
// one whose first entry is the DID v1 context; later entries that are
// not strings (inline contexts) are dropped.
func parseContext(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var out []string
	var one string
	if json.Unmarshal(raw, &one) == nil {
		out = []string{one}
	} else {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, errors.New("@context must be a string or a list")
		}
		for _, item := range list {
			var s string
			if json.Unmarshal(item, &s) == nil {
				out = append(out, s)
			}
		}
	}
	if len(out) == 0 || out[0] != ContextDIDv1 {
		return nil, fmt.Errorf("@context must start with %q", ContextDIDv1)
	}
	return out, nil
}

// parseControllers reads controller: a DID or a list of DIDs.
func parseControllers(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var list []string
	var one string
	if json.Unmarshal(raw, &one) == nil {
		list = []string{one}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, errors.New("controller must be a DID or a list of DIDs")
	}
	for _, c := range list {
		if _, err := Parse(c); err != nil {
			return nil, fmt.Errorf("controller: %w", err)
		}
	}
	return list, nil
}

// privateJWKMembers are the JWK members that hold private key material
// (RFC 7518 section 6); DID Core section 5.2.1 forbids them.
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// addMethod checks one verification method and adds it to the document.
func (p *docParser) addMethod(raw json.RawMessage) error {
	var vm VerificationMethod
	if err := json.Unmarshal(raw, &vm); err != nil {
		return errors.New("must be an object with string members")
	}
	id, err := p.resolveID(vm.ID)
	if err != nil {
		return err
	}
	vm.ID = id
	if vm.Type == "" {
		return errors.New("type is required")
	}
	if _, err := Parse(vm.Controller); err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	if (len(vm.PublicKeyJWK) > 0) == (vm.PublicKeyMultibase != "") {
		return errors.New("needs exactly one of publicKeyJwk and publicKeyMultibase")
	}
	if len(vm.PublicKeyJWK) > 0 {
		var members map[string]json.RawMessage
		if err := json.Unmarshal(vm.PublicKeyJWK, &members); err != nil ||
			members["kty"] == nil {
			return errors.New("publicKeyJwk must be a JWK object with kty")
		}
		for _, m := range privateJWKMembers {
			if _, ok := members[m]; ok {
				return errors.New("publicKeyJwk holds private key material")
			}
		}
	}
	p.doc.VerificationMethod = append(p.doc.VerificationMethod, vm)
	return nil
}

// resolveID makes a method or service id absolute and checks that it is a
// DID URL with a fragment, unique in the document.
func (p *docParser) resolveID(id string) (string, error) {
	if strings.HasPrefix(id, "#") {
		id = p.doc.ID + id
	}
	_, frag, err := SplitURL(id)
	if err != nil || frag == "" {
		return "", errors.New("id must be a DID URL with a fragment")
	}
	if p.ids[id] {
		return "", fmt.Errorf("id %q is used twice", id)
	}
	p.ids[id] = true
	return id, nil
}

// relationship reads a verification relationship: references to methods
// (made absolute, and required to exist when they name this document) and
// embedded methods (moved to VerificationMethod).
func (p *docParser) relationship(in []json.RawMessage) ([]string, error) {
	if len(in) > maxMethods {
		return nil, fmt.Errorf("more than %d entries", maxMethods)
	}
	var refs []string
	for i, raw := range in {
		var ref string
		if json.Unmarshal(raw, &ref) != nil {
			if err := p.addMethod(raw); err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			refs = append(refs, p.doc.VerificationMethod[len(p.doc.VerificationMethod)-1].ID)
			continue
		}
		if strings.HasPrefix(ref, "#") {
			ref = p.doc.ID + ref
		}
		d, frag, err := SplitURL(ref)
		if err != nil || frag == "" {
			return nil, fmt.Errorf("[%d]: must be a DID URL with a fragment", i)
		}
		if _, ok := p.doc.Method(ref); d.String() == p.doc.ID && !ok {
			return nil, fmt.Errorf("[%d]: names no verification method of the document", i)
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// addServices checks the services and adds them to the document.
func (p *docParser) addServices(in []wireService) error {
	for i, s := range in {
		id := s.ID
		if strings.HasPrefix(id, "#") {
			id = p.doc.ID + id
		}
		if id == "" || !strings.Contains(id, ":") || p.ids[id] {
			return fmt.Errorf("service[%d]: id must be a unique URI", i)
		}
		p.ids[id] = true

		typ, ok := serviceType(s.Type)
		if !ok {
			return fmt.Errorf("service[%d]: type must be a string or a list of strings", i)
		}
		if len(s.ServiceEndpoint) == 0 || string(s.ServiceEndpoint) == "null" {
			return fmt.Errorf("service[%d]: serviceEndpoint is required", i)
		}
		p.doc.Service = append(p.doc.Service,
			Service{ID: id, Type: typ, ServiceEndpoint: s.ServiceEndpoint})
	}
	return nil
}

// serviceType reads a service type, a string or a non-empty list of them,
// keeping the first.
func serviceType(raw json.RawMessage) (string, bool) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one, one != ""
	}
	var list []string
	if json.Unmarshal(raw, &list) != nil || len(list) == 0 || list[0] == "" {
		return "", false
	}
	return list[0], true
}
