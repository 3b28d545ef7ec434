// Package binder makes the bound set (製本) of a year's deliverables: one
// print-ready document with a cover, a table of contents, continuous page
// numbers and a tab per document in the header; and the electronic set, a
// ZIP of every document in its native formats with an index.xlsx.
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
	"mamori/internal/tabular"
)

// Item is one document of the set.
type Item struct {
	Doc     *docgen.Document
	Formats []string // file extensions to put in the ZIP: "pdf", "docx", "xlsx", "html"
}

// Renderer writes a document in one format.
type Renderer func(w io.Writer, d *docgen.Document) error

// Bind merges the items into one document: a cover and contents from meta,
// then each item with its title as a chapter-like heading, its own heading
// numbers (第1章 … restart for each document) and its title as the header
// tab.
func Bind(meta docgen.Meta, items []Item) *docgen.Document {
	out := &docgen.Document{Meta: meta, Cover: true, TOC: true}
	for i, it := range items {
		title := it.Doc.Meta.Title
		tab := fmt.Sprintf("%d %s", i+1, title)
		var n docgen.Numberer
		for j, sec := range it.Doc.Sections {
			s := docgen.Section{Orientation: sec.Orientation, Tab: tab}
			if j == 0 {
				s.Blocks = append(s.Blocks, docgen.Heading{Level: 1, Text: fmt.Sprintf("%d　%s", i+1, title)})
			}
			for _, b := range sec.Blocks {
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

// WriteZIP writes the electronic set: NN_title.ext for each item and
// format, and index.xlsx listing them.
func WriteZIP(w io.Writer, meta docgen.Meta, items []Item, renderers map[string]Renderer, now time.Time) error {
	zw := zip.NewWriter(w)
	index := tabular.Table{Sheet: "成果物一覧", Headers: []string{"No", "成果物", "形式", "ファイル名", "バイト数"}}
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
			name := fmt.Sprintf("%02d_%s.%s", i+1, SafeName(it.Doc.Meta.Title), ext)
			f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now})
			if err != nil {
				return err
			}
			if _, err := f.Write(buf.Bytes()); err != nil {
				return err
			}
			index.Rows = append(index.Rows, []string{fmt.Sprint(i + 1), it.Doc.Meta.Title, strings.ToUpper(ext), name, fmt.Sprint(buf.Len())})
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
