package formats

import (
	"bytes"
	"strings"
	"testing"

	"mamori/internal/docgen"
)

func TestRegistry(t *testing.T) {
	d := &docgen.Document{Meta: docgen.Meta{Title: "試験"}, Sections: []docgen.Section{{Blocks: []docgen.Block{docgen.P("本文です。")}}}}
	magic := map[string]string{"pdf": "%PDF", "docx": "PK\x03\x04", "xlsx": "PK\x03\x04", "html": "<!DOCTYPE html>"}
	for _, f := range All {
		got, ok := Get(f.Name)
		if !ok || got.Name != f.Name || got.Ext != "."+f.Name || got.ContentType == "" || got.Label == "" {
			t.Fatalf("%s: %+v", f.Name, got)
		}
		var buf bytes.Buffer
		if err := got.Render(&buf, d); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte(magic[f.Name])) {
			t.Fatalf("%s renders %q…", f.Name, buf.Bytes()[:min(buf.Len(), 16)])
		}
	}
	if f, err := Parse("docx", "pdf", "docx"); err != nil || f.ContentType != DOCX.ContentType {
		t.Fatalf("parse docx: %+v %v", f, err)
	}
	if _, err := Parse("xlsx", "pdf", "docx"); err == nil || err.Error() != "形式は pdf・docx のいずれかを指定してください。" {
		t.Fatalf("xlsx not allowed: %v", err)
	}
	if _, err := Parse("rtf"); err == nil || !strings.Contains(err.Error(), "pdf・docx・xlsx・html") {
		t.Fatalf("unknown format: %v", err)
	}
	if PDF.FileName("新旧対照表") != "新旧対照表.pdf" {
		t.Fatal(PDF.FileName("新旧対照表"))
	}
}
