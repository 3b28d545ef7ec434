// Package binder makes the bound set (製本) of a year's deliverables: one
// print-ready document with a cover, a table of contents, continuous page
// numbers, a divider page per document and its number (資料1 …) and title
// as a tab in the header; and the electronic set, a ZIP of every document
// in its native formats with an index.xlsx.
package binder

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/text/encoding/japanese"

	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/tabular"
)

// Item is one document of the set.
type Item struct {
	Doc     *docgen.Document
	Formats []string // file extensions to put in the ZIP: "pdf", "docx", "xlsx", "html"
}

// Renderer writes a document in one format.
type Renderer func(w io.Writer, d *docgen.Document) error

// Label is how the set numbers its documents: 資料1, 資料2 … — a level of
// its own, so it is never read as the documents' own 第1章 or 1.
func Label(i int) string { return fmt.Sprintf("資料%d", i+1) }

// FileName is the name of item i's file in format ext in the ZIP:
// NN_title.ext.
func FileName(i int, title, ext string) string {
	return fmt.Sprintf("%02d_%s.%s", i+1, SafeName(title), ext)
}

// Bind merges the items into one document: a cover and contents from meta,
// then for each item a divider page (合紙) with its label and title, which
// the contents list, and what the electronic set holds of it, followed by
// the document with its own heading numbers (第1章 … restart for each
// document) and its label and title as the header tab.
func Bind(meta docgen.Meta, items []Item) *docgen.Document {
	out := &docgen.Document{Meta: meta, Cover: true, TOC: true}
	for i, it := range items {
		title := it.Doc.Meta.Title
		tab := Label(i) + "　" + title
		out.Sections = append(out.Sections, divider(i, it, tab))
		var n docgen.Numberer
		for _, sec := range it.Doc.Sections {
			s := docgen.Section{Orientation: sec.Orientation, Tab: tab}
			for _, b := range sec.Blocks {
				b = docgen.Value(b)
				if h, ok := b.(docgen.Heading); ok {
					// Numbers are fixed here so each document keeps its own
					// 第1章…; within the set the document is one level down.
					if h.Numbered {
						h.Text = docgen.HeadingText(n.Next(h.Level), h)
						h.Numbered = false
					}
					h.Level = min(h.Level+1, 4)
					b = h
				}
				s.Blocks = append(s.Blocks, b)
			}
			out.Sections = append(out.Sections, s)
		}
	}
	return out
}

// divider is the page before item i: its label and title as the set's
// top-level heading, what the document says about itself, and the files
// of the electronic set that hold it.
func divider(i int, it Item, tab string) docgen.Section {
	m := it.Doc.Meta
	blocks := []docgen.Block{docgen.Heading{Level: 1, Text: tab}}
	var facts []string
	if m.Subtitle != "" {
		facts = append(facts, m.Subtitle)
	}
	if !m.Date.IsZero() {
		facts = append(facts, "作成日："+jp.FormatWareki(m.Date))
	}
	if m.Version != "" {
		facts = append(facts, "版："+m.Version)
	}
	if m.Classification != "" {
		facts = append(facts, "取扱区分："+m.Classification)
	}
	for _, f := range facts {
		blocks = append(blocks, docgen.P(f))
	}
	if len(it.Formats) > 0 {
		var names []string
		for _, ext := range it.Formats {
			names = append(names, FileName(i, m.Title, ext))
		}
		blocks = append(blocks, docgen.Paragraph{Runs: []docgen.Run{{Text: "電子データ（電子データ.zip）", Bold: true}}},
			docgen.List{Items: listItems(names)})
	}
	return docgen.Section{Tab: tab, Blocks: blocks}
}

func listItems(ss []string) []docgen.ListItem {
	out := make([]docgen.ListItem, len(ss))
	for i, s := range ss {
		out[i] = docgen.ListItem{Runs: []docgen.Run{docgen.T(s)}}
	}
	return out
}

// SafeName makes a file name that Windows and Shift_JIS tools accept:
// characters CP932 lacks and the reserved \/:*?"<>| become "_".
func SafeName(s string) string {
	enc := japanese.ShiftJIS.NewEncoder()
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\/:*?"<>|`, r) || r < 0x20 {
			b.WriteByte('_')
			continue
		}
		if _, err := enc.String(string(r)); err != nil {
			b.WriteByte('_')
			continue
		}
		b.WriteRune(r)
	}
	name := strings.TrimSpace(b.String())
	if name == "" {
		name = "document"
	}
	return name
}

// Files counts the files WriteZIP renders (each item in each format), for
// progress reports.
func Files(items []Item) int {
	n := 0
	for _, it := range items {
		n += len(it.Formats)
	}
	return n
}

// WriteZIP writes the electronic set: NN_title.ext for each item and
// format, and index.xlsx listing them. step (may be nil) is told of each
// file as it is written.
func WriteZIP(w io.Writer, meta docgen.Meta, items []Item, renderers map[string]Renderer, now time.Time, step func(name string)) error {
	zw := zip.NewWriter(w)
	index := tabular.Table{Sheet: "成果物一覧", Headers: []string{"資料番号", "成果物", "形式", "ファイル名", "バイト数"}}
	for i, it := range items {
		for _, ext := range it.Formats {
			render, ok := renderers[ext]
			if !ok {
				return fmt.Errorf("binder: no renderer for %q", ext)
			}
			var buf bytes.Buffer
			if err := render(&buf, it.Doc); err != nil {
				return fmt.Errorf("binder: %s.%s: %w", it.Doc.Meta.Title, ext, err)
			}
			name := FileName(i, it.Doc.Meta.Title, ext)
			f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now})
			if err != nil {
				return err
			}
			if _, err := f.Write(buf.Bytes()); err != nil {
				return err
			}
			index.Rows = append(index.Rows, []string{Label(i), it.Doc.Meta.Title, strings.ToUpper(ext), name, fmt.Sprint(buf.Len())})
			if step != nil {
				step(name)
			}
		}
	}
	f, err := zw.CreateHeader(&zip.FileHeader{Name: "index.xlsx", Method: zip.Deflate, Modified: now})
	if err != nil {
		return err
	}
	xf, _ := tabular.ParseFormat("xlsx")
	if err := tabular.Write(f, xf, index); err != nil {
		return err
	}
	return zw.Close()
}
