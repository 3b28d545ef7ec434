package catalog

import (
	"bytes"
	"testing"
	"time"
)

// FuzzReadXLSX feeds any bytes to the reading of an uploaded checklist
// workbook (opening, the 取込情報 sheet, finding the table and its
// columns): it must never panic, and a file it refuses must carry a
// reason for the user. The seeds are a real export and broken ones.
func FuzzReadXLSX(f *testing.F) {
	t := StoredTemplate{ID: 1, Kind: "internal", Version: 2026, Title: "内部監査チェックリスト"}
	items := []StoredItem{
		{ID: 1, TemplateID: 1, Code: "IA-1.1-01", Category: "組織体制", Question: "最高情報セキュリティ責任者（CISO）が任命されているか。", Criteria: Criteria{Conform: "任命され、文書で周知されている。"}},
		{ID: 2, TemplateID: 1, Code: "IA-2.3-02", Category: "情報資産の管理", Question: "情報資産の台帳が毎年度更新されているか。"},
	}
	var buf bytes.Buffer
	if err := RenderTemplate(&buf, "xlsx", t, items, "ひので区", time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC), false); err != nil {
		f.Fatal(err)
	}
	good := buf.Bytes()
	if p := (&XLSXPlan{File: "seed.xlsx", Template: t}); !func() bool { _, _, _, _, ok := p.readXLSX(good); return ok }() {
		f.Fatalf("the export itself is refused: %+v", p)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte("番号,質問\n1,テスト\n"))
	f.Fuzz(func(tt *testing.T, data []byte) {
		p := &XLSXPlan{File: "fuzz.xlsx", Template: t}
		_, header, rows, cols, ok := p.readXLSX(data)
		if !ok {
			if p.OK() {
				tt.Fatal("refused without a reason")
			}
			return
		}
		if header < 0 || header >= len(rows) || cols == nil {
			tt.Fatalf("table: header %d of %d rows", header, len(rows))
		}
	})
}
