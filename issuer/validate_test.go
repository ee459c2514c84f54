package issuer

import (
	"strings"
	"testing"

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
			err := checkAgent(a)
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
	err := checkAgent(store.Agent{Name: "", Owner: "\x01", Scopes: []string{"a", "a"}})

	var ve *ValidationError
	require.ErrorAs(t, err, &ve)
	var fields []string
	for _, f := range ve.Fields {
		fields = append(fields, f.Field)
	}
	require.Equal(t, []string{"name", "owner", "scopes[1]"}, fields)
	require.ErrorIs(t, err, ErrInvalid)
}

func FuzzCheckAgent(f *testing.F) {
	f.Add("name", "desc", "owner", "k", "v", "scope")
	f.Add("", "", "", "", "", "")
	f.Add("\xff", "\x00", "a\nb", "é", "\xfe", "a b")

	f.Fuzz(func(t *testing.T, name, desc, owner, k, v, scope string) {
		a := store.Agent{Name: name, Description: desc, Owner: owner,
			Metadata: map[string]string{k: v}, Scopes: []string{scope}}
		err := checkAgent(a)
		if err == nil && (name == "" || !scopeToken(scope)) {
			t.Fatalf("accepted agent %+v", a)
		}
	})
}
