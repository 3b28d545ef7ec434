package audit

// This file is the findings of an engagement (指摘事項・改善提言・良好事例・
// 観察事項): their store and their actions in the improvement register.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/improve"
	"mamori/internal/jp"
	"mamori/internal/org"
)

// Finding types.
const (
	FindingFinding        = "finding"        // 指摘事項
	FindingRecommendation = "recommendation" // 改善提言
	FindingGood           = "good"           // 良好事例
	FindingObservation    = "observation"    // 観察事項
)

// FindingTypes lists the finding types in the order reports print them.
var FindingTypes = []struct{ Code, Label string }{
	{FindingFinding, "指摘事項"}, {FindingRecommendation, "改善提言"}, {FindingGood, "良好事例"}, {FindingObservation, "観察事項"},
}

// FindingTypeLabel names a finding type.
func FindingTypeLabel(code string) string {
	for _, t := range FindingTypes {
		if t.Code == code {
			return t.Label
		}
	}
	return code
}

func validFindingType(code string) bool { return FindingTypeLabel(code) != code }

// FindingRegistered reports whether findings of the type enter the
// improvement register and are followed up (指摘事項 and 改善提言).
func FindingRegistered(code string) bool {
	return code == FindingFinding || code == FindingRecommendation
}

// FindingRisks are the risk levels of a finding, highest first.
var FindingRisks = []string{"高", "中", "低"}

// Follow-up verdicts of the auditor.
const (
	VerdictImproved = "improved" // 改善済
	VerdictPartly   = "partly"   // 一部改善
	VerdictNot      = "not"      // 未改善
)

// FollowupVerdicts lists the verdicts in order.
var FollowupVerdicts = []struct{ Code, Label string }{
	{VerdictImproved, "改善済"}, {VerdictPartly, "一部改善"}, {VerdictNot, "未改善"},
}

// FollowupMethods are how the auditor checked the improvement.
var FollowupMethods = []struct{ Code, Label string }{
	{"document", "書類調査"}, {"review", "レビュー"},
}

func codeLabel(list []struct{ Code, Label string }, code, none string) string {
	for _, x := range list {
		if x.Code == code {
			return x.Label
		}
	}
	return none
}

// FollowupVerdictLabel names a verdict ("未確認" for none).
func FollowupVerdictLabel(code string) string { return codeLabel(FollowupVerdicts, code, "未確認") }

// FollowupMethodLabel names a follow-up method ("" for none).
func FollowupMethodLabel(code string) string { return codeLabel(FollowupMethods, code, "") }

// Finding is one finding of an engagement with its follow-up and, for
// 指摘事項 and 改善提言, its action in the improvement register.
type Finding struct {
	ID             int64
	EngagementID   int64
	Seq            int // numbered per engagement
	Type           string
	Title          string
	DepartmentID   int64
	Department     string // the department's name
	ItemCodes      []string
	Clauses        []string // of the items concerned, as the checklist cites them
	Condition      string   // 事実
	Criteria       string   // 基準
	Cause          string
	Effect         string
	Recommendation string
	Risk           string // 高, 中, 低 ("" for 良好事例 and 観察事項)
	AuditeeComment string
	Due            time.Time
	// The auditee's improvement plan.
	PlanAction string
	PlanOwner  string
	PlanDue    time.Time
	PlanAt     time.Time
	PlanBy     string
	// The auditor's follow-up.
	Verdict         string // improved, partly, not; "" not yet
	FollowupMethod  string // document, review
	FollowupComment string
	FollowupBy      string
	FollowupAt      time.Time
	Rev             int64
	CreatedBy       string
	UpdatedBy       string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	// Action is the finding's action in the register (ID 0: none).
	Action improve.Action
}

// TypeLabel is the type in Japanese.
func (f Finding) TypeLabel() string { return FindingTypeLabel(f.Type) }

// Registered reports whether the finding enters the register.
func (f Finding) Registered() bool { return FindingRegistered(f.Type) }

// Label is the finding's number as reports print it: 指摘事項3.
func (f Finding) Label() string { return fmt.Sprintf("%s%d", f.TypeLabel(), f.Seq) }

// Ref is the finding's source reference in the register.
func (f Finding) Ref() string { return findingRef(f.ID) }

func findingRef(id int64) string { return fmt.Sprintf("finding:%d", id) }

// DueWareki is the due date in 和暦 ("" when none).
func (f Finding) DueWareki() string { return wareki(f.Due) }

// PlanDueWareki is the planned date in 和暦 ("" when none).
func (f Finding) PlanDueWareki() string { return wareki(f.PlanDue) }

// HasPlan reports whether the auditee has written the improvement plan.
func (f Finding) HasPlan() bool { return f.PlanAction != "" }

// VerdictLabel is the follow-up verdict in Japanese.
func (f Finding) VerdictLabel() string { return FollowupVerdictLabel(f.Verdict) }

// MethodLabel is the follow-up method in Japanese.
func (f Finding) MethodLabel() string { return FollowupMethodLabel(f.FollowupMethod) }

// Open reports whether the finding's follow-up is still open: a 指摘事項 or
// 改善提言 not yet confirmed improved.
func (f Finding) Open() bool {
	return f.Registered() && f.Verdict != VerdictImproved && f.Action.Status != improve.StatusVerified
}

// OverdueAt reports whether an open follow-up is past its due date, as of
// the calendar day of now in Japan.
func (f Finding) OverdueAt(now time.Time) bool {
	return f.Open() && !f.Due.IsZero() && jp.DateKey(f.Due) < jp.DateKey(now)
}

// Concerns reports whether the finding names the item code.
func (f Finding) Concerns(code string) bool {
	for _, c := range f.ItemCodes {
		if c == code {
			return true
		}
	}
	return false
}

// Report states, as the report (audit_reports.state) has them; the report
// (report.go) moves between them, the findings' rules read them.
const (
	ReportDraft  = "draft"
	ReportReview = "review"
	ReportFinal  = "final"
)

// reportStage is the state of an engagement's report (draft when it has
// no report row).
func (s *Store) reportStage(ctx context.Context, engagementID int64) (string, error) {
	var st string
	err := s.db.QueryRow(ctx, "SELECT state FROM audit_reports WHERE engagement_id = ?", engagementID).Scan(&st)
	if errors.Is(err, sql.ErrNoRows) {
		return ReportDraft, nil
	}
	if err != nil {
		return "", fmt.Errorf("audit: report state: %w", err)
	}
	return st, nil
}

// reportStatus is where an engagement's report stands, as the rules on
// findings and follow-up read it: its state and its latest final version.
type reportStatus struct {
	State   string // draft, review, final
	Version int    // the latest final version (0: never final)
}

// Issued reports whether the report has been issued: it is final, or a
// final version exists. A final report reopened for its next version is a
// draft again, but what it issued stays issued: the auditee and the viewer
// keep reading its findings and the follow-up goes on.
func (r reportStatus) Issued() bool { return r.Version > 0 || r.State == ReportFinal }

// reportStatusOf reads the state and version of an engagement's report (a
// draft never final when it has no report row).
func (s *Store) reportStatusOf(ctx context.Context, engagementID int64) (reportStatus, error) {
	r := reportStatus{State: ReportDraft}
	err := s.db.QueryRow(ctx, "SELECT state, version FROM audit_reports WHERE engagement_id = ?", engagementID).Scan(&r.State, &r.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("audit: report state: %w", err)
	}
	return r, nil
}

const findingCols = `id, engagement_id, seq, type, title, COALESCE(department_id, 0), item_codes, clauses, condition_text, criteria_text, cause, effect,
	recommendation, risk, auditee_comment, due_date, plan_action, plan_owner, plan_due, plan_at, plan_by_name, followup_verdict, followup_method,
	followup_comment, followup_by_name, followup_at, rev, created_by_name, updated_by_name, created_at, updated_at`

func scanFinding(sc interface{ Scan(...any) error }) (Finding, error) {
	var f Finding
	var codes, clauses, due, planDue string
	var created, updated, planAt, fuAt database.Time
	err := sc.Scan(&f.ID, &f.EngagementID, &f.Seq, &f.Type, &f.Title, &f.DepartmentID, &codes, &clauses, &f.Condition, &f.Criteria,
		&f.Cause, &f.Effect, &f.Recommendation, &f.Risk, &f.AuditeeComment, &due, &f.PlanAction, &f.PlanOwner, &planDue, &planAt, &f.PlanBy,
		&f.Verdict, &f.FollowupMethod, &f.FollowupComment, &f.FollowupBy, &fuAt, &f.Rev, &f.CreatedBy, &f.UpdatedBy, &created, &updated)
	f.ItemCodes, f.Clauses = splitList(codes), lines(clauses)
	f.Due, f.PlanDue = jp.ParseDateKey(due), jp.ParseDateKey(planDue)
	f.PlanAt, f.FollowupAt = planAt.Time, fuAt.Time
	f.CreatedAt, f.UpdatedAt = created.Time, updated.Time
	return f, err
}

// stampText is a time as the TEXT NOT NULL columns store it (” for none).
func stampText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return database.FormatTime(t)
}

// fillFindings names the findings' departments and attaches their register
// actions.
func (s *Store) fillFindings(ctx context.Context, fs []Finding) error {
	if len(fs) == 0 {
		return nil
	}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return err
	}
	var refs []string
	for i := range fs {
		if d := tree.ByID[fs[i].DepartmentID]; d != nil {
			fs[i].Department = d.Name
		}
		if fs[i].Registered() {
			refs = append(refs, fs[i].Ref())
		}
	}
	if s.reg == nil || len(refs) == 0 {
		return nil
	}
	as, err := s.reg.BySource(ctx, "audit", refs)
	if err != nil {
		return err
	}
	for i := range fs {
		fs[i].Action = as[fs[i].Ref()]
	}
	return nil
}

// Findings lists an engagement's findings in their order.
func (s *Store) Findings(ctx context.Context, engagementID int64) ([]Finding, error) {
	out, err := s.queryFindings(ctx, "SELECT "+findingCols+" FROM audit_findings WHERE engagement_id = ? ORDER BY seq", engagementID)
	if err != nil {
		return nil, fmt.Errorf("audit.Findings: %w", err)
	}
	return out, nil
}

// queryFindings reads the findings a query selects (findingCols) with
// their register actions.
func (s *Store) queryFindings(ctx context.Context, q string, args ...any) ([]Finding, error) {
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for rows.Next() {
		f, err := scanFinding(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, f)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.fillFindings(ctx, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Finding is one finding of an engagement; a finding of another
// engagement is database.ErrNotFound.
func (s *Store) Finding(ctx context.Context, engagementID, findingID int64) (Finding, error) {
	f, err := scanFinding(s.db.QueryRow(ctx, "SELECT "+findingCols+" FROM audit_findings WHERE id = ? AND engagement_id = ?", findingID, engagementID))
	if errors.Is(err, sql.ErrNoRows) {
		return f, database.ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("audit.Finding: %w", err)
	}
	fs := []Finding{f}
	if err := s.fillFindings(ctx, fs); err != nil {
		return f, fmt.Errorf("audit.Finding: %w", err)
	}
	return fs[0], nil
}

// FindingInput is what the finding form gives.
type FindingInput struct {
	Type           string
	Title          string
	DepartmentID   int64
	ItemCodes      []string
	Condition      string
	Criteria       string
	Cause          string
	Effect         string
	Recommendation string
	Risk           string
	Due            time.Time
}

// Text limits of a finding.
const (
	maxFindingTitle = 200
	maxFindingText  = 4000
)

// checkFinding validates and cleans the input against the engagement and
// its checklist, and returns the clauses of the items it names.
func (s *Store) checkFinding(ctx context.Context, e Engagement, in *FindingInput) ([]string, FieldErrors, error) {
	fe := FieldErrors{}
	in.Title = cleanText(in.Title)
	for _, p := range []*string{&in.Condition, &in.Criteria, &in.Cause, &in.Effect, &in.Recommendation} {
		*p = cleanMultiline(*p)
	}
	in.Risk = strings.TrimSpace(in.Risk)
	if !validFindingType(in.Type) {
		fe["type"] = "種別を選んでください。"
	}
	switch n := utf8.RuneCountInString(in.Title); {
	case n == 0:
		fe["title"] = "件名を入力してください。"
	case n > maxFindingTitle:
		fe["title"] = fmt.Sprintf("件名は%d文字以内で入力してください（%d文字あります）。", maxFindingTitle, n)
	}
	if !e.HasDepartment(in.DepartmentID) {
		fe["department"] = "対象の所属を、この監査の被監査所属から選んでください。"
	}
	for _, f := range []struct{ key, label, v string }{{"condition", "事実", in.Condition}, {"criteria", "基準", in.Criteria}, {"cause", "原因", in.Cause},
		{"effect", "影響", in.Effect}, {"recommendation", "改善提言", in.Recommendation}} {
		if n := utf8.RuneCountInString(f.v); n > maxFindingText {
			fe[f.key] = fmt.Sprintf("%sは%d文字以内で入力してください（%d文字あります）。", f.label, maxFindingText, n)
		}
	}
	if in.Condition == "" {
		fe["condition"] = "事実（確認した状況）を入力してください。"
	}
	registered := FindingRegistered(in.Type)
	if in.Type == FindingFinding && in.Criteria == "" {
		fe["criteria"] = "指摘事項では、基準（どの規程・基準に照らしたか）を入力してください。"
	}
	if registered && in.Recommendation == "" {
		fe["recommendation"] = "改善の方向（改善提言）を入力してください。"
	}
	if registered {
		if in.Risk == "" {
			in.Risk = "中"
		}
		valid := false
		for _, r := range FindingRisks {
			valid = valid || r == in.Risk
		}
		if !valid {
			fe["risk"] = "リスクは 高・中・低 のいずれかを選んでください。"
		}
		if in.Due.IsZero() {
			fe["due"] = "改善の期限を入力してください（フォローアップと改善措置台帳で使います）。"
		} else if in.Due.Year() < 2000 || in.Due.Year() > 2100 {
			fe["due"] = "期限の日付が正しくありません。"
		}
	} else {
		in.Risk, in.Due = "", time.Time{}
	}
	// The items concerned: codes of this engagement's checklist, each once.
	var codes []string
	seen := map[string]bool{}
	for _, c := range in.ItemCodes {
		if c = strings.TrimSpace(c); c != "" && !seen[c] {
			seen[c] = true
			codes = append(codes, c)
		}
	}
	in.ItemCodes = codes
	if len(codes) > 50 {
		fe["item_codes"] = "該当する項目は50までにしてください。"
		codes = nil
	}
	var clauses []string
	if len(codes) > 0 {
		items, err := s.Items(ctx, e.ID, ItemFilter{WithDropped: true})
		if err != nil {
			return nil, nil, err
		}
		byCode := map[string]Item{}
		for _, it := range items {
			byCode[it.Code] = it
		}
		have := map[string]bool{}
		var unknown, dropped []string
		for _, c := range codes {
			it, ok := byCode[c]
			switch {
			case !ok:
				unknown = append(unknown, c)
			case it.Dropped:
				dropped = append(dropped, c)
			default:
				for _, cl := range it.Clauses {
					if !have[cl] {
						have[cl] = true
						clauses = append(clauses, cl)
					}
				}
			}
		}
		switch {
		case len(unknown) > 0:
			fe["item_codes"] = "項目「" + strings.Join(unknown, "」「") + "」はこの監査のチェックリストにありません。"
		case len(dropped) > 0:
			fe["item_codes"] = "項目「" + strings.Join(dropped, "」「") + "」はチェックリストから除外されています。"
		}
	}
	if len(fe) > 0 {
		return nil, fe, nil
	}
	return clauses, nil, nil
}

// registerInput is what the register holds about a finding.
func (s *Store) registerInput(ctx context.Context, e Engagement, f Finding) improve.Input {
	dept := f.Department
	if dept == "" {
		if d, err := s.org.Department(ctx, f.DepartmentID); err == nil {
			dept = d.Name
		}
	}
	var detail []string
	for _, p := range []struct{ label, v string }{{"事実", f.Condition}, {"基準", f.Criteria}, {"原因", f.Cause}, {"影響", f.Effect},
		{"改善提言", f.Recommendation}} {
		if p.v != "" {
			detail = append(detail, p.label+"："+p.v)
		}
	}
	return improve.Input{FiscalYear: e.FiscalYear, Source: improve.SourceAuditFinding, SourceModule: "audit", SourceRef: f.Ref(),
		SourceLabel: cutRunes(fmt.Sprintf("%s %s %s %s", e.YearLabel(), e.Kind.Label(), dept, f.Label()), 200),
		Clause:      cutRunes(strings.Join(f.Clauses, "、"), 200), Title: f.Title, Detail: cutRunes(strings.Join(detail, "\n"), 4000),
		Risk: f.Risk, OwnerDepartmentID: f.DepartmentID, Due: f.Due}
}

// cutRunes shortens s to n characters, ending with 「…」 when cut.
func cutRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// syncAction writes a finding's register action: 指摘事項 and 改善提言 are
// upserted; another type withdraws the action a former type left (refused
// when the owner has worked on it).
func (s *Store) syncAction(ctx context.Context, e Engagement, f Finding, by Actor) error {
	if s.reg == nil {
		return nil
	}
	if !f.Registered() {
		_, err := s.reg.RemoveFromSource(ctx, "audit", f.Ref(), by)
		if errors.Is(err, improve.ErrActionStarted) {
			return FieldErrors{"type": "この指摘の改善措置は担当所属がすでに対応を始めているため、" + FindingTypeLabel(f.Type) + "には変更できません。"}
		}
		return err
	}
	_, _, err := s.reg.Upsert(ctx, s.registerInput(ctx, e, f))
	var rfe improve.FieldErrors
	if errors.As(err, &rfe) {
		return FieldErrors{"register": "改善措置台帳に登録できませんでした：" + rfe.Error()}
	}
	return err
}

// errReportFinal refuses a change to findings once the report is final.
var errReportFinal = FieldErrors{"finding": "監査報告書が確定しているため、指摘事項等は変更できません。変更が必要なときは、監査責任者が報告書を再開してください。"}

// CreateFinding adds a finding to an engagement (the audit team, until
// the report is final), with its register action for 指摘事項 and 改善提言,
// in one transaction; audited. It returns the new id.
func (s *Store) CreateFinding(ctx context.Context, e Engagement, in FindingInput, by Actor) (int64, error) {
	clauses, fe, err := s.checkFinding(ctx, e, &in)
	if err != nil {
		return 0, fmt.Errorf("audit.CreateFinding: %w", err)
	}
	if fe != nil {
		return 0, fe
	}
	var id int64
	locked := false
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		// The next number is read, then used: on PostgreSQL two findings
		// added at once would take the same one and the later fail.
		if err := s.db.LockRow(ctx, "audit_engagements", e.ID); err != nil {
			return err
		}
		st, err := s.reportStage(ctx, e.ID)
		if err != nil {
			return err
		}
		if st == ReportFinal {
			locked = true
			return errReportFinal
		}
		var seq int
		if err := s.db.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM audit_findings WHERE engagement_id = ?", e.ID).Scan(&seq); err != nil {
			return err
		}
		now := database.T(s.now())
		id, err = s.db.InsertID(ctx, `INSERT INTO audit_findings (engagement_id, seq, type, title, department_id, item_codes, clauses, condition_text,
			criteria_text, cause, effect, recommendation, risk, due_date, rev, created_by_name, updated_by_name, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
			e.ID, seq, in.Type, in.Title, in.DepartmentID, strings.Join(in.ItemCodes, ","), strings.Join(clauses, "\n"), in.Condition,
			in.Criteria, in.Cause, in.Effect, in.Recommendation, in.Risk, jp.DateKey(in.Due), by.Name, by.Name, now, now)
		if database.IsUniqueViolation(err) {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		f, err := s.Finding(ctx, e.ID, id)
		if err != nil {
			return err
		}
		if err := s.syncAction(ctx, e, f, by); err != nil {
			return err
		}
		return s.log.Record(ctx, "audit.finding_create", fmt.Sprintf("audit_finding:%d", id),
			fmt.Sprintf("%s に%s「%s」（%s）を登録", e.Code, f.Label(), cutRunes(f.Title, 60), f.Department))
	})
	if err != nil {
		return 0, s.lockedRefusal(ctx, e, locked, "指摘事項等の登録", findingErr("audit.CreateFinding", err))
	}
	return id, nil
}

// lockedRefusal records a change to the findings refused because the
// report is final (a replayed form, say), outside the rolled-back
// transaction, and returns err.
func (s *Store) lockedRefusal(ctx context.Context, e Engagement, locked bool, what string, err error) error {
	if !locked {
		return err
	}
	if lerr := s.log.Record(ctx, "audit.report_locked", fmt.Sprintf("audit_engagement:%d", e.ID),
		fmt.Sprintf("%s の確定した監査報告書の%sを拒否", e.Code, what)); lerr != nil {
		return lerr
	}
	return err
}

// findingErr passes form errors and conflicts through and wraps the rest.
func findingErr(op string, err error) error {
	var fe FieldErrors
	if errors.As(err, &fe) {
		return fe
	}
	if errors.Is(err, ErrConflict) || errors.Is(err, database.ErrNotFound) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// UpdateFinding changes a finding if rev is still the stored one (the
// audit team, until the report is final), and its register action with
// it; audited. The follow-up and the auditee's texts are not touched.
func (s *Store) UpdateFinding(ctx context.Context, e Engagement, id, rev int64, in FindingInput, by Actor) error {
	clauses, fe, err := s.checkFinding(ctx, e, &in)
	if err != nil {
		return fmt.Errorf("audit.UpdateFinding: %w", err)
	}
	if fe != nil {
		return fe
	}
	locked := false
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		cur, err := s.Finding(ctx, e.ID, id)
		if err != nil {
			return err
		}
		st, err := s.reportStage(ctx, e.ID)
		if err != nil {
			return err
		}
		if st == ReportFinal {
			locked = true
			return errReportFinal
		}
		if cur.Rev != rev {
			return ErrConflict
		}
		res, err := s.db.Exec(ctx, `UPDATE audit_findings SET type = ?, title = ?, department_id = ?, item_codes = ?, clauses = ?, condition_text = ?,
			criteria_text = ?, cause = ?, effect = ?, recommendation = ?, risk = ?, due_date = ?, rev = rev + 1, updated_by_name = ?, updated_at = ?
			WHERE id = ? AND engagement_id = ? AND rev = ?`,
			in.Type, in.Title, in.DepartmentID, strings.Join(in.ItemCodes, ","), strings.Join(clauses, "\n"), in.Condition, in.Criteria, in.Cause,
			in.Effect, in.Recommendation, in.Risk, jp.DateKey(in.Due), by.Name, database.T(s.now()), id, e.ID, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		f, err := s.Finding(ctx, e.ID, id)
		if err != nil {
			return err
		}
		if err := s.syncAction(ctx, e, f, by); err != nil {
			return err
		}
		what := fmt.Sprintf("%s「%s」を更新", f.Label(), cutRunes(f.Title, 60))
		if cur.Type != f.Type {
			what = fmt.Sprintf("%s「%s」を%sに変更して更新", cur.Label(), cutRunes(f.Title, 60), f.TypeLabel())
		}
		return s.log.Record(ctx, "audit.finding_update", fmt.Sprintf("audit_finding:%d", id), e.Code+" の"+what)
	})
	if err != nil {
		return s.lockedRefusal(ctx, e, locked, fmt.Sprintf("指摘事項等（No.%d）の変更", id), findingErr("audit.UpdateFinding", err))
	}
	return nil
}

// DeleteFinding removes a finding (the audit team, until the report is
// final) with its register action; a finding whose action the owner has
// already worked on is kept (FieldErrors). Audited.
func (s *Store) DeleteFinding(ctx context.Context, e Engagement, id, rev int64, by Actor) error {
	locked := false
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		f, err := s.Finding(ctx, e.ID, id)
		if err != nil {
			return err
		}
		st, err := s.reportStage(ctx, e.ID)
		if err != nil {
			return err
		}
		if st == ReportFinal {
			locked = true
			return errReportFinal
		}
		if f.Rev != rev {
			return ErrConflict
		}
		if s.reg != nil {
			if _, err := s.reg.RemoveFromSource(ctx, "audit", f.Ref(), by); errors.Is(err, improve.ErrActionStarted) {
				return FieldErrors{"finding": "この指摘の改善措置は担当所属がすでに対応を始めているため、削除できません。"}
			} else if err != nil {
				return err
			}
		}
		res, err := s.db.Exec(ctx, "DELETE FROM audit_findings WHERE id = ? AND engagement_id = ? AND rev = ?", id, e.ID, rev)
		if err != nil {
			return err
		}
		// A change committed since the read above (PostgreSQL runs them
		// side by side) keeps the finding: roll back, register action too.
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		return s.log.Record(ctx, "audit.finding_delete", fmt.Sprintf("audit_finding:%d", id),
			fmt.Sprintf("%s の%s「%s」を削除", e.Code, f.Label(), cutRunes(f.Title, 60)))
	})
	if err != nil {
		return s.lockedRefusal(ctx, e, locked, fmt.Sprintf("指摘事項等（No.%d）の削除", id), findingErr("audit.DeleteFinding", err))
	}
	return nil
}

// SetAuditeeComment stores the audited department's comment on a finding
// while the report is in review; audited.
func (s *Store) SetAuditeeComment(ctx context.Context, e Engagement, id, rev int64, comment string, by Actor) error {
	comment = cleanMultiline(comment)
	if n := utf8.RuneCountInString(comment); n > maxFindingText {
		return FieldErrors{"auditee_comment": fmt.Sprintf("コメントは%d文字以内で入力してください（%d文字あります）。", maxFindingText, n)}
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		f, err := s.Finding(ctx, e.ID, id)
		if err != nil {
			return err
		}
		st, err := s.reportStage(ctx, e.ID)
		if err != nil {
			return err
		}
		if st != ReportReview {
			return FieldErrors{"auditee_comment": "コメントを書けるのは、監査報告書の案が確認（レビュー）に回っている間です。"}
		}
		if f.Rev != rev {
			return ErrConflict
		}
		if f.AuditeeComment == comment {
			return nil
		}
		res, err := s.db.Exec(ctx, `UPDATE audit_findings SET auditee_comment = ?, rev = rev + 1, updated_by_name = ?, updated_at = ?
			WHERE id = ? AND engagement_id = ? AND rev = ?`, comment, by.Name, database.T(s.now()), id, e.ID, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		return s.log.Record(ctx, "audit.finding_comment", fmt.Sprintf("audit_finding:%d", id),
			fmt.Sprintf("%s の%sに被監査所属のコメントを記入（%s）", e.Code, f.Label(), cutRunes(comment, 60)))
	})
	if err != nil {
		return findingErr("audit.SetAuditeeComment", err)
	}
	return nil
}

// FindingsWithout lists the items judged 不適合 or 一部不適合 that no finding
// names (a quality check before the report), in checklist order.
func FindingsWithout(items []Item, fs []Finding) []Item {
	named := map[string]bool{}
	for _, f := range fs {
		for _, c := range f.ItemCodes {
			named[c] = true
		}
	}
	var out []Item
	for _, it := range items {
		if !it.Dropped && (it.Judgement == JudgeNonconform || it.Judgement == JudgePartial) && !named[it.Code] {
			out = append(out, it)
		}
	}
	return out
}

// PrefillFromItem is a new finding's form drawn from a checklist item: a
// 指摘事項 for 不適合 (a 改善提言 for 一部不適合), the item's question as
// the title, the auditor's notes as the facts and the conform criterion
// with the item's clauses as the criteria.
func PrefillFromItem(e Engagement, it Item) FindingInput {
	in := FindingInput{Type: FindingFinding, ItemCodes: []string{it.Code}, Risk: "中", Condition: it.Notes}
	if it.Judgement == JudgePartial {
		in.Type = FindingRecommendation
	}
	if it.Judgement == JudgeNonconform && it.Priority == "required" {
		in.Risk = "高"
	}
	in.Title = cutRunes(strings.TrimSuffix(strings.TrimSpace(it.Question), "。"), maxFindingTitle)
	crit := it.Conform
	if len(it.Clauses) > 0 {
		crit = strings.TrimSpace(crit + "\n（" + strings.Join(it.Clauses, "、") + "）")
	}
	in.Criteria = crit
	if len(e.Targets) > 0 {
		in.DepartmentID = e.Targets[0].DepartmentID
	}
	return in
}

// deptRelated reports whether department a is b, below it or above it (an
// auditee of a section sees its division's findings and the other way).
func deptRelated(ctx context.Context, o org.Reader, a, b int64) (bool, error) {
	if a == 0 || b == 0 {
		return false, nil
	}
	if ok, err := o.Within(ctx, a, b); err != nil || ok {
		return ok, err
	}
	return o.Within(ctx, b, a)
}
