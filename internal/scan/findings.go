package scan

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/scan/finding"
)

// Finding statuses.
const (
	StatusOpen     = "open"     // 未対応
	StatusProgress = "progress" // 対応中
	StatusFixed    = "fixed"    // 対応済
	StatusFalse    = "false"    // 誤検知
	StatusAccepted = "accepted" // リスク受容 (with an expiry)
)

// Statuses lists the statuses in order.
var Statuses = []struct{ Code, Label string }{
	{StatusOpen, "未対応"}, {StatusProgress, "対応中"}, {StatusFixed, "対応済"}, {StatusFalse, "誤検知"}, {StatusAccepted, "リスク受容"},
}

// StatusLabel names a status.
func StatusLabel(code string) string {
	for _, s := range Statuses {
		if s.Code == code {
			return s.Label
		}
	}
	return code
}

// Stored is a finding as kept for an engagement.
type Stored struct {
	finding.Finding
	ID          int64
	PlanID      int64
	Scope       string
	Status      string
	StatusNote  string
	AcceptUntil time.Time
	ItemCodes   []string
	AuditRef    string // the audit finding it became (指摘事項3)
	AuditLink   string
	FirstSeen   time.Time
	LastSeen    time.Time
	GoneAt      time.Time
	Rev         int64
	UpdatedBy   string
	UpdatedAt   time.Time
}

// StatusLabel is the finding's status in Japanese.
func (f Stored) StatusLabel() string { return StatusLabel(f.Status) }

// SeverityLabel is the severity in Japanese.
func (f Stored) SeverityLabel() string { return f.Severity.Label() }

// AreaLabel names what the finding is about.
func (f Stored) AreaLabel() string { return finding.AreaLabel(f.Area) }

// Open reports whether the finding still needs action.
func (f Stored) Open() bool { return f.Status == StatusOpen || f.Status == StatusProgress }

// AcceptExpired reports whether a risk acceptance has lapsed at now.
func (f Stored) AcceptExpired(now time.Time) bool {
	return f.Status == StatusAccepted && !f.AcceptUntil.IsZero() && jp.DateKey(now) > jp.DateKey(f.AcceptUntil)
}

// AcceptUntilInput is the acceptance expiry for a date field.
func (f Stored) AcceptUntilInput() string { return jp.DateKey(f.AcceptUntil) }

// CVSSText is the score with one decimal ("" when unknown).
func (f Stored) CVSSText() string {
	if f.CVSS == 0 {
		return ""
	}
	return strconv.FormatFloat(f.CVSS, 'f', 1, 64)
}

// IDs are the CVE and CWE ids in one line.
func (f Stored) IDs() string {
	return strings.Join(append(append([]string{}, f.CVE...), f.CWE...), " ")
}

// OtherIDs are the CVE and CWE ids the title does not already name.
func (f Stored) OtherIDs() string {
	var out []string
	for _, id := range append(append([]string{}, f.CVE...), f.CWE...) {
		if !strings.Contains(f.Title, id) {
			out = append(out, id)
		}
	}
	return strings.Join(out, " ")
}

// SourceLabel names where the finding came from.
func (f Stored) SourceLabel() string { return SourceLabel(f.Source) }

// SourceLabel names a source (a scanner format or a built-in check).
func SourceLabel(s string) string {
	switch s {
	case "nmap":
		return "Nmap"
	case "openvas":
		return "OpenVAS"
	case "trivy":
		return "Trivy"
	case "sarif":
		return "SARIF"
	case "csv":
		return "CSV"
	case "tls":
		return "TLS 検査"
	case "http":
		return "HTTP 検査"
	case "tcp":
		return "TCP 接続確認"
	}
	return s
}

const findingCols = `id, plan_id, source, dedup_key, scope, title, severity, cvss10, cwe, cve, host, port, protocol, service, url, component,
	version, fixed_version, file, line, description, remedy, evidence, area, status, status_note, accept_until, item_codes,
	audit_finding, audit_finding_link, first_seen, last_seen, gone_at, rev, updated_by_name, updated_at`

func scanStored(sc interface{ Scan(...any) error }) (Stored, error) {
	var f Stored
	var sev, cwe, cve, until, items, first, last, gone, updated string
	var cvss10 int64
	err := sc.Scan(&f.ID, &f.PlanID, &f.Source, &f.Key, &f.Scope, &f.Title, &sev, &cvss10, &cwe, &cve, &f.Host, &f.Port, &f.Protocol, &f.Service,
		&f.URL, &f.Component, &f.Version, &f.FixedVersion, &f.File, &f.Line, &f.Description, &f.Remedy, &f.Evidence, &f.Area, &f.Status,
		&f.StatusNote, &until, &items, &f.AuditRef, &f.AuditLink, &first, &last, &gone, &f.Rev, &f.UpdatedBy, &updated)
	if err != nil {
		return f, err
	}
	f.Severity, f.CVSS = finding.Severity(sev), float64(cvss10)/10
	f.CWE, f.CVE, f.ItemCodes = splitList(cwe), splitList(cve), splitList(items)
	f.AcceptUntil = jp.ParseDateKey(until)
	f.FirstSeen, f.LastSeen, f.GoneAt, f.UpdatedAt = database.ParseTime(first), database.ParseTime(last), database.ParseTime(gone), database.ParseTime(updated)
	return f, nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// Filter narrows a plan's findings.
type Filter struct {
	Severity string
	Status   string // a status, or "active" (未対応・対応中)
	Source   string
	Host     string
	Words    string
	Limit    int
}

// Findings lists a plan's findings, most serious first.
func (s *Store) Findings(ctx context.Context, planID int64, f Filter) ([]Stored, error) {
	where := []string{"plan_id = ?"}
	args := []any{planID}
	if f.Severity != "" {
		where, args = append(where, "severity = ?"), append(args, f.Severity)
	}
	switch f.Status {
	case "":
	case "active": // what needs action: open, in progress, or a lapsed acceptance
		where = append(where, "(status IN ('open', 'progress') OR status = 'accepted' AND accept_until <> '' AND accept_until < ?)")
		args = append(args, jp.DateKey(s.now()))
	default:
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if f.Source != "" {
		where, args = append(where, "source = ?"), append(args, f.Source)
	}
	if f.Host != "" {
		where, args = append(where, "host = ?"), append(args, f.Host)
	}
	for _, w := range strings.Fields(f.Words) {
		if len(where) > 12 {
			break
		}
		like := "%" + strings.NewReplacer("%", "", "_", "").Replace(w) + "%"
		where = append(where, "(title LIKE ? OR cve LIKE ? OR host LIKE ? OR component LIKE ? OR url LIKE ? OR file LIKE ?)")
		args = append(args, like, like, like, like, like, like)
	}
	q := "SELECT " + findingCols + " FROM scan_findings WHERE " + strings.Join(where, " AND ") +
		` ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 WHEN 'low' THEN 3 ELSE 4 END,
		CASE WHEN status IN ('open', 'progress') THEN 0 ELSE 1 END, cvss10 DESC, host, port, id`
	if f.Limit > 0 {
		q += " LIMIT " + strconv.Itoa(f.Limit)
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("scan.Findings: %w", err)
	}
	defer rows.Close()
	var out []Stored
	for rows.Next() {
		x, err := scanStored(rows)
		if err != nil {
			return nil, fmt.Errorf("scan.Findings: %w", err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// FindingOf returns one finding of a plan.
func (s *Store) FindingOf(ctx context.Context, planID, id int64) (Stored, error) {
	f, err := scanStored(s.db.QueryRow(ctx, "SELECT "+findingCols+" FROM scan_findings WHERE plan_id = ? AND id = ?", planID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return f, database.ErrNotFound
	}
	if err != nil {
		return f, fmt.Errorf("scan.FindingOf: %w", err)
	}
	return f, nil
}

// Counts are a plan's findings by severity: all, and those still open.
type Counts struct {
	All, Active [5]int
	Total       int
	ActiveTotal int
	Hosts       int
}

// CountsOf counts a plan's findings.
func (s *Store) CountsOf(ctx context.Context, planID int64) (Counts, error) {
	var c Counts
	rows, err := s.db.Query(ctx, "SELECT severity, status, COUNT(*) FROM scan_findings WHERE plan_id = ? GROUP BY severity, status", planID)
	if err != nil {
		return c, fmt.Errorf("scan.CountsOf: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var sev, st string
		var n int
		if err := rows.Scan(&sev, &st, &n); err != nil {
			return c, err
		}
		r := finding.Severity(sev).Rank()
		if r > 4 {
			r = 4
		}
		c.All[r] += n
		c.Total += n
		if st == StatusOpen || st == StatusProgress {
			c.Active[r] += n
			c.ActiveTotal += n
		}
	}
	if err := rows.Err(); err != nil {
		return c, err
	}
	err = s.db.QueryRow(ctx, "SELECT COUNT(DISTINCT host) FROM scan_findings WHERE plan_id = ? AND host <> ''", planID).Scan(&c.Hosts)
	return c, err
}

// UpdateInput is a change of a finding's status and links.
type UpdateInput struct {
	Status, Note, AcceptUntil string
	ItemCodes                 []string
	Rev                       int64
}

// UpdateFinding records a finding's status, note, risk-acceptance expiry
// and the checklist items it concerns.
func (s *Store) UpdateFinding(ctx context.Context, e module.AuditEngagement, f Stored, in UpdateInput, by string) error {
	fe := FieldErrors{}
	if StatusLabel(in.Status) == in.Status {
		fe["status"] = "状況を選んでください。"
	}
	in.Note = strings.TrimSpace(in.Note)
	if runes(in.Note) > 2000 {
		fe["status"] = "メモは2,000文字以内で入力してください。"
	}
	var until time.Time
	if in.Status == StatusAccepted {
		d, err := jp.ParseDate(in.AcceptUntil)
		switch {
		case strings.TrimSpace(in.AcceptUntil) == "":
			fe["accept_until"] = "リスク受容には期限を入力してください（期限が来たら見直します）。"
		case err != nil:
			fe["accept_until"] = "受容の期限を日付として読めません（例：2027-03-31）。"
		case jp.DateKey(d) < jp.DateKey(s.now()):
			fe["accept_until"] = "受容の期限は今日以降の日付にしてください。"
		default:
			until = d
		}
		if in.Note == "" {
			fe["status"] = "リスク受容の理由と、誰が受容を判断したかをメモに書いてください。"
		}
	}
	if in.Status == StatusFalse && in.Note == "" {
		fe["status"] = "誤検知とした根拠をメモに書いてください。"
	}
	known := map[string]bool{}
	for _, it := range e.Items {
		known[it.Code] = true
	}
	var codes, unknown []string
	seen := map[string]bool{}
	for _, c := range in.ItemCodes {
		c = strings.TrimSpace(c)
		if c == "" || seen[c] {
			continue
		}
		seen[c] = true
		if !known[c] {
			unknown = append(unknown, c)
		}
		codes = append(codes, c)
	}
	if len(unknown) > 0 {
		fe["items"] = "項目「" + strings.Join(unknown, "」「") + "」はこの監査のチェックリストにありません。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, `UPDATE scan_findings SET status = ?, status_note = ?, accept_until = ?, item_codes = ?, rev = rev + 1,
			updated_by_name = ?, updated_at = ? WHERE id = ? AND rev = ?`,
			in.Status, in.Note, jp.DateKey(until), strings.Join(codes, ","), by, database.T(s.now()), f.ID, in.Rev)
		if err != nil {
			return fmt.Errorf("scan.UpdateFinding: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrStale
		}
		detail := fmt.Sprintf("%s の検出事項「%s」を%sに", e.Code, finding.Cut(f.Title, 60), StatusLabel(in.Status))
		if in.Status == StatusAccepted {
			detail += "（期限 " + jp.FormatWareki(until) + "）"
		}
		return s.log.Record(ctx, "scan.finding_update", fmt.Sprintf("scan_finding:%d", f.ID), detail)
	})
}

// MarkProposed records the audit finding a technical finding became.
func (s *Store) MarkProposed(ctx context.Context, e module.AuditEngagement, f Stored, label, link, by string) error {
	// Only a finding not yet proposed: two proposals at once (PostgreSQL)
	// both passed the caller's check, and each made an audit finding. The
	// loser's ErrStale rolls back the audit finding made in its transaction.
	res, err := s.db.Exec(ctx, "UPDATE scan_findings SET audit_finding = ?, audit_finding_link = ?, rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE id = ? AND audit_finding = ''",
		label, link, by, database.T(s.now()), f.ID)
	if err == nil {
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrStale
		}
	}
	if err != nil {
		return fmt.Errorf("scan.MarkProposed: %w", err)
	}
	return s.log.Record(ctx, "scan.finding_propose", fmt.Sprintf("scan_finding:%d", f.ID),
		fmt.Sprintf("%s の検出事項「%s」を監査の%sとして登録", e.Code, finding.Cut(f.Title, 60), label))
}
