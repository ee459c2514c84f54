package telemetry

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRequestIDOf(t *testing.T) {
	tests := []struct {
		name, in string
		kept     bool
	}{
		{"a client's id of the allowed form is kept", "req-42_a.b", true},
		{"an empty id is replaced", "", false},
		{"an id with a space is replaced", "a b", false},
		{"an id that could forge a log line is replaced", "a\nlevel=ERROR", false},
		{"an id over 64 bytes is replaced", strings.Repeat("a", 65), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := RequestIDOf(tc.in)
			if tc.kept {
				require.Equal(t, tc.in, got)
				return
			}
			require.NotEqual(t, tc.in, got)
			require.Equal(t, got, RequestIDOf(got), "a fresh id has the allowed form")
		})
	}
}

func TestStatusRecorderRemembersTheFirstStatus(t *testing.T) {
	rec := &StatusRecorder{ResponseWriter: httptest.NewRecorder()}
	require.Zero(t, rec.Status)
	_, err := rec.Write([]byte("ok"))
	require.NoError(t, err)
	rec.WriteHeader(http.StatusTeapot)
	require.Equal(t, http.StatusOK, rec.Status, "a body first means 200")
	require.NotNil(t, http.NewResponseController(rec))
}

func TestHandlePanic(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	run := func(wrote bool, v any) (failed bool, status int) {
		rec := &StatusRecorder{ResponseWriter: httptest.NewRecorder()}
		if wrote {
			rec.WriteHeader(http.StatusAccepted)
		}
		HandlePanic(t.Context(), log, v, rec, func() { failed = true })
		return failed, rec.Status
	}

	failed, status := run(false, nil)
	require.False(t, failed, "no panic, nothing to do")
	require.Zero(t, status)
	failed, _ = run(false, "boom")
	require.True(t, failed, "nothing written yet: the caller answers 500")
	failed, status = run(true, "boom")
	require.False(t, failed, "an answer begun cannot be replaced")
	require.Equal(t, http.StatusInternalServerError, status, "but the log says 500")
	require.PanicsWithValue(t, http.ErrAbortHandler, func() { run(false, http.ErrAbortHandler) })
}
