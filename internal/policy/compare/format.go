package compare

import (
	"fmt"
	"strings"
)

// Marked writes a line with its changed segments in brackets:
// "職員[は]、…".
func Marked(line []Segment) string {
	var b strings.Builder
	for _, s := range line {
		if s.Changed {
			b.WriteString("[" + s.Text + "]")
		} else {
			b.WriteString(s.Text)
		}
	}
	return b.String()
}

// String is a readable text rendering of the comparison (used by the
// golden tests and for debugging): one block per row with its status,
// remark, context and lines, changed segments in brackets.
func (r *Result) String() string {
	var b strings.Builder
	if r.Identical() {
		b.WriteString("（相違なし）\n")
	}
	for i, row := range r.Rows {
		fmt.Fprintf(&b, "#%d %s", i+1, row.Status)
		if row.Remark != "" {
			b.WriteString(" " + row.Remark)
		}
		b.WriteString("\n")
		if row.NewContext != "" {
			fmt.Fprintf(&b, "  新章| %s\n", strings.ReplaceAll(row.NewContext, "\n", " / "))
		}
		if row.OldContext != "" {
			fmt.Fprintf(&b, "  旧章| %s\n", strings.ReplaceAll(row.OldContext, "\n", " / "))
		}
		for _, l := range row.NewLines {
			fmt.Fprintf(&b, "  新| %s\n", Marked(l))
		}
		for _, l := range row.OldLines {
			fmt.Fprintf(&b, "  旧| %s\n", Marked(l))
		}
	}
	return b.String()
}
