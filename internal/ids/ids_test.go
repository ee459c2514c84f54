package ids

import (
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestNewIsValidAndUnique(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		id := New(Agent)
		require.True(t, Valid(Agent, id), id)
		require.False(t, seen[id], "duplicate id %q", id)
		seen[id] = true
	}
}

func TestIDsSortByCreationTime(t *testing.T) {
	base := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var got []string
	for i := range 50 {
		got = append(got, NewAt(Org, base.Add(time.Duration(i)*time.Millisecond)))
	}
	require.True(t, sort.StringsAreSorted(got))
}

func TestValid(t *testing.T) {
	good := New(Agent)
	tests := []struct {
		name   string
		prefix string
		id     string
		want   bool
	}{
		{"a fresh id is valid", Agent, good, true},
		{"another prefix is refused", Org, good, false},
		{"an empty string is refused", Agent, "", false},
		{"a missing underscore is refused", Agent, "agt" + good[4:], false},
		{"a short body is refused", Agent, good[:len(good)-1], false},
		{"a long body is refused", Agent, good + "0", false},
		{"upper case is refused", Agent, strings.ToUpper(good), false},
		{"letters outside the alphabet are refused", Agent, good[:5] + "u" + good[6:], false},
		{"a first digit above 7 overflows", Agent, "agt_8" + good[5:], false},
		{"a path separator is refused", Agent, good[:10] + "/" + good[11:], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, Valid(tt.prefix, tt.id))
		})
	}
}

func FuzzValid(f *testing.F) {
	f.Add(New(Agent))
	f.Add("agt_")
	f.Add("agt_zzzzzzzzzzzzzzzzzzzzzzzzzz")
	f.Fuzz(func(t *testing.T, s string) {
		if !Valid(Agent, s) {
			return
		}
		// Anything accepted is safe in a URL path and a SQL literal.
		require.Len(t, s, len(Agent)+1+encodeLen)
		require.False(t, strings.ContainsAny(s, "/?#%'\"\\ "), s)
	})
}

func BenchmarkNew(b *testing.B) {
	for b.Loop() {
		_ = New(Agent)
	}
}
