package binder_test

import (
	"archive/zip"
	"bytes"
	"io"
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

func TestZIP(t *testing.T) {
	var buf bytes.Buffer
	txt := func(w io.Writer, d *docgen.Document) error { _, err := io.WriteString(w, d.Meta.Title); return err }
	if err := binder.WriteZIP(&buf, docgen.Meta{}, items(), map[string]binder.Renderer{"txt": txt}, time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)); err != nil {
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
			if len(rows) != 3 || rows[2][1] != "自己点検結果報告書: 令和8年度/全庁*" {
				t.Fatalf("index rows %q", rows)
			}
		}
	}
	want := "02_自己点検結果報告書_ 令和8年度_全庁_.txt"
	if len(names) != 3 || names[1] != want {
		t.Fatalf("names %q, want %q second", names, want)
	}
}
