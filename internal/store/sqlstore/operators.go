package sqlstore

import (
	"context"
	"fmt"

	"github.com/agentidp/agentidp/internal/store"
)

const operatorCols = "id, org_id, name, email, subject, role, " +
	"created_at, updated_at, disabled_at"

func scanOperator(s Scanner) (store.Operator, error) {
	var op store.Operator
	var role string
	var created, updated, disabled int64
	err := s.Scan(&op.ID, &op.OrgID, &op.Name, &op.Email, &op.Subject, &role,
		&created, &updated, &disabled)
	if err != nil {
		return store.Operator{}, err
	}
	op.Role = store.Role(role)
	op.CreatedAt, op.UpdatedAt = fromMicros(created), fromMicros(updated)
	op.DisabledAt = fromMicros(disabled)
	return op, nil
}

func getOperator(ctx context.Context, q Querier, lock, orgID, id string) (store.Operator, error) {
	op, err := queryOne(ctx, q, scanOperator,
		"SELECT "+operatorCols+" FROM operators WHERE org_id = $1 AND id = $2"+lock,
		orgID, id)
	return op, wrap(fmt.Sprintf("get operator %q", id), err)
}

// GetOperator implements store.Reader.
func (s *Store) GetOperator(ctx context.Context, orgID, id string) (store.Operator, error) {
	return getOperator(ctx, s.db, "", orgID, id)
}

// ListOperators implements store.Reader.
func (s *Store) ListOperators(ctx context.Context, orgID string,
	page store.Page) ([]store.Operator, error) {
	ops, err := queryAll(ctx, s.db, scanOperator,
		"SELECT "+operatorCols+" FROM operators WHERE org_id = $1 AND id > $2 "+
			"ORDER BY id LIMIT $3",
		orgID, page.After, clampLimit(page.Limit))
	return ops, wrap("list operators", err)
}

// CreateOperator implements store.Tx.
func (t *tx) CreateOperator(ctx context.Context, op store.Operator) error {
	_, err := t.q.Exec(ctx,
		"INSERT INTO operators ("+operatorCols+") "+
			"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
		op.ID, op.OrgID, op.Name, op.Email, op.Subject, string(op.Role),
		micros(op.CreatedAt), micros(op.UpdatedAt), micros(op.DisabledAt))
	return t.writeErr(fmt.Sprintf("create operator %q", op.ID), err)
}

// GetOperator implements store.Tx.
func (t *tx) GetOperator(ctx context.Context, orgID, id string) (store.Operator, error) {
	return getOperator(ctx, t.q, t.d.ForUpdate, orgID, id)
}

// UpdateOperator implements store.Tx. It writes every field but ID, OrgID
// and CreatedAt.
func (t *tx) UpdateOperator(ctx context.Context, op store.Operator) error {
	n, err := t.q.Exec(ctx,
		"UPDATE operators SET name = $3, email = $4, subject = $5, role = $6, "+
			"updated_at = $7, disabled_at = $8 WHERE org_id = $1 AND id = $2",
		op.OrgID, op.ID, op.Name, op.Email, op.Subject, string(op.Role),
		micros(op.UpdatedAt), micros(op.DisabledAt))
	return t.updated(fmt.Sprintf("update operator %q", op.ID), n, err)
}
