// Package docgen is Mamori's one document model. Feature code builds a
// Document from these types and never talks to a file format; the
// renderers in the sub-packages (pdf, docx, xlsx, html) turn the same
// Document into each deliverable format, and chart draws charts once for
// web pages and documents alike.
package docgen

import (
	"time"

	"mamori/internal/docgen/chart"
)

// Document is a whole deliverable: metadata, optional cover and table of
// contents, and sections (each with its own page orientation).
type Document struct {
	Meta     Meta
	Cover    bool // print a cover page from Meta
	TOC      bool // print a table of contents generated from headings
	Sections []Section
}

// Meta is what a document says about itself.
type Meta struct {
	Title          string
	Subtitle       string
	Ward           string    // e.g. ひので区
	FiscalYear     int       // 年度 (西暦 start year), printed as 令和8年度
	Date           time.Time // printed in 和暦
	Author         string    // e.g. 情報政策課 / 支援事業者名
	Classification string    // e.g. 取扱注意, 機密性2; printed in every page header
	PageNumbers    PageNumberStyle
	Version        string
	// TitleInBody: the document sets its own title at the top of its
	// first page (a 新旧対照表), so the running header and the XLSX title
	// rows (title and the information line under it) leave it out.
	TitleInBody bool
}

// PageNumberStyle is how the footer numbers pages.
type PageNumberStyle int

// Page number styles.
const (
	PageDash    PageNumberStyle = iota // 「- 3 -」
	PageOfTotal                        // 「3 / 12」
	PageNone
)

// Orientation of a section's pages (always A4).
type Orientation int

// Orientations.
const (
	Portrait Orientation = iota
	Landscape
)

// Section is a run of pages with one orientation.
type Section struct {
	Orientation Orientation
	// Tab is a short label printed in the header (used by the bound set).
	Tab    string
	Blocks []Block
}

// Block is one element of a section's flow.
type Block interface{ isBlock() }

// Heading is a numbered heading: level 1 第1章, level 2 1, level 3 （1）,
// level 4 ア. Unnumbered headings print the text only and stay out of the
// numbering (but still appear in the table of contents unless NoTOC).
type Heading struct {
	Level    int // 1–4
	Text     string
	Numbered bool
	NoTOC    bool
}

// Align is horizontal alignment.
type Align int

// Alignments.
const (
	AlignLeft Align = iota
	AlignJustify
	AlignCenter
	AlignRight
)

// Paragraph is running text made of styled runs.
type Paragraph struct {
	Runs   []Run
	Align  Align
	Indent int // in full-width characters (字下げ) for the whole paragraph
	// FirstIndent indents the first line by one character, as Japanese
	// body text does.
	FirstIndent bool
}

// Change marks a run as a tracked insertion or deletion (見え消し).
type Change int

// Changes.
const (
	NoChange Change = iota
	Inserted
	Deleted
)

// Run is a piece of text with one style.
type Run struct {
	Text            string
	Bold            bool
	Underline       bool
	DoubleUnderline bool
	Strike          bool
	DoubleStrike    bool
	Color           string // "RRGGBB"; "" is black
	// Change makes the run a tracked change: DOCX writes w:ins/w:del with
	// Author and Date; PDF and HTML draw insertions underlined and
	// deletions struck through.
	Change Change
	Author string
	Date   time.Time
}

// T is a plain run.
func T(s string) Run { return Run{Text: s} }

// P is a paragraph of plain text.
func P(s string) Paragraph { return Paragraph{Runs: []Run{T(s)}} }

// List is a bulleted or numbered list; items may nest by Level.
type List struct {
	Ordered bool
	Items   []ListItem
}

// ListItem is one entry of a list.
type ListItem struct {
	Level int // 0 = top
	Runs  []Run
}

// Table is a grid with repeated header rows.
type Table struct {
	Columns    []Column
	HeaderRows int // the first HeaderRows rows repeat on every page
	Rows       []Row
	Caption    string
	FontSize   float64 // points; 0 = renderer default for tables
	// LineHeight is the line pitch of the cells' text ÷ FontSize, for a
	// dense table such as a checklist (1.3); 0 = the renderer's default.
	// PDF sets it; the other formats keep their own.
	LineHeight float64
	// TopAlign puts body cells' text at the top of the cell rather than
	// centred, as in 新旧対照表 where each side reads from the top.
	TopAlign bool
}

// Column describes one column: Width is relative (the table fills the
// text width in proportion).
type Column struct {
	Width float64
	Align Align
}

// Row is one table row.
type Row struct{ Cells []Cell }

// Cell is one table cell; spanned-over positions are simply omitted from
// the following cells of that row (ColSpan) or rows below (RowSpan).
type Cell struct {
	Runs    []Run
	ColSpan int // 0 or 1 = no span
	RowSpan int
	Align   Align
	Fill    string // background "RRGGBB"
	Bold    bool
	// Hang gives the cell's lines (its text split at "\n") hanging
	// indents: the lines that line k wraps into are set in by the width
	// of its first Hang[k] characters, so a provision's number hangs
	// (「２　」). PDF and DOCX set them; HTML and XLSX ignore it.
	Hang []int
}

// C is a cell of plain text.
func C(s string) Cell { return Cell{Runs: []Run{T(s)}} }

// HeadFill is the background of heading cells.
const HeadFill = "EEF2F6"

// H is a heading cell: bold on the heading background.
func H(s string) Cell { return Cell{Runs: []Run{T(s)}, Bold: true, Fill: HeadFill} }

// HeadRow is a row of heading cells.
func HeadRow(cells ...string) Row {
	r := Row{Cells: make([]Cell, 0, len(cells))}
	for _, c := range cells {
		r.Cells = append(r.Cells, H(c))
	}
	return r
}

// TextRow is a row of plain-text cells.
func TextRow(cells ...string) Row {
	r := Row{Cells: make([]Cell, 0, len(cells))}
	for _, c := range cells {
		r.Cells = append(r.Cells, C(c))
	}
	return r
}

// Chart is a chart drawn from the one chart model.
type Chart struct {
	Chart   chart.Chart
	Width   float64 // millimetres; 0 = text width
	Height  float64 // millimetres; 0 = Width × 0.6
	Caption string
}

// Image is a raster image (PNG or JPEG bytes).
type Image struct {
	Data    []byte
	Width   float64 // millimetres; 0 = natural size limited to text width
	Caption string
}

// PageBreak starts a new page.
type PageBreak struct{}

// ApprovalBox is the 決裁欄: a row of stamp boxes with their titles
// (e.g. 課長 / 係長 / 担当), printed at the right.
type ApprovalBox struct {
	Titles []string
}

func (Heading) isBlock()     {}
func (Paragraph) isBlock()   {}
func (List) isBlock()        {}
func (Table) isBlock()       {}
func (Chart) isBlock()       {}
func (Image) isBlock()       {}
func (PageBreak) isBlock()   {}
func (ApprovalBox) isBlock() {}

// Value returns b itself, or the block a pointer b points to, so renderers
// handle one form whether feature code appended values or pointers. A nil
// pointer stays as it is (renderers skip what they do not know).
func Value(b Block) Block {
	switch v := b.(type) {
	case *Heading:
		return deref(v, b)
	case *Paragraph:
		return deref(v, b)
	case *List:
		return deref(v, b)
	case *Table:
		return deref(v, b)
	case *Chart:
		return deref(v, b)
	case *Image:
		return deref(v, b)
	case *PageBreak:
		return deref(v, b)
	case *ApprovalBox:
		return deref(v, b)
	}
	return b
}

func deref[T Block](p *T, orig Block) Block {
	if p == nil {
		return orig
	}
	return *p
}

// FactsTable is a two-column table of a heading and its value per row
// (対象, 期間 …), the usual opening of a municipal document.
func FactsTable(pairs ...[2]string) Table {
	t := Table{Columns: []Column{{Width: 1}, {Width: 3.2}}}
	for _, p := range pairs {
		t.Rows = append(t.Rows, Row{Cells: []Cell{H(p[0]), C(p[1])}})
	}
	return t
}
