package roster

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"mamori/internal/jp"
)

// Table is a roster file as read: the header row and the data rows below
// it, each with the row number the user sees in Excel.
type Table struct {
	Filename string
	Format   string // e.g. "CSV（Shift_JIS）" or "Excel（.xlsx）シート「職員」"
	// HeaderLine is the row number of the header row.
	HeaderLine int
	// HeaderFound is false when no row had two recognised headers and the
	// first non-empty row was taken as headers, so that the user can map
	// the columns by hand.
	HeaderFound bool
	Headers     []string
	Rows        []Row
}

// Row is one non-empty data row.
type Row struct {
	Line  int // 1-based row number in the file (the Excel row number)
	Cells []string
}

// Cell returns column i of the row, or "" past its end.
func (r Row) Cell(i int) string {
	if i < 0 || i >= len(r.Cells) {
		return ""
	}
	return r.Cells[i]
}

// User-facing messages for files that cannot be read at all.
const (
	msgEmpty     = "ファイルが空です。"
	msgTooLarge  = "ファイルが大きすぎます（上限 20 MB）。"
	msgXLS       = "旧形式の Excel（.xls）には対応していません。.xlsx か CSV で保存し直してください。"
	msgEncrypted = "パスワードで保護された Excel ファイルは読み込めません。Excel でパスワードを解除して保存し直してください。"
	msgNotRoster = "CSV または Excel（.xlsx）ファイルを指定してください。"
	msgBadXLSX   = "Excel ファイルを読み込めません。ファイルが壊れている可能性があります。Excel で開いて保存し直すか、CSV で保存してください。"
	msgNoData    = "ファイルにデータがありません。"
)

var (
	magicZip = []byte("PK\x03\x04")
	magicOLE = []byte{0xD0, 0xCF, 0x11, 0xE0}
	// encryptionInfo is the stream name (UTF-16LE) an encrypted OOXML
	// package carries inside its OLE container.
	encryptionInfo = []byte("E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o\x00")
	// binaryMagics are the openings of files people upload by mistake.
	binaryMagics = [][]byte{
		[]byte("%PDF-"), []byte("\x89PNG"), {0xFF, 0xD8, 0xFF}, []byte("GIF8"), []byte("II*\x00"), []byte("MM\x00*"),
		[]byte("RIFF"), {0x1F, 0x8B}, []byte("7z\xBC\xAF"), []byte("Rar!"), []byte("{\\rtf"), []byte("\x7fELF"),
	}
)

// ReadFile reads a roster from the bytes of an uploaded file: CSV in
// UTF-8 (with or without BOM) or Shift_JIS, comma- or tab-separated, or
// Excel .xlsx (the first sheet with data, cells as Excel displays them).
// It finds the header row among the first rows (titles above it are
// skipped), drops empty rows, and refuses files that hold a 個人番号
// column. Problems the user must fix are returned as *InputError.
func ReadFile(filename string, b []byte) (*Table, error) {
	const op = "roster.ReadFile"
	switch {
	case len(b) == 0:
		return nil, inputErr(op, 0, msgEmpty, nil)
	case len(b) > MaxFileSize:
		return nil, inputErr(op, 0, msgTooLarge, nil)
	case bytes.HasPrefix(b, magicOLE):
		if bytes.Contains(b, encryptionInfo) {
			return nil, inputErr(op, 0, msgEncrypted, nil)
		}
		return nil, inputErr(op, 0, msgXLS, nil)
	}
	var (
		recs   [][]string
		lines  []int
		format string
		err    error
	)
	if bytes.HasPrefix(b, magicZip) {
		recs, lines, format, err = readXLSX(b)
	} else {
		recs, lines, format, err = readCSV(b)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	t, err := makeTable(recs, lines)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	t.Filename, t.Format = filename, format
	return t, nil
}

// isBinary reports whether b is plainly not text: a known file signature,
// or a NUL byte early on (UTF-16 text, which has a BOM, is left to
// jp.DecodeText to explain).
func isBinary(b []byte) bool {
	for _, m := range binaryMagics {
		if bytes.HasPrefix(b, m) {
			return true
		}
	}
	if bytes.HasPrefix(b, []byte{0xFF, 0xFE}) || bytes.HasPrefix(b, []byte{0xFE, 0xFF}) {
		return false
	}
	head := b[:min(len(b), 8192)]
	return bytes.IndexByte(head, 0) >= 0
}

// readCSV decodes b (jp.DecodeText detects UTF-8, UTF-8 BOM and CP932 and
// explains mixed or broken encodings by line) and parses it, returning
// each record with its Excel row number. Excel shows a blank line as an
// empty row and a quoted multi-line cell as one row, which encoding/csv's
// line numbers alone do not give, so the row numbers are counted here.
func readCSV(b []byte) ([][]string, []int, string, error) {
	if isBinary(b) {
		return nil, nil, "", &InputError{Msg: msgNotRoster}
	}
	text, enc, err := jp.DecodeText(b)
	if err != nil {
		var te *jp.TextError
		if errors.As(err, &te) {
			return nil, nil, "", &InputError{Line: te.Line, Msg: te.Msg, Err: err}
		}
		return nil, nil, "", err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sniffDelimiter(text)
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	var (
		recs  [][]string
		lines []int
		row   int // Excel row of the previous record
		end   int // physical line the previous record ended on

		lastLine, lastCol int // where the last field read starts
	)
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line := row + 1 + max(pe.StartLine-end-1, 0)
				msg := fmt.Sprintf("%d行目: CSV の形式が正しくありません。", line)
				if errors.Is(pe.Err, csv.ErrQuote) || errors.Is(pe.Err, csv.ErrBareQuote) {
					msg = fmt.Sprintf("%d行目: CSV の引用符（\"）の対応が取れていません。", line)
				}
				return nil, nil, "", &InputError{Line: line, Msg: msg, Err: err}
			}
			return nil, nil, "", err
		}
		start, _ := r.FieldPos(0)
		lastLine, lastCol = r.FieldPos(len(rec) - 1)
		row += start - end // blank lines in between are rows too
		nl := 0
		for _, f := range rec {
			nl += strings.Count(f, "\n")
		}
		end = start + nl
		recs = append(recs, rec)
		lines = append(lines, row)
		if len(recs) > MaxRows+headerScanRows+1 {
			return nil, nil, "", tooManyRows()
		}
	}
	if len(recs) > 0 && unclosedQuote(text, lastLine, lastCol) {
		line := lines[len(lines)-1]
		return nil, nil, "", &InputError{Line: line, Msg: fmt.Sprintf("%d行目: CSV の引用符（\"）が閉じられていません。", line)}
	}
	sep := "カンマ区切り"
	if r.Comma == '\t' {
		sep = "タブ区切り"
	}
	return recs, lines, fmt.Sprintf("CSV（%s、%s）", enc, sep), nil
}

// sniffDelimiter picks tab or comma by counting both on the first lines
// (a title row above the headers may have neither).
func sniffDelimiter(text string) rune {
	tabs, commas := 0, 0
	for i, line := range strings.SplitN(text, "\n", headerScanRows+1) {
		if i == headerScanRows {
			break
		}
		tabs += strings.Count(line, "\t")
		commas += strings.Count(line, ",")
	}
	if tabs > commas {
		return '\t'
	}
	return ','
}

func tooManyRows() error {
	return &InputError{Msg: fmt.Sprintf("データが多すぎます（上限 %d 行）。ファイルを分けて取り込んでください。", MaxRows)}
}

// readXLSX reads the first visible sheet that has data, every cell as
// Excel displays it, with its sheet row number.
func readXLSX(b []byte) ([][]string, []int, string, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, nil, "", &InputError{Msg: msgBadXLSX, Err: err}
	}
	if !slices.ContainsFunc(zr.File, func(f *zip.File) bool { return strings.HasPrefix(f.Name, "xl/") }) {
		return nil, nil, "", &InputError{Msg: msgNotRoster} // a .docx, .ods or plain zip
	}
	f, err := excelize.OpenReader(bytes.NewReader(b), excelize.Options{UnzipSizeLimit: 512 << 20})
	if err != nil {
		return nil, nil, "", &InputError{Msg: msgBadXLSX, Err: err}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, "", &InputError{Msg: msgBadXLSX}
	}
	for _, visibleOnly := range []bool{true, false} {
		for _, name := range sheets {
			if visible, _ := f.GetSheetVisible(name); visibleOnly && !visible {
				continue
			}
			recs, lines, err := readSheet(f, name)
			if err != nil {
				return nil, nil, "", err
			}
			if len(recs) > 0 {
				return recs, lines, fmt.Sprintf("Excel（.xlsx）シート「%s」", name), nil
			}
		}
	}
	return nil, nil, "", &InputError{Msg: msgNoData}
}

// readSheet returns the non-empty rows of one sheet with their numbers.
func readSheet(f *excelize.File, sheet string) ([][]string, []int, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, nil, &InputError{Msg: msgBadXLSX, Err: err}
	}
	defer rows.Close()
	var (
		recs  [][]string
		lines []int
	)
	for n := 1; rows.Next(); n++ {
		cells, err := rows.Columns()
		if err != nil {
			return nil, nil, &InputError{Line: n, Msg: fmt.Sprintf("%d行目: シート「%s」を読み込めません。", n, sheet), Err: err}
		}
		if blank(cells) {
			continue
		}
		recs = append(recs, cells)
		lines = append(lines, n)
		if len(recs) > MaxRows+headerScanRows+1 {
			return nil, nil, tooManyRows()
		}
	}
	if err := rows.Error(); err != nil {
		return nil, nil, &InputError{Msg: msgBadXLSX, Err: err}
	}
	return recs, lines, nil
}

// blank reports whether every cell is empty or white space.
func blank(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// makeTable finds the header row among the first non-empty rows, keeps the
// non-empty rows below it, and refuses 個人番号 columns.
func makeTable(recs [][]string, lines []int) (*Table, error) {
	var idx []int // non-empty records
	for i, r := range recs {
		if !blank(r) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil, &InputError{Msg: msgNoData}
	}
	h, found := idx[0], false
	for _, i := range idx[:min(len(idx), headerScanRows)] {
		n := 0
		for _, f := range Recognise(recs[i]) {
			if f != FieldNone {
				n++
			}
		}
		if n >= 2 {
			h, found = i, true
			break
		}
	}
	t := &Table{HeaderLine: lines[h], HeaderFound: found}
	t.Headers = make([]string, len(recs[h]))
	for i, s := range recs[h] {
		t.Headers[i] = strings.TrimSpace(s)
	}
	for _, i := range idx {
		if i > h {
			t.Rows = append(t.Rows, Row{Line: lines[i], Cells: recs[i]})
		}
	}
	if len(t.Rows) > MaxRows {
		return nil, tooManyRows()
	}
	if err := refuseMyNumber(t); err != nil {
		return nil, err
	}
	return t, nil
}

// unclosedQuote reports whether the field starting at line:col (1-based,
// col in bytes) opens a quote that is never closed. encoding/csv with
// LazyQuotes takes the rest of the file into such a field without
// complaint, which would silently drop every row below it.
func unclosedQuote(text string, line, col int) bool {
	off := 0
	for n := 1; n < line; n++ {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			return false
		}
		off += i + 1
	}
	off += col - 1
	if off >= len(text) || text[off] != '"' {
		return false
	}
	return !strings.HasSuffix(strings.TrimRight(text[off+1:], "\r\n"), `"`)
}
