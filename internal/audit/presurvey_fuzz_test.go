package audit

import (
	"bytes"
	"testing"

	"mamori/internal/docgen"
)

// FuzzReadPresurveyXLSX feeds any bytes to the reading of an uploaded
// pre-survey workbook (internal/xlsxform, shared with the vendor
// checklist): it must never panic, and a refused file must say why. The
// seeds are a workbook as the export writes it and broken ones.
func FuzzReadPresurveyXLSX(f *testing.F) {
	qt := docgen.Table{Caption: presurveySheet, HeaderRows: 1, Columns: []docgen.Column{{Width: 1.3}, {Width: 2.2}, {Width: 5.5}, {Width: 1.9}, {Width: 5.5}, {Width: 1}}}
	qt.Rows = append(qt.Rows, docgen.Row{Cells: []docgen.Cell{headCell(pcNo), headCell(pcCategory), headCell(pcQuestion), headCell(pcChoice), headCell(pcText), headCell(pcKey)}},
		docgen.Row{Cells: []docgen.Cell{docgen.C("IA-1.1-01"), docgen.C("組織体制"), docgen.C("情報セキュリティ責任者が指名されているか。"), docgen.C("実施している"), docgen.C("課長を指名"), docgen.C("IA-1.1-01")}})
	mt := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 1}, {Width: 2}},
		Rows: []docgen.Row{{Cells: []docgen.Cell{headCell("項目"), headCell("値")}}, {Cells: []docgen.Cell{docgen.C(pmForm), docgen.C(presurveyForm)}},
			{Cells: []docgen.Cell{docgen.C(pmCode), docgen.C("IA-R8-001")}}, {Cells: []docgen.Cell{docgen.C(pmRev), docgen.C("3")}}}}
	d := &docgen.Document{Meta: docgen.Meta{Title: "事前調査票", Ward: "ひので区", FiscalYear: 2026},
		Sections: []docgen.Section{{Orientation: docgen.Landscape, Tab: presurveySheet, Blocks: []docgen.Block{qt}},
			{Orientation: docgen.Portrait, Tab: presurveyMetaSheet, Blocks: []docgen.Block{mt}}}}
	var buf bytes.Buffer
	if err := WritePresurveyXLSX(&buf, d); err != nil {
		f.Fatal(err)
	}
	good := buf.Bytes()
	if file, msg := presurveyLayout.Read(good); file == nil {
		f.Fatalf("the written workbook is refused: %s", msg)
	}
	f.Add(good)
	f.Add(good[:len(good)*2/3])
	f.Add([]byte("PK\x05\x06" + string(make([]byte, 18))))
	f.Add([]byte("項目,値\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, msg := presurveyLayout.Read(data)
		if file == nil && msg == "" {
			t.Fatal("refused without a reason")
		}
		if file != nil {
			for _, r := range file.Rows {
				_ = file.Cell(r, pcChoice)
			}
		}
	})
}
