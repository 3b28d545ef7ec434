package docgen_test

import (
	"strings"
	"testing"

	"mamori/internal/docgen"
	"mamori/internal/docgen/sample"
)

func TestValidate(t *testing.T) {
	table := func(n int) docgen.Table {
		tb := docgen.Table{Caption: "表", Columns: make([]docgen.Column, n)}
		for i := range tb.Columns {
			tb.Columns[i].Width = 1
		}
		return tb
	}
	cases := []struct {
		name   string
		o      docgen.Orientation
		cols   int
		errSub string
	}{
		{"portrait 20 columns fit", docgen.Portrait, 20, ""},
		{"portrait 21 columns do not", docgen.Portrait, 21, "横向き"},
		{"landscape 32 columns fit", docgen.Landscape, 32, ""},
		{"landscape 33 columns do not", docgen.Landscape, 33, "列を減らす"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := &docgen.Document{Sections: []docgen.Section{{Orientation: c.o, Blocks: []docgen.Block{table(c.cols)}}}}
			err := docgen.Validate(d)
			if (err == nil) != (c.errSub == "") || err != nil && !strings.Contains(err.Error(), c.errSub) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if err := docgen.Validate(sample.Sample()); err != nil {
		t.Fatalf("sample refused: %v", err)
	}
}

func TestMapTextReachesEveryText(t *testing.T) {
	d := docgen.MapText(sample.Sample(), func(s string) string { return strings.ReplaceAll(s, "課", "係") })
	var all strings.Builder
	for _, s := range d.Sections {
		for _, b := range s.Blocks {
			switch b := b.(type) {
			case docgen.Table:
				for _, r := range b.Rows {
					for _, c := range r.Cells {
						for _, run := range c.Runs {
							all.WriteString(run.Text)
						}
					}
				}
			case docgen.Chart:
				all.WriteString(strings.Join(b.Chart.Categories, ""))
			}
		}
	}
	if strings.Contains(all.String(), "課") {
		t.Fatal("MapText missed some text")
	}
	if !strings.Contains(sample.Sample().Sections[0].Blocks[0].(docgen.Heading).Text, "総則") {
		t.Fatal("MapText changed its input")
	}
}
