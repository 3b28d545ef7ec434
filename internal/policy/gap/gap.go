// Package gap keeps 相違点整合表 (gap tables): for one edition of a national
// guideline and the ward policy (both frameworks of the catalogue), one row
// per guideline clause with the ward provisions mapped to it, whether the
// ward policy reflects it (反映済 / 一部反映 / 未反映 / 対象外), the
// difference in words, the issue in reflecting it, the decision taken with
// the ward and the planned change — plus rows for ward provisions that
// correspond to no guideline clause (独自規定). Rows are pre-filled from the
// catalogue: clauses with no mapped provision and clauses whose text changed
// since the previous guideline edition are flagged. The table is edited in
// the browser or in Excel (exported, edited and imported back) and printed
// as PDF.
package gap

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/jp"
)

// Row kinds.
const (
	KindGuideline = "guideline" // a guideline clause
	KindWard      = "ward"      // a ward provision no guideline clause corresponds to
)

// Statuses of a row (状況).
const (
	StatusReflected    = "反映済"
	StatusPartial      = "一部反映"
	StatusNotReflected = "未反映"
	StatusOwn          = "独自規定"
	StatusExcluded     = "対象外"
)

// Statuses lists the statuses in display order.
var Statuses = []string{StatusReflected, StatusPartial, StatusNotReflected, StatusOwn, StatusExcluded}

// Decisions (対応方針) taken with the ward.
const (
	DecisionReflect   = "反映する"
	DecisionNoReflect = "反映しない"
	DecisionPending   = "検討中"
)

// Decisions lists the decisions in display order.
var Decisions = []string{DecisionReflect, DecisionNoReflect, DecisionPending}

// Change kinds of a guideline clause since the previous edition.
const (
	ChangeModified   = "変更"
	ChangeAdded      = "新設"
	ChangeRenumbered = "番号変更"
)

// Flags shown on a row.
const (
	FlagUnmapped = "対応規定なし"
	FlagChanged  = "ガイドライン改定で変更"
)

// Unset is how an empty status or decision is shown and filtered.
const Unset = "未設定"

// MaxText is the longest text a row field takes (characters).
const MaxText = 4000

func valid(list []string, v string) bool {
	for _, s := range list {
		if s == v {
			return true
		}
	}
	return false
}

// ValidStatus reports whether s is a status ("" is not).
func ValidStatus(s string) bool { return valid(Statuses, s) }

// ValidDecision reports whether s is a decision ("" is not).
func ValidDecision(s string) bool { return valid(Decisions, s) }

// Table is one gap table.
type Table struct {
	ID               int64
	Title            string
	FiscalYear       int
	GuidelineID      int64
	WardID           int64
	PreviousID       int64 // 0: no previous edition compared
	Note             string
	CreatedAt        time.Time
	UpdatedAt        time.Time
	Guideline        Edition
	Ward             Edition
	Previous         Edition
	Rows, Unresolved int // counts for lists
}

// Edition names a framework edition as the table shows it.
type Edition struct {
	Code, Version, Title string
}

// Label is "title（version）".
func (e Edition) Label() string {
	if e.Title == "" {
		return ""
	}
	if e.Version == "" {
		return e.Title
	}
	return e.Title + "（" + e.Version + "）"
}

// Row is one row of a gap table.
type Row struct {
	ID, TableID   int64
	Seq           int
	Kind          string
	ClauseID      int64
	ChapterNumber string
	ChapterTitle  string
	Number, Title string
	Summary       string
	PrevNumber    string
	PrevTitle     string
	PrevSummary   string
	ChangeKind    string
	Unmapped      bool
	Provisions    string // one provision a line: 対策基準第19条（サーバ等の管理）
	Status        string
	Suggested     string
	Difference    string // 相違点
	Issue         string // 課題
	Decision      string // 対応方針
	Reason        string // 理由
	DecisionDate  string // YYYY-MM-DD or ""
	Planned       string // 改正予定の内容
	UpdatedAt     time.Time
}

// Chapter is the row's group heading: 第4章　物理的セキュリティ.
func (r Row) Chapter() string { return chapterLabel(r.ChapterNumber, r.ChapterTitle) }

var digitsRe = regexp.MustCompile(`^[0-9]+$`)

func chapterLabel(number, title string) string {
	switch {
	case number == "":
		return title
	case digitsRe.MatchString(number):
		return "第" + number + "章　" + title
	default:
		return number + "　" + title
	}
}

// Clause is the guideline clause as the table shows it: "4.1 サーバ等の管理".
func (r Row) Clause() string {
	if r.Kind == KindWard {
		return "（対応する条項なし）"
	}
	return strings.TrimSpace(r.Number + " " + r.Title)
}

// Changed reports whether the clause is flagged as changed by the
// guideline's revision (its text changed, or it is new).
func (r Row) Changed() bool { return r.ChangeKind == ChangeModified || r.ChangeKind == ChangeAdded }

// Flags lists the row's flags.
func (r Row) Flags() []string {
	var out []string
	if r.Unmapped {
		out = append(out, FlagUnmapped)
	}
	if r.Changed() {
		out = append(out, FlagChanged)
	}
	return out
}

// ChangeNote says how the clause changed since the previous edition, for
// readers: （新設） or （旧 4.3 から番号変更） etc.
func (r Row) ChangeNote() string {
	switch {
	case r.ChangeKind == ChangeAdded:
		return "前の版にない条項（新設）"
	case r.PrevNumber != "" && r.PrevNumber != r.Number && r.ChangeKind == ChangeModified:
		return "旧 " + r.PrevNumber + " から番号と内容が変更"
	case r.PrevNumber != "" && r.PrevNumber != r.Number:
		return "旧 " + r.PrevNumber + " から番号変更"
	}
	return ""
}

// StatusLabel is the status or 未設定.
func (r Row) StatusLabel() string {
	if r.Status == "" {
		return Unset
	}
	return r.Status
}

// DecisionWareki is the decision date in 和暦, or "".
func (r Row) DecisionWareki() string {
	if r.DecisionDate == "" {
		return ""
	}
	t, err := time.ParseInLocation("2006-01-02", r.DecisionDate, jp.JST)
	if err != nil {
		return r.DecisionDate
	}
	return jp.FormatWareki(t)
}

// ProvisionList splits the provisions into lines.
func (r Row) ProvisionList() []string {
	var out []string
	for _, l := range strings.Split(r.Provisions, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Edit is what a person changes on a row (the form and the Excel import).
type Edit struct {
	Provisions   string
	Status       string
	Difference   string
	Issue        string
	Decision     string
	Reason       string
	DecisionDate string // as typed: ISO or 和暦; normalised to YYYY-MM-DD by Check
	Planned      string
}

// EditOf returns a row's editable values.
func EditOf(r Row) Edit {
	return Edit{Provisions: r.Provisions, Status: r.Status, Difference: r.Difference, Issue: r.Issue, Decision: r.Decision,
		Reason: r.Reason, DecisionDate: r.DecisionDate, Planned: r.Planned}
}

// Field names of an edit, as forms post them, with their Japanese labels
// (which are also the Excel column headings).
var fieldLabels = map[string]string{
	"provisions": "区の規定", "status": "状況", "difference": "相違点", "issue": "課題", "decision": "対応方針",
	"reason": "理由", "decision_date": "決定日", "planned": "改正予定の内容",
}

// FieldLabel is the Japanese name of an edit field.
func FieldLabel(f string) string { return fieldLabels[f] }

// FieldErrors are validation messages by field.
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	var parts []string
	for _, f := range editOrder {
		if m, ok := fe[f]; ok {
			parts = append(parts, m)
		}
	}
	for f, m := range fe {
		if !valid(editOrder, f) {
			parts = append(parts, m)
		}
	}
	return strings.Join(parts, " ")
}

// editOrder is the order fields appear in forms and messages.
var editOrder = []string{"provisions", "status", "difference", "issue", "decision", "reason", "decision_date", "planned"}

func clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimSpace(s)
}

// ParseDate accepts a decision date typed as 2026-04-01, 2026/4/1 or
// 令和8年4月1日 (and the other forms jp.ParseDate knows) and returns it as
// YYYY-MM-DD.
func ParseDate(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	t, err := jp.ParseDate(s)
	if err != nil {
		return "", errors.New("決定日「" + s + "」は日付として読めません。実在する日付を 2026-04-01 か 令和8年4月1日 の形で入力してください。")
	}
	return t.Format("2006-01-02"), nil
}

// Check normalises e (trims text, date to YYYY-MM-DD) and returns the
// problems for a row of kind, in Japanese, by field.
func Check(kind string, e *Edit) FieldErrors {
	fe := FieldErrors{}
	for _, f := range []struct {
		name string
		v    *string
	}{{"provisions", &e.Provisions}, {"difference", &e.Difference}, {"issue", &e.Issue}, {"reason", &e.Reason}, {"planned", &e.Planned}} {
		*f.v = clean(*f.v)
		if n := utf8.RuneCountInString(*f.v); n > MaxText {
			fe[f.name] = fmt.Sprintf("%sは %d 文字以内にしてください（現在 %d 文字）。", fieldLabels[f.name], MaxText, n)
		} else if strings.ContainsFunc(*f.v, func(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' }) {
			fe[f.name] = fieldLabels[f.name] + "に制御文字が含まれています。"
		}
	}
	e.Status = strings.TrimSpace(e.Status)
	if e.Status == Unset {
		e.Status = ""
	}
	switch {
	case e.Status != "" && !ValidStatus(e.Status):
		fe["status"] = fmt.Sprintf("状況「%s」は使えません。%s のいずれかを選んでください。", e.Status, strings.Join(Statuses, "・"))
	case kind == KindGuideline && e.Status == StatusOwn:
		fe["status"] = "独自規定は、ガイドラインに対応する条項のない区の規定の行にだけ使えます。"
	case kind == KindWard && e.Status != "" && e.Status != StatusOwn && e.Status != StatusExcluded:
		fe["status"] = "区の独自規定の行の状況は、独自規定か対象外にしてください。"
	}
	e.Decision = strings.TrimSpace(e.Decision)
	if e.Decision == Unset {
		e.Decision = ""
	}
	if e.Decision == "しない" {
		e.Decision = DecisionNoReflect
	}
	if e.Decision != "" && !ValidDecision(e.Decision) {
		fe["decision"] = fmt.Sprintf("対応方針「%s」は使えません。%s のいずれかを選んでください。", e.Decision, strings.Join(Decisions, "・"))
	}
	if d, err := ParseDate(e.DecisionDate); err != nil {
		fe["decision_date"] = err.Error()
	} else {
		e.DecisionDate = d
	}
	if e.Decision == DecisionNoReflect && e.Reason == "" && fe["reason"] == "" {
		fe["reason"] = "反映しないと決めた場合は、その理由を入力してください。"
	}
	if e.DecisionDate != "" && e.Decision == "" && fe["decision_date"] == "" {
		fe["decision_date"] = "決定日を入れる場合は、対応方針も選んでください。"
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// changedFields lists the fields that differ between a and b.
func changedFields(a, b Edit) []string {
	var out []string
	pairs := []struct {
		f    string
		x, y string
	}{{"provisions", a.Provisions, b.Provisions}, {"status", a.Status, b.Status}, {"difference", a.Difference, b.Difference},
		{"issue", a.Issue, b.Issue}, {"decision", a.Decision, b.Decision}, {"reason", a.Reason, b.Reason},
		{"decision_date", a.DecisionDate, b.DecisionDate}, {"planned", a.Planned, b.Planned}}
	for _, p := range pairs {
		if p.x != p.y {
			out = append(out, p.f)
		}
	}
	return out
}

// StatusClass is the badge style of the row's status on pages.
func (r Row) StatusClass() string { return StatusClass(r.Status) }

// StatusClass is the badge style of a status.
func StatusClass(s string) string {
	switch s {
	case StatusReflected:
		return "badge badge-ok"
	case StatusNotReflected:
		return "badge badge-ng"
	case "":
		return "muted"
	}
	return "badge"
}

// FlagBadge is a flag as a page shows it.
type FlagBadge struct{ Label, Short, Class string }

// FlagBadges are the row's flags with short labels for narrow columns.
func (r Row) FlagBadges() []FlagBadge {
	var out []FlagBadge
	for _, f := range r.Flags() {
		b := FlagBadge{Label: f, Short: f, Class: "badge"}
		switch f {
		case FlagUnmapped:
			b.Class = "badge badge-ng"
		case FlagChanged:
			b.Short = "改定で変更"
		}
		out = append(out, b)
	}
	return out
}
