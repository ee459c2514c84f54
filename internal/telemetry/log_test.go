package telemetry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/reqctx"
)

// A value no log line may ever contain.
const leak = "aidp.key_01hz.S3CRET-VALUE-never-logged"

func jsonLogger(t *testing.T) (*slog.Logger, *bytes.Buffer) {
	t.Helper()
	var buf bytes.Buffer
	log, err := NewLogger(&buf, "debug", "json")
	require.NoError(t, err)
	return log, &buf
}

// lines decodes every JSON log line in buf.
func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(l), &m), l)
		delete(m, "time")
		out = append(out, m)
	}
	return out
}

type secretHolder struct{ v string }

// LogValue deliberately reveals the secret under a sensitive key.
func (s secretHolder) LogValue() slog.Value {
	return slog.GroupValue(slog.String("client_secret", s.v), slog.Int("len", len(s.v)))
}

func TestLoggedSecretsNeverAppear(t *testing.T) {
	header := http.Header{}
	header.Set("Authorization", "Bearer "+leak)
	header.Set("Content-Type", "application/json")

	tests := []struct {
		name string
		log  func(l *slog.Logger)
		want map[string]any
	}{
		{
			name: "a top-level sensitive key",
			log:  func(l *slog.Logger) { l.Info("m", "api_key", leak, "agent", "agt_1") },
			want: map[string]any{"api_key": Redacted, "agent": "agt_1"},
		},
		{
			name: "keys compare without case and with dashes",
			log: func(l *slog.Logger) {
				l.Info("m", "Client-Secret", leak, "X-Api-Key", leak, "ADMIN_API_KEY", leak)
			},
			want: map[string]any{"Client-Secret": Redacted, "X-Api-Key": Redacted, "ADMIN_API_KEY": Redacted},
		},
		{
			name: "a compound name keeps flags but not strings or numbers",
			log: func(l *slog.Logger) {
				l.Info("m", "new_api_key", true, "refresh_token", 3, "signing_key", leak, "db_password", 7)
			},
			want: map[string]any{"new_api_key": true, "refresh_token": Redacted,
				"signing_key": Redacted, "db_password": Redacted},
		},
		{
			name: "inside nested groups",
			log: func(l *slog.Logger) {
				l.Info("m", slog.Group("req", slog.Group("auth", slog.String("token", leak),
					slog.String("kid", "k1"))))
			},
			want: map[string]any{"req": map[string]any{
				"auth": map[string]any{"token": Redacted, "kid": "k1"},
			}},
		},
		{
			name: "a whole group under a sensitive key",
			log: func(l *slog.Logger) {
				l.Info("m", slog.Group("credentials", slog.String("id", leak)))
			},
			want: map[string]any{"credentials": Redacted},
		},
		{
			name: "an http.Header is redacted entry by entry",
			log:  func(l *slog.Logger) { l.Info("m", "headers", header) },
			want: map[string]any{"headers": map[string]any{
				"Authorization": Redacted,
				"Content-Type":  []any{"application/json"},
			}},
		},
		{
			name: "a LogValuer is resolved before redaction",
			log:  func(l *slog.Logger) { l.Info("m", "cred", secretHolder{leak}) },
			want: map[string]any{"cred": map[string]any{"client_secret": Redacted, "len": float64(len(leak))}},
		},
		{
			name: "attributes added with With and inside WithGroup",
			log: func(l *slog.Logger) {
				l.With("password", leak).WithGroup("g").With("secret", leak).Info("m", "token", leak)
			},
			want: map[string]any{"password": Redacted, "g": map[string]any{
				"secret": Redacted, "token": Redacted,
			}},
		},
		{
			name: "a DSN keeps everything but its password",
			log: func(l *slog.Logger) {
				l.Info("m", "dsn", "postgres://app:"+leak+"@db:5432/x", "store", DSN("postgres://app:"+leak+"@db/x"))
			},
			want: map[string]any{
				"dsn":   "postgres://app:REDACTED@db:5432/x",
				"store": "postgres://app:REDACTED@db/x",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, buf := jsonLogger(t)
			tt.log(log)
			require.NotContains(t, buf.String(), "S3CRET")

			want := map[string]any{"level": "INFO", "msg": "m"}
			for k, v := range tt.want {
				want[k] = v
			}
			require.Equal(t, []map[string]any{want}, lines(t, buf))
		})
	}
}

func TestRequestIDFromContext(t *testing.T) {
	log, buf := jsonLogger(t)
	ctx := reqctx.WithRequestID(context.Background(), "req_123")

	log.WithGroup("http").InfoContext(ctx, "served", "status", 200)
	log.Info("no context")
	log.InfoContext(context.Background(), "no id")

	require.Equal(t, []map[string]any{
		{"level": "INFO", "msg": "served", "request_id": "req_123",
			"http": map[string]any{"status": float64(200)}},
		{"level": "INFO", "msg": "no context"},
		{"level": "INFO", "msg": "no id"},
	}, lines(t, buf))
}

func TestNewLogger(t *testing.T) {
	tests := []struct {
		name, level, format string
		wantErr             string
	}{
		{name: "json at info", level: "info", format: "json"},
		{name: "text at warn", level: "warn", format: "text"},
		{name: "an unknown level", level: "loud", format: "json",
			wantErr: `log level "loud": want debug, info, warn or error`},
		{name: "an unknown format", level: "info", format: "xml",
			wantErr: `log format "xml": want json or text`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := NewLogger(&buf, tt.level, tt.format)
			if tt.wantErr != "" {
				require.EqualError(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			log.Debug("hidden")
			log.Error("shown", "token", leak)
			require.NotContains(t, buf.String(), "hidden")
			require.Contains(t, buf.String(), "shown")
			require.NotContains(t, buf.String(), leak)
		})
	}
}

func TestIsSensitiveKey(t *testing.T) {
	for _, k := range []string{"authorization", "Cookie", "refresh_token", "db_password", "hmac_key"} {
		require.True(t, IsSensitiveKey(k), k)
	}
	for _, k := range []string{"kid", "jti", "request_id", "agent_id", "keys", "token_type"} {
		require.False(t, IsSensitiveKey(k), k)
	}
}

func TestRedactDSN(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"a URL with a password", "postgres://u:pw@h:5432/db?sslmode=disable",
			"postgres://u:REDACTED@h:5432/db?sslmode=disable"},
		{"a URL without a password", "postgres://u@h/db", "postgres://u@h/db"},
		{"a password in the query", "postgresql://h/db?password=pw&sslpassword=x",
			"postgresql://h/db?password=REDACTED&sslpassword=REDACTED"},
		{"keyword/value form", "host=h password=pw user=u", "host=h password=REDACTED user=u"},
		{"a quoted keyword value", "password='p w\\'x' host=h", "password=REDACTED host=h"},
		{"an unparseable URL", "postgres://u:pw@h:port/db", "[unparseable DSN]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, RedactDSN(tt.in))
			require.Equal(t, tt.want, DSN(tt.in).String())
		})
	}
}

func TestHandlerPassesErrorsThrough(t *testing.T) {
	want := errors.New("inner failed")
	h := NewHandler(failing{want})
	require.ErrorIs(t, h.Handle(context.Background(), slog.Record{}), want)
}

type failing struct{ err error }

func (f failing) Enabled(context.Context, slog.Level) bool  { return true }
func (f failing) Handle(context.Context, slog.Record) error { return f.err }
func (f failing) WithAttrs([]slog.Attr) slog.Handler        { return f }
func (f failing) WithGroup(string) slog.Handler             { return f }

func BenchmarkHandler(b *testing.B) {
	log := slog.New(NewHandler(slog.NewJSONHandler(discard{}, nil)))
	ctx := reqctx.WithRequestID(context.Background(), "req_1")
	b.ReportAllocs()
	for b.Loop() {
		log.InfoContext(ctx, "served", "status", 200, "path", "/v1/agents", "api_key", leak)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

func TestURLPasswordsInErrorsAndStrings(t *testing.T) {
	log, buf := jsonLogger(t)
	err := errors.New(`connect "postgres://app:` + leak + `@db:5432/x": refused`)
	log.Error("store down", "error", err, "target", "https://u:"+leak+"@h/p", "plain", "a://b")

	require.Equal(t, []map[string]any{{
		"level":  "ERROR",
		"msg":    "store down",
		"error":  `connect "postgres://app:REDACTED@db:5432/x": refused`,
		"target": "https://u:REDACTED@h/p",
		"plain":  "a://b",
	}}, lines(t, buf))
}

func TestRequestIDIsNotRepeated(t *testing.T) {
	log, buf := jsonLogger(t)
	ctx := reqctx.WithRequestID(context.Background(), "req_ctx")

	log.InfoContext(ctx, "explicit", "request_id", "req_ctx")
	log.With("request_id", "req_with").InfoContext(ctx, "with")
	log.WithGroup("g").InfoContext(ctx, "grouped", "request_id", "req_inner")

	require.Equal(t, []map[string]any{
		{"level": "INFO", "msg": "explicit", "request_id": "req_ctx"},
		{"level": "INFO", "msg": "with", "request_id": "req_with"},
		{"level": "INFO", "msg": "grouped", "request_id": "req_ctx",
			"g": map[string]any{"request_id": "req_inner"}},
	}, lines(t, buf))
}
