// Package formats is the one list of the file formats a docgen document
// is written in: each format's renderer, content type, extension and the
// label the pages show. Downloads and sub-commands look formats up here
// instead of keeping their own maps.
package formats

import (
	"fmt"
	"io"
	"strings"

	"mamori/internal/docgen"
	"mamori/internal/docgen/docx"
	"mamori/internal/docgen/html"
	"mamori/internal/docgen/pdf"
	"mamori/internal/docgen/xlsx"
)

// Format is one output format.
type Format struct {
	Name        string // "pdf", as URLs and flags give it
	Label       string // as the pages name it
	Ext         string // with the dot
	ContentType string
	Render      func(io.Writer, *docgen.Document) error
}

// The formats, in the order choices are offered.
var (
	PDF  = Format{Name: "pdf", Label: "PDF", Ext: ".pdf", ContentType: "application/pdf", Render: pdf.Render}
	DOCX = Format{Name: "docx", Label: "Word（.docx）", Ext: ".docx",
		ContentType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", Render: docx.Render}
	XLSX = Format{Name: "xlsx", Label: "Excel（.xlsx）", Ext: ".xlsx",
		ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Render: xlsx.Render}
	HTML = Format{Name: "html", Label: "HTML", Ext: ".html", ContentType: "text/html; charset=utf-8", Render: html.Render}
)

// All lists every format.
var All = []Format{PDF, DOCX, XLSX, HTML}

// Get returns the format called name ("pdf").
func Get(name string) (Format, bool) {
	for _, f := range All {
		if f.Name == name {
			return f, true
		}
	}
	return Format{}, false
}

// Parse returns the format called name when it is one of allowed (by
// name; none given: any format), or an error in Japanese naming the
// allowed ones.
func Parse(name string, allowed ...string) (Format, error) {
	if len(allowed) == 0 {
		for _, f := range All {
			allowed = append(allowed, f.Name)
		}
	}
	for _, a := range allowed {
		if a == name {
			if f, ok := Get(name); ok {
				return f, nil
			}
		}
	}
	return Format{}, fmt.Errorf("形式は %s のいずれかを指定してください。", strings.Join(allowed, "・"))
}

// FileName is stem with the format's extension.
func (f Format) FileName(stem string) string { return stem + f.Ext }
