// Package xlsxform is the Excel round trip of a questionnaire: a workbook
// whose rows carry a hidden key column and whose hidden sheet says which
// object, at which revision, the file was exported for; read back safely
// (size, zip bombs, the form, the header row) so that a feature can show a
// preview of the changes before it applies them. The audit's pre-audit
// questionnaire and the vendor questionnaire use it.
package xlsxform

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"mamori/internal/docgen"
	"mamori/internal/docgen/xlsx"
)

// Layout names a keyed workbook's parts and limits.
type Layout struct {
	MetaSheet string // the hidden sheet of 項目/値 rows naming what the file is for
	Key       string // the header of the hidden key column
	Answer    string // the header of a column every data sheet has (found with Key)
	// What the feature calls the file, for messages, e.g. 事前調査票.
	What string

	MaxBytes    int64 // the file
	MaxUnzipped int64 // the file once unzipped (a zip bomb is refused before anything reads it)
	MaxParts    int
	MaxRows     int
}

// Write renders a workbook made with the layout's sheets and hides the
// key column of the data sheet and the meta sheet.
func (l Layout) Write(w io.Writer, d *docgen.Document, opt xlsx.Options) error {
	var buf bytes.Buffer
	if err := xlsx.RenderWithOptions(&buf, d, opt); err != nil {
		return err
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		return fmt.Errorf("xlsxform.Write: %w", err)
	}
	defer f.Close()
	for _, sh := range f.GetSheetList() {
		if sh == l.MetaSheet {
			if err := f.SetSheetVisible(sh, false); err != nil {
				return fmt.Errorf("xlsxform.Write: %w", err)
			}
			continue
		}
		rows, err := f.GetRows(sh, excelize.Options{RawCellValue: true})
		if err != nil {
			return fmt.Errorf("xlsxform.Write: %w", err)
		}
		if h, cols := l.header(rows); h >= 0 {
			col, _ := excelize.ColumnNumberToName(cols[l.Key])
			if err := f.SetColVisible(sh, col, false); err != nil {
				return fmt.Errorf("xlsxform.Write: %w", err)
			}
		}
	}
	_, err = f.WriteTo(w)
	return err
}

// header finds the header row among the first rows of a sheet: its index
// (-1: none) and the columns by header (1-based).
func (l Layout) header(rows [][]string) (int, map[string]int) {
	for i := 0; i < len(rows) && i < 40; i++ {
		cols := map[string]int{}
		for j, c := range rows[i] {
			if c = strings.TrimSpace(c); c != "" && cols[c] == 0 {
				cols[c] = j + 1
			}
		}
		if cols[l.Key] > 0 && cols[l.Answer] > 0 {
			return i, cols
		}
	}
	return -1, nil
}

// File is a workbook read back: its meta values, the data sheet's columns
// and its data rows.
type File struct {
	Meta  map[string]string
	Sheet string
	Cols  map[string]int
	Rows  []Row
}

// Row is one data row: its number in Excel and its cells.
type Row struct {
	N     int
	cells []string
}

// Cell is the row's value under a header ("" when absent).
func (f *File) Cell(r Row, header string) string {
	i := f.Cols[header] - 1
	if i < 0 || i >= len(r.cells) {
		return ""
	}
	return r.cells[i]
}

// Read checks and opens an uploaded workbook. A file that cannot be used
// comes back with a message in Japanese saying why and what to do.
func (l Layout) Read(data []byte) (*File, string) {
	if int64(len(data)) > l.MaxBytes {
		return nil, fmt.Sprintf("ファイルが大きすぎます（上限 %d MB）。", l.MaxBytes>>20)
	}
	if msg := l.checkZip(data); msg != "" {
		return nil, msg
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: l.MaxUnzipped, UnzipXMLSizeLimit: l.MaxUnzipped})
	if err != nil {
		return nil, "Excel（.xlsx）のファイルとして読めません。Excel で「Excel ブック（.xlsx）」として保存したファイルを選んでください。"
	}
	defer f.Close()
	if idx, _ := f.GetSheetIndex(l.MetaSheet); idx < 0 {
		return nil, fmt.Sprintf("Mamori の%sとして出力した Excel ではありません（シート「%s」がありません）。%sの画面から出力したファイルに記入して取り込んでください。", l.What, l.MetaSheet, l.What)
	}
	meta, err := f.GetRows(l.MetaSheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, fmt.Sprintf("シート「%s」を読めません。", l.MetaSheet)
	}
	out := &File{Meta: map[string]string{}}
	for _, r := range meta {
		if len(r) >= 2 {
			out.Meta[strings.TrimSpace(r[0])] = strings.TrimSpace(r[1])
		}
	}
	var rows [][]string
	header := -1
	for _, sh := range f.GetSheetList() {
		if sh == l.MetaSheet {
			continue
		}
		rs, err := f.GetRows(sh, excelize.Options{RawCellValue: true})
		if err != nil {
			continue
		}
		if h, c := l.header(rs); h >= 0 {
			rows, header, out.Cols, out.Sheet = rs, h, c, sh
			break
		}
	}
	if header < 0 {
		return out, fmt.Sprintf("見出しの行（「%s」「%s」の列が並ぶ行）が見つかりません。出力したときの列を消さずに取り込んでください。", l.Answer, l.Key)
	}
	if len(rows)-header-1 > l.MaxRows {
		return out, fmt.Sprintf("データの行が多すぎます（上限 %d 行）。", l.MaxRows)
	}
	for i := header + 1; i < len(rows); i++ {
		out.Rows = append(out.Rows, Row{N: i + 1, cells: rows[i]})
	}
	return out, ""
}

// checkZip looks at an uploaded workbook's ZIP directory before anything
// unpacks it: an .xlsx at all, and not a zip bomb (too many parts, or more
// than MaxUnzipped once unpacked — Go's zip reader refuses a part that
// unpacks to more than its directory says, so the sum holds).
func (l Layout) checkZip(data []byte) string {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}) {
			return "古い形式（.xls）か、パスワード付きのファイルは読めません。Excel で「Excel ブック（.xlsx）」としてパスワードなしで保存し直してください。"
		}
		return "Excel（.xlsx）のファイルとして読めません。ファイルが壊れているか、別の形式です。"
	}
	if len(zr.File) > l.MaxParts {
		return fmt.Sprintf("ファイルの構成要素が多すぎます（%d 個）。%sの画面から出力した Excel を使ってください。", len(zr.File), l.What)
	}
	var total uint64
	workbook := false
	for _, f := range zr.File {
		total += f.UncompressedSize64
		workbook = workbook || f.Name == "xl/workbook.xml"
	}
	if total > uint64(l.MaxUnzipped) {
		return fmt.Sprintf("ファイルを展開すると %d MB を超えるため、読み込みません（%sの Excel は通常 1 MB 未満です）。", l.MaxUnzipped>>20, l.What)
	}
	if !workbook {
		return "Excel（.xlsx）のファイルではありません（Word 文書や別の ZIP ファイルのようです）。"
	}
	return ""
}
