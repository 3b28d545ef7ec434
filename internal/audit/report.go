package audit

// This file is the audit report (監査報告書): its working text (summary,
// overall opinion, the three perspectives of external and system audits),
// the review comments, the states draft → review → final and the final
// versions, each kept whole as the JSON of what the report printed.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"mamori/content"
	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/module"
)

// The report states (ReportDraft, ReportReview, ReportFinal) are declared
// in findings.go, whose rules read them.

// ReportStates lists the states in order, with their labels.
var ReportStates = []struct{ Code, Label string }{
	{ReportDraft, "作成中"}, {ReportReview, "レビュー中"}, {ReportFinal, "確定"},
}

// ReportStateLabel names a report state.
func ReportStateLabel(code string) string {
	for _, s := range ReportStates {
		if s.Code == code {
			return s.Label
		}
	}
	return code
}

// reportDefaultsFile is the report's standard wording (content/audit).
const reportDefaultsFile = "audit/report_defaults.yaml"

// ReportRating is one step of the scale the three perspectives are rated
// on (良好 / 概ね良好 / 要改善 / 不十分).
type ReportRating struct {
	Code    string `yaml:"code"`
	Label   string `yaml:"label"`
	Meaning string `yaml:"meaning"`
}

// ReportPerspectiveDef is one of the three perspectives an external or
// system audit report evaluates.
type ReportPerspectiveDef struct {
	Key      string `yaml:"key"`
	Title    string `yaml:"title"`
	Guide    string `yaml:"guide"`
	MyNumber bool   `yaml:"mynumber"` // only when the target handles 特定個人情報
}

// reportDefaults is content/audit/report_defaults.yaml.
type reportDefaults struct {
	Ratings      []ReportRating         `yaml:"ratings"`
	Perspectives []ReportPerspectiveDef `yaml:"perspectives"`
	Purpose      map[string]string      `yaml:"purpose"`
	Method       map[string]string      `yaml:"method"`
	Criteria     string                 `yaml:"criteria"`
	ResultsNote  string                 `yaml:"results_note"`
	Followup     struct {
		Plan, PlanNoDue, Check, Schedule, None string
	} `yaml:"-"`
	FollowupRaw map[string]string `yaml:"followup"`
	Letter      struct {
		To   string `yaml:"to"`
		Body string `yaml:"body"`
	} `yaml:"letter"`
	Approval []string `yaml:"approval"`
	Meeting  struct {
		PurposeLead    string   `yaml:"purpose_lead"`
		NextSteps      []string `yaml:"next_steps"`
		GoodNone       string   `yaml:"good_none"`
		FindingsNone   string   `yaml:"findings_none"`
		TendenciesNote string   `yaml:"tendencies_note"`
		Tendencies     []string `yaml:"tendencies"`
	} `yaml:"meeting"`
}

var reportDefaultsOnce struct {
	sync.Once
	d   *reportDefaults
	err error
}

// loadReportDefaults reads the standard wording once.
func loadReportDefaults() (*reportDefaults, error) {
	o := &reportDefaultsOnce
	o.Do(func() {
		b, err := content.FS.ReadFile(reportDefaultsFile)
		if err != nil {
			o.err = fmt.Errorf("audit: %s: %w", reportDefaultsFile, err)
			return
		}
		var d reportDefaults
		if err := yaml.Unmarshal(b, &d); err != nil {
			o.err = fmt.Errorf("audit: %s: %w", reportDefaultsFile, err)
			return
		}
		reportUnfoldAll(&d)
		f := d.FollowupRaw
		d.Followup.Plan, d.Followup.PlanNoDue, d.Followup.Check, d.Followup.Schedule, d.Followup.None =
			f["plan"], f["plan_nodue"], f["check"], f["schedule"], f["none"]
		if len(d.Ratings) == 0 || len(d.Perspectives) == 0 {
			o.err = fmt.Errorf("audit: %s: ratings and perspectives are required", reportDefaultsFile)
			return
		}
		o.d = &d
	})
	return o.d, o.err
}

// reportUnfold removes the spaces YAML folding puts where a Japanese
// sentence was wrapped: an ASCII space between two non-ASCII characters.
func reportUnfold(s string) string {
	rs := []rune(strings.TrimSpace(s))
	out := rs[:0]
	for i, r := range rs {
		if r == ' ' && i > 0 && i+1 < len(rs) && rs[i-1] > 0x7f && rs[i+1] > 0x7f {
			continue
		}
		out = append(out, r)
	}
	return string(out)
}

// reportUnfoldAll unfolds every text of the standard wording.
func reportUnfoldAll(d *reportDefaults) {
	for i := range d.Ratings {
		d.Ratings[i].Meaning = reportUnfold(d.Ratings[i].Meaning)
	}
	for i := range d.Perspectives {
		d.Perspectives[i].Guide = reportUnfold(d.Perspectives[i].Guide)
	}
	for _, m := range []map[string]string{d.Purpose, d.Method, d.FollowupRaw} {
		for k, v := range m {
			m[k] = reportUnfold(v)
		}
	}
	d.Criteria, d.ResultsNote = reportUnfold(d.Criteria), reportUnfold(d.ResultsNote)
	d.Letter.Body = reportUnfold(d.Letter.Body)
}

// ReportRatings lists the rating scale of the three perspectives.
func ReportRatings() []ReportRating {
	d, err := loadReportDefaults()
	if err != nil {
		return nil
	}
	return d.Ratings
}

// reportRatingLabel names a rating code ("" for none or unknown).
func reportRatingLabel(d *reportDefaults, code string) string {
	for _, r := range d.Ratings {
		if r.Code == code {
			return r.Label
		}
	}
	return ""
}

// ReportPerspective is one perspective's evaluation as the report holds it.
type ReportPerspective struct {
	Key         string `json:"key"`
	Title       string `json:"title"`
	Rating      string `json:"rating"`
	RatingLabel string `json:"rating_label"`
	Text        string `json:"text"`
	Guide       string `json:"-"` // what to write (from the standard wording)
}

// reportPerspectives are the perspectives engagement e's report evaluates:
// none for an internal audit; for external and system audits the three,
// less the My Number one when the target handles no 特定個人情報.
func reportPerspectives(d *reportDefaults, e Engagement) []ReportPerspective {
	if !e.Kind.External() {
		return nil
	}
	var out []ReportPerspective
	for _, p := range d.Perspectives {
		if p.MyNumber && !e.MyNumber {
			continue
		}
		out = append(out, ReportPerspective{Key: p.Key, Title: p.Title, Guide: strings.TrimSpace(p.Guide)})
	}
	return out
}

// Report is an engagement's report: its working text and state, the final
// versions kept, and the review comments.
type Report struct {
	EngagementID int64
	State        string
	// Version is the number of the latest final version (0: never final).
	Version      int
	Summary      string
	Opinion      string
	Perspectives []ReportPerspective // those of the engagement, in order
	Rev          int64
	UpdatedBy    string
	UpdatedAt    time.Time
	Versions     []ReportVersion // final versions, newest first
	Comments     []ReportComment // threads in order, each with its replies
	Open         int             // unresolved threads
}

// StateLabel is the state in Japanese.
func (r Report) StateLabel() string { return ReportStateLabel(r.State) }

// Final reports whether the report is final (locked).
func (r Report) Final() bool { return r.State == ReportFinal }

// Drafting is the version number the working text will become.
func (r Report) Drafting() int {
	if r.State == ReportFinal {
		return r.Version
	}
	return r.Version + 1
}

// ReportVersion is one final version of a report.
type ReportVersion struct {
	Version int
	By      string
	At      time.Time
}

// ReportComment is a review comment; a thread's first comment carries the
// replies.
type ReportComment struct {
	ID       int64
	ParentID int64
	Section  string
	Body     string
	Resolved bool
	By       string
	At       time.Time
	Replies  []ReportComment
}

// SectionLabel names the part of the report the comment is about.
func (c ReportComment) SectionLabel() string { return ReportSectionLabel(c.Section) }

// ReportSections are the parts of a report a review comment may be about.
var ReportSections = []struct{ Code, Label string }{
	{"general", "全体"}, {"overview", "監査の概要"}, {"summary", "監査結果の概要"}, {"opinion", "総合意見"},
	{"perspectives", "三つの観点"}, {"results", "章別の結果"}, {"findings", "指摘事項等"}, {"followup", "今後の対応"},
}

// ReportSectionLabel names a report section code.
func ReportSectionLabel(code string) string {
	for _, s := range ReportSections {
		if s.Code == code {
			return s.Label
		}
	}
	return "全体"
}

// Report returns engagement id's report with its versions and comments.
func (s *Store) Report(ctx context.Context, id int64) (Report, error) {
	e, err := s.Engagement(ctx, id)
	if err != nil {
		return Report{}, err
	}
	return s.reportOf(ctx, e)
}

// reportOf reads engagement e's report (a missing row reads as an empty
// draft: it is created on the first change).
func (s *Store) reportOf(ctx context.Context, e Engagement) (Report, error) {
	d, err := loadReportDefaults()
	if err != nil {
		return Report{}, err
	}
	r := Report{EngagementID: e.ID, State: ReportDraft}
	var persp string
	var at database.Time
	err = s.db.QueryRow(ctx, `SELECT state, version, summary, opinion, perspectives, rev, updated_by_name, updated_at
		FROM audit_reports WHERE engagement_id = ?`, e.ID).Scan(&r.State, &r.Version, &r.Summary, &r.Opinion, &persp, &r.Rev, &r.UpdatedBy, &at)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("audit.Report: %w", err)
	}
	r.UpdatedAt = at.Time
	r.Perspectives = reportMergePerspectives(d, e, persp)
	rows, err := s.db.Query(ctx, "SELECT version, finalised_by_name, finalised_at FROM audit_report_versions WHERE engagement_id = ? ORDER BY version DESC", e.ID)
	if err != nil {
		return r, fmt.Errorf("audit.Report: %w", err)
	}
	for rows.Next() {
		var v ReportVersion
		var at database.Time
		if err := rows.Scan(&v.Version, &v.By, &at); err != nil {
			rows.Close()
			return r, err
		}
		v.At = at.Time
		r.Versions = append(r.Versions, v)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return r, err
	}
	if r.Comments, r.Open, err = s.reportComments(ctx, e.ID); err != nil {
		return r, err
	}
	return r, nil
}

// reportMergePerspectives lays the stored evaluations (JSON) over the
// perspectives the engagement's report has.
func reportMergePerspectives(d *reportDefaults, e Engagement, stored string) []ReportPerspective {
	ps := reportPerspectives(d, e)
	var saved []ReportPerspective
	if stored != "" {
		_ = json.Unmarshal([]byte(stored), &saved) // a damaged value reads as empty
	}
	for i := range ps {
		for _, sp := range saved {
			if sp.Key == ps[i].Key {
				ps[i].Rating, ps[i].Text = sp.Rating, sp.Text
			}
		}
		ps[i].RatingLabel = reportRatingLabel(d, ps[i].Rating)
	}
	return ps
}

// reportComments reads the review comments as threads, and counts the
// unresolved ones.
func (s *Store) reportComments(ctx context.Context, id int64) ([]ReportComment, int, error) {
	rows, err := s.db.Query(ctx, `SELECT id, COALESCE(parent_id, 0), section, body, resolved, created_by_name, created_at
		FROM audit_report_comments WHERE engagement_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, 0, fmt.Errorf("audit.reportComments: %w", err)
	}
	defer rows.Close()
	var roots []ReportComment
	idx := map[int64]int{}
	var replies []ReportComment
	for rows.Next() {
		var c ReportComment
		var at database.Time
		if err := rows.Scan(&c.ID, &c.ParentID, &c.Section, &c.Body, &c.Resolved, &c.By, &at); err != nil {
			return nil, 0, err
		}
		c.At = at.Time
		if c.ParentID == 0 {
			idx[c.ID] = len(roots)
			roots = append(roots, c)
		} else {
			replies = append(replies, c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for _, c := range replies {
		if i, ok := idx[c.ParentID]; ok {
			roots[i].Replies = append(roots[i].Replies, c)
		}
	}
	open := 0
	for _, c := range roots {
		if !c.Resolved {
			open++
		}
	}
	return roots, open, nil
}

// Limits of the report's texts (characters).
const (
	reportMaxText        = 8000
	reportMaxPerspective = 4000
	reportMaxComment     = 2000
)

// ReportInput is the text a person writes in the report.
type ReportInput struct {
	Summary      string
	Opinion      string
	Perspectives map[string]ReportPerspectiveInput // by key
}

// ReportPerspectiveInput is one perspective's rating and explanation.
type ReportPerspectiveInput struct{ Rating, Text string }

// reportText cleans a multi-line text: unified line ends, trimmed.
func reportText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"))
}

// reportCheck validates the input for engagement e; forFinal also requires
// every text a final report must have.
func reportCheck(d *reportDefaults, e Engagement, in *ReportInput, forFinal bool) FieldErrors {
	fe := FieldErrors{}
	in.Summary, in.Opinion = reportText(in.Summary), reportText(in.Opinion)
	if utf8.RuneCountInString(in.Summary) > reportMaxText {
		fe["summary"] = fmt.Sprintf("監査結果の概要は%d文字以内で入力してください。", reportMaxText)
	}
	if utf8.RuneCountInString(in.Opinion) > reportMaxText {
		fe["opinion"] = fmt.Sprintf("総合意見は%d文字以内で入力してください。", reportMaxText)
	}
	if forFinal && in.Summary == "" {
		fe["summary"] = "監査結果の概要を入力してから確定してください。"
	}
	if forFinal && in.Opinion == "" {
		fe["opinion"] = "総合意見を入力してから確定してください。"
	}
	for _, p := range reportPerspectives(d, e) {
		pi := in.Perspectives[p.Key]
		pi.Text = reportText(pi.Text)
		if pi.Rating != "" && reportRatingLabel(d, pi.Rating) == "" {
			fe["p_"+p.Key+"_rating"] = fmt.Sprintf("「%s」の評価を選び直してください。", p.Title)
		} else if forFinal && pi.Rating == "" {
			fe["p_"+p.Key+"_rating"] = fmt.Sprintf("「%s」の評価を選んでから確定してください。", p.Title)
		}
		if utf8.RuneCountInString(pi.Text) > reportMaxPerspective {
			fe["p_"+p.Key+"_text"] = fmt.Sprintf("「%s」の説明は%d文字以内で入力してください。", p.Title, reportMaxPerspective)
		} else if forFinal && pi.Text == "" {
			fe["p_"+p.Key+"_text"] = fmt.Sprintf("「%s」の評価の説明を入力してから確定してください。", p.Title)
		}
		if in.Perspectives == nil {
			in.Perspectives = map[string]ReportPerspectiveInput{}
		}
		in.Perspectives[p.Key] = pi
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// reportPerspectivesJSON is the stored form of the perspectives of engagement e.
func reportPerspectivesJSON(d *reportDefaults, e Engagement, in ReportInput) string {
	var ps []ReportPerspective
	for _, p := range reportPerspectives(d, e) {
		pi := in.Perspectives[p.Key]
		ps = append(ps, ReportPerspective{Key: p.Key, Title: p.Title, Rating: pi.Rating, RatingLabel: reportRatingLabel(d, pi.Rating), Text: pi.Text})
	}
	if len(ps) == 0 {
		return ""
	}
	b, _ := json.Marshal(ps)
	return string(b)
}

// ReportLockedError is a change asked of a final report: refused (and
// recorded in the audit log), whatever form it came from.
type ReportLockedError struct{ Version int }

func (e ReportLockedError) Error() string {
	return fmt.Sprintf("この監査報告書は第%d版として確定しているため、変更できません。修正が必要なときは、監査責任者が「再開（改訂版を作成）」を行ってから修正してください。", e.Version)
}

// ReportQualityError is a finalisation asked without confirming the
// quality issues that remain.
type ReportQualityError struct{ Issues []QualityIssue }

func (e ReportQualityError) Error() string {
	return fmt.Sprintf("品質チェックで確認が必要な点が%d件残っています。内容を確かめ、このまま確定する場合は確認欄にチェックを入れてください。", len(e.Issues))
}

// ensureReport creates the report row of an engagement created before
// reports existed (inside the caller's transaction).
func (s *Store) ensureReport(ctx context.Context, id int64) error {
	_, err := s.db.Exec(ctx, `INSERT INTO audit_reports (engagement_id, updated_at) VALUES (?, ?) ON CONFLICT (engagement_id) DO NOTHING`,
		id, database.T(s.now()))
	return err
}

// lockedOr explains an update of the report row that matched nothing:
// the report is final (ReportLockedError) or someone changed it since rev
// (ErrConflict), or it is in another state than the action needs.
func (s *Store) lockedOr(ctx context.Context, id int64, other error) error {
	var state string
	var version int
	if err := s.db.QueryRow(ctx, "SELECT state, version FROM audit_reports WHERE engagement_id = ?", id).Scan(&state, &version); err != nil {
		return fmt.Errorf("audit: report state: %w", err)
	}
	if state == ReportFinal {
		return ReportLockedError{Version: version}
	}
	return other
}

// refused records a change refused because the report is final, outside
// the rolled-back transaction, and returns err.
func (s *Store) refused(ctx context.Context, e Engagement, what string, err error) error {
	var le ReportLockedError
	if errors.As(err, &le) {
		if lerr := s.log.Record(ctx, "audit.report_locked", fmt.Sprintf("audit_engagement:%d", e.ID),
			fmt.Sprintf("%s の監査報告書（第%d版・確定）への%sを拒否", e.Code, le.Version, what)); lerr != nil {
			return lerr
		}
	}
	return err
}

// SaveReport stores the report's text if rev is still the stored one and
// the report is not final; audited.
func (s *Store) SaveReport(ctx context.Context, id, rev int64, in ReportInput, by Actor) error {
	d, err := loadReportDefaults()
	if err != nil {
		return err
	}
	e, err := s.Engagement(ctx, id)
	if err != nil {
		return err
	}
	fe := reportCheck(d, e, &in, false)
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.ensureReport(ctx, id); err != nil {
			return err
		}
		// A final report is refused before the input is judged: a replayed
		// form gets the lock, not a message about its fields.
		if err := s.lockedOr(ctx, id, nil); err != nil {
			return err
		}
		if fe != nil {
			return fe
		}
		res, err := s.db.Exec(ctx, `UPDATE audit_reports SET summary = ?, opinion = ?, perspectives = ?, rev = rev + 1, updated_by_name = ?, updated_at = ?
			WHERE engagement_id = ? AND rev = ? AND state <> 'final'`,
			in.Summary, in.Opinion, reportPerspectivesJSON(d, e, in), by.Name, database.T(s.now()), id, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return s.lockedOr(ctx, id, ErrConflict)
		}
		var version int
		if err := s.db.QueryRow(ctx, "SELECT version FROM audit_reports WHERE engagement_id = ?", id).Scan(&version); err != nil {
			return err
		}
		return s.log.Record(ctx, "audit.report_save", fmt.Sprintf("audit_engagement:%d", id),
			fmt.Sprintf("%s の監査報告書（第%d版案）の本文を保存", e.Code, version+1))
	})
	return s.refused(ctx, e, "本文の保存", reportErr("audit.SaveReport", err))
}

// reportErr wraps unexpected errors with the operation's name and passes
// the ones the pages explain as they are.
func reportErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var fe FieldErrors
	var le ReportLockedError
	var qe ReportQualityError
	if errors.As(err, &fe) || errors.As(err, &le) || errors.As(err, &qe) || errors.Is(err, ErrConflict) || errors.Is(err, database.ErrNotFound) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// AddReportComment adds a review comment (parent 0) or a reply to a
// thread; refused when the report is final. It returns the comment's id.
func (s *Store) AddReportComment(ctx context.Context, id, parent int64, section, body string, by Actor) (int64, error) {
	e, err := s.Engagement(ctx, id)
	if err != nil {
		return 0, err
	}
	body = reportText(body)
	fe := FieldErrors{}
	switch {
	case body == "":
		fe["body"] = "コメントを入力してください。"
	case utf8.RuneCountInString(body) > reportMaxComment:
		fe["body"] = fmt.Sprintf("コメントは%d文字以内で入力してください。", reportMaxComment)
	}
	if section == "" {
		section = "general"
	}
	if ReportSectionLabel(section) == "全体" && section != "general" {
		fe["section"] = "コメントの対象の箇所を選び直してください。"
	}
	var cid int64
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.ensureReport(ctx, id); err != nil {
			return err
		}
		if err := s.lockedOr(ctx, id, nil); err != nil {
			return err
		}
		var parentID any
		if parent != 0 {
			// A reply joins the thread of the comment it answers.
			var eid, pp int64
			var psection string
			err := s.db.QueryRow(ctx, "SELECT engagement_id, COALESCE(parent_id, 0), section FROM audit_report_comments WHERE id = ?", parent).Scan(&eid, &pp, &psection)
			if errors.Is(err, sql.ErrNoRows) || err == nil && eid != id {
				fe["body"] = "返信先のコメントが見つかりません。画面を読み込み直してください。"
			} else if err != nil {
				return err
			}
			if pp != 0 {
				parent = pp
			}
			parentID, section = parent, psection
		}
		if len(fe) > 0 {
			return fe
		}
		var err error
		cid, err = s.db.InsertID(ctx, `INSERT INTO audit_report_comments (engagement_id, parent_id, section, body, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, id, parentID, section, body, by.Name, database.T(s.now()))
		if err != nil {
			return err
		}
		if parent != 0 {
			// A reply reopens a resolved thread: it asks something again.
			if _, err := s.db.Exec(ctx, "UPDATE audit_report_comments SET resolved = FALSE WHERE id = ? OR parent_id = ?", parent, parent); err != nil {
				return err
			}
		}
		what := "レビューコメントを追加"
		if parent != 0 {
			what = "レビューコメントに返信"
		}
		return s.log.Record(ctx, "audit.report_comment", fmt.Sprintf("audit_comment:%d", cid),
			fmt.Sprintf("%s の監査報告書（%s）に%s", e.Code, ReportSectionLabel(section), what))
	})
	if err != nil {
		return 0, s.refused(ctx, e, "コメントの追加", reportErr("audit.AddReportComment", err))
	}
	return cid, nil
}

// ResolveReportComment marks a thread resolved (the comment and its
// replies). A comment of another engagement is database.ErrNotFound.
func (s *Store) ResolveReportComment(ctx context.Context, id, commentID int64, by Actor) error {
	e, err := s.Engagement(ctx, id)
	if err != nil {
		return err
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		var eid, parent int64
		var resolved bool
		err := s.db.QueryRow(ctx, "SELECT engagement_id, COALESCE(parent_id, 0), resolved FROM audit_report_comments WHERE id = ?", commentID).Scan(&eid, &parent, &resolved)
		if errors.Is(err, sql.ErrNoRows) || err == nil && eid != id {
			return database.ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := s.lockedOr(ctx, id, nil); err != nil {
			return err
		}
		root := commentID
		if parent != 0 {
			root = parent
		}
		res, err := s.db.Exec(ctx, "UPDATE audit_report_comments SET resolved = TRUE WHERE (id = ? OR parent_id = ?) AND NOT resolved", root, root)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return FieldErrors{"comment": "このコメントはすでに解決済みです。"}
		}
		return s.log.Record(ctx, "audit.report_resolve", fmt.Sprintf("audit_comment:%d", root),
			fmt.Sprintf("%s の監査報告書のレビューコメントを解決済みに（%s）", e.Code, by.Name))
	})
	return s.refused(ctx, e, "コメントの解決", reportErr("audit.ResolveReportComment", err))
}

// Report state changes (POST …/report/state to=…).
const (
	ReportToReview = "review" // draft → review
	ReportToDraft  = "draft"  // review → draft (back to the writer)
	ReportToFinal  = "final"  // review → final (a new version)
	ReportToReopen = "reopen" // final → draft of the next version
)

// SetReportState moves the report on: to review, back to draft, to final
// (only from review, with every review comment resolved and the report's
// texts complete; the quality issues that remain must be confirmed) or,
// from final, reopened as the draft of the next version. rev is the
// report's rev the user read. Whether the user may finalise or reopen
// (the lead or a manager) is the caller's check.
func (s *Store) SetReportState(ctx context.Context, id, rev int64, to string, confirm bool, by Actor) error {
	d, err := loadReportDefaults()
	if err != nil {
		return err
	}
	e, err := s.Engagement(ctx, id)
	if err != nil {
		return err
	}
	var issues []QualityIssue
	if to == ReportToFinal {
		if issues, err = s.QualityChecks(ctx, id); err != nil {
			return err
		}
	}
	target := fmt.Sprintf("audit_engagement:%d", id)
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.ensureReport(ctx, id); err != nil {
			return err
		}
		var state string
		var version int
		var cur int64
		if err := s.db.QueryRow(ctx, "SELECT state, version, rev FROM audit_reports WHERE engagement_id = ?", id).Scan(&state, &version, &cur); err != nil {
			return err
		}
		if state == ReportFinal && to != ReportToReopen {
			return ReportLockedError{Version: version}
		}
		if cur != rev {
			return ErrConflict
		}
		now := database.T(s.now())
		move := func(from, toState string, bump int) error {
			res, err := s.db.Exec(ctx, `UPDATE audit_reports SET state = ?, version = version + ?, rev = rev + 1, updated_by_name = ?, updated_at = ?
				WHERE engagement_id = ? AND rev = ? AND state = ?`, toState, bump, by.Name, now, id, rev, from)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return ErrConflict
			}
			return nil
		}
		switch to {
		case ReportToReview:
			if state != ReportDraft {
				return FieldErrors{"state": "レビューに回せるのは作成中の報告書です。"}
			}
			if err := move(ReportDraft, ReportReview, 0); err != nil {
				return err
			}
			return s.log.Record(ctx, "audit.report_review", target, fmt.Sprintf("%s の監査報告書（第%d版案）をレビューに回付", e.Code, version+1))
		case ReportToDraft:
			if state != ReportReview {
				return FieldErrors{"state": "作成中に戻せるのはレビュー中の報告書です。"}
			}
			if err := move(ReportReview, ReportDraft, 0); err != nil {
				return err
			}
			return s.log.Record(ctx, "audit.report_draft", target, fmt.Sprintf("%s の監査報告書（第%d版案）を作成中に戻す", e.Code, version+1))
		case ReportToFinal:
			if state != ReportReview {
				return FieldErrors{"state": "確定の前に、報告書をレビューに回してください。"}
			}
			var open int
			if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_report_comments WHERE engagement_id = ? AND parent_id IS NULL AND NOT resolved", id).Scan(&open); err != nil {
				return err
			}
			if open > 0 {
				return FieldErrors{"state": fmt.Sprintf("未解決のレビューコメントが%d件あります。すべて解決してから確定してください。", open)}
			}
			r, err := s.reportOf(ctx, e)
			if err != nil {
				return err
			}
			in := ReportInput{Summary: r.Summary, Opinion: r.Opinion, Perspectives: map[string]ReportPerspectiveInput{}}
			for _, p := range r.Perspectives {
				in.Perspectives[p.Key] = ReportPerspectiveInput{Rating: p.Rating, Text: p.Text}
			}
			if fe := reportCheck(d, e, &in, true); fe != nil {
				return fe
			}
			if len(issues) > 0 && !confirm {
				return ReportQualityError{Issues: issues}
			}
			if err := move(ReportReview, ReportFinal, 1); err != nil {
				return err
			}
			c, err := s.assembleReport(ctx, e, r)
			if err != nil {
				return err
			}
			c.Version, c.Final, c.FinalisedBy, c.FinalisedAt = version+1, true, by.Name, s.now()
			b, err := json.Marshal(c)
			if err != nil {
				return err
			}
			if _, err := s.db.Exec(ctx, "INSERT INTO audit_report_versions (engagement_id, version, content, finalised_by_name, finalised_at) VALUES (?, ?, ?, ?, ?)",
				id, version+1, string(b), by.Name, now); err != nil {
				return err
			}
			detail := fmt.Sprintf("%s の監査報告書を第%d版として確定", e.Code, version+1)
			if len(issues) > 0 {
				detail += fmt.Sprintf("（品質チェックの%d件を確認のうえ）", len(issues))
			}
			return s.log.Record(ctx, "audit.report_final", target, detail)
		case ReportToReopen:
			if state != ReportFinal {
				return FieldErrors{"state": "再開できるのは確定した報告書です。"}
			}
			if err := move(ReportFinal, ReportDraft, 0); err != nil {
				return err
			}
			return s.log.Record(ctx, "audit.report_reopen", target,
				fmt.Sprintf("%s の監査報告書を再開（第%d版は保存したまま、第%d版を作成）", e.Code, version, version+1))
		}
		return FieldErrors{"state": "報告書の状態の変更先を選び直してください。"}
	})
	return s.refused(ctx, e, "状態の変更", reportErr("audit.SetReportState", err))
}

// ReportQuality lists the fieldwork quality issues (QualityChecks) that
// remain before the report is finalised.
func (s *Store) ReportQuality(ctx context.Context, id int64) ([]QualityIssue, error) {
	return s.QualityChecks(ctx, id)
}

// ReportContent is what a report prints, assembled from the engagement
// (scope, team, dates, method, results by chapter, findings) and the text
// a person wrote. A final version stores it whole as JSON, so that it
// prints the same however the engagement changes afterwards.
type ReportContent struct {
	Version     int       `json:"version"` // the version it is or will be
	Final       bool      `json:"final"`
	FinalisedBy string    `json:"finalised_by,omitempty"`
	FinalisedAt time.Time `json:"finalised_at,omitzero"`
	Date        time.Time `json:"date"` // the date printed on the cover

	Code       string `json:"code"`
	Title      string `json:"title"`
	Kind       Kind   `json:"kind"`
	KindLabel  string `json:"kind_label"`
	FiscalYear int    `json:"fiscal_year"`
	Ward       string `json:"ward"`
	Subject    string `json:"subject"`
	System     string `json:"system,omitempty"`
	Hosting    string `json:"hosting,omitempty"` // label
	Vendors    string `json:"vendors,omitempty"`
	Business   string `json:"business,omitempty"`
	MyNumber   bool   `json:"mynumber"`
	Lead       string `json:"lead"`

	Targets  []ReportTarget `json:"targets"`
	Team     []ReportMember `json:"team"`
	Period   string         `json:"period"`
	Schedule []ReportStep   `json:"schedule"`
	Purpose  string         `json:"purpose"`
	Method   string         `json:"method"`
	Criteria string         `json:"criteria"`

	Summary      string              `json:"summary"`
	Opinion      string              `json:"opinion"`
	Perspectives []ReportPerspective `json:"perspectives,omitempty"`

	Chapters    []ChapterResult `json:"chapters"`
	Total       ChapterResult   `json:"total"`
	ResultsNote string          `json:"results_note"`

	Findings    []ReportFinding `json:"findings"`
	Followup    []string        `json:"followup"`               // paragraphs of 今後の対応
	PlanDue     string          `json:"plan_due,omitempty"`     // 和暦: the improvement plans are due
	FollowupDue string          `json:"followup_due,omitempty"` // 和暦: the follow-up is to be done
	Items       []ReportItem    `json:"items"`
	// Sections are the chapters other modules add (the technical
	// verification of a system audit), kept with a final version.
	Sections []module.ReportSection `json:"sections,omitempty"`
}

// ReportTarget is an audited department with its visit.
type ReportTarget struct {
	Name  string `json:"name"`
	Path  string `json:"path"`
	Visit string `json:"visit"` // 和暦
	Time  string `json:"time"`
}

// ReportMember is one person of the team as printed.
type ReportMember struct {
	Role string `json:"role"` // label
	Name string `json:"name"`
}

// ReportStep is one phase of the schedule.
type ReportStep struct {
	Phase string `json:"phase"` // label
	Due   string `json:"due"`   // 和暦
	Done  string `json:"done"`
}

// ChapterResult counts the judgements of one chapter of the checklist
// (the part of the category before 「／」).
type ChapterResult struct {
	Chapter    string `json:"chapter"`
	Items      int    `json:"items"`
	Conform    int    `json:"conform"`
	Partial    int    `json:"partial"`
	Nonconform int    `json:"nonconform"`
	NA         int    `json:"na"`
	Unverified int    `json:"unverified"`
	Unjudged   int    `json:"unjudged"`
	Assessed   int    `json:"assessed"` // see Assessed
}

// Rate is the conformity rate in percent: 適合 over the assessed items
// other than 該当なし; -1 when none.
func (c ChapterResult) Rate() float64 {
	n := c.Assessed - c.NA
	if n <= 0 {
		return -1
	}
	return float64(c.Conform) * 100 / float64(n)
}

// RateLabel is the rate as printed (「－」 when none).
func (c ChapterResult) RateLabel() string {
	r := c.Rate()
	if r < 0 {
		return "－"
	}
	return fmt.Sprintf("%.1f%%", r)
}

func (c *ChapterResult) add(judgement string) {
	c.Items++
	switch judgement {
	case JudgeConform:
		c.Conform++
	case JudgePartial:
		c.Partial++
	case JudgeNonconform:
		c.Nonconform++
	case JudgeNA:
		c.NA++
	case JudgeUnverified:
		c.Unverified++
	default:
		c.Unjudged++
	}
	if Assessed(judgement) {
		c.Assessed++
	}
}

// ReportFinding is a finding as the report prints it.
type ReportFinding struct {
	Seq            int    `json:"seq"`
	Type           string `json:"type"`
	TypeLabel      string `json:"type_label"`
	Title          string `json:"title"`
	Department     string `json:"department"`
	Items          string `json:"items"`
	Clauses        string `json:"clauses"`
	Condition      string `json:"condition"`
	Criteria       string `json:"criteria"`
	Cause          string `json:"cause"`
	Effect         string `json:"effect"`
	Recommendation string `json:"recommendation"`
	Risk           string `json:"risk"`
	AuditeeComment string `json:"auditee_comment"`
	Due            string `json:"due"` // 和暦
}

// NeedsPlan reports whether the finding asks the auditee for an
// improvement plan (指摘事項 and 改善提言).
func (f ReportFinding) NeedsPlan() bool { return f.Type == "finding" || f.Type == "recommendation" }

// reportFindingTypes are the finding types in the order reports print
// them.
var reportFindingTypes = []struct{ Code, Label string }{
	{"finding", "指摘事項"}, {"recommendation", "改善提言"}, {"observation", "観察事項"}, {"good", "良好事例"},
}

func reportFindingTypeLabel(code string) string {
	for _, t := range reportFindingTypes {
		if t.Code == code {
			return t.Label
		}
	}
	return code
}

// ReportItem is one checklist item's result in the appendix.
type ReportItem struct {
	Code      string `json:"code"`
	Category  string `json:"category"`
	Question  string `json:"question"`
	Judgement string `json:"judgement"`
	Mark      string `json:"mark"`
	Label     string `json:"label"`
}

// reportChapter is the chapter of a category: the part before 「／」.
func reportChapter(category string) string {
	c := strings.TrimSpace(category)
	if i := strings.IndexAny(c, "／/"); i >= 0 {
		c = strings.TrimSpace(c[:i])
	}
	if c == "" {
		return "（区分なし）"
	}
	return c
}

// ReportContent returns what the report prints: version n (> 0) is that
// final version as it was finalised; 0 is the report as it stands (the
// latest final version when final, else the draft assembled now). A
// version that does not exist is database.ErrNotFound.
func (s *Store) ReportContent(ctx context.Context, e Engagement, version int) (ReportContent, error) {
	r, err := s.reportOf(ctx, e)
	if err != nil {
		return ReportContent{}, err
	}
	if version == 0 && r.State == ReportFinal {
		version = r.Version
	}
	if version > 0 {
		return s.reportVersion(ctx, e.ID, version)
	}
	return s.assembleReport(ctx, e, r)
}

// reportVersion reads a final version's content.
func (s *Store) reportVersion(ctx context.Context, id int64, version int) (ReportContent, error) {
	var c ReportContent
	var body string
	err := s.db.QueryRow(ctx, "SELECT content FROM audit_report_versions WHERE engagement_id = ? AND version = ?", id, version).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return c, database.ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("audit.reportVersion: %w", err)
	}
	if err := json.Unmarshal([]byte(body), &c); err != nil {
		return c, fmt.Errorf("audit.reportVersion %d: %w", version, err)
	}
	return c, nil
}

// fill replaces the placeholders of the standard wording.
func reportFill(s string, kv ...string) string {
	return strings.TrimSpace(strings.NewReplacer(kv...).Replace(s))
}

// assembleReport builds the report's content from the engagement as it
// stands and the report's text.
func (s *Store) assembleReport(ctx context.Context, e Engagement, r Report) (ReportContent, error) {
	d, err := loadReportDefaults()
	if err != nil {
		return ReportContent{}, err
	}
	c := ReportContent{Version: r.Drafting(), Date: s.now(), Code: e.Code, Title: e.Title, Kind: e.Kind, KindLabel: e.Kind.Label(),
		FiscalYear: e.FiscalYear, Ward: s.org.WardName(ctx), Subject: e.Subject(), System: e.System, Hosting: e.HostingLabel(),
		Vendors: e.Vendors, Business: e.Business, MyNumber: e.MyNumber, Lead: e.Lead(), Summary: r.Summary, Opinion: r.Opinion,
		Perspectives: r.Perspectives, ResultsNote: strings.TrimSpace(d.ResultsNote)}
	ward := c.Ward
	if ward == "" {
		ward = "区"
	}
	subject := e.Subject()
	for _, t := range e.Targets {
		c.Targets = append(c.Targets, ReportTarget{Name: t.Name, Path: t.Path, Visit: t.VisitWareki(), Time: t.VisitTime})
	}
	for _, m := range e.Members {
		c.Team = append(c.Team, ReportMember{Role: m.RoleLabel(), Name: m.Name})
	}
	var first, last time.Time
	for _, t := range e.Targets {
		if t.VisitDate.IsZero() {
			continue
		}
		if first.IsZero() || t.VisitDate.Before(first) {
			first = t.VisitDate
		}
		if last.IsZero() || t.VisitDate.After(last) {
			last = t.VisitDate
		}
	}
	switch {
	case first.IsZero():
		c.Period = "（実地監査日は未定です）"
	case jp.DateKey(first) == jp.DateKey(last):
		c.Period = "実地監査　" + jp.FormatWareki(first)
	default:
		c.Period = "実地監査　" + jp.FormatWareki(first) + "から" + jp.FormatWareki(last) + "まで"
	}
	for _, st := range e.Steps {
		if st.Due.IsZero() && st.Done.IsZero() {
			continue
		}
		c.Schedule = append(c.Schedule, ReportStep{Phase: st.Phase.Label(), Due: wareki(st.Due), Done: wareki(st.Done)})
	}
	kv := []string{"{ward}", ward, "{subject}", subject, "{year}", jp.FiscalYearLabel(e.FiscalYear), "{title}", e.Title,
		"{template}", strings.TrimSpace(fmt.Sprintf("%s %s版", e.TemplateTitle, jp.FiscalYearLabel(e.TemplateVersion)))}
	c.Purpose = reportFill(d.Purpose[string(e.Kind)], kv...)
	c.Criteria = reportFill(d.Criteria, kv...)
	if c.Method, err = s.planMethod(ctx, e.ID); err != nil {
		return c, err
	}
	if c.Method == "" {
		c.Method = reportFill(d.Method[string(e.Kind)], kv...)
	}

	items, err := s.Items(ctx, e.ID, ItemFilter{})
	if err != nil {
		return c, err
	}
	byChapter := map[string]*ChapterResult{}
	c.Total.Chapter = "合計"
	for _, it := range items {
		ch := reportChapter(it.Category)
		cr := byChapter[ch]
		if cr == nil {
			c.Chapters = append(c.Chapters, ChapterResult{Chapter: ch})
			cr = &ChapterResult{Chapter: ch}
			byChapter[ch] = cr
		}
		cr.add(it.Judgement)
		c.Total.add(it.Judgement)
		c.Items = append(c.Items, ReportItem{Code: it.Code, Category: it.Category, Question: it.Question, Judgement: it.Judgement,
			Mark: it.JudgementMark(), Label: it.JudgementLabel()})
	}
	for i := range c.Chapters {
		c.Chapters[i] = *byChapter[c.Chapters[i].Chapter]
	}

	if c.Findings, err = s.reportFindings(ctx, e.ID); err != nil {
		return c, err
	}
	c.Followup = reportFollowupWording(d, e, c.Findings, kv)
	for _, f := range c.Findings {
		if f.NeedsPlan() {
			c.PlanDue, c.FollowupDue = wareki(e.Step(PhaseReport).Due), wareki(e.Step(PhaseFollowup).Due)
			break
		}
	}
	if s.sections != nil {
		if c.Sections, err = s.sections(ctx, e.ID); err != nil {
			return c, err
		}
	}
	return c, nil
}

// reportFollowupWording is section 4 (今後の対応): the plan the auditee owes, how
// the auditor checks it and when.
func reportFollowupWording(d *reportDefaults, e Engagement, fs []ReportFinding, kv []string) []string {
	plans := 0
	for _, f := range fs {
		if f.NeedsPlan() {
			plans++
		}
	}
	if plans == 0 {
		return []string{reportFill(d.Followup.None, kv...)}
	}
	var out []string
	// The plan is due when the report phase is to be finished, else a
	// month after the report.
	if due := e.Step(PhaseReport).Due; !due.IsZero() {
		out = append(out, reportFill(d.Followup.Plan, append(kv, "{due}", jp.FormatWareki(due))...))
	} else {
		out = append(out, reportFill(d.Followup.PlanNoDue, kv...))
	}
	out = append(out, reportFill(d.Followup.Check, kv...))
	if due := e.Step(PhaseFollowup).Due; !due.IsZero() {
		out = append(out, reportFill(d.Followup.Schedule, append(kv, "{followup}", jp.FormatWareki(due))...))
	}
	return out
}

// planMethod is field ア (本調査実施方法の要領) of the latest plan version,
// read defensively: the plan's owner keeps fields as a JSON object keyed
// a–j whose values are texts (or objects with a text).
func (s *Store) planMethod(ctx context.Context, id int64) (string, error) {
	var fields string
	err := s.db.QueryRow(ctx, "SELECT fields FROM audit_plan_versions WHERE engagement_id = ? ORDER BY version DESC LIMIT 1", id).Scan(&fields)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("audit: plan method: %w", err)
	}
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(fields), &m) != nil {
		return "", nil
	}
	raw, ok := m["a"]
	if !ok {
		return "", nil
	}
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return reportText(text), nil
	}
	var obj map[string]any
	if json.Unmarshal(raw, &obj) == nil {
		for _, k := range []string{"text", "value", "body"} {
			if v, ok := obj[k].(string); ok {
				return reportText(v), nil
			}
		}
	}
	return "", nil
}

// reportFindings reads the engagement's findings in the order the report
// prints them: by type (指摘事項, 改善提言, 観察事項, 良好事例), then number.
func (s *Store) reportFindings(ctx context.Context, id int64) ([]ReportFinding, error) {
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, `SELECT seq, type, title, COALESCE(department_id, 0), item_codes, clauses, condition_text, criteria_text, cause, effect,
		recommendation, risk, auditee_comment, due_date FROM audit_findings WHERE engagement_id = ? ORDER BY seq, id`, id)
	if err != nil {
		return nil, fmt.Errorf("audit: report findings: %w", err)
	}
	defer rows.Close()
	out := []ReportFinding{}
	for rows.Next() {
		var f ReportFinding
		var dept int64
		var due string
		if err := rows.Scan(&f.Seq, &f.Type, &f.Title, &dept, &f.Items, &f.Clauses, &f.Condition, &f.Criteria, &f.Cause, &f.Effect,
			&f.Recommendation, &f.Risk, &f.AuditeeComment, &due); err != nil {
			return nil, err
		}
		f.TypeLabel = reportFindingTypeLabel(f.Type)
		if d := tree.ByID[dept]; d != nil {
			f.Department = d.Name
		}
		f.Items = strings.Join(reportCodes(f.Items), "、")
		f.Clauses = strings.Join(lines(strings.ReplaceAll(f.Clauses, ",", "\n")), "\n")
		f.Due = wareki(jp.ParseDateKey(due))
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	order := map[string]int{}
	for i, t := range reportFindingTypes {
		order[t.Code] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		oi, ok := order[out[i].Type]
		if !ok {
			oi = len(order)
		}
		oj, ok := order[out[j].Type]
		if !ok {
			oj = len(order)
		}
		return oi < oj
	})
	return out, nil
}

// reportCodes splits a comma (or 、 or line) separated list of item codes.
func reportCodes(s string) []string {
	f := func(r rune) bool { return r == ',' || r == '、' || r == '\n' || r == ' ' || r == '　' }
	return strings.FieldsFunc(s, f)
}
