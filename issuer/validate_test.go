package issuer

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/internal/store"
)

func TestCheckAgent(t *testing.T) {
	ok := store.Agent{Name: "a"}
	tests := []struct {
		name  string
		edit  func(*store.Agent)
		field string
	}{
		{"a plain agent passes", func(*store.Agent) {}, ""},
		{"a name of 200 characters passes",
			func(a *store.Agent) { a.Name = strings.Repeat("é", 200) }, ""},
		{"a name of 201 characters fails",
			func(a *store.Agent) { a.Name = strings.Repeat("é", 201) }, "name"},
		{"invalid UTF-8 fails", func(a *store.Agent) { a.Name = "\xff" }, "name"},
		{"a description may span lines",
			func(a *store.Agent) { a.Description = "one\ntwo" }, ""},
		{"an owner with a newline fails", func(a *store.Agent) { a.Owner = "a\nb" }, "owner"},
		{"an empty metadata key fails",
			func(a *store.Agent) { a.Metadata = map[string]string{"": "v"} }, "metadata"},
		{"a scope with a backslash fails",
			func(a *store.Agent) { a.Scopes = []string{`a\b`} }, "scopes[0]"},
		{"a scope with non-ASCII fails",
			func(a *store.Agent) { a.Scopes = []string{"é"} }, "scopes[0]"},
		{"an empty scope fails", func(a *store.Agent) { a.Scopes = []string{""} }, "scopes[0]"},
		{"URL-like scopes pass", func(a *store.Agent) {
			a.Scopes = []string{"https://api.example.com/read", "openid", "x:y!#$%&'()*+,-./"}
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := ok
			tc.edit(&a)
			err := checkAgent(&problems{}, a)
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, tc.field, ve.Fields[0].Field)
		})
	}
}

func TestValidationReportsEveryProblem(t *testing.T) {
	err := checkAgent(&problems{}, store.Agent{Name: "", Owner: "\x01", Scopes: []string{"a", "a"}})

	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	var fields []string
	for _, f := range ve.Fields {
		fields = append(fields, f.Field)
	}
	require.Equal(t, []string{"name", "owner", "scopes[1]"}, fields)
	require.ErrorIs(t, err, ErrInvalid)
}

func TestTokenTTL(t *testing.T) {
	tests := []struct {
		name string
		secs int64
		want time.Duration
		ok   bool
	}{
		{"zero inherits", 0, 0, true},
		{"a minute is the least", 60, time.Minute, true},
		{"the ceiling itself is allowed", 3600, time.Hour, true},
		{"59 seconds are refused", 59, 0, false},
		{"a negative lifetime is refused", -60, 0, false},
		{"one second over the ceiling is refused", 3601, 0, false},
		{"a lifetime that would overflow is refused", 1 << 62, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var p problems
			require.Equal(t, tc.want, tokenTTL(&p, tc.secs, time.Hour))
			if tc.ok {
				require.NoError(t, p.err())
				return
			}
			require.Equal(t, []FieldError{{Field: "token_ttl_seconds",
				Message: "must be 0 (inherit) or between 60 and 3600 seconds"}}, p.fields)
		})
	}
}

func FuzzCheckAgent(f *testing.F) {
	f.Add("name", "desc", "owner", "k", "v", "scope")
	f.Add("", "", "", "", "", "")
	f.Add("\xff", "\x00", "a\nb", "é", "\xfe", "a b")

	f.Fuzz(func(t *testing.T, name, desc, owner, k, v, scope string) {
		a := store.Agent{Name: name, Description: desc, Owner: owner,
			Metadata: map[string]string{k: v}, Scopes: []string{scope}}
		err := checkAgent(&problems{}, a)
		if err == nil && (name == "" || !scopeToken(scope)) {
			t.Fatalf("accepted agent %+v", a)
		}
	})
}
