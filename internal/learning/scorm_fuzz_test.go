package learning

import (
	"archive/zip"
	"bytes"
	"errors"
	"testing"
)

// FuzzParseSCORM reads arbitrary bytes as an uploaded SCORM package, and
// arbitrary manifests inside a ZIP: nothing panics, a refusal is a
// *SCORMError with a message, and an accepted package names its launch
// file.
func FuzzParseSCORM(f *testing.F) {
	if sample, err := SamplePackage("telework"); err == nil {
		f.Add(sample, []byte(nil))
		f.Add(sample[:len(sample)/2], []byte(nil))
	}
	f.Add([]byte("PK\x03\x04"), []byte(`<manifest><organizations default="o"><organization identifier="o"><item identifierref="r"/></organization></organizations><resources><resource identifier="r" href="../../etc/passwd" adlcp:scormtype="sco"/></resources></manifest>`))
	f.Add([]byte(nil), []byte(`<!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><manifest>&b;</manifest>`))
	f.Fuzz(func(t *testing.T, data, manifest []byte) {
		if manifest != nil {
			var buf bytes.Buffer
			zw := zip.NewWriter(&buf)
			w, _ := zw.Create("imsmanifest.xml")
			_, _ = w.Write(manifest)
			w, _ = zw.Create("index.html")
			_, _ = w.Write([]byte("<html></html>"))
			_ = zw.Close()
			data = buf.Bytes()
		}
		p, err := ParseSCORM(data)
		if err != nil {
			var se *SCORMError
			if !errors.As(err, &se) || se.Error() == "" {
				t.Fatalf("a refusal of type %T: %v", err, err)
			}
			return
		}
		if p == nil || p.Launch == "" {
			t.Fatalf("an accepted package without a launch file: %+v", p)
		}
	})
}
