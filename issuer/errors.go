package issuer

import (
	"errors"
	"fmt"
	"strings"
)

// Kinds of refusal. Every error the service returns for a caller's mistake
// wraps exactly one of them; test with errors.Is. Any other error is an
// internal failure.
var (
	// ErrUnauthenticated means the presented key is missing, malformed,
	// unknown, expired, revoked, or belongs to a disabled operator or a
	// deleted organisation. Callers must not learn which.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden means the caller's role may not perform the operation.
	ErrForbidden = errors.New("forbidden")
	// ErrOrgSuspended means the caller's organisation is suspended and the
	// operation writes.
	ErrOrgSuspended = errors.New("organization suspended")
	// ErrNotFound means the object does not exist in the caller's
	// organisation; an object of another organisation is reported alike.
	ErrNotFound = errors.New("not found")
	// ErrInvalidTransition means the object's current state forbids the
	// change, such as any change to a revoked agent.
	ErrInvalidTransition = errors.New("invalid transition")
	// ErrConflict means the change collides with existing data: a
	// duplicate, or a limit on live credentials reached.
	ErrConflict = errors.New("conflict")
	// ErrInvalid means the input failed validation; the error is a
	// *ValidationError that lists each problem.
	ErrInvalid = errors.New("invalid input")
)

// Error is a refusal whose Detail is safe to show the caller: it names ids
// and states, never a secret.
type Error struct {
	// Kind is one of the Err* sentinels of this package.
	Kind error
	// Detail explains the refusal to the caller.
	Detail string
}

// Error returns the kind and the detail.
func (e *Error) Error() string {
	return e.Kind.Error() + ": " + e.Detail
}

// Unwrap returns the kind, so that errors.Is(err, ErrConflict) works.
func (e *Error) Unwrap() error {
	return e.Kind
}

// refuse returns an *Error of the given kind with a formatted detail.
func refuse(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// FieldError is one validation problem of one input field.
type FieldError struct {
	// Field names the input field, as spelt on the wire ("scopes[2]").
	Field string
	// Message says what is wrong, without echoing the value.
	Message string
}

// ValidationError lists every problem found in one input. It wraps
// ErrInvalid.
type ValidationError struct {
	Fields []FieldError
}

// Error lists the fields and their problems.
func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Unwrap returns ErrInvalid.
func (e *ValidationError) Unwrap() error {
	return ErrInvalid
}

// problems collects field errors while an input is checked.
type problems struct {
	fields []FieldError
}

// add records a problem of field.
func (p *problems) add(field, format string, args ...any) {
	p.fields = append(p.fields, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// err returns a *ValidationError when any problem was recorded, else nil.
func (p *problems) err() error {
	if len(p.fields) == 0 {
		return nil
	}
	return &ValidationError{Fields: p.fields}
}

// invalid returns a *ValidationError with one problem.
func invalid(field, format string, args ...any) error {
	var p problems
	p.add(field, format, args...)
	return p.err()
}
