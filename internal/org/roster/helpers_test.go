package roster

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/japanese"
)

// Encodings the fixtures are written in.
const (
	encUTF8 = "utf8"
	encBOM  = "bom"
	encSJIS = "sjis"
)

// csvFile writes rows as a CSV file the way Excel or a personnel system
// would: CRLF, the given separator and encoding.
func csvFile(t testing.TB, enc string, sep rune, rows [][]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Comma = sep
	w.UseCRLF = true
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	switch enc {
	case encBOM:
		b = append([]byte("\xEF\xBB\xBF"), b...)
	case encSJIS:
		s, err := japanese.ShiftJIS.NewEncoder().Bytes(b)
		if err != nil {
			t.Fatalf("Shift_JIS: %v", err)
		}
		b = s
	}
	return b
}

// lines builds a CSV from comma-separated lines (no quoting needed).
func lines(ls ...string) [][]string {
	out := make([][]string, len(ls))
	for i, l := range ls {
		if l != "" {
			out[i] = strings.Split(l, ",")
		} else {
			out[i] = []string{""}
		}
	}
	return out
}

// xlsxFile writes rows to the first sheet of a new workbook (row i at
// sheet row i+1; nil rows stay empty). Extra sheets come first when
// given, so that "first sheet with data" is exercised.
func xlsxFile(t testing.TB, rows [][]any, opts ...excelize.Options) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := "職員名簿"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if r == nil {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf, opts...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// mustRead reads a fixture that must be readable.
func mustRead(t testing.TB, name string, b []byte) *Table {
	t.Helper()
	tb, err := ReadFile(name, b)
	if err != nil {
		t.Fatalf("ReadFile(%s): %v", name, err)
	}
	return tb
}

// issuesText joins issues for failure messages and substring checks.
func issuesText(is []Issue) string {
	var b strings.Builder
	for _, i := range is {
		b.WriteString(i.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// orgFixture is a small ward: two 部, their 課 and 係, one retired 課, and
// four staff (one already inactive).
func orgFixture() *Existing {
	return &Existing{
		Departments: []Department{
			{ID: 1, Code: "01", Name: "区民部", Level: "部", Active: true},
			{ID: 2, Code: "0101", Name: "戸籍住民課", Level: "課", ParentID: 1, Active: true},
			{ID: 3, Code: "010101", Name: "住民記録係", Level: "係", ParentID: 2, Active: true},
			{ID: 4, Code: "010102", Name: "庶務係", Level: "係", ParentID: 2, Active: true},
			{ID: 5, Code: "0102", Name: "保険年金課", Level: "課", ParentID: 1, Active: true},
			{ID: 6, Code: "010201", Name: "庶務係", Level: "係", ParentID: 5, Active: true},
			{ID: 7, Code: "010202", Name: "国保係", Level: "係", ParentID: 5, Active: true},
			{ID: 8, Code: "02", Name: "総務部", Level: "部", Active: true},
			{ID: 9, Code: "0201", Name: "総務課", Level: "課", ParentID: 8, Active: true},
			{ID: 10, Code: "0202", Name: "情報政策課", Level: "課", ParentID: 8, Active: true},
			{ID: 11, Code: "0203", Name: "電算課", Level: "課", ParentID: 8, Active: false},
		},
		Staff: map[string]Staff{
			"1001": {ID: 101, EmployeeNo: "1001", Name: "山田\u3000太郎", Kana: "ヤマダ\u3000タロウ", DepartmentID: 3, JobClass: JobGeneral, JobTitle: "主事", Email: "yamada@example.lg.jp", Active: true},
			"1002": {ID: 102, EmployeeNo: "1002", Name: "佐藤\u3000花子", Kana: "サトウ\u3000ハナコ", DepartmentID: 10, JobClass: JobManager, JobTitle: "課長", IsSystem: true, Active: true},
			"1003": {ID: 103, EmployeeNo: "1003", Name: "鈴木\u3000一郎", DepartmentID: 9, JobClass: JobGeneral, JobTitle: "主任", Active: true},
			"0900": {ID: 104, EmployeeNo: "0900", Name: "高橋\u3000次郎", DepartmentID: 9, JobClass: JobGeneral, Active: false},
		},
	}
}
