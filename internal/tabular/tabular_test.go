package tabular_test

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"mamori/internal/jp"
	"mamori/internal/tabular"
)

var sample = tabular.Table{Sheet: "職員名簿", Headers: []string{"職員番号", "氏名", "備考"}, Rows: [][]string{
	{"000123", "髙橋　一郎", "=cmd|' /C calc'!A0"},
	{"000124", "山﨑　花子", "〜№①"},
}}

func TestCSVRoundTrip(t *testing.T) {
	for _, key := range []string{"csv", "csv-utf8"} {
		t.Run(key, func(t *testing.T) {
			f, _ := tabular.ParseFormat(key)
			var buf bytes.Buffer
			if err := tabular.Write(&buf, f, sample); err != nil {
				t.Fatal(err)
			}
			recs, enc, err := jp.ReadCSV(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if (key == "csv") != (enc == jp.ShiftJIS) {
				t.Fatalf("encoding %v", enc)
			}
			if recs[1][1] != "髙橋　一郎" || recs[1][2] != "'=cmd|' /C calc'!A0" || recs[2][1] != "山﨑　花子" {
				t.Fatalf("records %q", recs)
			}
		})
	}
}

func TestXLSX(t *testing.T) {
	f, _ := tabular.ParseFormat("xlsx")
	var buf bytes.Buffer
	if err := tabular.Write(&buf, f, sample); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := x.GetRows("職員名簿")
	if err != nil {
		t.Fatal(err)
	}
	if rows[0][0] != "職員番号" || rows[1][0] != "000123" || rows[1][2] != "'=cmd|' /C calc'!A0" {
		t.Fatalf("rows %q", rows)
	}
	if f, _ := x.GetCellFormula("職員名簿", "C2"); f != "" {
		t.Fatalf("formula written: %q", f)
	}
	if _, err := tabular.ParseFormat("pdf"); err == nil {
		t.Fatal("pdf accepted")
	}
}
