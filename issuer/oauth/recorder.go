package oauth

import (
	"context"

	"github.com/agentidp/agentidp/internal/store"
)

// Recorder takes audit records with their outbox events. The audit log
// writer (*auditlog.Writer) implements it, committing records in groups.
// Record is called concurrently, once per issued token and per refusal of
// a known client, on the token endpoint's hot path, so it should not wait
// for a commit of its own.
//
// A nil error means the Recorder has taken charge of the record and will
// not drop it; an error means it has not, and the server then delivers no
// token.
type Recorder interface {
	// Record appends e to its organisation's audit chain and, when ev is
	// not nil, enqueues ev with it.
	Record(ctx context.Context, e store.AuditEntry, ev *store.Event) error
}
