package telemetry

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"sort"
	"strings"

	"github.com/agentidp/agentidp/internal/reqctx"
)

// Redacted replaces the value of every sensitive attribute.
const Redacted = "[REDACTED]"

// KeyRequestID is the attribute under which the request id is logged.
const KeyRequestID = "request_id"

// NewLogger returns a logger writing to w at level ("debug", "info",
// "warn" or "error") in format ("json" or "text"), through the redacting
// handler of NewHandler.
func NewLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}

	var h slog.Handler
	switch format {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: want json or text", format)
	}
	return slog.New(NewHandler(h)), nil
}

// NewHandler wraps inner so that every record logged with a context that
// carries a request id gets a top-level request_id attribute, and every
// attribute whose key names a secret (see IsSensitiveKey) reaches inner as
// Redacted, however deeply it is nested in groups or maps. Attributes
// named dsn or database_url keep their value less its password.
func NewHandler(inner slog.Handler) slog.Handler {
	return &handler{inner: inner}
}

// handler keeps the groups and attributes added after the first WithGroup
// itself, so that request_id can still be added at the top level.
type handler struct {
	inner slog.Handler
	ops   []op
	// hasID is set once a request_id attribute was added at the top level
	// through WithAttrs; the context's id is then not added again.
	hasID bool
}

// op is one WithGroup (group set) or WithAttrs (attrs set) call.
type op struct {
	group string
	attrs []slog.Attr
}

func (h *handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	clean := redactAll(attrs, 0)
	if len(h.ops) == 0 {
		return &handler{inner: h.inner.WithAttrs(clean), hasID: h.hasID || hasKey(clean, KeyRequestID)}
	}
	return &handler{inner: h.inner, ops: append(h.ops[:len(h.ops):len(h.ops)], op{attrs: clean}),
		hasID: h.hasID}
}

func (h *handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &handler{inner: h.inner, ops: append(h.ops[:len(h.ops):len(h.ops)], op{group: name}),
		hasID: h.hasID}
}

func (h *handler) Handle(ctx context.Context, r slog.Record) error {
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, redact(a, 0))
		return true
	})
	for i := len(h.ops) - 1; i >= 0; i-- {
		if g := h.ops[i].group; g != "" {
			attrs = []slog.Attr{{Key: g, Value: slog.GroupValue(attrs...)}}
			continue
		}
		attrs = append(append([]slog.Attr(nil), h.ops[i].attrs...), attrs...)
	}

	out := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	// Without open groups, the record's own attributes are top-level and
	// may already hold a request_id.
	explicit := len(h.ops) == 0 && hasKey(attrs, KeyRequestID)
	if ctx != nil && !h.hasID && !explicit {
		if id := reqctx.RequestID(ctx); id != "" {
			out.AddAttrs(slog.String(KeyRequestID, id))
		}
	}
	out.AddAttrs(attrs...)
	return h.inner.Handle(ctx, out)
}

func hasKey(attrs []slog.Attr, key string) bool {
	for _, a := range attrs {
		if a.Key == key {
			return true
		}
	}
	return false
}

// sensitiveKeys name values that are secrets whatever their type.
var sensitiveKeys = map[string]bool{
	"authorization": true, "proxy_authorization": true,
	"api_key": true, "apikey": true, "key": true,
	"secret": true, "client_secret": true,
	"token": true, "access_token": true, "refresh_token": true, "id_token": true,
	"bearer": true, "password": true, "passwd": true, "passphrase": true,
	"cookie": true, "set_cookie": true, "credentials": true,
	"private_key": true, "hmac_key": true, "assertion": true, "client_assertion": true,
}

// sensitiveSuffixes catch compound names such as admin_api_key.
var sensitiveSuffixes = []string{"_secret", "_token", "_password", "_key"}

// IsSensitiveKey reports whether an attribute key names a secret. Keys
// are compared in lower case with '-' read as '_', so HTTP header names
// match too.
func IsSensitiveKey(key string) bool {
	exact, suffix := classify(key)
	return exact || suffix
}

// classify reports whether key is a sensitive name itself or only ends
// like one (admin_api_key, but also key_created-style flags).
func classify(key string) (exact, suffix bool) {
	k := strings.ReplaceAll(strings.ToLower(key), "-", "_")
	if sensitiveKeys[k] {
		return true, false
	}
	for _, s := range sensitiveSuffixes {
		if strings.HasSuffix(k, s) {
			return false, true
		}
	}
	return false, false
}

// scalar reports whether v is a kind that cannot carry a secret: a flag,
// a duration or a time. Numbers can (a PIN), so they do not count.
func scalar(v slog.Value) bool {
	switch v.Kind() {
	case slog.KindBool, slog.KindDuration, slog.KindTime:
		return true
	default:
		return false
	}
}

// maxDepth bounds how far redaction follows nested groups and maps; what
// lies deeper is dropped rather than risked.
const maxDepth = 8

func redactAll(attrs []slog.Attr, depth int) []slog.Attr {
	out := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		out[i] = redact(a, depth)
	}
	return out
}

func redact(a slog.Attr, depth int) slog.Attr {
	exact, suffix := classify(a.Key)
	if exact {
		return slog.String(a.Key, Redacted)
	}
	if depth >= maxDepth {
		return slog.String(a.Key, "[TOO DEEP]")
	}
	a.Value = a.Value.Resolve()
	if suffix && !scalar(a.Value) {
		// A compound name such as admin_api_key holds a secret unless its
		// value is a flag or a time (new_api_key=true).
		return slog.String(a.Key, Redacted)
	}

	switch a.Value.Kind() {
	case slog.KindGroup:
		a.Value = slog.GroupValue(redactAll(a.Value.Group(), depth+1)...)
	case slog.KindString:
		if k := strings.ToLower(a.Key); k == "dsn" || k == "database_url" {
			a.Value = slog.StringValue(RedactDSN(a.Value.String()))
		} else {
			a.Value = slog.StringValue(redactURLPasswords(a.Value.String()))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			// Drivers quote connection URLs in their errors.
			a.Value = slog.StringValue(redactURLPasswords(err.Error()))
		} else if g, ok := mapAsGroup(a.Value.Any(), depth); ok {
			a.Value = g
		}
	default:
	}
	return a
}

// mapAsGroup turns a map with string keys, such as http.Header, into a
// group so that its sensitive entries are redacted like attributes.
func mapAsGroup(v any, depth int) (slog.Value, bool) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return slog.Value{}, false
	}
	keys := make([]string, 0, rv.Len())
	for _, k := range rv.MapKeys() {
		keys = append(keys, k.String())
	}
	sort.Strings(keys)

	attrs := make([]slog.Attr, 0, len(keys))
	for _, k := range keys {
		val := rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key())).Interface()
		attrs = append(attrs, redact(slog.Any(k, val), depth+1))
	}
	return slog.GroupValue(attrs...), true
}
