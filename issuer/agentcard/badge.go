package agentcard

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/agentidp/agentidp/internal/keys"
	"github.com/agentidp/agentidp/internal/store"
)

// Vocabulary of the credentials (W3C VC Data Model 2.0, Bitstring Status
// List 1.0, VC-JOSE-COSE).
//
//nolint:gosec // G101: vocabulary URIs and type names, not credentials.
const (
	ContextCredentialsV2   = "https://www.w3.org/ns/credentials/v2"
	TypeCredential         = "VerifiableCredential"
	TypeAgentBadge         = "AgentBadge"
	TypeStatusListCred     = "BitstringStatusListCredential"
	TypeStatusList         = "BitstringStatusList"
	TypeStatusEntry        = "BitstringStatusListEntry"
	TypeEnveloped          = "EnvelopedVerifiableCredential"
	PurposeRevocation      = "revocation"
	MediaTypeVCJWT         = "application/vc+jwt"
	envelopedDataURIPrefix = "data:" + MediaTypeVCJWT + ","
)

// JWTClaims are the registered JWT claims (RFC 7519 section 4.1) that
// mirror a credential's issuer, subject, id and validity, for verifiers
// that read the JOSE layer only (VC-JOSE-COSE section 3.1.2).
type JWTClaims struct {
	Iss string `json:"iss"`
	Sub string `json:"sub,omitempty"`
	JTI string `json:"jti,omitempty"`
	Iat int64  `json:"iat"`
	Nbf int64  `json:"nbf"`
	Exp int64  `json:"exp"`
}

// Badge is the payload of an agent badge: an AgentBadge credential whose
// subject is the agent's DID with its agent card.
type Badge struct {
	Context    []string     `json:"@context"`
	ID         string       `json:"id"`
	Type       []string     `json:"type"`
	Issuer     string       `json:"issuer"`
	ValidFrom  string       `json:"validFrom"`
	ValidUntil string       `json:"validUntil"`
	Subject    BadgeSubject `json:"credentialSubject"`
	Status     StatusEntry  `json:"credentialStatus"`
	JWTClaims
}

// BadgeSubject is the credentialSubject of a badge.
type BadgeSubject struct {
	ID    string `json:"id"`
	Badge Card   `json:"badge"`
}

// StatusEntry is a badge's credentialStatus (Bitstring Status List
// section 2.1): the list credential and the bit of the agent in it.
type StatusEntry struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
}

// StatusListCredential is the payload of a status list credential
// (Bitstring Status List section 2.2).
type StatusListCredential struct {
	Context    []string          `json:"@context"`
	ID         string            `json:"id"`
	Type       []string          `json:"type"`
	Issuer     string            `json:"issuer"`
	ValidFrom  string            `json:"validFrom"`
	ValidUntil string            `json:"validUntil"`
	Subject    StatusListSubject `json:"credentialSubject"`
	JWTClaims
}

// StatusListSubject is the credentialSubject of a status list credential.
type StatusListSubject struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose"`
	EncodedList   string `json:"encodedList"`
	// TTL is how long, in milliseconds, a verifier may reuse the list.
	TTL int64 `json:"ttl,omitempty"`
}

// Enveloped is an enveloped credential (VC Data Model 2.0 section 4.13):
// a JOSE credential wrapped in a data: URL, as vcs.json lists them.
type Enveloped struct {
	Context []string `json:"@context"`
	ID      string   `json:"id"`
	Type    string   `json:"type"`
}

// envelope wraps a vc+jwt.
func envelope(jwt []byte) Enveloped {
	return Enveloped{Context: []string{ContextCredentialsV2}, Type: TypeEnveloped,
		ID: envelopedDataURIPrefix + string(jwt)}
}

// statusRef returns the list number and the bit of a status index.
func statusRef(index int64) (list, bit int64) {
	return index / ListBits, index % ListBits
}

// badge builds and signs the badge of an agent whose status index is
// index.
func (s *Server) badge(a store.Agent, org store.Org, index int64) ([]byte, error) {
	now := s.now().UTC().Truncate(time.Second)
	until := now.Add(s.badgeTTL)
	list, bit := statusRef(index)
	listURL := s.statusListURL(list)
	agentDID := s.dids.AgentDID(a.ID)
	id := "urn:uuid:" + newUUID()

	b := Badge{
		Context: []string{ContextCredentialsV2}, ID: id,
		Type:   []string{TypeCredential, TypeAgentBadge},
		Issuer: s.dids.DID(), ValidFrom: now.Format(time.RFC3339),
		ValidUntil: until.Format(time.RFC3339),
		Subject:    BadgeSubject{ID: agentDID, Badge: BuildCard(s.issuer, a, org)},
		Status: StatusEntry{
			ID: listURL + "#" + strconv.FormatInt(bit, 10), Type: TypeStatusEntry,
			StatusPurpose: PurposeRevocation, StatusListIndex: strconv.FormatInt(bit, 10),
			StatusListCredential: listURL,
		},
		JWTClaims: JWTClaims{Iss: s.dids.DID(), Sub: agentDID, JTI: id,
			Iat: now.Unix(), Nbf: now.Unix(), Exp: until.Unix()},
	}
	return s.sign(b)
}

// statusList builds and signs status list n from the set positions.
func (s *Server) statusList(n int64, set []int64) ([]byte, error) {
	encoded, err := encodeStatusList(set)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Second)
	until := now.Add(s.badgeTTL)
	url := s.statusListURL(n)
	c := StatusListCredential{
		Context: []string{ContextCredentialsV2}, ID: url,
		Type:   []string{TypeCredential, TypeStatusListCred},
		Issuer: s.dids.DID(), ValidFrom: now.Format(time.RFC3339),
		ValidUntil: until.Format(time.RFC3339),
		Subject: StatusListSubject{ID: url + "#list", Type: TypeStatusList,
			StatusPurpose: PurposeRevocation, EncodedList: encoded,
			TTL: s.listMaxAge.Milliseconds()},
		JWTClaims: JWTClaims{Iss: s.dids.DID(), Sub: url + "#list", JTI: url,
			Iat: now.Unix(), Nbf: now.Unix(), Exp: until.Unix()},
	}
	return s.sign(c)
}

// sign encodes a credential and signs it as a vc+jwt.
func (s *Server) sign(payload any) ([]byte, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("encode credential: %w", err)
	}
	jwt, _, err := s.signer.Sign(b, keys.TypeVCJWT)
	if err != nil {
		return nil, fmt.Errorf("sign credential: %w", err)
	}
	return jwt, nil
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
