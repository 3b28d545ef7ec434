package catalog

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/jp"
)

// This file reads a checklist spreadsheet made by export.go back into its
// template: the office edits the checklist in Excel, uploads it
// (import_web.go), sees each changed cell, new items, items missing from
// the file and every error, and only then applies it in one transaction.

// MaxXLSXSize is the largest checklist workbook accepted, and maxXLSXRows
// the most data rows read from it.
const (
	MaxXLSXSize = 10 << 20
	maxXLSXRows = 5000
)

// XLSXIssue is one problem of an uploaded checklist workbook, naming the
// sheet, the row as Excel numbers it and the column's header.
type XLSXIssue struct {
	Sheet  string
	Row    int    // 0 = the file as a whole
	Column string // the column's header
	Letter string // the column's letter (K), when known
	Msg    string
}

func (i XLSXIssue) String() string {
	var b strings.Builder
	if i.Sheet != "" {
		b.WriteString("シート「" + i.Sheet + "」 ")
	}
	if i.Row > 0 {
		fmt.Fprintf(&b, "%d行目 ", i.Row)
	}
	if i.Letter != "" {
		b.WriteString(i.Letter + "列 ")
	}
	if i.Column != "" {
		b.WriteString("[" + i.Column + "] ")
	}
	return b.String() + i.Msg
}

// CellChange is one changed cell: the column's header, the registered
// value and the file's value, both as the spreadsheet shows them.
type CellChange struct {
	Column   string
	Old, New string
}

// OldLines and NewLines split the values into lines for display.
func (c CellChange) OldLines() []string { return ixLines(c.Old) }

// NewLines: see OldLines.
func (c CellChange) NewLines() []string { return ixLines(c.New) }

// XLSXItem is one row of the file that changes the template: a changed
// item (ItemID set) or a new one.
type XLSXItem struct {
	Row      int
	Code     string
	ItemID   int64
	Question string
	Changes  []CellChange
	item     Item
	clauses  []int64
}

// MissingItem is a registered item the file does not have. It is kept
// unless deletion is chosen; an item a saved checklist uses cannot be
// deleted.
type MissingItem struct {
	ID       int64
	Code     string
	Question string
	UsedBy   []string // titles of saved checklists that use it
}

// XLSXPlan is what importing a workbook into a template would do.
type XLSXPlan struct {
	File      string
	Template  StoredTemplate
	Sheet     string
	DataRows  int
	Errors    []XLSXIssue
	Notes     []string
	Changed   []XLSXItem
	New       []XLSXItem
	Missing   []MissingItem
	Unchanged int
	Reordered bool
	order     []string // codes in file order
}

// OK reports whether the plan has no errors.
func (p *XLSXPlan) OK() bool { return len(p.Errors) == 0 }

// NoChanges reports whether applying the file would change nothing.
func (p *XLSXPlan) NoChanges() bool {
	return len(p.Changed) == 0 && len(p.New) == 0 && !p.Reordered
}

// Fingerprint identifies the plan's changes, so that applying can check
// the preview the user confirmed is still what would be written.
func (p *XLSXPlan) Fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%d|%v|", p.Template.ID, p.Reordered)
	for _, it := range append(append([]XLSXItem(nil), p.Changed...), p.New...) {
		fmt.Fprintf(h, "%s#%d#%d|", it.Code, it.ItemID, it.Row)
		for _, c := range it.Changes {
			fmt.Fprintf(h, "%s\x00%s\x00%s|", c.Column, c.Old, c.New)
		}
	}
	for _, m := range p.Missing {
		fmt.Fprintf(h, "-%s#%d|", m.Code, m.ID)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func (p *XLSXPlan) fail(sheet string, row int, col, format string, a ...any) {
	p.Errors = append(p.Errors, XLSXIssue{Sheet: sheet, Row: row, Column: col, Msg: fmt.Sprintf(format, a...)})
}

// Report writes the plan as text (the CLI prints it; the preview page
// shows the same content).
func (p *XLSXPlan) Report(w io.Writer) {
	fmt.Fprintf(w, "ファイル: %s", p.File)
	if p.Sheet != "" {
		fmt.Fprintf(w, "（シート「%s」、データ %d 行）", p.Sheet, p.DataRows)
	}
	fmt.Fprintf(w, "\n取り込み先: %s %s版（%s）\n", p.Template.Title, jp.FiscalYearLabel(p.Template.Version), Kinds[p.Template.Kind])
	if len(p.Errors) > 0 {
		fmt.Fprintf(w, "エラー %d 件。エラーがあるため何も書き込みません:\n", len(p.Errors))
		for _, e := range p.Errors {
			fmt.Fprintln(w, "  "+e.String())
		}
	}
	for _, n := range p.Notes {
		fmt.Fprintln(w, "注記: "+n)
	}
	if len(p.Errors) > 0 && p.DataRows == 0 {
		return
	}
	if p.NoChanges() && len(p.Errors) == 0 {
		fmt.Fprintln(w, "変更なし（ファイルの内容は登録済みの内容と同じです）")
	}
	if len(p.Changed) > 0 {
		fmt.Fprintf(w, "変更 %d 項目:\n", len(p.Changed))
		for _, it := range p.Changed {
			fmt.Fprintf(w, "  %s（%d行目）\n", it.Code, it.Row)
			for _, c := range it.Changes {
				fmt.Fprintf(w, "    %s: 「%s」 → 「%s」\n", c.Column, ixOneLine(c.Old), ixOneLine(c.New))
			}
		}
	}
	if len(p.New) > 0 {
		fmt.Fprintf(w, "追加 %d 項目:\n", len(p.New))
		for _, it := range p.New {
			fmt.Fprintf(w, "  %s（%d行目） %s\n", it.Code, it.Row, ixOneLine(it.Question))
		}
	}
	if len(p.Missing) > 0 {
		fmt.Fprintf(w, "ファイルにない項目 %d（削除を選ばない限り残します）:\n", len(p.Missing))
		for _, m := range p.Missing {
			used := ""
			if len(m.UsedBy) > 0 {
				used = "（保存済みのチェックリストで使用中のため削除できません）"
			}
			fmt.Fprintf(w, "  %s %s%s\n", m.Code, ixOneLine(m.Question), used)
		}
	}
	if p.Reordered {
		fmt.Fprintln(w, "並び順: ファイルの行の順に並べ替えます")
	}
	fmt.Fprintf(w, "変更なしの項目: %d\n", p.Unchanged)
}

func ixOneLine(s string) string { return strings.ReplaceAll(s, "\n", " / ") }

// ixHeaderKey maps a header (as jp.Key normalises it, first line only) to
// its field key.
var ixHeaderKey = func() map[string]string {
	m := map[string]string{}
	for _, c := range append(append([]sheetColumn(nil), sheetColumns...), reasonColumn) {
		m[jp.Key(c.Head)] = c.Key
	}
	for alias, key := range map[string]string{"no.": "code", "番号": "code", "項目コード": "code", "コード": "code", "質問": "question",
		"根拠": "clauses", "根拠条項": "clauses", "視察項目": "site", "対象所属": "applicability", "脅威タグ": "threats", "事前調査票": "presurvey"} {
		m[jp.Key(alias)] = key
	}
	return m
}()

func ixHeaderField(h string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(h), "\n")
	return ixHeaderKey[jp.Key(first)]
}

// ixImportedKeys are the columns an import needs.
var ixImportedKeys = []string{"code", "category", "question", "criteria", "evidence", "methods", "clauses", "priority", "techniques",
	"site", "applicability", "threats", "presurvey", "audience", "notes"}

func ixHead(key string) string {
	for _, c := range sheetColumns {
		if c.Key == key {
			return c.Head
		}
	}
	return key
}

// ixClauseIndex resolves clause references for an import.
type ixClauseIndex struct {
	byRef  map[string][]int64 // "code:number" → ids, oldest edition first
	codes  map[string]bool
	fw     map[int64]int64  // clause → framework edition
	labels map[int64]string // id → "code number"
	// uses counts the template's links per framework edition, so a new
	// reference goes to the edition the template already checks.
	uses map[int64]int
}

func ixLoadClauses(ctx context.Context, st *Store, tid int64) (*ixClauseIndex, error) {
	refs, err := st.clauseRefs(ctx)
	if err != nil {
		return nil, err
	}
	ci := &ixClauseIndex{byRef: map[string][]int64{}, codes: map[string]bool{}, fw: map[int64]int64{}, labels: map[int64]string{}}
	for _, c := range refs {
		ref := c.code + ":" + c.number
		ci.byRef[ref] = append(ci.byRef[ref], c.id)
		ci.codes[c.code] = true
		ci.fw[c.id] = c.frameworkID
		ci.labels[c.id] = c.code + " " + c.number
	}
	ci.uses, err = st.frameworkUses(ctx, tid)
	return ci, err
}

// resolve finds the clause a reference names: the edition the item
// already uses, else the edition the template uses most, else the newest
// stored edition.
func (ci *ixClauseIndex) resolve(ref string, current map[string]int64) (int64, string) {
	ids := ci.byRef[ref]
	if len(ids) == 0 {
		code, _, _ := strings.Cut(ref, ":")
		if !ci.codes[code] {
			return 0, fmt.Sprintf("枠組み「%s」は登録されていません（「mic-policy 4.1」のように枠組みのコードと条項番号で書いてください）", code)
		}
		return 0, fmt.Sprintf("条項「%s」は登録されていません", strings.Replace(ref, ":", " ", 1))
	}
	if id, ok := current[ref]; ok {
		return id, ""
	}
	best := ids[len(ids)-1]
	for _, id := range ids {
		if ci.uses[ci.fw[id]] > ci.uses[ci.fw[best]] {
			best = id
		}
	}
	return best, ""
}

// ixParseRef reads "mic-policy 4.1", "mic-policy:4.1" or "mic-policy 4.1 title".
func ixParseRef(s string) (string, bool) {
	s = strings.TrimSpace(strings.ReplaceAll(s, "\u3000", " "))
	if code, num, ok := strings.Cut(s, ":"); ok && !strings.Contains(code, " ") {
		f := strings.Fields(num)
		if len(f) == 0 {
			return "", false
		}
		return strings.TrimSpace(code) + ":" + f[0], true
	}
	f := strings.Fields(s)
	if len(f) < 2 {
		return "", false
	}
	return f[0] + ":" + f[1], true
}

func ixLines(s string) []string {
	return strings.Split(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"), "\n")
}

// ixBullets reads a 「・」 list: one entry per line, the leading ・
// dropped (a stored entry never holds a line break).
func ixBullets(s string) []string {
	var out []string
	for _, l := range ixLines(s) {
		t := strings.TrimSpace(strings.TrimPrefix(strings.TrimLeft(l, " \u3000"), "・"))
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

// ixParseCriteria reads "適合: …\n一部不適合: …\n不適合: …" (the label may
// carry （○）, the colon may be full-width, a text may run over lines).
func ixParseCriteria(s string) (Criteria, string) {
	var c Criteria
	var cur *string
	seen := map[string]bool{}
	for _, l := range ixLines(s) {
		t := strings.TrimLeft(l, " \u3000")
		label, rest, ok := ixCriteriaLabel(t)
		if ok {
			if seen[label] {
				return c, fmt.Sprintf("「%s:」の行が 2 つあります", label)
			}
			seen[label] = true
			switch label {
			case "適合":
				cur = &c.Conform
			case "一部不適合":
				cur = &c.Partial
			default:
				cur = &c.Nonconform
			}
			*cur = rest
			continue
		}
		if cur == nil {
			if strings.TrimSpace(l) == "" {
				continue
			}
			return c, "判定基準は「適合:」「一部不適合:」「不適合:」で始まる行で書いてください"
		}
		*cur += "\n" + l
	}
	c.Conform, c.Partial, c.Nonconform = strings.TrimSpace(c.Conform), strings.TrimSpace(c.Partial), strings.TrimSpace(c.Nonconform)
	return c, ""
}

func ixCriteriaLabel(t string) (label, rest string, ok bool) {
	for _, l := range []string{"一部不適合", "不適合", "適合"} {
		if !strings.HasPrefix(t, l) {
			continue
		}
		r := t[len(l):]
		for _, p := range []string{"（○）", "（〇）", "（△）", "（×）", "(○)", "(〇)", "(△)", "(×)"} {
			r = strings.TrimPrefix(r, p)
		}
		r = strings.TrimLeft(r, " \u3000")
		for _, colon := range []string{":", "："} {
			if strings.HasPrefix(r, colon) {
				return l, strings.TrimSpace(strings.TrimPrefix(r, colon)), true
			}
		}
		return "", "", false
	}
	return "", "", false
}

// ixParseLabels reads a list of Japanese labels (or internal codes)
// separated by 、 , ; or line breaks.
func ixParseLabels(s, what string, labels map[string]string) ([]string, string) {
	byKey := map[string]string{}
	var allowed []string
	for code, l := range labels {
		byKey[jp.Key(l)] = code
		byKey[jp.Key(code)] = code
	}
	for _, k := range ixOrdered(labels) {
		allowed = append(allowed, labels[k])
	}
	parts := strings.FieldsFunc(s, func(r rune) bool {
		return r == '、' || r == ',' || r == '，' || r == ';' || r == '；' || r == '\n' || r == '\r'
	})
	var out []string
	seen := map[string]bool{}
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		code, ok := byKey[jp.Key(p)]
		if !ok {
			return nil, fmt.Sprintf("%s「%s」は使えません（使える値: %s）", what, p, strings.Join(allowed, "、"))
		}
		if !seen[code] {
			out = append(out, code)
			seen[code] = true
		}
	}
	return out, ""
}

// ixOrders are the label maps' codes in the order the screens use.
var ixOrders = [][]string{TechniqueOrder, PriorityOrder, ApplicabilityOrder, ThreatOrder, AudienceOrder}

// ixOrdered returns a label map's codes in display order (sorted when
// the map has no known order).
func ixOrdered(labels map[string]string) []string {
	for _, o := range ixOrders {
		if len(o) != len(labels) {
			continue
		}
		ok := true
		for _, c := range o {
			if labels[c] == "" {
				ok = false
			}
		}
		if ok {
			return o
		}
	}
	return ixSortedKeys(labels)
}

func ixSortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// ixParseMark reads a yes/no cell: ○ (or 〇, 1, はい) is yes; blank, ×, 0,
// いいえ is no.
func ixParseMark(s string) (bool, string) {
	switch k := jp.Key(s); k {
	case "", "×", "x", "0", "いいえ", "false", "なし", "-", "ー":
		return false, ""
	case "○", "〇", "◯", "1", "はい", "true", "あり", "✓", "✔":
		return true, ""
	case "△":
		return false, "「△」は使えません。該当する場合は「○」、しない場合は空欄か「×」にしてください"
	default:
		return false, fmt.Sprintf("「%s」は使えません。該当する場合は「○」、しない場合は空欄か「×」にしてください", strings.TrimSpace(s))
	}
}

// ixFieldHead maps CheckItem's field names to the spreadsheet's headers.
var ixFieldHead = map[string]string{"code": "No", "question": "監査項目", "criteria": "判定基準", "clauses": "根拠規定", "techniques": "技法",
	"priority": "重要度", "applicability": "対象", "audience": "回答者", "threats": "脅威"}

// PlanXLSX reads an uploaded workbook and compares it with template tid.
// Problems of the file and of each row are returned in the plan's Errors;
// the error result is for failures to read the database.
func PlanXLSX(ctx context.Context, db *database.DB, tid int64, filename string, data []byte) (*XLSXPlan, error) {
	st := NewStore(db)
	t, err := st.Template(ctx, tid)
	if err != nil {
		return nil, err
	}
	p := &XLSXPlan{File: filename, Template: t}
	if t.Frozen {
		p.fail("", 0, "", "%s版は凍結されているため、取り込めません。次の年度の版を作成してから取り込んでください", jp.FiscalYearLabel(t.Version))
		return p, nil
	}
	if len(data) > MaxXLSXSize {
		p.fail("", 0, "", "ファイルが大きすぎます（上限 %d MB）", MaxXLSXSize>>20)
		return p, nil
	}
	sheet, header, rows, cols, ok := p.readXLSX(data)
	if !ok {
		return p, nil
	}
	return p, p.compare(ctx, db, st, sheet, header, rows, cols)
}

// checkMeta reads the 取込情報 sheet and refuses a file from another
// layout, a built checklist or another template.
func (p *XLSXPlan) checkMeta(f *excelize.File) bool {
	t := p.Template
	if idx, _ := f.GetSheetIndex(metaSheet); idx < 0 {
		p.fail("", 0, "", "Mamori が出力したチェックリストの Excel ではありません（シート「%s」がありません）。チェックリストの画面の「Excel（.xlsx）で出力」で出力したファイルを編集して取り込んでください", metaSheet)
		return false
	}
	rows, err := f.GetRows(metaSheet, excelize.Options{RawCellValue: true})
	if err != nil {
		p.fail(metaSheet, 0, "", "シートを読めません")
		return false
	}
	meta := map[string]string{}
	for _, r := range rows {
		if len(r) >= 2 {
			meta[strings.TrimSpace(r[0])] = strings.TrimSpace(r[1])
		}
	}
	switch meta[metaForm] {
	case formTemplate:
	case formBuilt:
		p.fail(metaSheet, 0, metaForm, "このファイルは監査用に作成したチェックリスト（%s）から出力したものです。テンプレートには取り込めません。テンプレートの画面から出力したファイルを使ってください", meta[metaTitle])
		return false
	default:
		p.fail(metaSheet, 0, metaForm, "様式「%s」は Mamori のチェックリストの様式ではありません", meta[metaForm])
		return false
	}
	v, _ := strconv.Atoi(meta[metaVersion])
	if meta[metaKind] != t.Kind || v != t.Version {
		from := meta[metaKind]
		if l := Kinds[from]; l != "" {
			from = l
		}
		yr := meta[metaVersion]
		if v > 0 {
			yr = jp.FiscalYearLabel(v)
		}
		p.fail(metaSheet, 0, "", "このファイルは「%s」%s版から出力したものです。取り込み先の「%s」%s版とは違うため取り込めません。同じ種類・同じ版のチェックリストの画面から取り込んでください",
			from, yr, Kinds[t.Kind], jp.FiscalYearLabel(t.Version))
		return false
	}
	return true
}

// findTable finds the sheet and row holding the header (No … 監査項目).
func (p *XLSXPlan) findTable(f *excelize.File) (string, int, [][]string, bool) {
	for _, name := range f.GetSheetList() {
		if name == metaSheet {
			continue
		}
		rows, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		if err != nil {
			continue
		}
		for i := 0; i < len(rows) && i < 30; i++ {
			has := map[string]bool{}
			for _, c := range rows[i] {
				has[ixHeaderField(c)] = true
			}
			if has["code"] && has["question"] {
				return name, i, rows, true
			}
		}
	}
	p.fail("", 0, "", "見出しの行（「No」「監査項目」などの列名が並ぶ行）が見つかりません")
	return "", 0, nil, false
}

func ixColName(i int) string {
	n, _ := excelize.ColumnNumberToName(i + 1)
	return n
}

func (p *XLSXPlan) compare(ctx context.Context, db *database.DB, st *Store, sheet string, header int, rows [][]string, cols map[string]int) error {
	t := p.Template
	existing, err := st.Items(ctx, ItemFilter{TemplateID: t.ID})
	if err != nil {
		return err
	}
	ci, err := ixLoadClauses(ctx, st, t.ID)
	if err != nil {
		return err
	}
	byCode := map[string]*StoredItem{}
	for i := range existing {
		byCode[existing[i].Code] = &existing[i]
	}
	known := func(ref string) bool { return len(ci.byRef[ref]) > 0 }
	seenRow := map[string]int{}
	cell := func(r []string, key string) string {
		i := cols[key] - 1
		if i < 0 || i >= len(r) {
			return ""
		}
		return strings.ReplaceAll(r[i], "\r\n", "\n")
	}
	for ri := header + 1; ri < len(rows); ri++ {
		r := rows[ri]
		excelRow := ri + 1
		blank := true
		for _, k := range ixImportedKeys {
			if strings.TrimSpace(cell(r, k)) != "" {
				blank = false
			}
		}
		if blank {
			continue
		}
		p.DataRows++
		bad := map[string]bool{}
		rowFail := func(head, format string, a ...any) {
			bad[head] = true
			is := XLSXIssue{Sheet: sheet, Row: excelRow, Column: head, Msg: fmt.Sprintf(format, a...)}
			if c := cols[ixHeaderField(head)]; c > 0 {
				is.Letter = ixColName(c - 1)
			}
			p.Errors = append(p.Errors, is)
		}
		code := strings.TrimSpace(cell(r, "code"))
		switch {
		case code == "":
			rowFail("No", "項目コードが空です。新しい項目にも、他と重ならないコードを付けてください")
		case strings.ContainsAny(code, " \u3000\n\t"):
			rowFail("No", "項目コード「%s」に空白や改行があります", code)
		case len([]rune(code)) > 40:
			rowFail("No", "項目コードが長すぎます（40 文字まで）")
		}
		if prev, dup := seenRow[code]; dup && code != "" {
			rowFail("No", "項目コード「%s」が %d 行目と重複しています", code, prev)
		} else if code != "" {
			seenRow[code] = excelRow
			p.order = append(p.order, code)
		}
		old := byCode[code]
		it := Item{Code: code, Category: strings.TrimSpace(cell(r, "category")), Question: strings.TrimSpace(cell(r, "question")),
			Evidence: ixBullets(cell(r, "evidence")), Methods: ixBullets(cell(r, "methods")), Notes: strings.TrimSpace(cell(r, "notes"))}
		if c, msg := ixParseCriteria(cell(r, "criteria")); msg != "" {
			rowFail("判定基準", "%s", msg)
		} else {
			it.Criteria = c
		}
		if v := strings.TrimSpace(cell(r, "priority")); v != "" {
			ps, msg := ixParseLabels(v, "重要度", Priorities)
			switch {
			case msg != "":
				rowFail("重要度", "%s", msg)
			case len(ps) != 1:
				rowFail("重要度", "重要度は「必須」か「推奨」のどちらか一つにしてください")
			default:
				it.Priority = ps[0]
			}
		} else {
			rowFail("重要度", "重要度が空です（「必須」か「推奨」）")
		}
		for _, lf := range []struct {
			key, head string
			labels    map[string]string
			dst       *[]string
		}{{"techniques", "技法", Techniques, &it.Techniques}, {"applicability", "対象", Applicability, &it.Applicability},
			{"threats", "脅威", Threats, &it.Threats}, {"audience", "回答者", Audiences, &it.Audience}} {
			v, msg := ixParseLabels(cell(r, lf.key), lf.head, lf.labels)
			if msg != "" {
				rowFail(lf.head, "%s", msg)
			}
			*lf.dst = v
		}
		for _, bf := range []struct {
			key, head string
			dst       *bool
		}{{"site", "視察", &it.SiteInspection}, {"presurvey", "事前調査", &it.PreSurvey}} {
			v, msg := ixParseMark(cell(r, bf.key))
			if msg != "" {
				rowFail(bf.head, "%s", msg)
			}
			*bf.dst = v
		}
		current := map[string]int64{}
		if old != nil {
			for _, c := range old.Clauses {
				current[c.Framework+":"+c.Number] = c.ID
			}
		}
		var clauseIDs []int64
		for _, line := range strings.FieldsFunc(cell(r, "clauses"), func(r rune) bool { return r == '\n' || r == '、' || r == ',' || r == '，' }) {
			if strings.TrimSpace(line) == "" {
				continue
			}
			ref, ok := ixParseRef(line)
			if !ok {
				rowFail("根拠規定", "「%s」を条項として読めません（「mic-policy 4.1」のように枠組みのコードと条項番号を空白で区切って書いてください）", strings.TrimSpace(line))
				continue
			}
			id, msg := ci.resolve(ref, current)
			if msg != "" {
				rowFail("根拠規定", "%s", msg)
				continue
			}
			if !ixHasID(clauseIDs, id) {
				clauseIDs = append(clauseIDs, id)
				it.Clauses = append(it.Clauses, ref)
			}
		}
		for _, fp := range CheckItem(t.Kind, it, known) {
			head := ixFieldHead[fp.Field]
			if head == "" {
				head = fp.Field
			}
			if !bad[head] {
				rowFail(head, "%s", fp.Msg)
			}
		}
		if len(bad) > 0 {
			continue
		}
		row := XLSXItem{Row: excelRow, Code: code, Question: it.Question, item: it, clauses: clauseIDs}
		if old == nil {
			p.New = append(p.New, row)
			continue
		}
		row.ItemID = old.ID
		row.Changes, row.item, row.clauses = ixDiffItem(*old, it, clauseIDs, ci)
		if len(row.Changes) == 0 {
			p.Unchanged++
			continue
		}
		p.Changed = append(p.Changed, row)
	}
	if p.DataRows == 0 && p.OK() {
		p.fail(sheet, 0, "", "項目の行が一つもありません")
	}
	// Missing items, and whether the rows keep the registered order.
	var kept []string
	for _, e := range existing {
		if _, ok := seenRow[e.Code]; ok {
			kept = append(kept, e.Code)
			continue
		}
		p.Missing = append(p.Missing, MissingItem{ID: e.ID, Code: e.Code, Question: e.Question})
	}
	var fileOrder []string
	for _, c := range p.order {
		if byCode[c] != nil {
			fileOrder = append(fileOrder, c)
		}
	}
	p.Reordered = strings.Join(kept, "\x00") != strings.Join(fileOrder, "\x00")
	if len(p.New) > 0 && !p.Reordered {
		// New rows placed among the registered ones reorder the list too.
		last := -1
		for i, c := range p.order {
			if byCode[c] != nil {
				last = i
			}
		}
		for i, c := range p.order {
			if byCode[c] == nil && i < last {
				p.Reordered = true
			}
		}
	}
	return p.usedBy(ctx, db)
}

// usedBy notes which missing items records elsewhere use (see ItemUse).
func (p *XLSXPlan) usedBy(ctx context.Context, db *database.DB) error {
	if len(p.Missing) == 0 {
		return nil
	}
	uses, err := itemUses(ctx, db, p.Template.ID)
	if err != nil {
		return err
	}
	for i, m := range p.Missing {
		p.Missing[i].UsedBy = uses[m.Code]
	}
	return nil
}

func ixHasID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func ixSameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]bool{}
	for _, x := range a {
		m[x] = true
	}
	for _, x := range b {
		if !m[x] {
			return false
		}
	}
	return true
}

func ixTrimAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ixDiffItem compares a stored item with its row. The result is the stored
// item with only the changed fields replaced (so a list given in another
// order, or text with extra spaces around it, writes nothing).
func ixDiffItem(old StoredItem, nw Item, newClauses []int64, ci *ixClauseIndex) ([]CellChange, Item, []int64) {
	merged := ItemOf(old)
	var oldClauses []int64
	for _, c := range old.Clauses {
		oldClauses = append(oldClauses, c.ID)
	}
	var ch []CellChange
	add := func(key string, oldV, newV string) {
		ch = append(ch, CellChange{Column: ixHead(key), Old: oldV, New: newV})
	}
	nwStored := StoredItem{Code: nw.Code, Category: nw.Category, Question: nw.Question, Criteria: nw.Criteria, Evidence: nw.Evidence, Methods: nw.Methods,
		Techniques: nw.Techniques, Priority: nw.Priority, SiteInspection: nw.SiteInspection, Applicability: nw.Applicability, Threats: nw.Threats,
		PreSurvey: nw.PreSurvey, Audience: nw.Audience, Notes: nw.Notes}
	if strings.TrimSpace(old.Category) != nw.Category {
		add("category", old.Category, nw.Category)
		merged.Category = nw.Category
	}
	if strings.TrimSpace(old.Question) != nw.Question {
		add("question", old.Question, nw.Question)
		merged.Question = nw.Question
	}
	oc := Criteria{strings.TrimSpace(old.Criteria.Conform), strings.TrimSpace(old.Criteria.Partial), strings.TrimSpace(old.Criteria.Nonconform)}
	if oc != nw.Criteria {
		add("criteria", ixCriteria(old.Criteria), ixCriteria(nw.Criteria))
		merged.Criteria = nw.Criteria
	}
	if strings.Join(ixTrimAll(old.Evidence), "\x00") != strings.Join(nw.Evidence, "\x00") {
		add("evidence", ixCell("evidence", old), ixCell("evidence", nwStored))
		merged.Evidence = nw.Evidence
	}
	if strings.Join(ixTrimAll(old.Methods), "\x00") != strings.Join(nw.Methods, "\x00") {
		add("methods", ixCell("methods", old), ixCell("methods", nwStored))
		merged.Methods = nw.Methods
	}
	clauses := oldClauses
	if !ixSameIDs(oldClauses, newClauses) {
		var labels []string
		for _, id := range newClauses {
			labels = append(labels, ci.labels[id])
		}
		add("clauses", ixCell("clauses", old), strings.Join(labels, "\n"))
		merged.Clauses = nw.Clauses
		clauses = newClauses
	}
	if old.Priority != nw.Priority {
		add("priority", ixCell("priority", old), ixCell("priority", nwStored))
		merged.Priority = nw.Priority
	}
	for _, lf := range []struct {
		key      string
		old, nw  []string
		dst      *[]string
		oldV, nv string
	}{{"techniques", old.Techniques, nw.Techniques, &merged.Techniques, ixCell("techniques", old), ixCell("techniques", nwStored)},
		{"applicability", old.Applicability, nw.Applicability, &merged.Applicability, ixCell("applicability", old), ixCell("applicability", nwStored)},
		{"threats", old.Threats, nw.Threats, &merged.Threats, ixCell("threats", old), ixCell("threats", nwStored)},
		{"audience", old.Audience, nw.Audience, &merged.Audience, ixCell("audience", old), ixCell("audience", nwStored)}} {
		if !ixSameSet(lf.old, lf.nw) {
			add(lf.key, lf.oldV, lf.nv)
			*lf.dst = lf.nw
		}
	}
	if old.SiteInspection != nw.SiteInspection {
		add("site", ixMark(old.SiteInspection), ixMark(nw.SiteInspection))
		merged.SiteInspection = nw.SiteInspection
	}
	if old.PreSurvey != nw.PreSurvey {
		add("presurvey", ixMark(old.PreSurvey), ixMark(nw.PreSurvey))
		merged.PreSurvey = nw.PreSurvey
	}
	if strings.TrimSpace(old.Notes) != nw.Notes {
		add("notes", old.Notes, nw.Notes)
		merged.Notes = nw.Notes
	}
	return ch, merged, clauses
}

func ixSameIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !ixHasID(b, x) {
			return false
		}
	}
	return true
}

// Import errors the caller reacts to.
var (
	// ErrXLSXHasErrors: the file has errors; nothing was written.
	ErrXLSXHasErrors = errors.New("ファイルにエラーがあるため、何も書き込んでいません")
	// ErrXLSXStale: the catalogue changed after the preview was shown.
	ErrXLSXStale = errors.New("確認した後にチェックリストが変わりました。内容を確認し直してください。何も書き込んでいません")
)

// XLSXOptions are the user's choices for an import.
type XLSXOptions struct {
	Delete      []string // codes of missing items to delete
	Fingerprint string   // the preview's fingerprint ("" skips the check)
	DryRun      bool
}

// XLSXResult counts what an import wrote.
type XLSXResult struct {
	Changed, Added, Deleted, Kept, Unchanged int
}

// ImportXLSX plans the import of a workbook into template tid and, when
// the file has no errors, applies it: changed items updated, new items
// added, chosen missing items deleted, rows in the file's order, all in
// one transaction with one audit-log entry. With DryRun, or when the file
// has errors (ErrXLSXHasErrors), nothing is written and the plan says why.
func ImportXLSX(ctx context.Context, db *database.DB, log *auditlog.Log, tid int64, filename string, data []byte, opt XLSXOptions, now time.Time) (*XLSXPlan, *XLSXResult, error) {
	var plan *XLSXPlan
	var res *XLSXResult
	errDry := errors.New("dry run")
	err := db.WithTx(ctx, func(ctx context.Context) error {
		// Locked before the plan is read: an item edit or another import
		// committed meanwhile (PostgreSQL) would otherwise be written over
		// with the plan's older view of the items and their order.
		if err := db.LockRow(ctx, "checklist_templates", tid); err != nil {
			return err
		}
		var err error
		if plan, err = PlanXLSX(ctx, db, tid, filename, data); err != nil {
			return err
		}
		del := map[string]bool{}
		for _, c := range opt.Delete {
			if c = strings.TrimSpace(c); c != "" {
				del[c] = true
			}
		}
		deleting := len(del)
		for _, m := range plan.Missing {
			if del[m.Code] && len(m.UsedBy) > 0 {
				plan.fail("", 0, "", "項目 %s は保存済みのチェックリスト「%s」で使われているため削除できません", m.Code, strings.Join(m.UsedBy, "」「"))
			}
			delete(del, m.Code)
		}
		for _, c := range ixSortedSet(del) {
			plan.fail("", 0, "", "削除に指定された項目 %s は、ファイルにない登録済みの項目ではありません", c)
		}
		if !plan.OK() {
			return ErrXLSXHasErrors
		}
		if opt.Fingerprint != "" && opt.Fingerprint != plan.Fingerprint() {
			return ErrXLSXStale
		}
		if opt.DryRun {
			return errDry
		}
		if plan.NoChanges() && deleting == 0 {
			// Nothing to write, so nothing to record either.
			res = &XLSXResult{Unchanged: plan.Unchanged, Kept: len(plan.Missing)}
			return nil
		}
		res, err = plan.apply(ctx, db, log, opt.Delete, now)
		return err
	})
	if errors.Is(err, errDry) {
		return plan, nil, nil
	}
	if err != nil {
		if errors.Is(err, ErrXLSXHasErrors) || errors.Is(err, ErrXLSXStale) {
			return plan, nil, err
		}
		return plan, nil, fmt.Errorf("catalog.ImportXLSX: %w", err)
	}
	return plan, res, nil
}

func ixSortedSet(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// apply writes the plan; it runs inside ImportXLSX's transaction.
func (p *XLSXPlan) apply(ctx context.Context, db *database.DB, log *auditlog.Log, deleteCodes []string, now time.Time) (*XLSXResult, error) {
	t := p.Template
	res := &XLSXResult{Changed: len(p.Changed), Added: len(p.New), Unchanged: p.Unchanged}
	del := map[string]bool{}
	for _, c := range deleteCodes {
		del[strings.TrimSpace(c)] = true
	}
	for _, it := range p.Changed {
		if err := updateItem(ctx, db, t.ID, it.ItemID, it.item, it.clauses); err != nil {
			return nil, fmt.Errorf("%d行目 %s: %w", it.Row, it.Code, err)
		}
	}
	for _, it := range p.New {
		if _, err := insertItem(ctx, db, t.ID, it.item, 0, it.clauses); err != nil {
			return nil, fmt.Errorf("%d行目 %s: %w", it.Row, it.Code, err)
		}
	}
	var keptMissing []MissingItem
	for _, m := range p.Missing {
		if !del[m.Code] {
			keptMissing = append(keptMissing, m)
			res.Kept++
			continue
		}
		if err := deleteItem(ctx, db, m.ID); err != nil {
			return nil, fmt.Errorf("%s の削除: %w", m.Code, err)
		}
		res.Deleted++
	}
	if p.Reordered || len(p.New) > 0 || res.Deleted > 0 {
		if err := p.reorder(ctx, db, keptMissing); err != nil {
			return nil, err
		}
	}
	if err := touchTemplate(ctx, db, t.ID, now); err != nil {
		return nil, err
	}
	detail := fmt.Sprintf("%s %s版に %s を取り込み: 変更 %d・追加 %d・削除 %d・ファイルにないが残した項目 %d・変更なし %d", Kinds[t.Kind], jp.FiscalYearLabel(t.Version),
		p.File, res.Changed, res.Added, res.Deleted, res.Kept, res.Unchanged)
	if p.Reordered {
		detail += "・並べ替えあり"
	}
	if err := log.Record(ctx, "catalog.template_xlsx_import", fmt.Sprintf("checklist_template:%d", t.ID), detail); err != nil {
		return nil, err
	}
	return res, nil
}

// reorder numbers the items in the file's order; kept items that the file
// lacks stay after the item they followed before.
func (p *XLSXPlan) reorder(ctx context.Context, db *database.DB, kept []MissingItem) error {
	ids, oldOrder, err := itemCodes(ctx, db, p.Template.ID)
	if err != nil {
		return err
	}
	idOf := map[string]int64{}
	for i, code := range oldOrder {
		idOf[code] = ids[i]
	}
	isKept := map[string]bool{}
	for _, m := range kept {
		isKept[m.Code] = true
	}
	final := append([]string(nil), p.order...)
	for i, code := range oldOrder {
		if !isKept[code] {
			continue
		}
		// after the nearest item before it that is already placed
		pos := 0
		for j := i - 1; j >= 0; j-- {
			if k := ixIndex(final, oldOrder[j]); k >= 0 {
				pos = k + 1
				break
			}
		}
		final = append(final[:pos], append([]string{code}, final[pos:]...)...)
	}
	var order []int64
	for _, code := range final {
		if id, ok := idOf[code]; ok {
			order = append(order, id)
		}
	}
	return renumberItems(ctx, db, order)
}

func ixIndex(ss []string, s string) int {
	for i, x := range ss {
		if x == s {
			return i
		}
	}
	return -1
}

// readXLSX opens the uploaded workbook and finds its table: the sheet,
// the header row, the rows and the imported columns by key. A file that
// cannot be used fails p with the reason (ok false); it reads nothing
// from the database, so that any bytes can be fuzzed through it.
func (p *XLSXPlan) readXLSX(data []byte) (sheet string, header int, rows [][]string, cols map[string]int, ok bool) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 200 << 20, UnzipXMLSizeLimit: 100 << 20})
	if err != nil {
		p.fail("", 0, "", "Excel（.xlsx）のファイルとして読めません。Excel で「Excel ブック（.xlsx）」として保存したファイルを選んでください")
		return "", 0, nil, nil, false
	}
	defer f.Close()
	if !p.checkMeta(f) {
		return "", 0, nil, nil, false
	}
	sheet, header, rows, ok = p.findTable(f)
	if !ok {
		return "", 0, nil, nil, false
	}
	p.Sheet = sheet
	cols = map[string]int{}
	for i, h := range rows[header] {
		key := ixHeaderField(h)
		switch {
		case strings.TrimSpace(h) == "":
		case key == "":
			p.Notes = append(p.Notes, fmt.Sprintf("列「%s」は取り込みの対象ではないため読みません", strings.TrimSpace(h)))
		case cols[key] != 0:
			p.fail(sheet, header+1, strings.TrimSpace(h), "同じ内容の列が 2 つあります（%s列と%s列）", ixColName(cols[key]-1), ixColName(i))
		default:
			cols[key] = i + 1
		}
	}
	for _, k := range ixImportedKeys {
		if cols[k] == 0 {
			p.fail(sheet, header+1, ixHead(k), "見出し「%s」の列がありません。出力したときの列を消さずに取り込んでください", ixHead(k))
		}
	}
	if cols["judgement"] != 0 || cols["finding"] != 0 {
		p.Notes = append(p.Notes, "判定・所見の列は監査人が記入する欄のため、取り込みでは読みません")
	}
	if cols["reason"] != 0 {
		p.Notes = append(p.Notes, "選定理由の列は取り込みでは読みません")
	}
	if !p.OK() {
		return "", 0, nil, nil, false
	}
	if len(rows)-header-1 > maxXLSXRows {
		p.fail(sheet, 0, "", "データの行が多すぎます（上限 %d 行）", maxXLSXRows)
		return "", 0, nil, nil, false
	}
	return sheet, header, rows, cols, true
}
