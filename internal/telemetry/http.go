package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"

	"github.com/agentidp/agentidp/internal/ids"
)

// clientRequestID is the form of an X-Request-Id a client may choose.
var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// RequestIDOf returns the request id a request's X-Request-Id proposes
// when it has the allowed form (1 to 64 letters, digits, dots, dashes and
// underscores), so that a caller can follow its request through the logs,
// and a fresh id otherwise: nothing else a client sends reaches a log line
// as a request id.
func RequestIDOf(fromClient string) string {
	if clientRequestID.MatchString(fromClient) {
		return fromClient
	}
	return ids.New(ids.Request)
}

// StatusRecorder is an http.ResponseWriter that remembers the status of
// its answer, for the access log and the metrics. Status is 0 until the
// handler writes the header or the body.
type StatusRecorder struct {
	http.ResponseWriter
	Status int
}

// WriteHeader records the status.
func (rec *StatusRecorder) WriteHeader(code int) {
	if rec.Status == 0 {
		rec.Status = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (rec *StatusRecorder) Write(b []byte) (int, error) {
	if rec.Status == 0 {
		rec.Status = http.StatusOK
	}
	return rec.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (rec *StatusRecorder) Unwrap() http.ResponseWriter {
	return rec.ResponseWriter
}

// HandlePanic is what HTTP middleware does with v, the value recover
// returned in its deferred call: nothing when there was no panic; the
// panic again for http.ErrAbortHandler, which the server handles; else it
// logs the panic with its stack and calls fail to answer 500 when nothing
// was written yet. When the response had begun, only the recorded status
// changes, so that the log line and the metrics say 500.
func HandlePanic(ctx context.Context, log *slog.Logger, v any, rec *StatusRecorder, fail func()) {
	if v == nil {
		return
	}
	if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
		panic(v)
	}
	log.ErrorContext(ctx, "handler panicked", slog.String("panic", fmt.Sprint(v)),
		slog.String("stack", string(debug.Stack())))
	if rec.Status == 0 {
		fail()
		return
	}
	rec.Status = http.StatusInternalServerError
}
