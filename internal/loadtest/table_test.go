package loadtest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTableAlignsColumns(t *testing.T) {
	var b strings.Builder
	tab := NewTable(&b,
		Column{Heading: "name", Width: 6, Left: true},
		Column{Heading: "p50 µs", Width: 7},
		Column{Heading: "note", Width: 4, Left: true},
	)
	tab.Header()
	tab.Row("cached", "12", "ok")
	tab.Row("x", "1234567890")
	tab.Row()
	require.Equal(t, ""+
		"name     p50 µs  note\n"+
		"cached       12  ok\n"+
		"x       1234567890\n"+
		"\n", b.String())
}
