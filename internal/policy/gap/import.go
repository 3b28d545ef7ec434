package gap

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/jp"
)

// MaxImportSize is the largest spreadsheet the import accepts.
const MaxImportSize = 10 << 20

// CellChange is one cell the import changes.
type CellChange struct {
	Line   int // row of the sheet
	No     int
	Clause string
	Column string
	Old    string
	New    string
}

// RowError is one problem in the file: the sheet row, the column and why.
type RowError struct {
	Line   int
	No     int // 0 when the No itself is the problem
	Column string
	Msg    string
}

func (e RowError) String() string {
	s := ""
	if e.Line > 0 {
		s = fmt.Sprintf("%d行目", e.Line)
	}
	if e.No > 0 {
		s += fmt.Sprintf("（No.%d）", e.No)
	}
	if e.Column != "" {
		s += "「" + e.Column + "」列"
	}
	if s != "" {
		s += ": "
	}
	return s + e.Msg
}

// ImportResult is what an import found and did.
type ImportResult struct {
	Sheet       string
	Rows        int // data rows read
	Changes     []CellChange
	ChangedRows int // rows changed
	Errors      []RowError
	Notes       []string // columns missing from the file (left unchanged) etc.
	Applied     bool
}

// ImportError is a file the import cannot read at all.
type ImportError struct{ Msg string }

func (e *ImportError) Error() string { return e.Msg }

var tableMarkerRe = regexp.MustCompile(regexp.QuoteMeta(tableMarker) + `([0-9]+)`)

// editable columns and the Edit field each one sets.
var editColumns = []struct {
	col   string
	field string
}{
	{ColProvisions, "provisions"}, {ColStatus, "status"}, {ColDifference, "difference"}, {ColIssue, "issue"},
	{ColDecision, "decision"}, {ColReason, "reason"}, {ColDate, "decision_date"}, {ColPlanned, "planned"},
}

func setField(e *Edit, field, v string) {
	switch field {
	case "provisions":
		e.Provisions = v
	case "status":
		e.Status = v
	case "difference":
		e.Difference = v
	case "issue":
		e.Issue = v
	case "decision":
		e.Decision = v
	case "reason":
		e.Reason = v
	case "decision_date":
		e.DecisionDate = v
	case "planned":
		e.Planned = v
	}
}

func getField(e Edit, field string) string {
	switch field {
	case "provisions":
		return e.Provisions
	case "status":
		return e.Status
	case "difference":
		return e.Difference
	case "issue":
		return e.Issue
	case "decision":
		return e.Decision
	case "reason":
		return e.Reason
	case "decision_date":
		return e.DecisionDate
	case "planned":
		return e.Planned
	}
	return ""
}

// Import reads an edited copy of the table's spreadsheet and, when every
// row is acceptable and apply is set, writes the changed cells in one
// transaction (each changed row audited). Any row error means nothing is
// written; the result names every error and, either way, every change.
func (s *Store) Import(ctx context.Context, tableID int64, data []byte, apply bool, userID int64, now time.Time) (*ImportResult, error) {
	t, err := s.Table(ctx, tableID)
	if err != nil {
		return nil, err
	}
	rows, err := s.Rows(ctx, tableID, Filter{})
	if err != nil {
		return nil, err
	}
	res, edits, err := parseImport(t, rows, data)
	if err != nil {
		return nil, err
	}
	if !apply || len(res.Errors) > 0 || len(res.Changes) == 0 {
		return res, nil
	}
	bySeq := map[int]Row{}
	for _, r := range rows {
		bySeq[r.Seq] = r
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.lockTable(ctx, tableID); err != nil {
			return err
		}
		n := 0
		for _, seq := range slices.Sorted(maps.Keys(edits)) {
			r := bySeq[seq]
			// re-read inside the transaction: the row may have changed
			// since the page was shown
			cur, err := s.Row(ctx, r.ID)
			if err != nil {
				return err
			}
			e := EditOf(cur)
			for f, v := range edits[seq] {
				setField(&e, f, v)
			}
			if fe := Check(cur.Kind, &e); fe != nil {
				return fe
			}
			ch, err := s.apply(ctx, cur, e, userID, now, "Excel取込み")
			if err != nil {
				return err
			}
			if ch {
				n++
			}
		}
		res.ChangedRows = n
		return s.log.Record(ctx, "policy.gap_import", fmt.Sprintf("policy_gap_table:%d", tableID),
			fmt.Sprintf("%s: %d 行 %d セルを変更", res.Sheet, n, len(res.Changes)))
	})
	if err != nil {
		return nil, fmt.Errorf("gap.Import: %w", err)
	}
	res.Applied = true
	return res, nil
}

// parseImport reads the workbook and compares it with the stored rows. It
// returns the changes and row errors, and the new values by row seq and
// field. A file that is not a readable workbook of this table is an
// ImportError.
func parseImport(t Table, rows []Row, data []byte) (*ImportResult, map[int]map[string]string, error) {
	if len(data) == 0 {
		return nil, nil, &ImportError{"ファイルが空です。Excel（.xlsx）ファイルを選んでください。"}
	}
	if len(data) > MaxImportSize {
		return nil, nil, &ImportError{fmt.Sprintf("ファイルが大きすぎます（%.1f MB、上限 %d MB）。", float64(len(data))/(1<<20), MaxImportSize>>20)}
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		if bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}) {
			return nil, nil, &ImportError{"古い形式（.xls）かパスワード付きのファイルは読めません。Excel で .xlsx 形式（パスワードなし）で保存し直してください。"}
		}
		return nil, nil, &ImportError{"Excel（.xlsx）ファイルとして読めません。ファイルが壊れているか、別の形式です。"}
	}
	isXLSX := false
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "xl/") {
			isXLSX = true
		}
	}
	if !isXLSX {
		return nil, nil, &ImportError{"Excel（.xlsx）ファイルではありません（Word 文書や別の ZIP ファイルのようです）。"}
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 256 << 20})
	if err != nil {
		return nil, nil, &ImportError{"Excel（.xlsx）ファイルとして読めません: ファイルが壊れている可能性があります。"}
	}
	defer f.Close()
	var (
		sheet  string
		grid   [][]string
		header = -1
		cols   map[string]int
	)
	for _, name := range f.GetSheetList() {
		g, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, nil, &ImportError{fmt.Sprintf("シート「%s」を読めません。", name)}
		}
		for i, row := range g {
			if i > 40 {
				break
			}
			m := map[string]int{}
			for j, c := range row {
				m[strings.TrimSpace(c)] = j
			}
			if _, ok := m[ColNo]; !ok {
				continue
			}
			if _, ok := m[ColClause]; ok {
				sheet, grid, header, cols = name, g, i, m
				break
			}
		}
		if header >= 0 {
			break
		}
	}
	if header < 0 {
		return nil, nil, &ImportError{"見出し行（「No」「ガイドライン条項」…）が見つかりません。この画面から出力した Excel を編集して取り込んでください。"}
	}
	// a file exported from another table is refused outright
	for i := 0; i < header; i++ {
		for _, c := range grid[i] {
			if m := tableMarkerRe.FindStringSubmatch(c); m != nil {
				if id, _ := strconv.ParseInt(m[1], 10, 64); id != t.ID {
					return nil, nil, &ImportError{fmt.Sprintf("このファイルは別の整合表（整合表番号 %d）から出力されたものです。この表（整合表番号 %d）の Excel を取り込んでください。", id, t.ID)}
				}
			}
		}
	}
	res := &ImportResult{Sheet: sheet}
	for _, ec := range editColumns {
		if _, ok := cols[ec.col]; !ok {
			res.Notes = append(res.Notes, fmt.Sprintf("「%s」列がないため、%sは変更しません。", ec.col, ec.col))
		}
	}
	bySeq := map[int]Row{}
	for _, r := range rows {
		bySeq[r.Seq] = r
	}
	cell := func(row []string, col string) (string, bool) {
		j, ok := cols[col]
		if !ok {
			return "", false
		}
		if j < len(row) {
			return row[j], true
		}
		return "", true
	}
	seen := map[int]int{}
	edits := map[int]map[string]string{}
	for i := header + 1; i < len(grid); i++ {
		row, line := grid[i], i+1
		rawNo, _ := cell(row, ColNo)
		rawNo = strings.TrimSpace(jp.Normalize(rawNo))
		if rawNo == "" {
			continue // a chapter heading or an empty row
		}
		res.Rows++
		no, err := strconv.Atoi(strings.TrimSuffix(rawNo, ".0"))
		if err != nil {
			res.Errors = append(res.Errors, RowError{Line: line, Column: ColNo, Msg: fmt.Sprintf("No「%s」は数字ではありません。", rawNo)})
			continue
		}
		r, ok := bySeq[no]
		if !ok {
			res.Errors = append(res.Errors, RowError{Line: line, Column: ColNo, Msg: fmt.Sprintf("No.%d はこの整合表にありません（行を追加しても取り込めません）。", no)})
			continue
		}
		if l, dup := seen[no]; dup {
			res.Errors = append(res.Errors, RowError{Line: line, No: no, Column: ColNo, Msg: fmt.Sprintf("No.%d が %d行目と重複しています。", no, l)})
			continue
		}
		seen[no] = line
		if c, ok := cell(row, ColClause); ok && normSpace(c) != normSpace(r.Clause()) {
			res.Errors = append(res.Errors, RowError{Line: line, No: no, Column: ColClause,
				Msg: fmt.Sprintf("条項が表と一致しません（表: %s、ファイル: %s）。行の順序を入れ替えたり条項を書き換えたりしないでください。", r.Clause(), strings.TrimSpace(c))})
			continue
		}
		old := EditOf(r)
		e := old
		present := map[string]bool{}
		var dateErr string
		for _, ec := range editColumns {
			v, ok := cell(row, ec.col)
			if !ok {
				continue
			}
			present[ec.field] = true
			if ec.field == "decision_date" {
				d, err := excelDate(v)
				if err != nil {
					dateErr = err.Error()
					v = ""
				} else {
					v = d
				}
			}
			setField(&e, ec.field, v)
		}
		fe := Check(r.Kind, &e)
		if dateErr != "" {
			if fe == nil {
				fe = FieldErrors{}
			}
			fe["decision_date"] = dateErr
		}
		if fe != nil {
			for _, ec := range editColumns {
				if m, ok := fe[ec.field]; ok {
					res.Errors = append(res.Errors, RowError{Line: line, No: no, Column: ec.col, Msg: m})
				}
			}
			continue
		}
		for _, ec := range editColumns {
			if !present[ec.field] {
				continue
			}
			o, n := getField(old, ec.field), getField(e, ec.field)
			if o == n {
				continue
			}
			if edits[no] == nil {
				edits[no] = map[string]string{}
			}
			edits[no][ec.field] = n
			shown := func(v string) string {
				if ec.field == "decision_date" {
					return Row{DecisionDate: v}.DecisionWareki()
				}
				return v
			}
			res.Changes = append(res.Changes, CellChange{Line: line, No: no, Clause: r.Clause(), Column: ec.col, Old: shown(o), New: shown(n)})
		}
	}
	if res.Rows == 0 {
		return nil, nil, &ImportError{fmt.Sprintf("シート「%s」にデータの行がありません。", sheet)}
	}
	return res, edits, nil
}

func normSpace(s string) string { return strings.Join(strings.Fields(jp.Normalize(s)), "") }

// excelDate reads a 決定日 cell: an Excel date serial (the exported cells
// are real dates) or text such as 2026/4/1 or 令和8年4月1日.
func excelDate(v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && !strings.ContainsAny(v, "/-") {
		if f < 1 || f > 2958465 || math.IsNaN(f) {
			return "", errors.New("決定日「" + v + "」は日付として読めません。実在する日付を 2026-04-01 か 令和8年4月1日 の形で入力してください。")
		}
		day := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(f))
		return day.Format("2006-01-02"), nil
	}
	return ParseDate(v)
}

// ImportErrorOf returns the message of an unreadable file, if err is one.
func ImportErrorOf(err error) (string, bool) {
	var ie *ImportError
	if errors.As(err, &ie) {
		return ie.Msg, true
	}
	return "", false
}
