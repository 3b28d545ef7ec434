package pdf

import (
	"bytes"
	"strings"
	"testing"

	"mamori/internal/docgen"
	"mamori/internal/testkit"
)

func TestBadInput(t *testing.T) {
	doc := func(bs ...docgen.Block) *docgen.Document {
		return &docgen.Document{Sections: []docgen.Section{{Blocks: bs}}}
	}
	wide := docgen.Table{Caption: "表9 広すぎる表", HeaderRows: 1}
	row := docgen.Row{}
	for i := 0; i < 40; i++ {
		wide.Columns = append(wide.Columns, docgen.Column{Width: 1})
		row.Cells = append(row.Cells, docgen.C("列"))
	}
	wide.Rows = []docgen.Row{row}

	t.Run("missing glyphs are substituted and reported", func(t *testing.T) {
		var got []rune
		var buf bytes.Buffer
		err := RenderWith(&buf, doc(docgen.P("絵文字🍣を含む報告")), Options{OnMissing: func(m []rune) { got = m }})
		if err != nil || len(got) != 1 || got[0] != '🍣' {
			t.Fatalf("err=%v missing=%q", err, string(got))
		}
		if txt := pdfText(t, buf.Bytes()); !strings.Contains(txt, "絵文字〓を含む報告") {
			t.Fatalf("substitute not printed: %q", txt)
		}
	})
	t.Run("10,000-character unbroken string wraps", func(t *testing.T) {
		var buf bytes.Buffer
		if err := Render(&buf, doc(docgen.P(strings.Repeat("x", 10000)), docgen.P(strings.Repeat("障", 10000)))); err != nil {
			t.Fatal(err)
		}
		if n := strings.Count(pdfText(t, buf.Bytes()), "x"); n != 10000 {
			t.Fatalf("%d of 10000 characters printed", n)
		}
	})
	t.Run("empty table renders its header", func(t *testing.T) {
		var buf bytes.Buffer
		empty := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 1}, {Width: 2}},
			Rows: []docgen.Row{{Cells: []docgen.Cell{docgen.C("所属"), docgen.C("指摘事項")}}}}
		if err := Render(&buf, doc(empty)); err != nil {
			t.Fatal(err)
		}
		if txt := pdfText(t, buf.Bytes()); !strings.Contains(txt, "指摘事項") {
			t.Fatalf("header missing: %q", txt)
		}
	})
	t.Run("table wider than the page is refused", func(t *testing.T) {
		var buf bytes.Buffer
		err := Render(&buf, doc(wide))
		if err == nil || !strings.Contains(err.Error(), "表9 広すぎる表") || !strings.Contains(err.Error(), "収まりません") {
			t.Fatalf("err = %v", err)
		}
		if buf.Len() != 0 {
			t.Fatal("bytes written for a refused document")
		}
	})
}

func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	return strings.ReplaceAll(testkit.PDFBytesText(t, b), "\n", "")
}

// TestConcurrentRenders renders documents in parallel: the fonts are parsed
// once per process and shared, so this must be race-free (go test -race)
// and each document must carry its own text.
func TestConcurrentRenders(t *testing.T) {
	texts := []string{"第一の文書", "第二の文書", "第三の文書", "第四の文書"}
	out := make([][]byte, len(texts))
	errs := make(chan error, len(texts))
	for i, s := range texts {
		go func() {
			var buf bytes.Buffer
			err := Render(&buf, &docgen.Document{Sections: []docgen.Section{{Blocks: []docgen.Block{docgen.P(s)}}}})
			out[i] = buf.Bytes()
			errs <- err
		}()
	}
	for range texts {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, s := range texts {
		if txt := pdfText(t, out[i]); !strings.Contains(txt, s) {
			t.Fatalf("document %d lacks %q: %q", i, s, txt)
		}
	}
}
