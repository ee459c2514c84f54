package loadtest

import (
	"fmt"
	"io"
	"strings"
)

// Column is one column of a Table: its heading and its width in
// characters. Columns align right unless Left is set.
type Column struct {
	Heading string
	Width   int
	Left    bool
}

// Table writes rows of fixed-width columns, two spaces apart, one row at a
// time, so that a long measurement shows its rows as they come. A cell
// wider than its column pushes the rest of its row right.
type Table struct {
	w    io.Writer
	cols []Column
}

// NewTable returns a table that writes to w.
func NewTable(w io.Writer, cols ...Column) *Table {
	return &Table{w: w, cols: cols}
}

// Header writes the headings.
func (t *Table) Header() {
	cells := make([]string, len(t.cols))
	for i, c := range t.cols {
		cells[i] = c.Heading
	}
	t.Row(cells...)
}

// Row writes one row; missing cells are left blank and extra ones dropped.
func (t *Table) Row(cells ...string) {
	var b strings.Builder
	for i, c := range t.cols {
		cell := ""
		if i < len(cells) {
			cell = cells[i]
		}
		if i > 0 {
			b.WriteString("  ")
		}
		w := c.Width
		if c.Left {
			w = -w
		}
		fmt.Fprintf(&b, "%*s", w, cell)
	}
	fmt.Fprintln(t.w, strings.TrimRight(b.String(), " "))
}
