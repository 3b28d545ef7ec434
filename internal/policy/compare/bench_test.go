package compare

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"mamori/internal/docgen/pdf"
)

// The speed targets (issue 5): for a 300,000-character regulation with
// 300 scattered changes, Compare under 1 s (the one-time dictionary load
// excluded: it is reported as load-ms) and the 新旧対照表 rendered to PDF
// under 3 s.

func BenchmarkCompare300k(b *testing.B) {
	old, new, oldText, _ := GeneratePair(300000, 300, 1)
	load := WarmUp()
	var r *Result
	for b.Loop() {
		r = Compare(old, new, Options{})
	}
	b.ReportMetric(float64(load.Milliseconds()), "dict-load-ms")
	b.ReportMetric(float64(utf8.RuneCountInString(oldText)), "chars")
	b.ReportMetric(float64(len(r.Changed())), "changed-rows")
}

func BenchmarkTablePDF300k(b *testing.B) {
	needFonts(b)
	old, new, _, _ := GeneratePair(300000, 300, 1)
	r := Compare(old, new, Options{})
	for _, c := range []struct {
		name string
		opt  TableOptions
	}{
		{"full", TableOptions{Title: "性能測定用 新旧対照表", Date: when, Remarks: true}},
		{"omit-same", TableOptions{Title: "性能測定用 新旧対照表", Date: when, Remarks: true, OmitSame: true}},
	} {
		b.Run(c.name, func(b *testing.B) {
			var size int
			for b.Loop() {
				var buf bytes.Buffer
				if err := pdf.Render(&buf, Table(r, c.opt)); err != nil {
					b.Fatal(err)
				}
				size = buf.Len()
			}
			b.ReportMetric(float64(size)/1e6, "MB")
		})
	}
}
