package binder_test

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/docgen"
	"mamori/internal/docgen/binder"
	"mamori/internal/docgen/sample"
)

func items() []binder.Item {
	a, b := sample.Sample(), sample.Sample()
	b.Meta.Title = "自己点検結果報告書: 令和8年度/全庁*"
	return []binder.Item{{Doc: a, Formats: []string{"txt"}}, {Doc: b, Formats: []string{"txt"}}}
}

func TestBindRestartsNumberingPerDocument(t *testing.T) {
	d := binder.Bind(docgen.Meta{Title: "令和8年度 成果物一式"}, items())
	var heads []string
	for _, s := range d.Sections {
		for _, b := range s.Blocks {
			if h, ok := b.(docgen.Heading); ok && h.Level == 2 {
				heads = append(heads, h.Text)
			}
		}
	}
	// Each document starts again at 第1章.
	if len(heads) != 6 || heads[0] != "第1章　総則" || heads[3] != "第1章　総則" || heads[5] != "第3章　横向きの表" {
		t.Fatalf("headings %q", heads)
	}
	if d.Sections[0].Tab == d.Sections[len(d.Sections)-1].Tab {
		t.Fatal("documents share a tab")
	}
}

// TestBindDividers: each document is preceded by a divider page of its
// own (a section: a new page) whose heading, the set's only level-1
// heading, numbers it 資料N — never a bare "1" that reads like the
// document's own numbering — and which names the files of the electronic
// set; the document itself starts on the next page.
func TestBindDividers(t *testing.T) {
	its := items()
	its[0].Formats = []string{"pdf", "docx", "xlsx"}
	d := binder.Bind(docgen.Meta{Title: "令和8年度 成果物一式"}, its)
	var tops []string
	for _, s := range d.Sections {
		for _, b := range s.Blocks {
			if h, ok := b.(docgen.Heading); ok && h.Level == 1 {
				tops = append(tops, h.Text)
			}
		}
	}
	want := []string{"資料1　文書生成の見本（全要素）", "資料2　自己点検結果報告書: 令和8年度/全庁*"}
	if strings.Join(tops, "|") != strings.Join(want, "|") {
		t.Fatalf("top headings %q, want %q", tops, want)
	}
	per := len(its[0].Doc.Sections) + 1
	if len(d.Sections) != 2*per {
		t.Fatalf("%d sections, want %d (a divider and the document's, twice)", len(d.Sections), 2*per)
	}
	for k, i := range []int{0, per} {
		div, next := d.Sections[i], d.Sections[i+1]
		if h, ok := div.Blocks[0].(docgen.Heading); !ok || h.Text != want[k] {
			t.Errorf("section %d does not start with the divider heading: %#v", i, div.Blocks[0])
		}
		if h, ok := next.Blocks[0].(docgen.Heading); !ok || h.Text != "第1章　総則" {
			t.Errorf("document %d does not start on the page after its divider: %#v", k+1, next.Blocks[0])
		}
		if div.Tab != want[k] || next.Tab != want[k] {
			t.Errorf("tabs %q / %q, want %q", div.Tab, next.Tab, want[k])
		}
	}
	var files []string
	for _, b := range d.Sections[0].Blocks {
		if l, ok := b.(docgen.List); ok {
			for _, it := range l.Items {
				files = append(files, it.Runs[0].Text)
			}
		}
	}
	if strings.Join(files, " ") != "01_文書生成の見本（全要素）.pdf 01_文書生成の見本（全要素）.docx 01_文書生成の見本（全要素）.xlsx" {
		t.Errorf("the divider names the files %q", files)
	}
}

func TestZIP(t *testing.T) {
	var buf bytes.Buffer
	txt := func(w io.Writer, d *docgen.Document) error { _, err := io.WriteString(w, d.Meta.Title); return err }
	if err := binder.WriteZIP(&buf, docgen.Meta{}, items(), map[string]binder.Renderer{"txt": txt}, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), nil); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
		if f.Name == "index.xlsx" {
			rc, _ := f.Open()
			x, err := excelize.OpenReader(rc)
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := x.GetRows("成果物一覧")
			if len(rows) != 3 || rows[2][0] != "資料2" || rows[2][1] != "自己点検結果報告書: 令和8年度/全庁*" {
				t.Fatalf("index rows %q", rows)
			}
		}
	}
	want := "02_自己点検結果報告書_ 令和8年度_全庁_.txt"
	if len(names) != 3 || names[1] != want {
		t.Fatalf("names %q, want %q second", names, want)
	}
}
