package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors returned by every backend. Callers test them with
// errors.Is.
var (
	// ErrNotFound means the row does not exist within the organisation
	// asked about; a row of another organisation is reported the same way.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a uniqueness constraint refused the write.
	ErrConflict = errors.New("store: conflict")
)

// Store is a storage backend. All methods are safe for concurrent use.
//
// Reads outside a transaction see committed data only. Every write happens
// inside WithTx so that a change, its audit record and its outbox event are
// committed together or not at all.
type Store interface {
	Reader

	// WithTx runs fn in one read-write transaction. The transaction commits
	// when fn returns nil and rolls back otherwise; fn's error is returned
	// unchanged. fn may be called more than once when the backend retries a
	// serialisation failure, so it must not have side effects outside tx.
	WithTx(ctx context.Context, fn func(tx Tx) error) error

	// Ping reports whether the backend can serve requests.
	Ping(ctx context.Context) error
	// Close releases the backend's resources.
	Close() error
}

// Reader holds the queries that need no transaction. Organisation-owned
// rows are always looked up together with their organisation id.
type Reader interface {
	TokenReader
	StatusReader

	GetOrg(ctx context.Context, id string) (Org, error)
	ListOrgs(ctx context.Context, page Page) ([]Org, error)

	GetOperator(ctx context.Context, orgID, id string) (Operator, error)
	ListOperators(ctx context.Context, orgID string, page Page) ([]Operator, error)

	// GetAPIKey returns an organisation API key by its public id, whatever
	// its organisation: it is the lookup behind authentication, which learns
	// the organisation from the key.
	GetAPIKey(ctx context.Context, id string) (APIKey, error)
	ListAPIKeys(ctx context.Context, orgID string, page Page) ([]APIKey, error)
	// GetAdminKey returns a super-admin key by its public id.
	GetAdminKey(ctx context.Context, id string) (AdminKey, error)
	// CountAdminKeys returns how many super-admin keys exist, revoked ones
	// included.
	CountAdminKeys(ctx context.Context) (int, error)

	GetAgent(ctx context.Context, orgID, id string) (Agent, error)
	ListAgents(ctx context.Context, orgID string, f AgentFilter) ([]Agent, error)

	ListClientSecrets(ctx context.Context, orgID, agentID string) ([]ClientSecret, error)
	ListAgentKeys(ctx context.Context, orgID, agentID string) ([]AgentKey, error)

	// ListAudit returns an organisation's audit records, newest first.
	ListAudit(ctx context.Context, orgID string, f AuditFilter) ([]AuditRecord, error)
	// ScanAudit calls fn for every audit record of the organisation in
	// chain order (ascending Seq), stopping at fn's first error.
	ScanAudit(ctx context.Context, orgID string, fn func(AuditRecord) error) error
	// AuditHeads returns the recorded head of every organisation's chain,
	// including organisations whose rows were deleted.
	AuditHeads(ctx context.Context) ([]AuditHead, error)

	// ListEvents returns outbox events after the given sequence number in
	// ascending order, at most limit of them.
	ListEvents(ctx context.Context, afterSeq int64, limit int) ([]Event, error)

	// ListSigningKeys returns every signing key of the deployment, oldest
	// first.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
}

// Tx is one read-write transaction. It is not safe for concurrent use and
// must not be kept after the WithTx callback returns.
//
// The Get methods of Tx lock the row they return until the transaction
// ends, so a read-check-write sequence inside one Tx cannot interleave with
// another writer's.
type Tx interface {
	TokenTx

	CreateOrg(ctx context.Context, o Org) error
	GetOrg(ctx context.Context, id string) (Org, error)
	UpdateOrg(ctx context.Context, o Org) error

	CreateOperator(ctx context.Context, op Operator) error
	GetOperator(ctx context.Context, orgID, id string) (Operator, error)
	UpdateOperator(ctx context.Context, op Operator) error

	CreateAPIKey(ctx context.Context, k APIKey) error
	GetAPIKey(ctx context.Context, orgID, id string) (APIKey, error)
	UpdateAPIKey(ctx context.Context, k APIKey) error
	CreateAdminKey(ctx context.Context, k AdminKey) error

	CreateAgent(ctx context.Context, a Agent) error
	GetAgent(ctx context.Context, orgID, id string) (Agent, error)
	UpdateAgent(ctx context.Context, a Agent) error

	CreateClientSecret(ctx context.Context, s ClientSecret) error
	ListClientSecrets(ctx context.Context, orgID, agentID string) ([]ClientSecret, error)
	UpdateClientSecret(ctx context.Context, s ClientSecret) error

	CreateAgentKey(ctx context.Context, k AgentKey) error
	ListAgentKeys(ctx context.Context, orgID, agentID string) ([]AgentKey, error)
	UpdateAgentKey(ctx context.Context, k AgentKey) error

	// AppendAudit links e to the end of its organisation's chain and
	// stores it. Concurrent transactions appending to the same chain are
	// serialised, so the chain never forks.
	AppendAudit(ctx context.Context, e AuditEntry) (AuditRecord, error)
	// Enqueue writes an event to the outbox.
	Enqueue(ctx context.Context, e Event) error

	// ListSigningKeys returns every signing key of the deployment, oldest
	// first, and locks the whole key set until the transaction ends: its
	// rows and the right to add or delete one. Transactions that decide
	// on rotation therefore take turns, even on an empty set.
	ListSigningKeys(ctx context.Context) ([]SigningKey, error)
	// CreateSigningKey stores a new signing key. A kid already stored, or
	// a second key in state SigningKeyActive, is ErrConflict.
	CreateSigningKey(ctx context.Context, k SigningKey) error
	// UpdateSigningKey writes a key's State, Sealed, KEKID, ActivatesAt,
	// RetiredAt and RemoveAfter; its kid, algorithm, public key and
	// creation time never change. A second active key is ErrConflict, so
	// a caller promoting a key retires the previous one first.
	UpdateSigningKey(ctx context.Context, k SigningKey) error
	// DeleteSigningKey removes a signing key for good.
	DeleteSigningKey(ctx context.Context, kid string) error
}

// Page selects a slice of an id-ordered listing: the rows whose id sorts
// after After, at most Limit of them.
type Page struct {
	After string
	Limit int
}

// Time values are stored with microsecond precision in UTC; a zero
// time.Time means "not set" (never expires, never revoked).

// OrgStatus is the lifecycle state of an organisation.
type OrgStatus string

// Organisation states.
const (
	OrgActive    OrgStatus = "active"
	OrgSuspended OrgStatus = "suspended"
	OrgDeleted   OrgStatus = "deleted"
)

// Org is an organisation: the tenant every other row belongs to.
type Org struct {
	ID        string
	Name      string
	Status    OrgStatus
	CreatedAt time.Time
	UpdatedAt time.Time

	// TokenTTL is the lifetime of the access tokens of the organisation's
	// agents, stored to the microsecond; 0 inherits the deployment's.
	TokenTTL time.Duration
}

// Role is what an operator or API key may do within its organisation.
type Role string

// Organisation roles, most powerful first.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleViewer Role = "viewer"
)

// Operator is a member of an organisation: a person or an external
// subject that acts through API keys.
type Operator struct {
	ID        string
	OrgID     string
	Name      string
	Email     string
	Subject   string
	Role      Role
	CreatedAt time.Time
	UpdatedAt time.Time
	// DisabledAt is set when the operator was removed; its keys stop
	// working.
	DisabledAt time.Time
}

// APIKey is an organisation API key. Only the keyed hash of its secret
// part is stored.
type APIKey struct {
	ID         string
	OrgID      string
	OperatorID string // empty for keys not bound to an operator
	Name       string
	Role       Role
	Hash       string // hex HMAC-SHA-256 of the whole key
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time
	CreatedBy  string // actor that created the key
}

// AdminKey is a super-admin API key: it manages organisations and belongs
// to none of them.
type AdminKey struct {
	ID        string
	Name      string
	Hash      string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time
}

// AgentStatus is the lifecycle state of an agent.
type AgentStatus string

// Agent states. Revoked is terminal.
const (
	AgentActive    AgentStatus = "active"
	AgentSuspended AgentStatus = "suspended"
	AgentRevoked   AgentStatus = "revoked"
)

// Agent is a registered non-human workload.
type Agent struct {
	ID          string
	OrgID       string
	Name        string
	Description string
	Owner       string
	Metadata    map[string]string
	Scopes      []string
	Status      AgentStatus
	CreatedAt   time.Time
	UpdatedAt   time.Time

	// TokenTTL is the lifetime of the agent's access tokens, stored to the
	// microsecond; 0 inherits its organisation's.
	TokenTTL time.Duration
}

// AgentFilter selects agents in ListAgents. Empty fields match everything.
type AgentFilter struct {
	Page
	Status AgentStatus
	Owner  string
	// NamePrefix matches agents whose name starts with it.
	NamePrefix string
}

// ClientSecret is an agent's OAuth client secret. Only its keyed hash is
// stored.
type ClientSecret struct {
	ID        string
	OrgID     string
	AgentID   string
	Hash      string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time
}

// AgentKey is a public key registered for an agent (private_key_jwt and the
// agent's DID document).
type AgentKey struct {
	KID       string
	OrgID     string
	AgentID   string
	Algorithm string // JWS algorithm the key is used with, e.g. "ES256"
	JWK       []byte // the public JWK as JSON
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time
}

// Outcome is the result of an audited action.
type Outcome string

// Audited outcomes.
const (
	OutcomeSuccess Outcome = "success"
	OutcomeDenied  Outcome = "denied"
)

// AuditEntry is what a caller supplies to AppendAudit.
type AuditEntry struct {
	OrgID     string
	Actor     string // e.g. "apikey:key_..." or "admin:adm_..."
	Action    string // e.g. "agent.create"
	Target    string // id of the object acted upon
	RequestID string
	Outcome   Outcome
	Time      time.Time
}

// AuditRecord is a stored audit entry with its place in the chain.
type AuditRecord struct {
	AuditEntry
	Seq      int64  // 1-based position in the organisation's chain
	PrevHash string // hex SHA-256 of the previous record, GenesisHash for the first
	Hash     string // ChainHash(PrevHash, entry, Seq)
}

// AuditHead is the last record of an organisation's chain as recorded
// beside the chain itself.
type AuditHead struct {
	OrgID string
	Seq   int64
	Hash  string
}

// AuditFilter selects audit records in ListAudit.
type AuditFilter struct {
	// BeforeSeq returns records with Seq below it; zero means from the end.
	BeforeSeq int64
	Limit     int
	Action    string
	Actor     string
	Target    string
	Since     time.Time
	Until     time.Time
}

// Event is an outbox entry announcing a change.
type Event struct {
	Seq       int64 // assigned by the store
	ID        string
	OrgID     string
	Type      string // e.g. "agent.suspended"
	Subject   string // id of the object that changed
	Payload   []byte // JSON
	CreatedAt time.Time
}

// SigningKeyState is where a deployment signing key is in its life.
type SigningKeyState string

// Signing key states, in the order a key passes through them.
const (
	// SigningKeyPending keys are published but do not sign yet.
	SigningKeyPending SigningKeyState = "pending"
	// SigningKeyActive is the key that signs; there is at most one.
	SigningKeyActive SigningKeyState = "active"
	// SigningKeyRetired keys sign no more and stay published until the
	// tokens they signed have expired.
	SigningKeyRetired SigningKeyState = "retired"
)

// SigningKey is one of the keys the deployment signs tokens with. It
// belongs to the deployment, not to an organisation. The store keeps the
// private key only in the sealed form internal/keys makes of it, and never
// looks inside.
type SigningKey struct {
	KID       string
	Algorithm string // JWS algorithm, e.g. "ES256"
	State     SigningKeyState
	PublicJWK []byte // the public JWK as JSON
	Sealed    []byte // the encrypted private key: opaque bytes, any value
	KEKID     string // id of the key-encryption key that sealed it
	CreatedAt time.Time
	// ActivatesAt is when the key starts (or started) to sign.
	ActivatesAt time.Time
	RetiredAt   time.Time
	// RemoveAfter is when a retired key may leave the published set.
	RemoveAfter time.Time
}
