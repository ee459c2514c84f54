package rest

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/agentidp/agentidp/issuer"
)

// query reads query parameters and collects the problems found.
type query struct {
	r      *http.Request
	fields []fieldError
}

// str returns a parameter as given, "" when absent.
func (q *query) str(name string) string {
	return q.r.URL.Query().Get(name)
}

// limit returns the page size asked for, 0 when absent (the default).
func (q *query) limit() int {
	s := q.str("limit")
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > issuer.MaxPageSize {
		q.fields = append(q.fields, fieldError{Field: "limit",
			Message: fmt.Sprintf("must be an integer from 1 to %d", issuer.MaxPageSize)})
		return 0
	}
	return n
}

// time returns an RFC 3339 time parameter, zero when absent.
func (q *query) time(name string) time.Time {
	s := q.str(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		q.fields = append(q.fields, fieldError{Field: name, Message: "must be an RFC 3339 time"})
	}
	return t
}

// err returns the problems found, or nil.
func (q *query) err() error {
	if len(q.fields) == 0 {
		return nil
	}
	return &httpError{kind: kindInvalid, detail: "the query is invalid", fields: q.fields}
}
