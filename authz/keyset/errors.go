package keyset

import (
	"errors"
	"time"
)

// Errors of Key, Has and Refresh; test them with errors.Is.
var (
	// ErrUnknownIssuer means the issuer is not registered: the token
	// names an issuer this edge does not trust.
	ErrUnknownIssuer = errors.New("keyset: unknown issuer")
	// ErrUnknownKey means the issuer's current key set has no such kid,
	// even after the refetch that an unknown kid is allowed, or the kid
	// is one remembered as unknown.
	ErrUnknownKey = errors.New("keyset: unknown key")
	// ErrUnavailable means the keys needed cannot be had now: the set was
	// never fetched, or it is older than Config.MaxStale and fetching
	// fails, or the refetch for an unknown kid failed so it cannot be
	// told whether the kid is real. It always comes as *UnavailableError.
	ErrUnavailable = errors.New("keyset: keys unavailable")
	// ErrInvalidConfig is wrapped by every problem New finds in a Config.
	ErrInvalidConfig = errors.New("keyset: invalid config")
)

// UnavailableError is the form ErrUnavailable takes: errors.Is(err,
// ErrUnavailable) holds for it, and errors.As finds RetryAfter.
type UnavailableError struct {
	// RetryAfter is how long until the keys may be fetched again: a
	// whole number of seconds, at least one.
	RetryAfter time.Duration
	// Err is why the keys could not be had (the last fetch error, or the
	// caller's context error); nil when there is nothing more to say.
	Err error
}

// Error implements error.
func (e *UnavailableError) Error() string {
	if e.Err == nil {
		return ErrUnavailable.Error()
	}
	return ErrUnavailable.Error() + ": " + e.Err.Error()
}

// Is reports whether target is ErrUnavailable.
func (e *UnavailableError) Is(target error) bool {
	return target == ErrUnavailable
}

// Unwrap returns the cause, so that errors.Is also finds it.
func (e *UnavailableError) Unwrap() error {
	return e.Err
}

// retryAfter rounds d up to whole seconds, at least one.
func retryAfter(d time.Duration) time.Duration {
	if d <= time.Second {
		return time.Second
	}
	return (d + time.Second - 1).Truncate(time.Second)
}
