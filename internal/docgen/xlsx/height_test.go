package xlsx

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"mamori/internal/docgen"
	"mamori/internal/jp"
)

// What LibreOffice without BIZ UDPゴシック was measured to print (the
// 新旧対照表 through soffice --convert-to pdf): a column unit 7.01 pt of
// which 3.5 pt are the cell's margins, and lines 1.448 em apart (Noto
// Sans CJK). Kept apart from height.go's own figures, so that this test
// checks them.
const (
	loUnitPt   = 7.01
	loMarginPt = 3.5
	loLineEm   = 1.448
)

// loNeed is the least height a cell needs in LibreOffice: each of its
// lines broken by characters alone (full-width 1 em, others half; fewer
// lines than any real breaking gives) at the measured pitch.
func loNeed(text string, units, size float64) float64 {
	avail := units*loUnitPt - loMarginPt
	n := 0
	for _, line := range strings.Split(text, "\n") {
		n += max(1, int(math.Ceil(float64(jp.DisplayWidth(line))/2*size/avail-1e-9)))
	}
	return float64(n) * size * loLineEm
}

func TestLineCount(t *testing.T) {
	for _, c := range []struct {
		name        string
		text        string
		avail, size float64
		want        int
	}{
		{"five characters fit exactly", "あいうえお", 50, 10, 1},
		{"one point short", "あいうえお", 49.9, 10, 2},
		{"a line per newline", "あ\nい\n\nう", 50, 10, 4},
		{"a latin word is not split", "あああ ISMAP", 40, 10, 2},
		{"a number is not split", "期限は2,048日", 60, 10, 2},
		{"a word longer than a line breaks anywhere", "ABCDEFGHIJKLMNOPQRST", 30, 10, 4},
		{"a closing bracket goes with the character before it", "ああああ」", 40, 10, 2},
		{"an opening bracket goes with the character after it", "あああ「あ", 40, 10, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := lineCount(c.text, c.avail, c.size, 0.5); got != c.want {
				t.Errorf("lineCount(%q, %.1f) = %d, want %d", c.text, c.avail, got, c.want)
			}
		})
	}
}

// japanese makes text like a ward's cells: kanji and kana with
// punctuation, brackets, numbers and latin words, in paragraphs.
func japanese(r *rand.Rand, n int) string {
	pieces := []string{"情報", "セキュリティ", "管理者は", "、", "。", "（", "）", "「", "」", "規程", "2,048", "USB",
		"メモリ", "の", "を", "に", "ISMAP", "第12条", "令和8年4月1日", "ください", "ー", "ッ", " "}
	var b strings.Builder
	for range n {
		if r.IntN(30) == 0 {
			b.WriteString("\n")
		}
		b.WriteString(pieces[r.IntN(len(pieces))])
	}
	return b.String()
}

// TestRowHeightFitsText: over many cells of Japanese text, column widths
// and font sizes, the estimated height is never less than LibreOffice
// needs (so no printed row cuts its text), and for cells of several lines
// of running text in ordinary columns it is little more (so rows waste
// little paper).
func TestRowHeightFitsText(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 1))
	worst, sum, n := 0.0, 0.0, 0
	for i := range 3000 {
		text := japanese(r, 1+r.IntN(120))
		units := 6 + r.Float64()*54
		size := []float64{9, 10, 11, 12}[i%4]
		got := textHeight(text, units, size)
		need := loNeed(text, units, size)
		if got < need {
			t.Fatalf("%q in %.1f units at %.0f pt: estimated %.1f pt, LibreOffice needs %.1f", text, units, size, got, need)
		}
		if !strings.Contains(text, "\n") && need >= 4*size*loLineEm && units >= 15 {
			worst = max(worst, (got-rowPadPt)/need)
			sum += (got - rowPadPt) / need
			n++
		}
	}
	// latin words kept whole, 禁則 and latin letters wider than half an
	// em (as they are) cost some lines over the bound; 40 % on every row
	// (the old estimate) would be waste
	if mean := sum / float64(n); mean > 1.15 || worst > 1.35 {
		t.Errorf("cells of running text are estimated %.0f %% taller than LibreOffice needs on average, %.0f %% at most", (mean-1)*100, (worst-1)*100)
	}
	t.Logf("at most %.0f %% taller than LibreOffice needs, %.0f %% on average (%d cells)", (worst-1)*100, (sum/float64(n)-1)*100, n)
}

// TestRowHeightsInTheWorkbook: the rows a table writes are as tall as
// their tallest cell needs, in the widths the sheet gave the columns.
func TestRowHeightsInTheWorkbook(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	tb := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 1}, {Width: 3}, {Width: 2}},
		Rows: []docgen.Row{docgen.HeadRow("No", "内容", "備考")}}
	for i := range 40 {
		tb.Rows = append(tb.Rows, docgen.TextRow(fmt.Sprint(i+1), japanese(r, 10+r.IntN(150)), japanese(r, r.IntN(60))))
	}
	d := &docgen.Document{Sections: []docgen.Section{{Orientation: docgen.Landscape, Blocks: []docgen.Block{tb}}}}
	_, f := render(t, d, Options{})
	sheet := f.GetSheetName(0)
	var widths []float64
	for _, col := range []string{"A", "B", "C"} {
		w, _ := f.GetColWidth(sheet, col)
		widths = append(widths, w)
	}
	rows, _ := f.GetRows(sheet)
	checked := 0
	for i, row := range rows {
		if len(row) < 2 || row[0] == "No" {
			continue
		}
		h, _ := f.GetRowHeight(sheet, i+1)
		need := 0.0
		for c, v := range row {
			need = max(need, loNeed(v, widths[c], fontSize))
		}
		if h < need {
			t.Errorf("row %d is %.1f pt, its text needs %.1f in LibreOffice", i+1, h, need)
		}
		checked++
	}
	if checked != 40 {
		t.Fatalf("checked %d rows", checked)
	}
}
