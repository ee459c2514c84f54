package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store"
	"github.com/agentidp/agentidp/internal/store/sqlstore"
)

var errLostRace = errors.New("lost race")

// fakeDB runs transactions without a database: InTx fails with each of
// errs in turn before running fn.
type fakeDB struct {
	sqlstore.Querier
	errs  []error
	calls int
}

func (f *fakeDB) InTx(_ context.Context, fn func(q sqlstore.Querier) error) error {
	f.calls++
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		return err
	}
	return fn(nil)
}

func testDialect() sqlstore.Dialect {
	never := func(error) bool { return false }
	return sqlstore.Dialect{
		Name: "fake", Identity: "BIGINT", TableExists: "SELECT 0",
		IsUniqueViolation: never, IsForeignKeyViolation: never,
		IsRetryable: func(err error) bool { return errors.Is(err, errLostRace) },
	}
}

func TestWithTxRetries(t *testing.T) {
	errFn, errDisk := errors.New("fn failed"), errors.New("disk full")
	lost := fmt.Errorf("commit transaction: %w", errLostRace)
	tests := []struct {
		name      string
		txErrs    []error
		fnErr     error
		wantErr   error
		wantCalls int
	}{
		{"a transaction that commits runs once", nil, nil, nil, 1},
		{"a lost race is run again", []error{lost, lost}, nil, nil, 3},
		{"fn's error is not retried", nil, errFn, errFn, 1},
		{"retries give up", []error{lost, lost, lost, lost, lost, lost}, nil, lost, 5},
		{"other failures are not retried", []error{errDisk}, nil, errDisk, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := &fakeDB{errs: tc.txErrs}
			s, err := sqlstore.New(db, testDialect())
			require.NoError(t, err)

			err = s.WithTx(t.Context(), func(store.Tx) error { return tc.fnErr })
			require.Equal(t, tc.wantCalls, db.calls)
			require.Equal(t, tc.wantErr, err)
		})
	}
}

func TestNewRefusesIncompleteDialect(t *testing.T) {
	d := testDialect()
	d.IsRetryable = nil
	_, err := sqlstore.New(&fakeDB{}, d)
	require.Error(t, err)
}

func TestMigrationsAreOrdered(t *testing.T) {
	ms, err := sqlstore.Migrations()
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	for i, m := range ms {
		require.Equal(t, i+1, m.Version, "versions run 1, 2, 3, ... without gaps")
		require.NotEmpty(t, m.Name)
		require.NotEmpty(t, m.SQL)
	}
}
