package roster

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// titled is a roster with a title row and a blank row above headers in an
// unusual order, as people export them.
var titled = [][]string{
	{"令和8年度 職員名簿"},
	{""},
	{"所属名", "氏名", "職名", "職員番号", "フリガナ", "備考"},
	{"区民部 戸籍住民課 住民記録係", "山田　太郎", "主事", "001001", "やまだ　たろう", ""},
	{"総務部／総務課", "髙橋　﨑子", "課長", "001002", "ﾀｶﾊｼ ｻｷｺ", "①"},
}

func TestReadFileFormats(t *testing.T) {
	wantHeaders := titled[2]
	xlsxRows := make([][]any, len(titled))
	for i, r := range titled {
		if i == 1 {
			continue // a truly empty sheet row
		}
		for _, c := range r {
			xlsxRows[i] = append(xlsxRows[i], c)
		}
	}
	tests := []struct {
		name   string
		file   string
		data   []byte
		format string
	}{
		{"UTF-8", "名簿.csv", csvFile(t, encUTF8, ',', titled), "CSV（UTF-8、カンマ区切り）"},
		{"UTF-8 BOM", "名簿.csv", csvFile(t, encBOM, ',', titled), "CSV（UTF-8 (BOM付き)、カンマ区切り）"},
		{"Shift_JIS", "名簿.csv", csvFile(t, encSJIS, ',', titled), "CSV（Shift_JIS、カンマ区切り）"},
		{"Shift_JIS TAB", "名簿.txt", csvFile(t, encSJIS, '\t', titled), "CSV（Shift_JIS、タブ区切り）"},
		{"UTF-8 TAB", "名簿.tsv", csvFile(t, encUTF8, '\t', titled), "CSV（UTF-8、タブ区切り）"},
		{"XLSX", "名簿.xlsx", xlsxFile(t, xlsxRows), "Excel（.xlsx）シート「職員名簿」"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := mustRead(t, tt.file, tt.data)
			if tb.Format != tt.format {
				t.Errorf("Format = %q, want %q", tb.Format, tt.format)
			}
			if !tb.HeaderFound || tb.HeaderLine != 3 {
				t.Errorf("header found %v at line %d, want line 3", tb.HeaderFound, tb.HeaderLine)
			}
			if !reflect.DeepEqual(tb.Headers, wantHeaders) {
				t.Errorf("Headers = %q", tb.Headers)
			}
			if len(tb.Rows) != 2 || tb.Rows[0].Line != 4 || tb.Rows[1].Line != 5 {
				t.Fatalf("Rows = %+v, want lines 4 and 5", tb.Rows)
			}
			if got := tb.Rows[1].Cell(1); got != "髙橋　﨑子" {
				t.Errorf("name cell = %q (CP932 characters must survive)", got)
			}
			if got := tb.Rows[0].Cell(3); got != "001001" {
				t.Errorf("employee number = %q, leading zeros must stay", got)
			}
		})
	}
}

func TestReadFileRowNumbers(t *testing.T) {
	tests := []struct {
		name  string
		data  []byte
		lines []int
	}{
		{
			// A quoted cell spanning two lines is one Excel row, and a
			// blank line is an (empty) Excel row.
			name:  "multi-line cell and blank line",
			data:  []byte("職員番号,氏名,所属名\r\n1001,\"山田\r\n太郎\",総務課\r\n\r\n1002,佐藤,総務課\r\n"),
			lines: []int{2, 4},
		},
		{
			name:  "blank lines before the header",
			data:  []byte("\n\n職員番号,氏名\n1001,山田\n,\n1002,佐藤\n"),
			lines: []int{4, 6},
		},
		{
			name:  "trailing separators only rows are skipped",
			data:  []byte("職員番号,氏名,所属名\n1001,山田,総務課\n,,\n,,\n"),
			lines: []int{2},
		},
		{
			name: "xlsx row numbers with gaps",
			data: xlsxFile(t, [][]any{
				{"職員名簿"}, nil, {"職員番号", "氏名"}, {"1001", "山田"}, nil, nil, {"1002", "佐藤"},
			}),
			lines: []int{4, 7},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := mustRead(t, "f", tt.data)
			var got []int
			for _, r := range tb.Rows {
				got = append(got, r.Line)
			}
			if !reflect.DeepEqual(got, tt.lines) {
				t.Errorf("lines = %v, want %v", got, tt.lines)
			}
		})
	}
}

func TestReadFileRefuses(t *testing.T) {
	good := xlsxFile(t, [][]any{{"職員番号", "氏名"}, {"1001", "山田"}})
	encrypted := xlsxFile(t, [][]any{{"職員番号", "氏名"}, {"1001", "山田"}}, excelize.Options{Password: "himitsu"})
	var zipBuf bytes.Buffer
	zw := zip.NewWriter(&zipBuf)
	w, _ := zw.Create("readme.txt")
	_, _ = w.Write([]byte("hello"))
	_ = zw.Close()
	big := bytes.Repeat([]byte("1001,山田,総務課\r\n"), (21<<20)/len("1001,山田,総務課\r\n")+1)
	var many bytes.Buffer
	many.WriteString("職員番号,氏名\n")
	for i := 0; i <= MaxRows; i++ {
		fmt.Fprintf(&many, "%d,x\n", i)
	}
	mixed := append([]byte("職員番号,氏名\r\n1001,山田\r\n"), csvFile(t, encSJIS, ',', [][]string{{"1002", "佐藤"}})...)

	tests := []struct {
		name string
		data []byte
		msg  string // substring of the message
		line int
	}{
		{"empty", nil, "ファイルが空です。", 0},
		{"21 MB", big, "ファイルが大きすぎます（上限 20 MB）。", 0},
		{"xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 1024)...), "旧形式の Excel（.xls）には対応していません。", 0},
		{"password-protected xlsx", encrypted, "パスワードで保護された Excel", 0},
		{"corrupt xlsx", good[:len(good)/2], "ファイルが壊れている可能性があります", 0},
		{"zip that is not a workbook", zipBuf.Bytes(), "CSV または Excel（.xlsx）ファイルを指定してください。", 0},
		{"PDF", []byte("%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"), "CSV または Excel（.xlsx）ファイルを指定してください。", 0},
		{"PNG", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), "CSV または Excel（.xlsx）ファイルを指定してください。", 0},
		{"other binary", []byte("abc\x00\x01\x02def"), "CSV または Excel（.xlsx）ファイルを指定してください。", 0},
		{"UTF-16", []byte("\xFF\xFE\x77\x80\x58\x54"), "UTF-16", 1},
		{"mixed encodings", mixed, "文字コードが混在しています（1行目は UTF-8、3行目は Shift_JIS）", 3},
		{"unclosed quote", []byte("職員番号,氏名\n1001,\"山田\n1002,佐藤\n"), "2行目: CSV の引用符（\"）が閉じられていません", 2},
		{"個人番号 column", []byte("職員番号,氏名,個人番号\n1001,山田,123456789018\n"), "「個人番号」の列があります", 1},
		{"マイナンバー column", []byte("令和8年度\n職員番号,氏名,マイナンバー（12桁）\n1001,山田,\n"), "「マイナンバー（12桁）」の列があります", 2},
		{"unlabelled My Numbers", []byte("職員番号,氏名,番号\n1001,山田,123456789018\n1002,佐藤,1234 5678 9018\n1003,鈴木,000000000000\n"),
			"「番号」の列に個人番号（マイナンバー）と思われる", 1},
		{"too many rows", many.Bytes(), "上限 100000 行", 0},
		{"only blank lines", []byte("\r\n,,\r\n"), "ファイルにデータがありません。", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadFile("upload", tt.data)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("err = %v, want *InputError", err)
			}
			if !strings.Contains(ie.Msg, tt.msg) {
				t.Errorf("Msg = %q, want it to contain %q", ie.Msg, tt.msg)
			}
			if ie.Line != tt.line {
				t.Errorf("Line = %d, want %d", ie.Line, tt.line)
			}
			if !strings.HasPrefix(err.Error(), "roster.ReadFile: ") {
				t.Errorf("error %q is not wrapped with the operation name", err)
			}
		})
	}
}

func TestReadFileAccepts(t *testing.T) {
	tests := []struct {
		name        string
		data        []byte
		headerFound bool
	}{
		// The duty flag mentions 個人番号 but is not the number itself.
		{"duty flag is not My Number", []byte("職員番号,氏名,個人番号事務取扱担当者,マイナンバー事務担当\n1001,山田,○,\n"), true},
		// Twelve-digit values without a valid check digit are not My Numbers.
		{"12 digits without check digit", []byte("職員番号,氏名\n123456789010,山田\n123456789011,佐藤\n123456789012,鈴木\n"), true},
		// Unknown headers: the first row is taken so that the user can map.
		{"no recognisable header", []byte("EmpNo,FullName\n1001,山田\n"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tb := mustRead(t, "f.csv", tt.data)
			if tb.HeaderFound != tt.headerFound {
				t.Errorf("HeaderFound = %v, want %v", tb.HeaderFound, tt.headerFound)
			}
		})
	}
}

func TestIsMyNumber(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"123456789018", true},
		{"1234-5678-9018", true},
		{"１２３４５６７８９０１８", true},
		{"123456789017", false},
		{"12345678901", false},
		{"12345678901a", false},
	}
	for _, tt := range tests {
		if got := isMyNumber(tt.in); got != tt.want {
			t.Errorf("isMyNumber(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestReadXLSXDisplayedValues checks that cells come as Excel shows them:
// a number formatted 000000 keeps its leading zeros, and a hidden first
// sheet or an empty one is passed over for the first sheet with data.
func TestReadXLSXDisplayedValues(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	if _, err := f.NewSheet("名簿"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.NewSheet("隠し"); err != nil {
		t.Fatal(err)
	}
	// Order: Sheet1 (empty), 名簿, 隠し; make 隠し first and hidden.
	if err := f.MoveSheet("隠し", "Sheet1"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		sheet, cell string
		v           any
	}{
		{"隠し", "A1", "職員番号"}, {"隠し", "B1", "氏名"}, {"隠し", "A2", "9999"},
		{"名簿", "A1", "職員番号"}, {"名簿", "B1", "氏名"}, {"名簿", "C1", "採用日"},
		{"名簿", "A2", 1001}, {"名簿", "B2", "山田　太郎"}, {"名簿", "C2", 45748}, // 2025-04-01
	} {
		if err := f.SetCellValue(c.sheet, c.cell, c.v); err != nil {
			t.Fatal(err)
		}
	}
	zeros := "000000"
	st, err := f.NewStyle(&excelize.Style{CustomNumFmt: &zeros})
	if err != nil {
		t.Fatal(err)
	}
	date, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		t.Fatal(err)
	}
	_ = f.SetCellStyle("名簿", "A2", "A2", st)
	_ = f.SetCellStyle("名簿", "C2", "C2", date)
	if err := f.SetSheetVisible("隠し", false); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	tb := mustRead(t, "名簿.xlsx", buf.Bytes())
	if !strings.Contains(tb.Format, "名簿") {
		t.Errorf("Format = %q, want sheet 名簿", tb.Format)
	}
	if len(tb.Rows) != 1 || tb.Rows[0].Cell(0) != "001001" || tb.Rows[0].Line != 2 {
		t.Fatalf("Rows = %+v", tb.Rows)
	}
	if got := tb.Rows[0].Cell(2); got == "45748" || got == "" {
		t.Errorf("date cell = %q, want it as displayed", got)
	}
}
