package issuer

import (
	"context"
	"errors"
	"fmt"

	"github.com/agentidp/agentidp/internal/reqctx"
	"github.com/agentidp/agentidp/internal/store"
)

// Operation is one thing a caller may ask of the service. Its String is the
// audit action recorded when it succeeds or is denied.
type Operation int

// Operations of the management API.
const (
	OpOrgCreate Operation = iota + 1
	OpOrgList
	OpOrgRead
	OpOrgUpdate
	OpOrgSuspend
	OpOrgReactivate
	OpOrgDelete
	OpOrgKeyCreate
	OpSigningKeyList
	OpSigningKeyRotate
	OpSigningKeyRemove

	OpOwnOrgRead
	OpOperatorCreate
	OpOperatorList
	OpOperatorRead
	OpOperatorUpdate
	OpOperatorDelete
	OpAPIKeyCreate
	OpAPIKeyList
	OpAPIKeyRevoke

	OpAgentCreate
	OpAgentList
	OpAgentRead
	OpAgentUpdate
	OpAgentSuspend
	OpAgentReactivate
	OpAgentRevoke
	OpSecretCreate
	OpSecretList
	OpSecretRevoke
	OpAgentKeyCreate
	OpAgentKeyList
	OpAgentKeyRevoke
	OpAuditList

	opCount
)

// policy says who may perform an operation.
type policy struct {
	action string
	// admin marks operations of super-admin keys; the others belong to
	// organisation keys.
	admin bool
	// role is the least organisation role allowed.
	role store.Role
	// write marks operations a suspended organisation may not perform.
	write bool
}

// policies is indexed by Operation: the one place that says which role may
// do what.
var policies = [opCount]policy{
	OpOrgCreate:     {action: "org.create", admin: true, write: true},
	OpOrgList:       {action: "org.list", admin: true},
	OpOrgRead:       {action: "org.read", admin: true},
	OpOrgUpdate:     {action: "org.update", admin: true, write: true},
	OpOrgSuspend:    {action: "org.suspend", admin: true, write: true},
	OpOrgReactivate: {action: "org.reactivate", admin: true, write: true},
	OpOrgDelete:     {action: "org.delete", admin: true, write: true},
	OpOrgKeyCreate:  {action: "apikey.create", admin: true, write: true},

	OpSigningKeyList:   {action: "signingkey.list", admin: true},
	OpSigningKeyRotate: {action: "signingkey.rotate", admin: true, write: true},
	OpSigningKeyRemove: {action: "signingkey.remove", admin: true, write: true},

	OpOwnOrgRead:     {action: "org.read", role: store.RoleViewer},
	OpOperatorCreate: {action: "operator.create", role: store.RoleAdmin, write: true},
	OpOperatorList:   {action: "operator.list", role: store.RoleViewer},
	OpOperatorRead:   {action: "operator.read", role: store.RoleViewer},
	OpOperatorUpdate: {action: "operator.update", role: store.RoleAdmin, write: true},
	OpOperatorDelete: {action: "operator.delete", role: store.RoleAdmin, write: true},
	OpAPIKeyCreate:   {action: "apikey.create", role: store.RoleAdmin, write: true},
	OpAPIKeyList:     {action: "apikey.list", role: store.RoleViewer},
	OpAPIKeyRevoke:   {action: "apikey.revoke", role: store.RoleAdmin, write: true},

	OpAgentCreate:     {action: "agent.create", role: store.RoleAdmin, write: true},
	OpAgentList:       {action: "agent.list", role: store.RoleViewer},
	OpAgentRead:       {action: "agent.read", role: store.RoleViewer},
	OpAgentUpdate:     {action: "agent.update", role: store.RoleAdmin, write: true},
	OpAgentSuspend:    {action: "agent.suspend", role: store.RoleAdmin, write: true},
	OpAgentReactivate: {action: "agent.reactivate", role: store.RoleAdmin, write: true},
	OpAgentRevoke:     {action: "agent.revoke", role: store.RoleAdmin, write: true},
	OpSecretCreate:    {action: "secret.create", role: store.RoleAdmin, write: true},
	OpSecretList:      {action: "secret.list", role: store.RoleViewer},
	OpSecretRevoke:    {action: "secret.revoke", role: store.RoleAdmin, write: true},
	OpAgentKeyCreate:  {action: "agentkey.create", role: store.RoleAdmin, write: true},
	OpAgentKeyList:    {action: "agentkey.list", role: store.RoleViewer},
	OpAgentKeyRevoke:  {action: "agentkey.revoke", role: store.RoleAdmin, write: true},
	OpAuditList:       {action: "audit.list", role: store.RoleViewer},
}

// String returns the operation's audit action, such as "agent.create".
func (o Operation) String() string {
	if o <= 0 || o >= opCount {
		return fmt.Sprintf("operation(%d)", int(o))
	}
	return policies[o].action
}

// Writes reports whether the operation changes state.
func (o Operation) Writes() bool {
	return o > 0 && o < opCount && policies[o].write
}

// Permit checks that p may perform op on target (an object id, or "" when
// none applies). It returns nil, or an error wrapping ErrForbidden or
// ErrOrgSuspended; a denial of an organisation caller is audited with the
// outcome "denied" in a transaction of its own. Permit runs before any
// input is read, so that a caller who may not act learns nothing more.
func (s *Service) Permit(ctx context.Context, p Principal, op Operation, target string) error {
	err := check(p, op)
	if err == nil {
		return nil
	}
	return s.auditDenied(ctx, p, op, target, err)
}

// check applies op's policy to p.
func check(p Principal, op Operation) error {
	if op <= 0 || op >= opCount {
		return refuse(ErrForbidden, "unknown operation")
	}

	pol := policies[op]
	switch {
	case pol.admin && !p.Admin:
		return refuse(ErrForbidden, "this operation needs a super-admin key")
	case !pol.admin && p.Admin:
		return refuse(ErrForbidden, "this operation needs an organization key")
	case pol.admin:
		return nil
	case rank(p.Role) < rank(pol.role):
		return refuse(ErrForbidden, "role %s may not perform %s", p.Role, pol.action)
	case pol.write && p.OrgStatus == store.OrgSuspended:
		return refuse(ErrOrgSuspended, "organization %s is suspended", p.OrgID)
	}
	return nil
}

// isDenial reports whether err refuses the caller's authority (and so must
// be audited) rather than the request's content.
func isDenial(err error) bool {
	return errors.Is(err, ErrForbidden) || errors.Is(err, ErrOrgSuspended)
}

// auditDenied records a denied operation of an organisation caller and
// returns denial. If the record cannot be written the request fails with
// that error instead, so that no denial goes unrecorded silently.
func (s *Service) auditDenied(ctx context.Context, p Principal, op Operation, target string,
	denial error) error {
	if p.Admin || p.OrgID == "" {
		return denial
	}

	entry := store.AuditEntry{
		OrgID:     p.OrgID,
		Actor:     p.Actor(),
		Action:    op.String(),
		Target:    target,
		RequestID: reqctx.RequestID(ctx),
		Outcome:   store.OutcomeDenied,
		Time:      s.clock(),
	}
	err := s.store.WithTx(ctx, func(tx store.Tx) error {
		_, err := tx.AppendAudit(ctx, entry)
		return err
	})
	if err != nil {
		return fmt.Errorf("audit denied %s: %w", op, err)
	}
	return denial
}

// rank orders roles; an unknown role ranks below every real one.
func rank(r store.Role) int {
	switch r {
	case store.RoleOwner:
		return 3
	case store.RoleAdmin:
		return 2
	case store.RoleViewer:
		return 1
	}
	return 0
}

// mayManage refuses a caller who would act on, or grant, a role above its
// own: only owners manage owner operators and owner keys.
func mayManage(p Principal, target store.Role) error {
	if p.Admin || rank(p.Role) >= rank(target) {
		return nil
	}
	return refuse(ErrForbidden, "role %s may not manage role %s", p.Role, target)
}
