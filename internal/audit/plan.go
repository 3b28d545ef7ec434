package audit

// This file is the audit plan (監査計画書): fields ア–コ of the
// specification, kept as versions (audit_plan_versions: every save is a new
// version with who, when and why; nothing is overwritten), the first
// version proposed from the standard wording of content/audit/
// plan_defaults.yaml with the engagement's facts filled in, and the
// field-by-field comparison of two versions.

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sergi/go-diff/diffmatchpatch"
	"go.yaml.in/yaml/v3"

	"mamori/content"
	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/jp"
)

// PlanField is one field of the audit plan, as the specification names it.
type PlanField struct {
	Key   string // JSON key in audit_plan_versions.fields: a (ア) … j (コ)
	Mark  string // ア … コ
	Label string
	Hint  string // what the field is for, under its box
}

// PlanFields are the plan's fields ア–コ in order.
var PlanFields = []PlanField{
	{"a", "ア", "本調査実施方法の要領", "監査の基準、手順（事前調査・実地監査・評価と報告）と誰が行うか。"},
	{"b", "イ", "場所ごとの要員", "所属（場所）ごとの監査責任者・監査人・立会いと役割。"},
	{"c", "ウ", "場所ごとの実施時期", "所属（場所）ごとの実地監査の日時と当日の流れ。"},
	{"d", "エ", "監査証拠の範囲", "どの資料・記録・状況を、どの期間について監査証拠とするか。"},
	{"e", "オ", "監査証拠の入手方法", "閲覧・ヒアリング・視察・抽出確認などの方法と、入手した証拠の扱い。"},
	{"f", "カ", "特別な評価方法", "判定の考え方、重点項目、抽出による確認、前年度の指摘の扱いなど。"},
	{"g", "キ", "評価日", "監査チームで結果を評価する日と、そこで決めること。"},
	{"h", "ク", "協議日と協議内容", "被監査所属と事実を確認し協議する日と内容。"},
	{"i", "ケ", "報告会の日と内容", "報告会の日、説明する内容、改善計画の依頼。"},
	{"j", "コ", "その他", "守秘、業務への配慮、重大な問題を見つけた場合の対応など。"},
}

// PlanFieldOf returns the plan field with the key.
func PlanFieldOf(key string) (PlanField, bool) {
	for _, f := range PlanFields {
		if f.Key == key {
			return f, true
		}
	}
	return PlanField{}, false
}

// PlanText is the plan's text by field key (audit_plan_versions.fields).
type PlanText map[string]string

// Equal reports whether two plans say the same in every field.
func (p PlanText) Equal(q PlanText) bool {
	for _, f := range PlanFields {
		if p[f.Key] != q[f.Key] {
			return false
		}
	}
	return true
}

// Lines is a field's text split into its lines (for pages and documents).
func (p PlanText) Lines(key string) []string {
	var out []string
	for _, l := range strings.Split(p[key], "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// PlanVersion is one saved version of an engagement's plan.
type PlanVersion struct {
	ID           int64
	EngagementID int64
	Version      int
	Text         PlanText
	Note         string
	CreatedBy    int64
	CreatedName  string
	CreatedAt    time.Time
}

// Label is the version as documents print it: 第3版.
func (v PlanVersion) Label() string { return fmt.Sprintf("第%d版", v.Version) }

// Limits of the plan form.
const (
	maxPlanField = 4000
	maxPlanNote  = 500
)

// ErrPlanLocked refuses a plan change of a finished engagement.
var ErrPlanLocked = errors.New("完了した監査の監査計画は変更できません。")

// PlanVersions lists an engagement's plan versions, newest first.
func (s *Store) PlanVersions(ctx context.Context, engagementID int64) ([]PlanVersion, error) {
	rows, err := s.db.Query(ctx, `SELECT id, engagement_id, version, fields, note, COALESCE(created_by, 0), created_by_name, created_at
		FROM audit_plan_versions WHERE engagement_id = ? ORDER BY version DESC`, engagementID)
	if err != nil {
		return nil, fmt.Errorf("audit.PlanVersions: %w", err)
	}
	defer rows.Close()
	var out []PlanVersion
	for rows.Next() {
		v, err := scanPlanVersion(rows)
		if err != nil {
			return nil, fmt.Errorf("audit.PlanVersions: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func scanPlanVersion(sc interface{ Scan(...any) error }) (PlanVersion, error) {
	var v PlanVersion
	var fields string
	var at database.Time
	if err := sc.Scan(&v.ID, &v.EngagementID, &v.Version, &fields, &v.Note, &v.CreatedBy, &v.CreatedName, &at); err != nil {
		return v, err
	}
	v.CreatedAt = at.Time
	v.Text = PlanText{}
	if err := json.Unmarshal([]byte(fields), &v.Text); err != nil {
		return v, fmt.Errorf("plan version %d: %w", v.Version, err)
	}
	return v, nil
}

// LatestPlan returns the newest plan version; ok is false when the plan
// has no version yet.
func (s *Store) LatestPlan(ctx context.Context, engagementID int64) (v PlanVersion, ok bool, err error) {
	v, err = scanPlanVersion(s.db.QueryRow(ctx, `SELECT id, engagement_id, version, fields, note, COALESCE(created_by, 0), created_by_name, created_at
		FROM audit_plan_versions WHERE engagement_id = ? ORDER BY version DESC LIMIT 1`, engagementID))
	if errors.Is(err, sql.ErrNoRows) {
		return v, false, nil
	}
	if err != nil {
		return v, false, fmt.Errorf("audit.LatestPlan: %w", err)
	}
	return v, true, nil
}

// PlanVersionOf returns version n of the plan (database.ErrNotFound when
// there is none).
func (s *Store) PlanVersionOf(ctx context.Context, engagementID int64, n int) (PlanVersion, error) {
	v, err := scanPlanVersion(s.db.QueryRow(ctx, `SELECT id, engagement_id, version, fields, note, COALESCE(created_by, 0), created_by_name, created_at
		FROM audit_plan_versions WHERE engagement_id = ? AND version = ?`, engagementID, n))
	if errors.Is(err, sql.ErrNoRows) {
		return v, database.ErrNotFound
	}
	if err != nil {
		return v, fmt.Errorf("audit.PlanVersionOf: %w", err)
	}
	return v, nil
}

// EnsurePlan returns the plan's newest version, creating the first one
// from the standard wording of the engagement's kind (ProposedPlan) when
// there is none yet; the creation is audited. The plan page calls it when
// a member of the team first opens it, and the demo may call it too.
func (s *Store) EnsurePlan(ctx context.Context, engagementID int64, by Actor) (PlanVersion, error) {
	if v, ok, err := s.LatestPlan(ctx, engagementID); err != nil || ok {
		return v, err
	}
	e, err := s.Engagement(ctx, engagementID)
	if err != nil {
		return PlanVersion{}, fmt.Errorf("audit.EnsurePlan: %w", err)
	}
	text, err := s.ProposedPlan(ctx, e)
	if err != nil {
		return PlanVersion{}, fmt.Errorf("audit.EnsurePlan: %w", err)
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		var n int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_plan_versions WHERE engagement_id = ?", e.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil // created meanwhile
		}
		if err := s.insertPlanVersion(ctx, e.ID, 1, text, "標準の文案から作成", by); err != nil {
			return err
		}
		return s.log.Record(ctx, "audit.plan_create", fmt.Sprintf("audit_engagement:%d", e.ID),
			fmt.Sprintf("%s の監査計画（第1版）を%sの標準の文案から作成", e.Code, e.Kind.Label()))
	})
	if err != nil && !database.IsUniqueViolation(err) {
		return PlanVersion{}, fmt.Errorf("audit.EnsurePlan: %w", err)
	}
	v, _, err := s.LatestPlan(ctx, e.ID)
	return v, err
}

func (s *Store) insertPlanVersion(ctx context.Context, engagementID int64, n int, text PlanText, note string, by Actor) error {
	b, err := json.Marshal(text)
	if err != nil {
		return err
	}
	_, err = s.db.Exec(ctx, `INSERT INTO audit_plan_versions (engagement_id, version, fields, note, created_by, created_by_name, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, engagementID, n, string(b), note, nullID(by.UserID), by.Name, database.T(s.now()))
	return err
}

// CleanPlanText tidies typed text: line ends unified, control characters
// (but tabs) dropped, trailing spaces of each line and blank lines at the
// ends removed.
func CleanPlanText(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " \t\u3000")
	}
	return strings.Trim(strings.Join(ls, "\n"), "\n")
}

// SavePlan stores the plan's text as a new version, if read is still the
// newest version (0: the plan has none yet); otherwise ErrConflict. The
// note says what changed and why; a save that changes nothing is refused.
// Bad input comes back as FieldErrors by field key (and "note").
func (s *Store) SavePlan(ctx context.Context, engagementID int64, read int, text PlanText, note string, by Actor) (PlanVersion, error) {
	e, err := s.Engagement(ctx, engagementID)
	if err != nil {
		return PlanVersion{}, fmt.Errorf("audit.SavePlan: %w", err)
	}
	if e.Phase == PhaseDone {
		return PlanVersion{}, ErrPlanLocked
	}
	clean := PlanText{}
	fe := FieldErrors{}
	for _, f := range PlanFields {
		clean[f.Key] = CleanPlanText(text[f.Key])
		if n := utf8.RuneCountInString(clean[f.Key]); n > maxPlanField {
			fe[f.Key] = fmt.Sprintf("%s %sは%d文字以内にしてください（いま%d文字）。", f.Mark, f.Label, maxPlanField, n)
		}
	}
	if clean["a"] == "" {
		fe["a"] = "ア 本調査実施方法の要領を入力してください。"
	}
	note = cleanText(note)
	switch {
	case note == "":
		fe["note"] = "変更の内容と理由を入力してください（例：実地監査日の変更に合わせてウを修正）。"
	case utf8.RuneCountInString(note) > maxPlanNote:
		fe["note"] = fmt.Sprintf("変更の内容と理由は%d文字以内にしてください。", maxPlanNote)
	}
	if len(fe) > 0 {
		return PlanVersion{}, fe
	}
	var saved int
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		cur, ok, err := s.LatestPlan(ctx, engagementID)
		if err != nil {
			return err
		}
		if cur.Version != read {
			return ErrConflict
		}
		if ok && cur.Text.Equal(clean) {
			return FieldErrors{"note": "計画の内容が" + cur.Label() + "から変わっていません。変更してから保存してください。"}
		}
		saved = cur.Version + 1
		if err := s.insertPlanVersion(ctx, engagementID, saved, clean, note, by); err != nil {
			if database.IsUniqueViolation(err) {
				return ErrConflict
			}
			return err
		}
		var marks []string
		for _, d := range DiffPlans(cur.Text, clean) {
			marks = append(marks, d.Field.Mark)
		}
		return s.log.Record(ctx, "audit.plan_save", fmt.Sprintf("audit_engagement:%d", engagementID),
			fmt.Sprintf("%s の監査計画を第%d版に改訂（変更した欄: %s）：%s", e.Code, saved, orNone(strings.Join(marks, "・")), note))
	})
	if err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) {
			return PlanVersion{}, fe
		}
		if errors.Is(err, ErrConflict) {
			return PlanVersion{}, ErrConflict
		}
		return PlanVersion{}, fmt.Errorf("audit.SavePlan: %w", err)
	}
	return s.PlanVersionOf(ctx, engagementID, saved)
}

// ---- the comparison of two versions ----

// DiffSeg is a piece of a compared text: kept (""), deleted ("del") or
// inserted ("ins").
type DiffSeg struct {
	Op   string
	Text string
}

// DiffLine is one line of a compared text.
type DiffLine struct{ Segs []DiffSeg }

// PlanFieldDiff is how one field differs between two versions.
type PlanFieldDiff struct {
	Field          PlanField
	Lines          []DiffLine
	Added, Removed int // characters inserted and deleted
}

// DiffPlans compares two versions field by field and returns the fields
// that differ, each as its new text with the deleted and inserted runs
// marked (a character diff cleaned up to whole words and phrases).
func DiffPlans(old, new PlanText) []PlanFieldDiff {
	var out []PlanFieldDiff
	dmp := diffmatchpatch.New()
	for _, f := range PlanFields {
		a, b := old[f.Key], new[f.Key]
		if a == b {
			continue
		}
		ds := dmp.DiffCleanupSemantic(dmp.DiffMain(a, b, false))
		d := PlanFieldDiff{Field: f}
		line := DiffLine{}
		for _, x := range ds {
			op := ""
			switch x.Type {
			case diffmatchpatch.DiffDelete:
				op = "del"
				d.Removed += utf8.RuneCountInString(x.Text)
			case diffmatchpatch.DiffInsert:
				op = "ins"
				d.Added += utf8.RuneCountInString(x.Text)
			}
			parts := strings.Split(x.Text, "\n")
			for i, p := range parts {
				if i > 0 {
					d.Lines = append(d.Lines, line)
					line = DiffLine{}
				}
				if p != "" {
					line.Segs = append(line.Segs, DiffSeg{Op: op, Text: p})
				}
			}
		}
		d.Lines = append(d.Lines, line)
		out = append(out, d)
	}
	return out
}

// ---- the standard wording ----

// planDefaultsFile holds the standard wording (content/audit).
const planDefaultsFile = "audit/plan_defaults.yaml"

// PlanDefaults is content/audit/plan_defaults.yaml: the plan's standard
// wording per kind, and the wording of the notice and the briefing
// material.
type PlanDefaults struct {
	Approval []string `yaml:"approval"`
	Office   string   `yaml:"office"`
	Common   struct {
		Fields map[string]string `yaml:"fields"`
	} `yaml:"common"`
	Kinds map[string]struct {
		Purpose string            `yaml:"purpose"`
		Fields  map[string]string `yaml:"fields"`
	} `yaml:"kinds"`
	Notice struct {
		Titles  map[string]string   `yaml:"titles"`
		Sender  string              `yaml:"sender"`
		Lead    string              `yaml:"lead"`
		Method  map[string]string   `yaml:"method"`
		Prepare map[string][]string `yaml:"prepare"`
		Closing string              `yaml:"closing"`
	} `yaml:"notice"`
	Briefing struct {
		Conduct   string `yaml:"conduct"`
		Presurvey string `yaml:"presurvey"`
		After     string `yaml:"after"`
	} `yaml:"briefing"`
}

// planPlaceholders are the names content/audit/plan_defaults.yaml may use.
var planPlaceholders = []string{"区名", "年度", "名称", "対象", "対象所属", "事務", "システム", "設置形態", "事業者",
	"場所ごとの日程", "場所ごとの要員", "体制", "監査責任者", "立会い", "チェックリスト", "項目数", "視察項目数", "事前調査項目数",
	"重点脅威", "事前調査期限", "説明会日", "実地監査期間", "評価日", "協議日", "報告会日", "フォローアップ期限"}

var placeholderRe = regexp.MustCompile(`\{([^{}\s]+)\}`)

var planDefaults struct {
	once sync.Once
	d    *PlanDefaults
	err  error
}

// LoadPlanDefaults reads and checks the standard wording (once): every
// kind has a text for every field (its own or the common one) and every
// placeholder is one the plan knows.
func LoadPlanDefaults() (*PlanDefaults, error) {
	planDefaults.once.Do(func() {
		b, err := content.FS.ReadFile(planDefaultsFile)
		if err != nil {
			planDefaults.err = fmt.Errorf("content/%s: %w", planDefaultsFile, err)
			return
		}
		planDefaults.d, planDefaults.err = ParsePlanDefaults(b)
	})
	return planDefaults.d, planDefaults.err
}

// ParsePlanDefaults parses and checks a plan_defaults.yaml.
func ParsePlanDefaults(b []byte) (*PlanDefaults, error) {
	var d PlanDefaults
	if err := yaml.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("content/%s: %w", planDefaultsFile, err)
	}
	known := map[string]bool{}
	for _, p := range planPlaceholders {
		known[p] = true
	}
	var problems []string
	check := func(where, text string) {
		for _, m := range placeholderRe.FindAllStringSubmatch(text, -1) {
			if !known[m[1]] {
				problems = append(problems, fmt.Sprintf("%s: 差し込み「{%s}」は使えません", where, m[1]))
			}
		}
	}
	for _, k := range Kinds {
		kd, ok := d.Kinds[string(k)]
		if !ok {
			problems = append(problems, fmt.Sprintf("kinds.%s がありません", k))
			continue
		}
		check("kinds."+string(k)+".purpose", kd.Purpose)
		for _, f := range PlanFields {
			t := kd.Fields[f.Key]
			if t == "" {
				t = d.Common.Fields[f.Key]
			}
			if strings.TrimSpace(t) == "" {
				problems = append(problems, fmt.Sprintf("kinds.%s.fields.%s（%s %s）の文案がありません", k, f.Key, f.Mark, f.Label))
			}
			check(fmt.Sprintf("kinds.%s.fields.%s", k, f.Key), t)
		}
		if d.Notice.Titles[string(k)] == "" || d.Notice.Method[string(k)] == "" || len(d.Notice.Prepare[string(k)]) == 0 {
			problems = append(problems, fmt.Sprintf("notice の titles・method・prepare に %s がありません", k))
		}
	}
	for key := range d.Common.Fields {
		if _, ok := PlanFieldOf(key); !ok {
			problems = append(problems, fmt.Sprintf("common.fields.%s は計画の欄ではありません", key))
		}
	}
	for k, kd := range d.Kinds {
		for key := range kd.Fields {
			if _, ok := PlanFieldOf(key); !ok {
				problems = append(problems, fmt.Sprintf("kinds.%s.fields.%s は計画の欄ではありません", k, key))
			}
		}
	}
	for _, t := range []string{d.Notice.Sender, d.Notice.Lead, d.Notice.Closing, d.Briefing.Conduct, d.Briefing.Presurvey, d.Briefing.After} {
		check("notice/briefing", t)
	}
	if len(d.Approval) == 0 {
		problems = append(problems, "approval（決裁欄）がありません")
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return nil, fmt.Errorf("content/%s: %s", planDefaultsFile, strings.Join(problems, "。"))
	}
	return &d, nil
}

// fill replaces the placeholders of text with facts. A line with a
// placeholder whose fact is empty is left out whole (a plan without a
// witness has no witness sentence); a fact of several lines takes as many.
func fillPlaceholders(text string, facts map[string]string) string {
	var out []string
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		drop := false
		line = placeholderRe.ReplaceAllStringFunc(line, func(m string) string {
			name := m[1 : len(m)-1]
			v, ok := facts[name]
			if !ok {
				return m
			}
			if v == "" {
				drop = true
			}
			return v
		})
		if !drop {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// ProposedPlan is the standard wording of the engagement's kind with its
// facts filled in: the plan's first version.
func (s *Store) ProposedPlan(ctx context.Context, e Engagement) (PlanText, error) {
	d, err := LoadPlanDefaults()
	if err != nil {
		return nil, err
	}
	facts, err := s.planFacts(ctx, e)
	if err != nil {
		return nil, err
	}
	kd := d.Kinds[string(e.Kind)]
	out := PlanText{}
	for _, f := range PlanFields {
		t := kd.Fields[f.Key]
		if t == "" {
			t = d.Common.Fields[f.Key]
		}
		out[f.Key] = CleanPlanText(fillPlaceholders(t, facts))
	}
	return out, nil
}

// planSchedule is an engagement's dates as the plan proposes them: the
// phases' due dates where set, otherwise days counted from the visits.
type planSchedule struct {
	Presurvey, Briefing, FirstVisit, LastVisit, Evaluation, Consultation, ReportMeeting, Followup time.Time
}

// planWorkday moves a date off Saturday and Sunday (public holidays are
// the auditor's to check: the plan is a proposal).
func planWorkday(t time.Time) time.Time {
	for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

func planScheduleOf(e Engagement) planSchedule {
	var p planSchedule
	for _, t := range e.Targets {
		if t.VisitDate.IsZero() {
			continue
		}
		if p.FirstVisit.IsZero() || t.VisitDate.Before(p.FirstVisit) {
			p.FirstVisit = t.VisitDate
		}
		if t.VisitDate.After(p.LastVisit) {
			p.LastVisit = t.VisitDate
		}
	}
	due := func(ph Phase) time.Time { return e.Step(ph).Due }
	p.Presurvey, p.Briefing, p.ReportMeeting, p.Followup = due(PhasePresurvey), due(PhaseBriefing), due(PhaseReport), due(PhaseFollowup)
	if p.FirstVisit.IsZero() {
		return p
	}
	if p.Presurvey.IsZero() {
		p.Presurvey = p.FirstVisit.AddDate(0, 0, -14)
	}
	if p.Briefing.IsZero() {
		p.Briefing = p.FirstVisit.AddDate(0, 0, -7)
	}
	if p.ReportMeeting.IsZero() || !p.ReportMeeting.After(p.LastVisit) {
		p.ReportMeeting = p.LastVisit.AddDate(0, 0, 30)
	}
	// Evaluation a third and consultation two thirds of the way from the
	// last visit to the report meeting (a week and two with a month).
	gap := int(p.ReportMeeting.Sub(p.LastVisit).Hours() / 24)
	step := min(max(gap/3, 1), 7)
	p.Evaluation = planWorkday(p.LastVisit.AddDate(0, 0, step))
	p.Consultation = planWorkday(p.LastVisit.AddDate(0, 0, 2*step))
	if !p.Consultation.Before(p.ReportMeeting) {
		p.Consultation = p.Evaluation
	}
	if p.Followup.IsZero() {
		p.Followup = p.ReportMeeting.AddDate(0, 3, 0)
	}
	p.Presurvey, p.Briefing = planWorkday(p.Presurvey), planWorkday(p.Briefing)
	return p
}

// planTeam is the engagement's team as one line: 監査責任者 A、監査人 B・C、立会い D.
func planTeam(e Engagement) string {
	var parts []string
	for _, r := range MemberRoles {
		var names []string
		for _, m := range e.Members {
			if m.Role == r.Code {
				names = append(names, m.Name)
			}
		}
		if len(names) > 0 {
			parts = append(parts, r.Label+" "+strings.Join(names, "・"))
		}
	}
	return strings.Join(parts, "、")
}

func planMembers(e Engagement, role string) string {
	var names []string
	for _, m := range e.Members {
		if m.Role == role {
			names = append(names, m.Name)
		}
	}
	return strings.Join(names, "・")
}

// planVisit is a target's visit: 令和8年9月8日 13:30～16:30.
func planVisit(t Target) string {
	if t.VisitDate.IsZero() {
		return "日程調整中"
	}
	return strings.TrimSpace(jp.FormatWareki(t.VisitDate) + " " + t.VisitTime)
}

func planTBD(s string) string {
	if s == "" {
		return "（未定）"
	}
	return s
}

func planWareki(t time.Time, none string) string {
	if t.IsZero() {
		return none
	}
	return jp.FormatWareki(t)
}

// checklistCounts counts the engagement's checklist (dropped items left
// out): all items, site-inspection items and pre-survey items.
func (s *Store) checklistCounts(ctx context.Context, id int64) (items, site, presurvey int, err error) {
	err = s.db.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN site_inspection THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN presurvey THEN 1 ELSE 0 END), 0) FROM audit_items WHERE engagement_id = ? AND NOT dropped`, id).Scan(&items, &site, &presurvey)
	return
}

// planFacts are the values of the placeholders for one engagement.
func (s *Store) planFacts(ctx context.Context, e Engagement) (map[string]string, error) {
	items, site, pre, err := s.checklistCounts(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	ward := s.org.WardName(ctx)
	if ward == "" {
		ward = "区"
	}
	sch := planScheduleOf(e)
	var dates, staff []string
	team := planTBD(planTeam(e))
	for _, t := range e.Targets {
		dates = append(dates, "・"+t.Name+"："+planVisit(t))
		staff = append(staff, "・"+t.Name+"（"+planVisit(t)+"）："+team)
	}
	var threats []string
	for _, t := range e.Threats {
		if l := catalog.Threats[t]; l != "" {
			threats = append(threats, l)
		}
	}
	visits := planWareki(sch.FirstVisit, "（未定）")
	if !sch.LastVisit.IsZero() && !sch.LastVisit.Equal(sch.FirstVisit) {
		visits += "から" + jp.FormatWareki(sch.LastVisit) + "まで"
	}
	business := e.Business
	if business == "" {
		business = "特定個人情報を扱う各種"
	}
	hosting := e.HostingLabel()
	if hosting == "" {
		hosting = "未登録"
	}
	checklist := e.TemplateTitle
	if e.TemplateVersion != 0 {
		checklist += "（" + jp.FiscalYearLabel(e.TemplateVersion) + "版）"
	}
	return map[string]string{
		"区名": ward, "年度": jp.FiscalYearLabel(e.FiscalYear), "名称": e.Title, "対象": e.Subject(), "対象所属": e.TargetNames(),
		"事務": business, "システム": e.System, "設置形態": hosting, "事業者": strings.Join(lines(e.Vendors), "、"),
		"場所ごとの日程": strings.Join(dates, "\n"), "場所ごとの要員": strings.Join(staff, "\n"), "体制": team,
		"監査責任者": planTBD(e.Lead()), "立会い": planMembers(e, MemberWitness), "チェックリスト": checklist,
		"項目数": strconv.Itoa(items), "視察項目数": strconv.Itoa(site), "事前調査項目数": strconv.Itoa(pre), "重点脅威": strings.Join(threats, "、"),
		"事前調査期限": planWareki(sch.Presurvey, "実地監査の2週間前"), "説明会日": planWareki(sch.Briefing, "実地監査の1週間前"),
		"実地監査期間": visits, "評価日": planWareki(sch.Evaluation, "実地監査の1週間後"), "協議日": planWareki(sch.Consultation, "実地監査の2週間後"),
		"報告会日": planWareki(sch.ReportMeeting, "実地監査の1か月後"), "フォローアップ期限": planWareki(sch.Followup, "報告会の3か月後"),
	}, nil
}
