package scan

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/scan/finding"
	"mamori/internal/scan/probe"
)

// Store keeps the plans, imports and findings of technical verification.
type Store struct {
	db  *database.DB
	log *auditlog.Log
	now func() time.Time
}

// NewStore returns the store on the app's shared services.
func NewStore(d module.Deps) *Store {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return &Store{db: d.DB, log: d.Log, now: now}
}

// FieldErrors are the plan form's mistakes by field, in Japanese.
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	var out []string
	for _, k := range []string{"targets", "ports", "window", "rate", "profile", "approved_by", "approved_on", "emergency", "methods", "notes", "status", "accept_until", "items"} {
		if m, ok := fe[k]; ok {
			out = append(out, m)
		}
	}
	return strings.Join(out, " ")
}

// ErrStale is a change based on an older state than the stored one.
var ErrStale = errors.New("他の人が先に更新しました。画面を読み込み直してから、もう一度操作してください。")

// Profiles of the TLS grading (CRYPTREC TLS暗号設定ガイドライン).
var Profiles = []struct{ Code, Label string }{{"recommended", "推奨セキュリティ型"}, {"high", "高セキュリティ型"}}

// ProfileLabel names a profile.
func ProfileLabel(code string) string {
	for _, p := range Profiles {
		if p.Code == code {
			return p.Label
		}
	}
	return code
}

// Plan is the technical-verification plan of one engagement (技術的検証実施計画).
type Plan struct {
	ID           int64
	EngagementID int64
	Targets      string // the allow-list, one entry per line
	Ports        []int
	Start, End   time.Time // the agreed window (zero: not set)
	Rate         int       // new connections per second
	Profile      string
	Methods      string // how the verification is done (tools, who runs them)
	ApprovedBy   string
	ApprovedOn   time.Time
	Emergency    string // the emergency contact during the window
	Notes        string
	Aborted      bool
	AbortedAt    time.Time
	AbortedBy    string
	Rev          int64
	UpdatedBy    string
	UpdatedAt    time.Time
}

// Saved reports whether the plan exists in the database.
func (p Plan) Saved() bool { return p.ID != 0 }

// ProfileLabel is the plan's TLS profile in Japanese.
func (p Plan) ProfileLabel() string { return ProfileLabel(p.Profile) }

// PortsText is the port list as typed.
func (p Plan) PortsText() string {
	var s []string
	for _, n := range p.Ports {
		s = append(s, strconv.Itoa(n))
	}
	return strings.Join(s, ", ")
}

// TargetLines are the allow-list's entries.
func (p Plan) TargetLines() []string {
	var out []string
	for _, l := range strings.Split(p.Targets, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// WindowLabel is the window in 和暦 with times.
func (p Plan) WindowLabel() string {
	if p.Start.IsZero() {
		return "未設定"
	}
	return jp.FormatWarekiDateTime(p.Start) + " ～ " + jp.FormatWarekiDateTime(p.End)
}

// StartInput and EndInput are the window for datetime-local fields.
func (p Plan) StartInput() string { return localInput(p.Start) }

// EndInput is the window's end for a datetime-local field.
func (p Plan) EndInput() string { return localInput(p.End) }

func localInput(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(jp.JST).Format("2006-01-02T15:04")
}

// ApprovedOnInput is the approval date for a date field.
func (p Plan) ApprovedOnInput() string { return jp.DateKey(p.ApprovedOn) }

// Approved reports whether someone approved the plan.
func (p Plan) Approved() bool { return p.ApprovedBy != "" && !p.ApprovedOn.IsZero() }

// InWindow reports whether t is inside the agreed window.
func (p Plan) InWindow(t time.Time) bool {
	return !p.Start.IsZero() && !t.Before(p.Start) && !t.After(p.End)
}

// CheckReady says why the built-in checks may not run now ("" when they may).
func (p Plan) CheckReady(now time.Time) string {
	switch {
	case !p.Saved() || len(p.TargetLines()) == 0:
		return "検証計画に対象（許可リスト）が登録されていません。"
	case !p.Approved():
		return "検証計画が承認されていません（承認者と承認日を登録してください）。"
	case p.Aborted:
		return "中止スイッチが入っています。再開するまで検証は行えません。"
	case p.Start.IsZero():
		return "実施の時間帯が登録されていません。"
	case !p.InWindow(now):
		return fmt.Sprintf("合意した時間帯（%s）の外です。時間帯の中で実行してください。", p.WindowLabel())
	}
	return ""
}

// Scope is the plan's allow-list for the probes.
func (p Plan) Scope() (probe.Scope, error) { return probe.ParseScope(p.Targets) }

const planCols = `id, engagement_id, targets, ports, window_start, window_end, rate, profile, methods, approved_by, approved_on,
	emergency_contact, notes, aborted, aborted_at, aborted_by_name, rev, updated_by_name, updated_at`

func scanPlan(sc interface{ Scan(...any) error }) (Plan, error) {
	var p Plan
	var ports, start, end, approved, abortedAt, updated string
	err := sc.Scan(&p.ID, &p.EngagementID, &p.Targets, &ports, &start, &end, &p.Rate, &p.Profile, &p.Methods, &p.ApprovedBy, &approved,
		&p.Emergency, &p.Notes, &p.Aborted, &abortedAt, &p.AbortedBy, &p.Rev, &p.UpdatedBy, &updated)
	if err != nil {
		return p, err
	}
	p.Ports, _ = parsePorts(ports)
	p.Start, p.End = database.ParseTime(start), database.ParseTime(end)
	p.ApprovedOn = jp.ParseDateKey(approved)
	p.AbortedAt, p.UpdatedAt = database.ParseTime(abortedAt), database.ParseTime(updated)
	return p, nil
}

// PlanOf returns the engagement's plan, or an unsaved default one.
func (s *Store) PlanOf(ctx context.Context, engagementID int64) (Plan, error) {
	p, err := scanPlan(s.db.QueryRow(ctx, "SELECT "+planCols+" FROM scan_plans WHERE engagement_id = ?", engagementID))
	if errors.Is(err, sql.ErrNoRows) {
		return Plan{EngagementID: engagementID, Rate: 2, Profile: "recommended", Ports: DefaultPorts}, nil
	}
	if err != nil {
		return p, fmt.Errorf("scan.PlanOf: %w", err)
	}
	return p, nil
}

// DefaultPorts are the ports a TCP check tries unless the plan names others.
var DefaultPorts = []int{21, 22, 23, 25, 80, 443, 445, 1433, 1521, 3306, 3389, 5432, 8080, 8443}

// PlanInput is the plan form as typed.
type PlanInput struct {
	Targets, Ports, Start, End, Rate, Profile, Methods, ApprovedBy, ApprovedOn, Emergency, Notes string
	Rev                                                                                          int64
}

func runes(s string) int { return utf8.RuneCountInString(s) }

func parsePorts(s string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '、' || r == ' ' || r == '\n' || r == '\t' || r == '，' }) {
		f = strings.TrimSpace(f)
		if a, b, ok := strings.Cut(f, "-"); ok {
			lo, err1 := strconv.Atoi(a)
			hi, err2 := strconv.Atoi(b)
			if err1 != nil || err2 != nil || lo < 1 || hi > 65535 || lo > hi || hi-lo > 1024 {
				return nil, fmt.Errorf("「%s」はポートの範囲として読めません（例：8000-8100。1024番まで）", f)
			}
			for n := lo; n <= hi; n++ {
				if !seen[n] {
					seen[n] = true
					out = append(out, n)
				}
			}
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("「%s」はポート番号として読めません（1〜65535）", f)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	if len(out) > 2048 {
		return nil, fmt.Errorf("ポートは2048個までにしてください（%d個あります）", len(out))
	}
	return out, nil
}

// ParseLocal reads a datetime-local field (Japan time).
func ParseLocal(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006/1/2 15:04"} {
		if t, err := time.ParseInLocation(layout, s, jp.JST); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("datetime %q", s)
}

func (s *Store) checkPlan(in PlanInput) (Plan, FieldErrors) {
	fe := FieldErrors{}
	p := Plan{Targets: strings.TrimSpace(strings.ReplaceAll(in.Targets, "\r\n", "\n")), Profile: in.Profile,
		Methods: strings.TrimSpace(in.Methods), ApprovedBy: strings.TrimSpace(in.ApprovedBy), Emergency: strings.TrimSpace(in.Emergency),
		Notes: strings.TrimSpace(in.Notes)}
	if runes(p.Targets) > 20000 {
		fe["targets"] = "対象は20,000文字以内で入力してください。"
	} else if p.Targets == "" {
		fe["targets"] = "検証の対象（ホスト名、IPアドレス、アドレス範囲、URL）を1行に1つずつ入力してください。"
	} else if _, err := probe.ParseScope(p.Targets); err != nil {
		fe["targets"] = "対象：" + err.Error()
	}
	ports, err := parsePorts(in.Ports)
	switch {
	case err != nil:
		fe["ports"] = "ポート：" + err.Error() + "。"
	case len(ports) == 0:
		p.Ports = DefaultPorts
	default:
		p.Ports = ports
	}
	if strings.TrimSpace(in.Start) != "" || strings.TrimSpace(in.End) != "" {
		st, err1 := ParseLocal(in.Start)
		en, err2 := ParseLocal(in.End)
		switch {
		case err1 != nil || err2 != nil:
			fe["window"] = "実施の時間帯は、開始と終了の日時を両方入力してください。"
		case !en.After(st):
			fe["window"] = "時間帯の終了は開始より後にしてください。"
		case en.Sub(st) > 31*24*time.Hour:
			fe["window"] = "時間帯は31日以内にしてください（日ごとの作業時間は実施方法に書いてください）。"
		default:
			p.Start, p.End = st, en
		}
	}
	rate, err := strconv.Atoi(strings.TrimSpace(in.Rate))
	if err != nil || rate < 1 || rate > 20 {
		fe["rate"] = "接続の上限は1秒あたり1〜20回の整数で入力してください。"
	}
	p.Rate = rate
	if ProfileLabel(p.Profile) == p.Profile {
		fe["profile"] = "TLS の評価基準を選んでください。"
	}
	if runes(p.ApprovedBy) > 200 {
		fe["approved_by"] = "承認者は200文字以内で入力してください。"
	}
	if v := strings.TrimSpace(in.ApprovedOn); v != "" {
		d, err := jp.ParseDate(v)
		if err != nil {
			fe["approved_on"] = "承認日を日付として読めません（例：2026-11-20、令和8年11月20日）。"
		}
		p.ApprovedOn = d
	}
	if (p.ApprovedBy == "") != p.ApprovedOn.IsZero() && fe["approved_on"] == "" {
		fe["approved_on"] = "承認者と承認日は両方入力してください（未承認ならどちらも空欄）。"
	}
	if runes(p.Emergency) > 500 {
		fe["emergency"] = "緊急連絡先は500文字以内で入力してください。"
	}
	if runes(p.Methods) > 4000 || runes(p.Notes) > 4000 {
		fe["methods"] = "実施方法と備考はそれぞれ4,000文字以内で入力してください。"
	}
	if len(fe) > 0 {
		return p, fe
	}
	return p, nil
}

// SavePlan records the engagement's plan; rev is the revision the form
// was based on (0 for a new plan).
func (s *Store) SavePlan(ctx context.Context, e module.AuditEngagement, in PlanInput, by string) error {
	p, fe := s.checkPlan(in)
	if fe != nil {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		cur, err := s.PlanOf(ctx, e.ID)
		if err != nil {
			return err
		}
		if cur.Rev != in.Rev && (cur.Saved() || in.Rev != 0) {
			return ErrStale
		}
		now := database.T(s.now())
		start, end := "", ""
		if !p.Start.IsZero() {
			start, end = database.FormatTime(p.Start), database.FormatTime(p.End)
		}
		ports := Plan{Ports: p.Ports}.PortsText()
		if cur.Saved() {
			// The revision is checked again by the update itself: two saves
			// of the same form at once (PostgreSQL) both passed the check
			// above and the later one overwrote the other unseen.
			var res sql.Result
			res, err = s.db.Exec(ctx, `UPDATE scan_plans SET targets = ?, ports = ?, window_start = ?, window_end = ?, rate = ?, profile = ?, methods = ?,
				approved_by = ?, approved_on = ?, emergency_contact = ?, notes = ?, rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE id = ? AND rev = ?`,
				p.Targets, ports, start, end, p.Rate, p.Profile, p.Methods, p.ApprovedBy, jp.DateKey(p.ApprovedOn), p.Emergency, p.Notes, by, now, cur.ID, cur.Rev)
			if err == nil {
				if n, _ := res.RowsAffected(); n != 1 {
					return ErrStale
				}
			}
		} else {
			_, err = s.db.Exec(ctx, `INSERT INTO scan_plans (engagement_id, targets, ports, window_start, window_end, rate, profile, methods,
				approved_by, approved_on, emergency_contact, notes, rev, updated_by_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
				e.ID, p.Targets, ports, start, end, p.Rate, p.Profile, p.Methods, p.ApprovedBy, jp.DateKey(p.ApprovedOn), p.Emergency, p.Notes, by, now, now)
		}
		if database.IsUniqueViolation(err) {
			return ErrStale
		}
		if err != nil {
			return fmt.Errorf("scan.SavePlan: %w", err)
		}
		approval := "未承認"
		if p.Approved() {
			approval = "承認：" + p.ApprovedBy + "（" + jp.FormatWareki(p.ApprovedOn) + "）"
		}
		return s.log.Record(ctx, "scan.plan_save", fmt.Sprintf("audit_engagement:%d", e.ID),
			fmt.Sprintf("%s の技術的検証計画を保存（対象 %d 件、時間帯 %s、%s）", e.Code, len(p.TargetLines()), p.WindowLabel(), approval))
	})
}

// SetAbort turns the plan's abort switch on or off. Turning it on stops
// every check that is running at its next connection.
func (s *Store) SetAbort(ctx context.Context, e module.AuditEngagement, on bool, by string) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		p, err := s.PlanOf(ctx, e.ID)
		if err != nil {
			return err
		}
		if !p.Saved() {
			return FieldErrors{"targets": "先に検証計画を保存してください。"}
		}
		at := ""
		if on {
			at = database.FormatTime(s.now())
		}
		if _, err := s.db.Exec(ctx, "UPDATE scan_plans SET aborted = ?, aborted_at = ?, aborted_by_name = ?, rev = rev + 1, updated_at = ? WHERE id = ?",
			on, at, by, database.T(s.now()), p.ID); err != nil {
			return fmt.Errorf("scan.SetAbort: %w", err)
		}
		what := "中止スイッチを入れました（検証を直ちに止めます）"
		if !on {
			what = "中止スイッチを解除しました"
		}
		return s.log.Record(ctx, "scan.abort", fmt.Sprintf("audit_engagement:%d", e.ID), e.Code+" の技術的検証："+what)
	})
}

// aborted reads the abort switch (checked before every connection).
func (s *Store) aborted(ctx context.Context, planID int64) bool {
	var on bool
	if err := s.db.QueryRow(ctx, "SELECT aborted FROM scan_plans WHERE id = ?", planID).Scan(&on); err != nil {
		return true // cannot tell: stop
	}
	return on
}

// ensurePlan returns the plan's id, creating an empty plan for an import
// into an engagement that has none yet (imports need no approval: the
// auditors ran the scanner under their own arrangements).
func (s *Store) ensurePlan(ctx context.Context, engagementID int64, by string) (int64, error) {
	p, err := s.PlanOf(ctx, engagementID)
	if err != nil || p.Saved() {
		return p.ID, err
	}
	now := database.T(s.now())
	// ON CONFLICT, not a unique violation caught afterwards: on PostgreSQL
	// a failed statement aborts the caller's transaction, so two first
	// imports at once made the later one fail with an SQL error.
	if _, err := s.db.Exec(ctx, `INSERT INTO scan_plans (engagement_id, ports, rate, profile, rev, updated_by_name, created_at, updated_at)
		VALUES (?, ?, 2, 'recommended', 1, ?, ?, ?) ON CONFLICT (engagement_id) DO NOTHING`, engagementID, Plan{Ports: DefaultPorts}.PortsText(), by, now, now); err != nil {
		return 0, err
	}
	p, err = s.PlanOf(ctx, engagementID)
	return p.ID, err
}

// dbKey is the stored deduplication key: long keys are hashed so that the
// unique index stays small.
func dbKey(k string) string {
	if len(k) <= 200 {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return k[:120] + "#" + hex.EncodeToString(sum[:16])
}

// scopeOf is the part of the targets a finding belongs to: a re-import
// closes only findings of the hosts (or URLs, TLS ports) it covers; file
// scanners (Trivy, SARIF, CSV) cover their whole source.
func scopeOf(f finding.Finding) string {
	switch f.Source {
	case "nmap", "openvas", "tcp":
		return f.Host
	case "tls":
		return f.Host + ":" + strconv.Itoa(f.Port)
	case "http":
		return f.URL
	}
	return ""
}
