package survey

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"mamori/internal/auditlog"
	"mamori/internal/jp"
	"mamori/internal/org"
	"mamori/internal/org/roster"
)

// Answers given on paper (or collected in another form) come back as an
// answer sheet: one row per respondent, the respondent's key columns (職員
// 番号 for an identified campaign, 所属コード and 調査票 for an anonymous
// one), then one column per question code. The sheet is checked row by
// row (PlanImport), shown, and committed in one transaction (CommitImport).

// Columns of an answer sheet besides the question codes.
const (
	colStaffNo  = "職員番号"
	colName     = "氏名"
	colDept     = "所属"
	colDeptCode = "所属コード"
	colForm     = "調査票"
	// textRowLabel starts the sheet's second row, which repeats the
	// questions' texts for whoever transcribes the paper; it is skipped.
	textRowLabel = "（設問）"
)

// ImportMaxBytes is the largest answer file accepted.
const ImportMaxBytes = 10 << 20

// ErrStaleImport refuses a commit whose preview no longer holds.
var ErrStaleImport = errors.New("プレビューを表示した後に、この自己点検の回答が変わりました（ほかの取込みや回答の提出）。取り込んでいません。もう一度ファイルを確かめて、新しいプレビューから取り込んでください。")

// ImportRow is one row of an answer file and what becomes of it.
type ImportRow struct {
	Line       int    // the row number in Excel
	Key        string // the 職員番号, or 所属コード・調査票, as written
	Who        string // the person (identified) or the department and questionnaire (anonymous)
	Invitation Invitation
	Answers    map[string]string
	Blank      int  // questions of the person's questionnaire left empty
	Empty      bool // no answer at all: not imported, not an error (a row of the sheet nobody filled in)
	Errors     []string
}

// OK reports whether the row is imported.
func (r ImportRow) OK() bool { return len(r.Errors) == 0 && !r.Empty }

// ImportPlan is an answer file checked against a campaign.
type ImportPlan struct {
	Campaign Campaign
	Filename string
	Format   string   // how the file was read: 「CSV（Shift_JIS、カンマ区切り）」
	Codes    []string // the question columns, in the file's order
	// Problems are faults of the file as a whole (layout, header): with
	// any, nothing can be imported.
	Problems []string
	Rows     []ImportRow
	Stamp    string // the campaign's responses when the plan was made (ResponseStamp)
}

// Good is the number of rows that would be imported.
func (p *ImportPlan) Good() int {
	n := 0
	for _, r := range p.Rows {
		if r.OK() {
			n++
		}
	}
	return n
}

// Bad is the number of rows refused.
func (p *ImportPlan) Bad() int {
	n := 0
	for _, r := range p.Rows {
		if len(r.Errors) > 0 {
			n++
		}
	}
	return n
}

// Empty is the number of rows without any answer (left out).
func (p *ImportPlan) Empty() int {
	n := 0
	for _, r := range p.Rows {
		if r.Empty && len(r.Errors) == 0 {
			n++
		}
	}
	return n
}

// sheetColumns are the columns of the answer sheet a campaign's import
// reads, found in its header row.
type sheetColumns struct {
	staff, deptCode, form int // -1: absent
	codes                 map[int]Question
}

// colLetter is a column's letter as Excel shows it (A, B, … AA).
func colLetter(i int) string {
	s, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return strconv.Itoa(i + 1)
	}
	return s
}

// PlanImport reads an answer file (XLSX, or CSV in UTF-8 or Shift_JIS)
// and checks every row against campaign c: the person (or department
// and questionnaire) and every answer. Nothing is written.
func (s *Store) PlanImport(ctx context.Context, c Campaign, filename string, data []byte) (*ImportPlan, error) {
	p := &ImportPlan{Campaign: c, Filename: filename}
	var err error
	if p.Stamp, err = s.ResponseStamp(ctx, c.ID); err != nil {
		return nil, err
	}
	if c.State == StateDraft {
		p.Problems = append(p.Problems, "この自己点検はまだ回答の受付を始めていません。回答受付を開始してから取り込んでください（対象者が決まるのは開始のときです）。")
		return p, nil
	}
	if len(data) > ImportMaxBytes {
		p.Problems = append(p.Problems, fmt.Sprintf("ファイルが大きすぎます（上限 %d MB）。", ImportMaxBytes>>20))
		return p, nil
	}
	t, err := roster.ReadFile(filename, data)
	if err != nil {
		var ie *roster.InputError
		if errors.As(err, &ie) {
			p.Problems = append(p.Problems, ie.Msg)
			return p, nil
		}
		return nil, err
	}
	p.Format = t.Format
	bank, err := s.bank(ctx, c.FiscalYear)
	if err != nil {
		return nil, err
	}
	asked := FormFor(c, bank, c.Audiences)
	// The header row: the first of the top rows that names the key column
	// (a title above it is allowed).
	rows := append([]roster.Row{{Line: t.HeaderLine, Cells: t.Headers}}, t.Rows...)
	keyHeader := colStaffNo
	if c.Anonymous {
		keyHeader = colDeptCode
	}
	h := 0
	for i, r := range rows[:min(len(rows), 10)] {
		if slices.ContainsFunc(r.Cells, func(v string) bool { return headerIs(v, keyHeader) }) {
			h = i
			break
		}
	}
	header, body := rows[h], rows[h+1:]
	cols := sheetColumns{staff: -1, deptCode: -1, form: -1, codes: map[int]Question{}}
	at := func(i int) string {
		return fmt.Sprintf("%d行目 %s列「%s」", header.Line, colLetter(i), strings.TrimSpace(header.Cells[i]))
	}
	seen := map[string]int{}
	fields := roster.Recognise(header.Cells)
	for i, raw := range header.Cells {
		v := jp.Normalize(raw)
		switch {
		case v == "":
			continue
		case fields[i] == roster.FieldEmployeeNo:
			if cols.staff >= 0 {
				p.Problems = append(p.Problems, at(i)+": 職員番号の列が二つあります。一つにしてください。")
			}
			cols.staff = i
		case fields[i] == roster.FieldDeptCode:
			if cols.deptCode >= 0 {
				p.Problems = append(p.Problems, at(i)+": 所属コードの列が二つあります。一つにしてください。")
			}
			cols.deptCode = i
		case headerIs(v, colForm):
			if cols.form >= 0 {
				p.Problems = append(p.Problems, at(i)+": 調査票の列が二つあります。一つにしてください。")
			}
			cols.form = i
		case fields[i] != roster.FieldNone:
			// 氏名, 所属 and the like: for whoever transcribes, not read.
		default:
			q, ok := questionByCode(bank, v)
			switch {
			case !ok:
				p.Problems = append(p.Problems, fmt.Sprintf("%s: 設問コード「%s」は%sの設問にありません。回答用シートの見本にある設問コードをそのまま使ってください。",
					at(i), v, jp.FiscalYearLabel(c.FiscalYear)))
			case asked.Questions[q.Code].Code == "":
				p.Problems = append(p.Problems, fmt.Sprintf("%s: 設問 %s はこの自己点検の対象者（%s）に尋ねる設問ではありません。", at(i), q.Code, c.AudienceLabels()))
			case seen[q.Code] > 0:
				p.Problems = append(p.Problems, fmt.Sprintf("%s: 設問 %s の列が %s列にもあります。一つにしてください。", at(i), q.Code, colLetter(seen[q.Code]-1)))
			default:
				seen[q.Code] = i + 1
				cols.codes[i] = q
				p.Codes = append(p.Codes, q.Code)
			}
		}
	}
	if c.Anonymous {
		if cols.staff >= 0 {
			p.Problems = append(p.Problems, at(cols.staff)+": この自己点検は匿名です。回答と人が結び付かないよう、職員番号の列は入れずに、所属コードと調査票の列で取り込んでください。")
		}
		if cols.deptCode < 0 {
			p.Problems = append(p.Problems, "所属コードの列がありません。匿名の自己点検の回答用シートは、見出しの行に「所属コード」「調査票」と設問コードを並べます。回答用シートの見本を使ってください。")
		}
		if cols.form < 0 {
			p.Problems = append(p.Problems, "調査票の列がありません。匿名の自己点検では、回答した人の調査票（一般職員・システム担当者・保護担当者）を行ごとに書きます。回答用シートの見本を使ってください。")
		}
	} else if cols.staff < 0 {
		p.Problems = append(p.Problems, "職員番号の列がありません。見出しの行に「職員番号」と設問コードを並べます。回答用シートの見本を使ってください。")
	}
	if len(cols.codes) == 0 {
		p.Problems = append(p.Problems, "設問コードの列がありません。見出しの行に、職員番号などの列に続けて設問コード（例: "+firstCode(asked)+"）を並べてください。")
	}
	// A column with answers needs a heading.
	width := 0
	for _, r := range body {
		width = max(width, len(r.Cells))
	}
	for i := range width {
		if i < len(header.Cells) && strings.TrimSpace(header.Cells[i]) != "" {
			continue
		}
		for _, r := range body {
			if strings.TrimSpace(r.Cell(i)) != "" {
				p.Problems = append(p.Problems, fmt.Sprintf("%d行目 %s列: 見出し（設問コード）のない列に値があります。見出しを入れるか、列を削除してください。", r.Line, colLetter(i)))
				break
			}
		}
	}
	if len(p.Problems) > 0 {
		return p, nil
	}
	invs, err := s.invitationsOf(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	ck := &rowChecker{s: s, c: c, bank: bank, cols: cols, tree: tree, forms: map[string]Form{}}
	if c.Anonymous {
		ck.prepareAnonymous(invs)
	} else if err := ck.prepareIdentified(ctx, invs); err != nil {
		return nil, err
	}
	keyCol := cols.staff
	if c.Anonymous {
		keyCol = cols.deptCode
	}
	for _, r := range body {
		if headerIs(r.Cell(keyCol), textRowLabel) {
			continue
		}
		p.Rows = append(p.Rows, ck.check(r))
	}
	if len(p.Rows) == 0 {
		p.Problems = append(p.Problems, "取り込む回答の行がありません（見出しの行の下が空です）。")
	}
	return p, nil
}

// headerIs reports whether a cell names column name (spaces, brackets and
// width ignored).
func headerIs(cell, name string) bool {
	k := jp.Key(cell)
	return k != "" && k == jp.Key(name)
}

func questionByCode(bank []Question, code string) (Question, bool) {
	for _, q := range bank {
		if strings.EqualFold(q.Code, code) {
			return q, true
		}
	}
	return Question{}, false
}

func firstCode(f Form) string {
	for _, sec := range f.Sections {
		for _, q := range sec.Questions {
			return q.Code
		}
	}
	return "Q-01"
}

// invitationsOf lists every invitation of a campaign.
func (s *Store) invitationsOf(ctx context.Context, id int64) ([]Invitation, error) {
	rows, err := s.db.Query(ctx, "SELECT "+invitationCols+" FROM survey_invitations WHERE campaign_id = ? ORDER BY id", id)
	if err != nil {
		return nil, fmt.Errorf("survey.invitationsOf: %w", err)
	}
	defer rows.Close()
	var out []Invitation
	for rows.Next() {
		v, err := scanInvitation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// rowChecker checks the rows of one answer file.
type rowChecker struct {
	s     *Store
	c     Campaign
	bank  []Question
	cols  sheetColumns
	tree  *org.Tree
	forms map[string]Form // by audiences

	// identified
	roster  *staffIndex
	trimmed map[string][]org.Staff // employee numbers without leading zeros
	byStaff map[int64]Invitation
	lineOf  map[int64]int // staff id → the row that named them first

	// anonymous
	codes   map[string]*org.Department // department code → department
	pool    map[string][]Invitation    // "dept/audiences" → unanswered invitations not yet taken
	counts  map[string]Tally           // "dept/audiences" → invited and answered
	taken   map[string]int             // rows of this file per "dept/audiences"
	deptHas map[int64]bool             // departments with invitations
}

func (ck *rowChecker) prepareIdentified(ctx context.Context, invs []Invitation) error {
	var all []int64
	for _, d := range ck.tree.Flat() {
		all = append(all, d.ID)
	}
	idx, err := ck.s.rosterOf(ctx, ck.tree, all)
	if err != nil {
		return err
	}
	ck.roster, ck.trimmed = idx, map[string][]org.Staff{}
	for no, p := range idx.byNo {
		if t := strings.TrimLeft(no, "0"); t != no && isDigits(no) {
			ck.trimmed[t] = append(ck.trimmed[t], p)
		}
	}
	ck.byStaff, ck.lineOf = map[int64]Invitation{}, map[int64]int{}
	for _, v := range invs {
		ck.byStaff[v.StaffID] = v
	}
	return nil
}

func (ck *rowChecker) prepareAnonymous(invs []Invitation) {
	ck.codes, ck.pool, ck.counts, ck.taken, ck.deptHas = map[string]*org.Department{}, map[string][]Invitation{}, map[string]Tally{}, map[string]int{}, map[int64]bool{}
	for _, d := range ck.tree.Flat() {
		ck.codes[jp.Normalize(d.Code)] = d
	}
	for _, v := range invs {
		k := poolKey(v.DepartmentID, v.Audiences)
		t := ck.counts[k]
		t.Invited++
		if v.Submitted {
			t.Answered++
		} else {
			ck.pool[k] = append(ck.pool[k], v)
		}
		ck.counts[k] = t
		ck.deptHas[v.DepartmentID] = true
	}
}

func poolKey(dept int64, auds []string) string {
	return fmt.Sprintf("%d/%s", dept, strings.Join(auds, ","))
}

func isDigits(s string) bool {
	return s != "" && strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' }) < 0
}

// form is the questionnaire of audiences auds.
func (ck *rowChecker) form(auds []string) Form {
	k := strings.Join(auds, ",")
	f, ok := ck.forms[k]
	if !ok {
		f = FormFor(ck.c, ck.bank, auds)
		ck.forms[k] = f
	}
	return f
}

// check reads one row.
func (ck *rowChecker) check(r roster.Row) ImportRow {
	row := ImportRow{Line: r.Line}
	fail := func(format string, args ...any) { row.Errors = append(row.Errors, fmt.Sprintf(format, args...)) }
	anyAnswer := false
	for i := range ck.cols.codes {
		if strings.TrimSpace(r.Cell(i)) != "" {
			anyAnswer = true
		}
	}
	var auds []string
	var dept *org.Department
	if ck.c.Anonymous {
		code, formCell := jp.Normalize(r.Cell(ck.cols.deptCode)), jp.Normalize(r.Cell(ck.cols.form))
		row.Key = strings.TrimSpace(code + " " + formCell)
		if !anyAnswer {
			row.Empty = true
			return row
		}
		dept = ck.deptByCode(code)
		switch {
		case code == "":
			fail("%s列（所属コード）が空欄です。", colLetter(ck.cols.deptCode))
		case dept == nil:
			fail("%s列: 所属コード「%s」は所属の一覧にありません。", colLetter(ck.cols.deptCode), code)
		case !ck.deptHas[dept.ID]:
			fail("%s列: 所属「%s」（%s）はこの自己点検の対象ではありません（対象者がいません）。", colLetter(ck.cols.deptCode), dept.Path, code)
		}
		var err error
		if auds, err = parseAudiences(formCell); err != nil {
			fail("%s列（調査票）: %s", colLetter(ck.cols.form), err.Error())
		} else if missing := missingAudiences(auds, ck.c.Audiences); missing != "" {
			fail("%s列（調査票）: この自己点検は%sを対象にしていません。", colLetter(ck.cols.form), missing)
			auds = nil
		}
		if dept != nil {
			row.Who = dept.Path
		}
		if auds != nil {
			row.Who = strings.TrimSpace(row.Who + " " + audienceLabels(auds))
		}
	} else {
		no := jp.Normalize(r.Cell(ck.cols.staff))
		row.Key = no
		if no == "" {
			if anyAnswer {
				fail("%s列（職員番号）が空欄です。", colLetter(ck.cols.staff))
			} else {
				row.Empty = true
			}
			return row
		}
		p, ok := ck.staffByNo(no)
		if ok {
			row.Who = p.Name + "（" + deptLabel(ck.tree, p.DepartmentID) + "）"
		}
		if !anyAnswer {
			// A row of a prefilled sheet nobody filled in (the person may
			// have answered on screen since): nothing to import.
			row.Empty = true
			return row
		}
		if !ok {
			fail("%s列: 職員番号「%s」は職員名簿にありません。", colLetter(ck.cols.staff), no)
			return row
		}
		v, invited := ck.byStaff[p.ID]
		switch {
		case !invited:
			fail("%s（職員番号 %s）はこの自己点検の対象者ではありません。", p.Name, no)
		case v.Submitted:
			fail("%s（職員番号 %s）はすでに回答を提出しています。同じ人の回答を二重に数えないよう、この行は取り込みません。", p.Name, no)
		case ck.lineOf[p.ID] != 0:
			fail("職員番号 %s は %d 行目にもあります。1 人 1 行にしてください。", no, ck.lineOf[p.ID])
		}
		if ck.lineOf[p.ID] == 0 {
			ck.lineOf[p.ID] = r.Line
		}
		if !invited {
			return row
		}
		row.Invitation, auds = v, v.Audiences
	}
	if auds == nil {
		return row
	}
	f := ck.form(auds)
	row.Answers = map[string]string{}
	for _, i := range slices.Sorted(maps.Keys(ck.cols.codes)) {
		q := ck.cols.codes[i]
		cell := strings.TrimSpace(r.Cell(i))
		if cell == "" {
			continue
		}
		where := fmt.Sprintf("%s列（設問 %s）", colLetter(i), q.Code)
		if f.Questions[q.Code].Code == "" {
			fail("%s: この人の調査票（%s）にない設問です。空欄にしてください。", where, audienceLabels(auds))
			continue
		}
		a, msg := readAnswer(q, cell)
		if msg != "" {
			fail("%s: %s", where, msg)
			continue
		}
		row.Answers[q.Code] = a
	}
	row.Blank = len(f.Unanswered(row.Answers))
	if ck.c.Anonymous && len(row.Errors) == 0 {
		// Counted against one unanswered invitation of the department and
		// questionnaire; which one says nothing about who answered.
		k := poolKey(dept.ID, auds)
		ck.taken[k]++
		if len(ck.pool[k]) == 0 {
			t := ck.counts[k]
			fail("所属「%s」で調査票「%s」の未回答者が残っていません（対象 %d 人のうち %d 人が回答済み、このファイルでこの組合せは %d 行目までに %d 行）。",
				dept.Path, audienceLabels(auds), t.Invited, t.Answered, r.Line, ck.taken[k])
			return row
		}
		row.Invitation, ck.pool[k] = ck.pool[k][0], ck.pool[k][1:]
	}
	return row
}

// staffByNo finds a person by employee number; a number that lost its
// leading zeros in Excel (00123 → 123) is found when that is unambiguous.
func (ck *rowChecker) staffByNo(no string) (org.Staff, bool) {
	if p, ok := ck.roster.byNo[no]; ok {
		return p, true
	}
	if isDigits(no) {
		if ps := ck.trimmed[strings.TrimLeft(no, "0")]; len(ps) == 1 {
			return ps[0], true
		}
	}
	return org.Staff{}, false
}

// deptByCode finds a department by code, also when Excel dropped its
// leading zeros (010101 → 10101) and that is unambiguous.
func (ck *rowChecker) deptByCode(code string) *org.Department {
	if d := ck.codes[code]; d != nil || code == "" {
		return d
	}
	if !isDigits(code) {
		return nil
	}
	var found *org.Department
	for k, d := range ck.codes {
		if isDigits(k) && strings.TrimLeft(k, "0") == strings.TrimLeft(code, "0") {
			if found != nil {
				return nil
			}
			found = d
		}
	}
	return found
}

// parseAudiences reads the 調査票 cell: audience names or codes joined by
// ・, 、 or commas (「一般職員・システム担当者」, 「一般・保護」, 「general,system」).
func parseAudiences(s string) ([]string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("空欄です。回答した人の調査票（一般職員・システム担当者・保護担当者）を書いてください。")
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("・、，,/／ 　+＋", r) })
	var out []string
	for _, p := range parts {
		a := ""
		for _, code := range AudienceOrder {
			label := AudienceLabel(code)
			short := strings.TrimSuffix(strings.TrimSuffix(label, "職員"), "担当者")
			if strings.EqualFold(p, code) || p == label || p == short {
				a = code
			}
		}
		if a == "" {
			return nil, fmt.Errorf("「%s」は調査票の名前ではありません。一般職員・システム担当者・保護担当者を「・」でつないで書いてください（例: 一般職員・システム担当者）。", p)
		}
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	var sorted []string
	for _, a := range AudienceOrder {
		if slices.Contains(out, a) {
			sorted = append(sorted, a)
		}
	}
	return sorted, nil
}

func missingAudiences(auds, campaign []string) string {
	var out []string
	for _, a := range auds {
		if !slices.Contains(campaign, a) {
			out = append(out, AudienceLabel(a))
		}
	}
	return strings.Join(out, "・")
}

// readAnswer reads one answer cell as a question's stored answer: option
// numbers (full-width digits and separators such as 「1、3」 allowed), or
// the text of a free-text question. It returns a message when the cell
// cannot be an answer.
func readAnswer(q Question, cell string) (string, string) {
	if q.Kind == KindText {
		a, err := q.Check([]string{cell})
		if err != nil {
			return "", err.Error()
		}
		return a, ""
	}
	n := len(q.Choices())
	v := jp.Normalize(cell)
	parts := strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(",、，・/ ;；", r) })
	for _, p := range parts {
		if k, err := strconv.Atoi(p); err != nil || k < 1 || k > n {
			return "", fmt.Sprintf("「%s」は選択肢の番号ではありません。1～%d の番号で書いてください（複数選ぶ設問は「1,3」のように）。", cell, n)
		}
	}
	if len(parts) > 1 && !q.Multi() {
		return "", fmt.Sprintf("「%s」: この設問は選択肢を一つだけ選びます。", cell)
	}
	a, err := q.Check(parts)
	if err != nil {
		return "", err.Error()
	}
	return a, ""
}

// ImportResult is what a commit wrote.
type ImportResult struct {
	Imported int
	Refused  int // rows with errors left out (only with skipErrors)
}

// CommitImport imports the answer file again checked, in one transaction
// with its audit entries: every good row becomes a response (as Submit
// writes it, source import) and marks its invitation answered. It refuses
// when the campaign's responses changed since the preview (stamp), when
// the file has a layout problem, and when some row has an error unless
// skipErrors is set.
func (s *Store) CommitImport(ctx context.Context, campaignID int64, filename string, data []byte, stamp string, skipErrors bool, actor auditlog.Actor) (ImportResult, error) {
	var res ImportResult
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.Campaign(ctx, campaignID)
		if err != nil {
			return err
		}
		plan, err := s.PlanImport(ctx, c, filename, data)
		if err != nil {
			return err
		}
		if plan.Stamp != stamp {
			return ErrStaleImport
		}
		if len(plan.Problems) > 0 {
			return FieldErrors{"file": strings.Join(plan.Problems, " ")}
		}
		bad := plan.Bad()
		if bad > 0 && !skipErrors {
			return FieldErrors{"file": fmt.Sprintf("エラーの行が %d 行あります。直したファイルを取り込み直すか、「エラーの行を除いて取り込む」を選んでください。取り込んでいません。", bad)}
		}
		if plan.Good() == 0 {
			return FieldErrors{"file": "取り込める行がありません。取り込んでいません。"}
		}
		today := dateKey(s.today())
		var entries []auditlog.Pending
		target := fmt.Sprintf("survey_campaign:%d", c.ID)
		for _, r := range plan.Rows {
			if !r.OK() {
				continue
			}
			v := r.Invitation
			up, err := s.db.Exec(ctx, `UPDATE survey_invitations SET submitted = TRUE, draft = '', draft_at = ''
				WHERE id = ? AND campaign_id = ? AND submitted = FALSE`, v.ID, c.ID)
			if err != nil {
				return err
			}
			if n, _ := up.RowsAffected(); n != 1 {
				return ErrStaleImport
			}
			b, err := json.Marshal(r.Answers)
			if err != nil {
				return err
			}
			var staff, dept any
			if !c.Anonymous {
				staff = v.StaffID
			}
			if v.DepartmentID != 0 {
				dept = v.DepartmentID
			}
			if _, err := s.db.Exec(ctx, `INSERT INTO survey_responses (campaign_id, staff_id, department_id, audiences, answers, source, submitted_on)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, staff, dept, strings.Join(v.Audiences, ","), string(b), SourceImport, today); err != nil {
				return err
			}
			detail := fmt.Sprintf("%s 回答を提出（%d 問", c.Code, len(r.Answers))
			if c.Anonymous {
				detail += "、匿名"
			}
			entries = append(entries, auditlog.Pending{Actor: actor, Action: "survey.submit", Target: target, Detail: detail + "、紙の回答の取込み）"})
			res.Imported++
		}
		res.Refused = bad
		summary := fmt.Sprintf("%s 回答を取込み（%s、%d 件", c.Code, filename, res.Imported)
		if bad > 0 {
			summary += fmt.Sprintf("、エラーの %d 行を除く", bad)
		}
		entries = append(entries, auditlog.Pending{Actor: actor, Action: "survey.import", Target: target, Detail: summary + "）"})
		return s.log.RecordBatch(ctx, entries)
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// AnswerSheet writes the answer sheet of campaign c as XLSX: the sheet
// 「回答」 (the key columns and one column per question code, a second
// row with the questions' texts, every cell text so that Excel keeps 「1,3」
// and leading zeros), prefilled with one row per unanswered person when
// people is given, and the sheet 「設問と選択肢」 listing the options'
// numbers.
func (s *Store) AnswerSheet(ctx context.Context, w io.Writer, c Campaign, people []Unanswered) error {
	bank, err := s.bank(ctx, c.FiscalYear)
	if err != nil {
		return err
	}
	f := FormFor(c, bank, c.Audiences)
	var qs []Question
	for _, sec := range f.Sections {
		qs = append(qs, sec.Questions...)
	}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return err
	}
	keys := []string{colStaffNo, colName, colDept}
	if c.Anonymous {
		keys = []string{colDeptCode, colDept, colForm}
	}
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "回答"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	text, err := x.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	head, err := x.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDE6F0"}, Pattern: 1},
		Border: []excelize.Border{{Type: "bottom", Color: "808080", Style: 1}}})
	if err != nil {
		return err
	}
	note, err := x.NewStyle(&excelize.Style{NumFmt: 49, Font: &excelize.Font{Color: "4F5A6B", Size: 9}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(keys) + len(qs))
	if err := x.SetColStyle(sheet, "A:"+last, text); err != nil {
		return err
	}
	row1 := make([]any, 0, len(keys)+len(qs))
	row2 := make([]any, 0, len(keys)+len(qs))
	for i, k := range keys {
		row1 = append(row1, k)
		if i == 0 {
			row2 = append(row2, textRowLabel)
		} else {
			row2 = append(row2, "")
		}
	}
	for _, q := range qs {
		row1 = append(row1, q.Code)
		row2 = append(row2, shortText(q))
	}
	if err := x.SetSheetRow(sheet, "A1", &row1); err != nil {
		return err
	}
	if err := x.SetSheetRow(sheet, "A2", &row2); err != nil {
		return err
	}
	if err := x.SetCellStyle(sheet, "A1", last+"1", head); err != nil {
		return err
	}
	if err := x.SetCellStyle(sheet, "A2", last+"2", note); err != nil {
		return err
	}
	if err := x.SetRowHeight(sheet, 2, 60); err != nil {
		return err
	}
	for i, p := range people {
		var vals []any
		if c.Anonymous {
			code := ""
			if d := tree.ByID[p.DepartmentID]; d != nil {
				code = d.Code
			}
			vals = []any{code, p.Department, audienceLabels(p.Audiences)}
		} else {
			vals = []any{p.EmployeeNo, p.Name, p.Department}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+3)
		if err := x.SetSheetRow(sheet, cell, &vals); err != nil {
			return err
		}
	}
	widths := []float64{12, 16, 28}
	if c.Anonymous {
		widths = []float64{12, 28, 24}
	}
	for i, wd := range widths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := x.SetColWidth(sheet, col, col, wd); err != nil {
			return err
		}
	}
	if len(qs) > 0 {
		from, _ := excelize.ColumnNumberToName(len(keys) + 1)
		if err := x.SetColWidth(sheet, from, last, 11); err != nil {
			return err
		}
	}
	top, _ := excelize.CoordinatesToCellName(len(keys)+1, 3)
	if err := x.SetPanes(sheet, &excelize.Panes{Freeze: true, XSplit: len(keys), YSplit: 2, TopLeftCell: top, ActivePane: "bottomRight"}); err != nil {
		return err
	}
	// The questions and their options' numbers.
	const list = "設問と選択肢"
	if _, err := x.NewSheet(list); err != nil {
		return err
	}
	if err := x.SetSheetRow(list, "A1", &[]any{"設問コード", "対象者", "種類", "設問文", "選択肢（番号）", "書き方"}); err != nil {
		return err
	}
	if err := x.SetCellStyle(list, "A1", "F1", head); err != nil {
		return err
	}
	wrap, err := x.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	for i, q := range qs {
		var opts []string
		for n, o := range q.Choices() {
			opts = append(opts, fmt.Sprintf("%d %s", n+1, o))
		}
		how := "番号を一つ"
		switch {
		case q.Kind == KindText:
			how = "文章（空欄可）"
		case q.Multi():
			how = "番号を一つ以上（例: 1,3）"
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := x.SetSheetRow(list, cell, &[]any{q.Code, audienceLabels(q.Audiences), q.KindLabel(), jp.SafeCell(q.Text), jp.SafeCell(strings.Join(opts, "\n")), how}); err != nil {
			return err
		}
	}
	if len(qs) > 0 {
		end, _ := excelize.CoordinatesToCellName(6, len(qs)+1)
		if err := x.SetCellStyle(list, "A2", end, wrap); err != nil {
			return err
		}
	}
	for col, wd := range map[string]float64{"A": 12, "B": 18, "C": 14, "D": 60, "E": 40, "F": 22} {
		if err := x.SetColWidth(list, col, col, wd); err != nil {
			return err
		}
	}
	x.SetActiveSheet(0)
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		return err
	}
	_, err = buf.WriteTo(w)
	return err
}

// shortText is a question's text cut for the sheet's second row.
func shortText(q Question) string {
	t := strings.Join(strings.Fields(q.Text), " ")
	if utf8.RuneCountInString(t) > 40 {
		t = string([]rune(t)[:39]) + "…"
	}
	return jp.SafeCell(t)
}
