package provision

import (
	"errors"
	"os"
	"testing"
)

// FuzzParse checks that Parse never panics and that every document it
// returns survives the round trip through Plain and a Renumber.
func FuzzParse(f *testing.F) {
	for _, name := range fixtureFiles(f) {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	for _, s := range []string{
		"第1条\n（1）\nア\n（ア）\n①\n⑴\n一\n1)\n",
		"（目的）\n第1条（見出し（入れ子））　本文\n\t表\t\n| a |\n附則　抄\n附　則（令和6年）本文\n",
		"第十二条の二　本文、\n続き\n２\n３．次\n第1編\n第1款\n第1節\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		d, _, err := Parse(text)
		if err != nil {
			return
		}
		again, _, err := Parse(d.Plain())
		if err != nil {
			t.Fatalf("Parse(Plain()) failed: %v\n%q", err, d.Plain())
		}
		if dump(again) != dump(d) {
			t.Fatalf("round trip changed the tree:\ninput %q\nplain %q\n%s\n---\n%s", text, d.Plain(), dump(d), dump(again))
		}
		Renumber(d)
		if _, _, err := Parse(d.Plain()); err != nil {
			t.Fatalf("renumbered document does not parse: %v", err)
		}
	})
}

// FuzzReadDOCX feeds arbitrary document.xml bodies (with the sample's
// numbering and styles) through ReadFile: it must return a document or an
// *InputError, never panic, and what it returns must round-trip.
func FuzzReadDOCX(f *testing.F) {
	f.Add(body(para("規程"), para("（目的）", "2", "0"), para("本文。"), table(row("a", "b"))))
	f.Add(body(styled("ChapterHeading", "総則"), para("x", "2", "4"), para("y", "1", "0"), `<w:p><w:r><w:br/></w:r></w:p>`))
	f.Add(`<w:document ` + wNS + `><w:body><w:tbl><w:tr><w:tc><w:tbl><w:tr><w:tc>` + para("第1条") + `</w:tc></w:tr></w:tbl></w:tc></w:tr></w:tbl></w:body></w:document>`)
	f.Fuzz(func(t *testing.T, doc string) {
		data := buildDOCX(t, map[string]string{"word/document.xml": doc, "word/numbering.xml": sampleNumbering, "word/styles.xml": sampleStyles})
		d, _, err := ReadFile("f.docx", data)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("error %T: %v", err, err)
			}
			return
		}
		again, _, err := Parse(d.Plain())
		if err != nil || dump(again) != dump(d) {
			t.Fatalf("round trip: %v\n%s\n---\n%s", err, dump(d), dump(again))
		}
	})
}
