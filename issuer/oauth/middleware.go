package oauth

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/agentidp/agentidp/internal/reqctx"
	"github.com/agentidp/agentidp/internal/telemetry"
)

// recorder remembers what a handler answered, for the log line and the
// metrics.
type recorder struct {
	telemetry.StatusRecorder
	// errCode is the OAuth error code of a refusal.
	errCode string
	// clientID is the client the request authenticated as, or tried to.
	clientID string
}

// noteClient records the client a request named, for the log line. A
// client id is the agent id, a public identifier.
func noteClient(w http.ResponseWriter, clientID string) {
	if rec, ok := w.(*recorder); ok {
		rec.clientID = clientID
	}
}

// observe wraps next with what every request gets: a request id, panic
// recovery, one log line and the metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := telemetry.RequestIDOf(r.Header.Get("X-Request-Id"))
		r = r.WithContext(reqctx.WithRequestID(r.Context(), id))
		w.Header().Set("X-Request-Id", id)
		rec := &recorder{StatusRecorder: telemetry.StatusRecorder{ResponseWriter: w}}

		defer s.finish(rec, r, start)
		defer s.recoverPanic(rec, r)
		next.ServeHTTP(rec, r)
	})
}

// recoverPanic turns a handler's panic into a server_error, unless the
// response had already begun.
func (s *Server) recoverPanic(rec *recorder, r *http.Request) {
	telemetry.HandlePanic(r.Context(), s.log, recover(), &rec.StatusRecorder, func() {
		s.fail(rec, r, internalError(errors.New("handler panicked")))
	})
}

// finish writes the log line and the metrics of a request. It logs no
// header, body or query: only what is safe to keep.
func (s *Server) finish(rec *recorder, r *http.Request, start time.Time) {
	status := rec.Status
	if status == 0 {
		status = http.StatusOK
	}
	elapsed := time.Since(start)
	endpoint := endpointLabel(r.Pattern)

	s.metrics.observe(endpoint, strconv.Itoa(status), rec.errCode, elapsed)
	s.log.InfoContext(r.Context(), "oauth request",
		logEndpoint, endpoint, logMethod, r.Method, logStatus, status,
		logOAuthError, rec.errCode, logClientID, rec.clientID, logDuration, elapsed,
		logRequestID, reqctx.RequestID(r.Context()))
}
