package rest

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/agentidp/agentidp/internal/reqctx"
	"github.com/agentidp/agentidp/internal/telemetry"
)

// recorder remembers what a handler answered, for the access log and the
// metrics.
type recorder struct {
	telemetry.StatusRecorder
	// keyID is the id of the key that authenticated the request, if any.
	keyID string
}

// observe wraps next with what every request gets, matched or not: a
// request id, panic recovery, the global rate limit, one access log line
// and the metrics.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := telemetry.RequestIDOf(r.Header.Get("X-Request-Id"))
		r = r.WithContext(reqctx.WithRequestID(r.Context(), id))
		w.Header().Set("X-Request-Id", id)
		rec := &recorder{StatusRecorder: telemetry.StatusRecorder{ResponseWriter: w}}

		defer s.finish(rec, r, start)
		defer s.recoverPanic(rec, r)

		if wait, ok := s.limits.allowGlobal(s.now()); !ok {
			s.metrics.limited.WithLabelValues("global").Inc()
			s.fail(rec, r, &httpError{kind: kindRateLimited, retry: wait,
				detail: "the server is receiving too many requests"})
			return
		}
		next.ServeHTTP(rec, r)
	})
}

// recoverPanic turns a handler's panic into a 500 problem, unless the
// response had already begun.
func (s *Server) recoverPanic(rec *recorder, r *http.Request) {
	telemetry.HandlePanic(r.Context(), s.log, recover(), &rec.StatusRecorder, func() {
		s.fail(rec, r, errors.New("handler panicked"))
	})
}

// finish writes the access log line and the metrics of a request. It never
// logs a header, a body or a query: only what is safe to keep.
func (s *Server) finish(rec *recorder, r *http.Request, start time.Time) {
	status := rec.Status
	if status == 0 {
		status = http.StatusOK
	}
	elapsed := time.Since(start)
	route := routeLabel(r.Pattern)
	method := methodLabel(r.Method)

	s.metrics.requests.WithLabelValues(route, method, strconv.Itoa(status)).Inc()
	s.metrics.latency.WithLabelValues(route, method).Observe(elapsed.Seconds())
	s.log.InfoContext(r.Context(), "http request",
		logMethod, method, logRoute, route, logStatus, status, logDuration, elapsed,
		logRequestID, reqctx.RequestID(r.Context()), logKeyID, rec.keyID)
}

// routeLabel returns the path part of a ServeMux pattern, or "unmatched"
// for requests that matched no route.
func routeLabel(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	if pattern == "" || pattern == "/" {
		return "unmatched"
	}
	return pattern
}
