package issuer

import (
	"context"
	"fmt"
	"time"

	"github.com/agentidp/agentidp/internal/ids"
	"github.com/agentidp/agentidp/internal/store"
)

// OperatorInput describes a new operator. At least one of Email and
// Subject identifies the person or external subject.
type OperatorInput struct {
	Name    string
	Email   string
	Subject string
	Role    store.Role
}

// OperatorPatch lists the fields of an operator to change; nil leaves a
// field as it is.
type OperatorPatch struct {
	Name    *string
	Email   *string
	Subject *string
	Role    *store.Role
}

// checkOperator validates an operator as it will be stored.
func checkOperator(op store.Operator) error {
	var v problems
	checkText(&v, "name", op.Name, 1, MaxNameLen)
	checkEmail(&v, op.Email)
	checkText(&v, "subject", op.Subject, 0, MaxSubjectLen)
	if op.Email == "" && op.Subject == "" {
		v.add("email", "either email or subject is required")
	}
	checkRole(&v, "role", op.Role)
	return v.err()
}

// operatorChange is the audit record and event of a change to an operator.
func operatorChange(op store.Operator, action, eventType string) change {
	return change{orgID: op.OrgID, action: action, target: op.ID, events: []event{{
		typ: eventType, subject: op.ID,
		payload: map[string]any{"org_id": op.OrgID, "operator_id": op.ID},
	}}}
}

// CreateOperator adds an operator to the caller's organisation. Only owners
// add owners.
func (s *Service) CreateOperator(ctx context.Context, p Principal,
	in OperatorInput) (store.Operator, error) {
	if err := s.Permit(ctx, p, OpOperatorCreate, ""); err != nil {
		return store.Operator{}, err
	}
	op := store.Operator{OrgID: p.OrgID, Name: in.Name, Email: in.Email,
		Subject: in.Subject, Role: in.Role}
	if err := checkOperator(op); err != nil {
		return store.Operator{}, err
	}

	err := s.orgWrite(ctx, p, OpOperatorCreate, "", func(tx store.Tx, now time.Time) error {
		if err := mayManage(p, op.Role); err != nil {
			return err
		}
		op.ID = ids.NewAt(ids.Operator, now)
		op.CreatedAt, op.UpdatedAt = now, now
		if err := tx.CreateOperator(ctx, op); err != nil {
			return fmt.Errorf("create operator: %w", mapStoreErr(err, "operator"))
		}
		return s.record(ctx, tx, p, now,
			operatorChange(op, "operator.create", "operator.created"))
	})
	if err != nil {
		return store.Operator{}, err
	}
	return op, nil
}

// ListOperators lists the caller's organisation's operators by id.
func (s *Service) ListOperators(ctx context.Context, p Principal, cursor string,
	limit int) (List[store.Operator], error) {
	if err := s.Permit(ctx, p, OpOperatorList, ""); err != nil {
		return List[store.Operator]{}, err
	}
	var v problems
	limit = pageSize(&v, limit)
	checkCursor(&v, ids.Operator, cursor)
	if err := v.err(); err != nil {
		return List[store.Operator]{}, err
	}

	page := store.Page{After: cursor, Limit: limit + 1}
	rows, err := s.store.ListOperators(ctx, p.OrgID, page)
	if err != nil {
		return List[store.Operator]{}, fmt.Errorf("list operators: %w", err)
	}
	return paginate(rows, limit, func(o store.Operator) string { return o.ID }), nil
}

// GetOperator returns an operator of the caller's organisation.
func (s *Service) GetOperator(ctx context.Context, p Principal,
	id string) (store.Operator, error) {
	if err := s.Permit(ctx, p, OpOperatorRead, id); err != nil {
		return store.Operator{}, err
	}
	if !ids.Valid(ids.Operator, id) {
		return store.Operator{}, refuse(ErrNotFound, "operator not found")
	}

	op, err := s.store.GetOperator(ctx, p.OrgID, id)
	if err != nil {
		return store.Operator{}, fmt.Errorf("get operator: %w", mapStoreErr(err, "operator"))
	}
	return op, nil
}

// UpdateOperator changes an enabled operator. The caller must be allowed to
// manage both the operator's current and its new role.
func (s *Service) UpdateOperator(ctx context.Context, p Principal, id string,
	in OperatorPatch) (store.Operator, error) {
	if err := s.Permit(ctx, p, OpOperatorUpdate, id); err != nil {
		return store.Operator{}, err
	}

	return s.changeOperator(ctx, p, OpOperatorUpdate, id, func(op *store.Operator) error {
		applyOperatorPatch(op, in)
		if err := checkOperator(*op); err != nil {
			return err
		}
		return mayManage(p, op.Role)
	})
}

// applyOperatorPatch copies the set fields of in onto op.
func applyOperatorPatch(op *store.Operator, in OperatorPatch) {
	if in.Name != nil {
		op.Name = *in.Name
	}
	if in.Email != nil {
		op.Email = *in.Email
	}
	if in.Subject != nil {
		op.Subject = *in.Subject
	}
	if in.Role != nil {
		op.Role = *in.Role
	}
}

// DeleteOperator disables an operator and revokes the keys bound to it.
// The operator's record stays, so that the audit trail keeps its meaning.
func (s *Service) DeleteOperator(ctx context.Context, p Principal,
	id string) (store.Operator, error) {
	if err := s.Permit(ctx, p, OpOperatorDelete, id); err != nil {
		return store.Operator{}, err
	}
	// The bound keys are listed before the transaction: a key bound while
	// it runs waits on the operator's row and then finds it disabled, and
	// authentication refuses every key of a disabled operator anyway.
	keys, err := s.operatorKeys(ctx, p.OrgID, id)
	if err != nil {
		return store.Operator{}, err
	}

	return s.changeOperator(ctx, p, OpOperatorDelete, id, func(op *store.Operator) error {
		op.DisabledAt = op.UpdatedAt
		return nil
	}, keys...)
}

// operatorKeys returns the ids of the unrevoked keys bound to an operator.
func (s *Service) operatorKeys(ctx context.Context, orgID, opID string) ([]string, error) {
	if !ids.Valid(ids.Operator, opID) {
		return nil, nil
	}

	var out []string
	page := store.Page{Limit: MaxPageSize}
	for {
		rows, err := s.store.ListAPIKeys(ctx, orgID, page)
		if err != nil {
			return nil, fmt.Errorf("list api keys: %w", err)
		}
		for _, k := range rows {
			if k.OperatorID == opID && k.RevokedAt.IsZero() {
				out = append(out, k.ID)
			}
		}
		if len(rows) < page.Limit {
			return out, nil
		}
		page.After = rows[len(rows)-1].ID
	}
}

// changeOperator applies edit to an enabled operator in one transaction
// with its audit record and event, and revokes the keys listed in revoke.
// edit sees the operator with UpdatedAt already set to now.
func (s *Service) changeOperator(ctx context.Context, p Principal, op Operation, id string,
	edit func(*store.Operator) error, revoke ...string) (store.Operator, error) {
	if !ids.Valid(ids.Operator, id) {
		return store.Operator{}, refuse(ErrNotFound, "operator not found")
	}

	var o store.Operator
	err := s.orgWrite(ctx, p, op, id, func(tx store.Tx, now time.Time) error {
		var err error
		if o, err = lockOperator(ctx, tx, p.OrgID, id); err != nil {
			return err
		}
		if err := mayManage(p, o.Role); err != nil {
			return err
		}
		o.UpdatedAt = now
		if err := edit(&o); err != nil {
			return err
		}
		if err := tx.UpdateOperator(ctx, o); err != nil {
			return fmt.Errorf("update operator: %w", mapStoreErr(err, "operator"))
		}
		if err := s.revokeKeys(ctx, tx, p, now, revoke); err != nil {
			return err
		}
		return s.record(ctx, tx, p, now, operatorChange(o, op.String(), operatorEvent(op)))
	})
	if err != nil {
		return store.Operator{}, err
	}
	return o, nil
}

// operatorEvent names the event of an operator operation.
func operatorEvent(op Operation) string {
	if op == OpOperatorDelete {
		return "operator.disabled"
	}
	return "operator.updated"
}

// lockOperator reads an enabled operator inside tx.
func lockOperator(ctx context.Context, tx store.Tx, orgID, id string) (store.Operator, error) {
	o, err := tx.GetOperator(ctx, orgID, id)
	if err != nil {
		return store.Operator{}, fmt.Errorf("get operator: %w", mapStoreErr(err, "operator"))
	}
	if !o.DisabledAt.IsZero() {
		return store.Operator{}, refuse(ErrInvalidTransition, "operator %s is disabled", o.ID)
	}
	return o, nil
}

// revokeKeys revokes the listed API keys that are still live, each with its
// event; the operator's own audit record covers them.
func (s *Service) revokeKeys(ctx context.Context, tx store.Tx, p Principal, now time.Time,
	keyIDs []string) error {
	for _, id := range keyIDs {
		k, err := tx.GetAPIKey(ctx, p.OrgID, id)
		if err != nil {
			return fmt.Errorf("get api key: %w", err)
		}
		if !k.RevokedAt.IsZero() {
			continue
		}
		k.RevokedAt = now
		if err := tx.UpdateAPIKey(ctx, k); err != nil {
			return fmt.Errorf("revoke api key: %w", err)
		}
		ev := apiKeyChange(k, "", "apikey.revoked").events[0]
		if err := s.enqueue(ctx, tx, p.OrgID, now, ev); err != nil {
			return err
		}
	}
	return nil
}
