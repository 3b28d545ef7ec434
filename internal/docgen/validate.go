package docgen

import (
	"fmt"
	"unicode/utf8"

	"mamori/internal/docgen/chart"
)

// Text widths of A4 pages in millimetres, as every renderer lays them out
// (portrait: 25 mm binding margin and 20 mm; landscape: 20 mm each side).
const (
	TextWidthPortrait  = 165.0
	TextWidthLandscape = 257.0
	// MinColumnWidth is the narrowest table column that still holds two
	// full-width characters of table text with its padding.
	MinColumnWidth = 8.0
)

// TextWidth is the text width of a page of the given orientation.
func TextWidth(o Orientation) float64 {
	if o == Landscape {
		return TextWidthLandscape
	}
	return TextWidthPortrait
}

// Validate refuses a document that cannot be printed faithfully: a table
// whose narrowest column would be too thin to read on its page. Renderers
// call it before writing anything, so the problem is found when the
// document is built rather than silently clipped.
func Validate(d *Document) error {
	for si, s := range d.Sections {
		for _, b := range s.Blocks {
			t, ok := Value(b).(Table)
			if !ok || len(t.Columns) == 0 {
				continue
			}
			var sum float64
			for _, c := range t.Columns {
				if c.Width < 0 {
					return fmt.Errorf("表「%s」の列幅に負の値があります", tableName(t))
				}
				sum += max(c.Width, 0)
			}
			if sum == 0 {
				continue
			}
			tw := TextWidth(s.Orientation)
			narrow := tw
			for _, c := range t.Columns {
				narrow = min(narrow, c.Width/sum*tw)
			}
			if narrow < MinColumnWidth {
				hint := "横向き（A4 横）の節に置くか、列を減らしてください。"
				if s.Orientation == Landscape {
					hint = "列を減らすか、表を分けてください。"
				}
				return fmt.Errorf("第%d節の表「%s」は用紙の幅に収まりません（%d 列、最も狭い列が %.1f mm で、読める最小幅 %.0f mm 未満です）。%s",
					si+1, tableName(t), len(t.Columns), narrow, MinColumnWidth, hint)
			}
		}
	}
	return nil
}

func tableName(t Table) string {
	if t.Caption != "" {
		return t.Caption
	}
	if len(t.Rows) > 0 && len(t.Rows[0].Cells) > 0 {
		var s string
		for _, r := range t.Rows[0].Cells[0].Runs {
			s += r.Text
		}
		if utf8.RuneCountInString(s) > 20 {
			s = string([]rune(s)[:20]) + "…"
		}
		return s
	}
	return "（無題）"
}

// MapText returns a copy of d with every piece of text passed through f:
// metadata, headings, runs, list items, cells, captions and chart labels.
// Renderers use it to replace characters their fonts lack.
func MapText(d *Document, f func(string) string) *Document {
	out := *d
	m := &out.Meta
	m.Title, m.Subtitle, m.Ward, m.Author, m.Classification, m.Version = f(m.Title), f(m.Subtitle), f(m.Ward), f(m.Author), f(m.Classification), f(m.Version)
	runs := func(rs []Run) []Run {
		o := make([]Run, len(rs))
		for i, r := range rs {
			r.Text = f(r.Text)
			o[i] = r
		}
		return o
	}
	out.Sections = make([]Section, len(d.Sections))
	for i, s := range d.Sections {
		s.Tab = f(s.Tab)
		blocks := make([]Block, len(s.Blocks))
		for j, b := range s.Blocks {
			switch b := Value(b).(type) {
			case Heading:
				b.Text = f(b.Text)
				blocks[j] = b
			case Paragraph:
				b.Runs = runs(b.Runs)
				blocks[j] = b
			case List:
				items := make([]ListItem, len(b.Items))
				for k, it := range b.Items {
					it.Runs = runs(it.Runs)
					items[k] = it
				}
				b.Items = items
				blocks[j] = b
			case Table:
				b.Caption = f(b.Caption)
				rows := make([]Row, len(b.Rows))
				for k, r := range b.Rows {
					cells := make([]Cell, len(r.Cells))
					for c, cell := range r.Cells {
						cell.Runs = runs(cell.Runs)
						cells[c] = cell
					}
					rows[k] = Row{Cells: cells}
				}
				b.Rows = rows
				blocks[j] = b
			case Chart:
				b.Caption = f(b.Caption)
				c := b.Chart
				c.Title, c.Unit = f(c.Title), f(c.Unit)
				c.Categories = mapStrings(c.Categories, f)
				ss := make([]chart.Series, len(c.Series))
				for k, s := range c.Series {
					s.Name = f(s.Name)
					ss[k] = s
				}
				c.Series = ss
				b.Chart = c
				blocks[j] = b
			case Image:
				b.Caption = f(b.Caption)
				blocks[j] = b
			case ApprovalBox:
				b.Titles = mapStrings(b.Titles, f)
				blocks[j] = b
			default:
				blocks[j] = b
			}
		}
		s.Blocks = blocks
		out.Sections[i] = s
	}
	return &out
}

func mapStrings(ss []string, f func(string) string) []string {
	o := make([]string, len(ss))
	for i, s := range ss {
		o[i] = f(s)
	}
	return o
}
