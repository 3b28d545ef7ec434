// Package tabular writes any list Mamori shows (staff, departments, the
// audit log …) as CSV in Shift_JIS or UTF-8 with BOM, or as XLSX, with
// formula injection neutralised.
package tabular

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"mamori/internal/jp"
)

// Table is a list to export.
type Table struct {
	Sheet   string // sheet name and file-name stem, e.g. 職員名簿
	Headers []string
	Rows    [][]string
}

// Format is an export format.
type Format struct {
	Key         string // query value: csv (Shift_JIS), csv-utf8, xlsx
	Label       string
	Ext         string
	ContentType string
}

// Formats lists the export formats, default first.
var Formats = []Format{
	{"csv", "CSV（Shift_JIS）", ".csv", "text/csv; charset=Shift_JIS"},
	{"csv-utf8", "CSV（UTF-8 BOM付き）", ".csv", "text/csv; charset=utf-8"},
	{"xlsx", "Excel（.xlsx）", ".xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
}

// ParseFormat returns the format for key ("" is the default, Shift_JIS CSV).
func ParseFormat(key string) (Format, error) {
	if key == "" {
		return Formats[0], nil
	}
	for _, f := range Formats {
		if f.Key == key {
			return f, nil
		}
	}
	return Format{}, fmt.Errorf("出力形式 %q には対応していません（csv, csv-utf8, xlsx のいずれか）", key)
}

// Write writes t to w in format f.
func Write(w io.Writer, f Format, t Table) error {
	switch f.Key {
	case "xlsx":
		return writeXLSX(w, t)
	case "csv-utf8":
		return writeCSV(w, jp.UTF8BOM, t)
	default:
		return writeCSV(w, jp.ShiftJIS, t)
	}
}

func writeCSV(w io.Writer, enc jp.Encoding, t Table) error {
	cw := jp.NewCSVWriter(w, enc)
	if err := cw.Write(t.Headers); err != nil {
		return err
	}
	for _, r := range t.Rows {
		if err := cw.Write(r); err != nil {
			return err
		}
	}
	return cw.Flush()
}

func writeXLSX(w io.Writer, t Table) error {
	x := excelize.NewFile()
	defer x.Close()
	sheet := t.Sheet
	if sheet == "" {
		sheet = "一覧"
	}
	sheet = sheetName(sheet)
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	head, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDE6F0"}, Pattern: 1},
		Border: []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	if err != nil {
		return err
	}
	widths := make([]int, len(t.Headers))
	for i, h := range t.Headers {
		widths[i] = jp.DisplayWidth(h)
	}
	for _, r := range t.Rows {
		for i, c := range r {
			if i < len(widths) {
				if dw := jp.DisplayWidth(c); dw > widths[i] {
					widths[i] = dw
				}
			}
		}
	}
	for i, wd := range widths {
		wd = max(8, min(wd+2, 60))
		if err := sw.SetColWidth(i+1, i+1, float64(wd)); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	row := make([]any, len(t.Headers))
	for i, h := range t.Headers {
		row[i] = excelize.Cell{StyleID: head, Value: h}
	}
	if err := sw.SetRow("A1", row); err != nil {
		return err
	}
	for n, r := range t.Rows {
		vals := make([]any, len(r))
		for i, c := range r {
			// Strings are stored as text cells, never as formulas; values
			// that look like formulas are also prefixed so that a copy-paste
			// into another sheet stays inert.
			vals[i] = jp.SafeCell(c)
		}
		cell, _ := excelize.CoordinatesToCellName(1, n+2)
		if err := sw.SetRow(cell, vals); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if len(t.Headers) > 0 {
		last, _ := excelize.CoordinatesToCellName(len(t.Headers), len(t.Rows)+1)
		if err := x.AutoFilter(sheet, "A1:"+last, nil); err != nil {
			return err
		}
	}
	landscape := "landscape"
	fit := true
	one, zero := 1, 0
	if err := x.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &[]int{9}[0], Orientation: &landscape, FitToWidth: &one, FitToHeight: &zero}); err != nil {
		return err
	}
	if err := x.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := x.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: "'" + sheet + "'!$1:$1", Scope: sheet}); err != nil {
		return err
	}
	_, err = x.WriteTo(w)
	return err
}

// sheetName makes s a legal sheet name (≤31 chars, none of []:*?/\).
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	return s
}

// FileName is a download name: stem, a date stamp and the extension.
func FileName(stem, stamp string, f Format) string {
	return stem + "_" + stamp + f.Ext
}
