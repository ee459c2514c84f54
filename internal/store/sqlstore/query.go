package sqlstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/agentidp/agentidp/internal/store"
)

// Page sizes of every listing.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// clampLimit returns the page size to use for a requested one: the default
// when none was asked for, never more than MaxLimit.
func clampLimit(n int) int {
	switch {
	case n <= 0:
		return DefaultLimit
	case n > MaxLimit:
		return MaxLimit
	default:
		return n
	}
}

// queryOne runs a query expected to return one row and maps it with scan.
// No row is store.ErrNotFound.
func queryOne[T any](ctx context.Context, q Querier, scan func(Scanner) (T, error),
	query string, args ...any) (T, error) {
	v, err := scan(q.QueryRow(ctx, query, args...))
	if errors.Is(err, ErrNoRows) {
		return v, store.ErrNotFound
	}
	return v, err
}

// queryAll runs a query and maps every row with scan. The result is never
// nil.
func queryAll[T any](ctx context.Context, q Querier, scan func(Scanner) (T, error),
	query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()

	out := make([]T, 0)
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// filter builds the WHERE clause of a listing, numbering its placeholders.
type filter struct {
	conds []string
	args  []any
}

// arg adds a query argument and returns its placeholder.
func (f *filter) arg(v any) string {
	f.args = append(f.args, v)
	return fmt.Sprintf("$%d", len(f.args))
}

// add adds a condition whose %s is the placeholder of v.
func (f *filter) add(cond string, v any) {
	f.conds = append(f.conds, fmt.Sprintf(cond, f.arg(v)))
}

// addIf adds the condition when v is not empty.
func (f *filter) addIf(cond string, v string) {
	if v != "" {
		f.add(cond, v)
	}
}

// where returns the WHERE clause, empty when there is no condition.
func (f *filter) where() string {
	if len(f.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.conds, " AND ")
}

// micros encodes a time as stored: unix microseconds, 0 for the zero time.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// fromMicros decodes a stored time.
func fromMicros(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return time.UnixMicro(us).UTC()
}

// encodeMap stores a map as JSON; an empty or nil map is stored as "".
func encodeMap(m map[string]string) (string, error) {
	if len(m) == 0 {
		return "", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// decodeMap reads a stored map; "" is nil.
func decodeMap(s string) (map[string]string, error) {
	if s == "" {
		return nil, nil
	}
	var m map[string]string
	err := json.Unmarshal([]byte(s), &m)
	return m, err
}

// encodeList stores a list as JSON; an empty or nil list is stored as "".
func encodeList(l []string) (string, error) {
	if len(l) == 0 {
		return "", nil
	}
	b, err := json.Marshal(l)
	return string(b), err
}

// decodeList reads a stored list; "" is nil.
func decodeList(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var l []string
	err := json.Unmarshal([]byte(s), &l)
	return l, err
}

// fromText reads stored bytes; "" is nil.
func fromText(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}
