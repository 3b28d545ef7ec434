package scan

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"mamori/internal/database"
	"mamori/internal/module"
	"mamori/internal/scan/finding"
	"mamori/internal/scan/parse"
)

// Brief is one finding as a preview lists it.
type Brief struct {
	Severity finding.Severity
	Title    string
	Where    string
}

// SeverityLabel is the severity in Japanese.
func (b Brief) SeverityLabel() string { return b.Severity.Label() }

// Outcome is what an import or a check did (or, in a preview, would do)
// to an engagement's findings.
type Outcome struct {
	Summary                    parse.Summary
	Read                       int // findings read from the file (duplicates counted once)
	New, Still, Gone, Reopened int
	// Samples are the first findings of each kind: new, still, gone, reopened.
	Samples  map[string][]Brief
	ImportID int64
}

// Changes reports whether the outcome changes anything.
func (o Outcome) Changes() bool { return o.New+o.Gone+o.Reopened > 0 }

const sampleSize = 15

type existingRow struct {
	id     int64
	status string
	scope  string
	title  string
	sev    finding.Severity
	where  string
}

// merger compares findings as they stream in with those stored. A merger
// that writes (apply) runs with the plan's row locked (database.LockRow):
// two merges at once on PostgreSQL would each read the same stored
// findings, insert the same new one twice (an SQL error on the unique
// key) and close or reopen from a state the other just changed.
type merger struct {
	s        *Store
	planID   int64
	apply    bool
	importID int64
	by       string
	now      string
	items    []module.AuditItem
	links    map[string][]string // area → item codes
	existing map[string]existingRow
	seen     map[string]bool
	covered  map[string]bool
	sources  map[string]bool
	out      *Outcome
	ins, upd [][]any // buffered writes (apply mode)
}

func (s *Store) newMerger(ctx context.Context, planID int64, sources []string, e module.AuditEngagement, apply bool) (*merger, error) {
	m := &merger{s: s, planID: planID, apply: apply, items: e.Items, links: itemLinks(e.Items), existing: map[string]existingRow{},
		seen: map[string]bool{}, covered: map[string]bool{}, sources: map[string]bool{}, now: database.FormatTime(s.now()),
		out: &Outcome{Samples: map[string][]Brief{}}}
	args := []any{planID}
	for _, src := range sources {
		m.sources[src] = true
		args = append(args, src)
	}
	rows, err := s.db.Query(ctx, "SELECT id, source, dedup_key, scope, status, title, severity, host, port, url, component, file FROM scan_findings WHERE plan_id = ? AND source IN ("+
		database.Placeholders(len(sources))+")", args...)
	if err != nil {
		return nil, fmt.Errorf("scan.merge: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r existingRow
		var src, key, sev string
		var f finding.Finding
		if err := rows.Scan(&r.id, &src, &key, &r.scope, &r.status, &r.title, &sev, &f.Host, &f.Port, &f.URL, &f.Component, &f.File); err != nil {
			return nil, err
		}
		r.sev, r.where = finding.Severity(sev), f.Where()
		m.existing[src+"\x00"+key] = r
	}
	return m, rows.Err()
}

func (m *merger) sample(kind string, b Brief) {
	if len(m.out.Samples[kind]) < sampleSize {
		m.out.Samples[kind] = append(m.out.Samples[kind], b)
	}
}

// cover marks a target as examined (a built-in check examines its target
// even when it finds nothing).
func (m *merger) cover(source, scope string) { m.covered[source+"\x00"+scope] = true }

func (m *merger) add(ctx context.Context, f finding.Finding) error {
	f.Clean()
	if f.Key == "" || f.Title == "" {
		return nil
	}
	key := dbKey(f.Key)
	k := f.Source + "\x00" + key
	if m.seen[k] {
		return nil
	}
	m.seen[k] = true
	m.sources[f.Source] = true
	scope := scopeOf(f)
	m.cover(f.Source, scope)
	m.out.Read++
	brief := Brief{Severity: f.Severity, Title: f.Title, Where: f.Where()}
	ex, ok := m.existing[k]
	switch {
	case !ok:
		m.out.New++
		m.sample("new", brief)
		if m.apply {
			return m.insert(ctx, f, key, scope)
		}
	case ex.status == StatusFixed:
		m.out.Reopened++
		m.sample("reopened", brief)
		if m.apply {
			return m.refresh(ctx, ex.id, f, true)
		}
	default:
		m.out.Still++
		m.sample("still", brief)
		if m.apply {
			return m.refresh(ctx, ex.id, f, false)
		}
	}
	return nil
}

func joinIDs(ids []string) string { return strings.Join(ids, ",") }

// batchRows is how many findings one statement writes: a round trip per
// finding made a /16 import take 24 s on PostgreSQL.
const batchRows = 200

const insertCols = `plan_id, source, dedup_key, scope, title, severity, cvss10, cwe, cve, host, port, protocol, service, url, component, version,
	fixed_version, file, line, description, remedy, evidence, area, status, item_codes, first_import_id, last_import_id, first_seen, last_seen,
	rev, updated_by_name, updated_at`

func (m *merger) insert(ctx context.Context, f finding.Finding, key, scope string) error {
	m.ins = append(m.ins, []any{m.planID, f.Source, key, scope, f.Title, string(f.Severity), int64(f.CVSS*10 + 0.5), joinIDs(f.CWE), joinIDs(f.CVE),
		f.Host, f.Port, f.Protocol, f.Service, f.URL, f.Component, f.Version, f.FixedVersion, f.File, f.Line, f.Description, f.Remedy, f.Evidence, f.Area,
		"open", strings.Join(m.links[f.Area], ","), m.importID, m.importID, m.now, m.now, 1, m.by, m.now})
	if len(m.ins) >= batchRows {
		return m.flush(ctx)
	}
	return nil
}

func (m *merger) refresh(ctx context.Context, id int64, f finding.Finding, reopen bool) error {
	if reopen {
		_, err := m.s.db.Exec(ctx, `UPDATE scan_findings SET title = ?, severity = ?, cvss10 = ?, cwe = ?, cve = ?, service = ?, version = ?, fixed_version = ?,
			description = ?, remedy = ?, evidence = ?, line = ?, last_import_id = ?, last_seen = ?, status = 'open', gone_at = '', status_note = ?,
			rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE id = ?`,
			f.Title, string(f.Severity), int64(f.CVSS*10+0.5), joinIDs(f.CWE), joinIDs(f.CVE), f.Service, f.Version, f.FixedVersion,
			f.Description, f.Remedy, f.Evidence, f.Line, m.importID, m.now, fmt.Sprintf("対応済としていましたが、再び検出されました（取込み #%d）。", m.importID),
			m.by, m.now, id)
		if err != nil {
			return fmt.Errorf("scan.refresh: %w", err)
		}
		return nil
	}
	m.upd = append(m.upd, []any{id, f.Title, string(f.Severity), int64(f.CVSS*10 + 0.5), joinIDs(f.CWE), joinIDs(f.CVE), f.Service, f.Version,
		f.FixedVersion, f.Description, f.Remedy, f.Evidence, f.Line})
	if len(m.upd) >= batchRows {
		return m.flush(ctx)
	}
	return nil
}

// flush writes the buffered new findings in one INSERT and the findings
// still present in one UPDATE … FROM (VALUES …) (both databases name the
// VALUES columns column1, column2 …).
func (m *merger) flush(ctx context.Context) error {
	if n := len(m.ins); n > 0 {
		row := "(" + database.Placeholders(len(m.ins[0])) + ")"
		var args []any
		for _, r := range m.ins {
			args = append(args, r...)
		}
		q := "INSERT INTO scan_findings (" + insertCols + ") VALUES " + strings.TrimSuffix(strings.Repeat(row+",", n), ",")
		if _, err := m.s.db.Exec(ctx, q, args...); err != nil {
			return fmt.Errorf("scan.flush insert: %w", err)
		}
		m.ins = m.ins[:0]
	}
	if n := len(m.upd); n > 0 {
		row := "(CAST(? AS BIGINT), ?, ?, CAST(? AS BIGINT), ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS BIGINT))"
		var args []any
		for _, r := range m.upd {
			args = append(args, r...)
		}
		q := `UPDATE scan_findings SET title = v.column2, severity = v.column3, cvss10 = v.column4, cwe = v.column5, cve = v.column6, service = v.column7,
			version = v.column8, fixed_version = v.column9, description = v.column10, remedy = v.column11, evidence = v.column12, line = v.column13,
			last_import_id = ?, last_seen = ? FROM (VALUES ` + strings.TrimSuffix(strings.Repeat(row+",", n), ",") + `) AS v WHERE scan_findings.id = v.column1`
		// The SET parameters come before the VALUES ones in the text.
		all := append([]any{m.importID, m.now}, args...)
		if _, err := m.s.db.Exec(ctx, q, all...); err != nil {
			return fmt.Errorf("scan.flush update: %w", err)
		}
		m.upd = m.upd[:0]
	}
	return nil
}

// finish finds what is gone: stored findings of the covered targets (or,
// for file scanners, of the same source) that this run did not see.
func (m *merger) finish(ctx context.Context) error {
	if m.apply {
		if err := m.flush(ctx); err != nil {
			return err
		}
	}
	if m.out.Read == 0 && len(m.covered) == 0 {
		return nil // nothing examined: close nothing
	}
	for k, ex := range m.existing {
		if m.seen[k] || (ex.status != StatusOpen && ex.status != StatusProgress) {
			continue
		}
		src, _, _ := strings.Cut(k, "\x00")
		if !m.covered[src+"\x00"+ex.scope] {
			continue
		}
		if m.apply {
			// Only while still open or in progress: a status a person set
			// after the merger read the findings (accepted, say) stays.
			res, err := m.s.db.Exec(ctx, `UPDATE scan_findings SET status = 'fixed', gone_at = ?, status_note = ?, rev = rev + 1, updated_by_name = ?,
				updated_at = ? WHERE id = ? AND status IN (?, ?)`, m.now, fmt.Sprintf("再検査で検出されなくなったため対応済としました（取込み #%d）。", m.importID),
				m.by, m.now, ex.id, StatusOpen, StatusProgress)
			if err != nil {
				return fmt.Errorf("scan.finish: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
		}
		m.out.Gone++
		m.sample("gone", Brief{Severity: ex.sev, Title: ex.title, Where: ex.where})
	}
	return nil
}

// areaWords are phrases of checklist items on each area's subject, most
// fitting first (the catalogue's wording: 6.5 不正アクセス対策, 6.1
// コンピュータ及びネットワークの管理, 8.3 クラウドサービスの利用 …). Generic
// words such as 「暗号化」 alone are avoided: they also match media and
// data-migration items.
var areaWords = map[string][]string{
	finding.AreaVulnerability: {"脆弱性スキャン", "脆弱性診断", "修正プログラム", "外部から到達", "脆弱性情報"},
	finding.AreaNetwork:       {"使わないサービス", "不要な公開ポート", "通信制御の規則", "外部から到達"},
	finding.AreaCrypto:        {"TLS", "通信がそれぞれ暗号化", "通信の暗号化", "暗号化の鍵", "サーバ証明書"},
	finding.AreaConfig:        {"設定の基準", "共有設定", "セキュリティ設計", "初期設定"},
	finding.AreaSecret:        {"初期設定のパスワード", "ソースコード", "セキュリティ設計"},
	finding.AreaCode:          {"ソースコード", "セキュリティ設計", "脆弱性診断"},
}

// itemLinks chooses, for each area, up to three checklist items whose
// wording is on the area's subject; an area with none borrows the
// configuration items (a TLS setting is a setting).
func itemLinks(all []module.AuditItem) map[string][]string {
	// Items of 技術的セキュリティ (chapter 6) first: the same phrase in a
	// cloud or procurement item fits a technical result less well.
	items := slices.Clone(all)
	slices.SortStableFunc(items, func(a, b module.AuditItem) int {
		ta, tb := strings.HasPrefix(a.Category, "技術的"), strings.HasPrefix(b.Category, "技術的")
		switch {
		case ta && !tb:
			return -1
		case tb && !ta:
			return 1
		}
		return 0
	})
	out := map[string][]string{}
	for area, words := range areaWords {
		for _, w := range words {
			for _, it := range items {
				if len(out[area]) >= 3 {
					break
				}
				if strings.Contains(it.Question, w) && !slices.Contains(out[area], it.Code) {
					out[area] = append(out[area], it.Code)
				}
			}
		}
	}
	for area := range areaWords {
		if len(out[area]) == 0 {
			out[area] = out[finding.AreaConfig]
		}
	}
	return out
}

// ImportInput is one scanner file to import.
type ImportInput struct {
	Format   parse.Format
	Filename string
	SHA256   string
	Size     int64
	BlobID   int64 // the stored upload (web imports), 0 for the command line
	Sealed   bool  // the stored upload is sealed with the engagement's key
	Open     func() (io.Reader, error)
}

// PreviewImport reads the file and says what importing it would change,
// changing nothing.
func (s *Store) PreviewImport(ctx context.Context, e module.AuditEngagement, in ImportInput) (Outcome, error) {
	p, err := s.PlanOf(ctx, e.ID)
	if err != nil {
		return Outcome{}, err
	}
	m, err := s.newMerger(ctx, p.ID, []string{string(in.Format)}, e, false)
	if err != nil {
		return Outcome{}, err
	}
	r, err := in.Open()
	if err != nil {
		return Outcome{}, err
	}
	sum, err := parse.Parse(r, in.Format, parse.Limits{}, func(f finding.Finding) error { return m.add(ctx, f) })
	if err != nil {
		return Outcome{}, err
	}
	if err := m.finish(ctx); err != nil {
		return Outcome{}, err
	}
	m.out.Summary = sum
	return *m.out, nil
}

// ApplyImport imports the file in one transaction: a broken file changes
// nothing. It records the import and its counts in the audit log.
func (s *Store) ApplyImport(ctx context.Context, e module.AuditEngagement, in ImportInput, by string) (Outcome, error) {
	var out Outcome
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		planID, err := s.ensurePlan(ctx, e.ID, by)
		if err != nil {
			return err
		}
		if err := s.db.LockRow(ctx, "scan_plans", planID); err != nil {
			return err
		}
		var blob any
		if in.BlobID != 0 {
			blob = in.BlobID
		}
		now := database.T(s.now())
		importID, err := s.db.InsertID(ctx, `INSERT INTO scan_imports (plan_id, kind, format, filename, sha256, size, blob_id, state, created_by_name, created_at, sealed)
			VALUES (?, 'import', ?, ?, ?, ?, ?, 'applied', ?, ?, ?)`, planID, string(in.Format), in.Filename, in.SHA256, in.Size, blob, by, now, in.Sealed)
		if err != nil {
			return fmt.Errorf("scan.ApplyImport: %w", err)
		}
		m, err := s.newMerger(ctx, planID, []string{string(in.Format)}, e, true)
		if err != nil {
			return err
		}
		m.importID, m.by = importID, by
		r, err := in.Open()
		if err != nil {
			return err
		}
		sum, err := parse.Parse(r, in.Format, parse.Limits{}, func(f finding.Finding) error { return m.add(ctx, f) })
		if err != nil {
			return err
		}
		if err := m.finish(ctx); err != nil {
			return err
		}
		m.out.Summary, m.out.ImportID = sum, importID
		out = *m.out
		scanned := ""
		if !sum.Started.IsZero() {
			scanned = database.FormatTime(sum.Started)
		}
		scanner := strings.TrimSpace(sum.Scanner + " " + sum.ScannerVersion)
		if _, err := s.db.Exec(ctx, `UPDATE scan_imports SET scanner = ?, scanned_at = ?, targets = ?, findings = ?, new_count = ?, still_count = ?,
			gone_count = ?, reopened_count = ? WHERE id = ?`, scanner, scanned, sum.Targets, out.Read, out.New, out.Still, out.Gone, out.Reopened, importID); err != nil {
			return err
		}
		return s.log.Record(ctx, "scan.import", fmt.Sprintf("audit_engagement:%d", e.ID),
			fmt.Sprintf("%s に %s「%s」を取込み（%d 件：新規 %d、継続 %d、解消 %d、再発 %d）", e.Code, in.Format.Label(), in.Filename,
				out.Read, out.New, out.Still, out.Gone, out.Reopened))
	})
	return out, err
}

// Import is one recorded import or check run.
type Import struct {
	ID                              int64
	Kind, Format, Filename, Scanner string
	Targets, Findings               int
	New, Still, Gone, Reopened      int
	CreatedBy                       string
	CreatedAt                       string
	Detail                          string
}

// KindLabel names the import's kind.
func (i Import) KindLabel() string {
	if i.Kind == "check" {
		return "組込み検査"
	}
	return SourceLabel(i.Format) + " 取込み"
}

// Imports lists a plan's imports and check runs, newest first.
func (s *Store) Imports(ctx context.Context, planID int64) ([]Import, error) {
	rows, err := s.db.Query(ctx, `SELECT id, kind, format, filename, scanner, targets, findings, new_count, still_count, gone_count, reopened_count,
		created_by_name, created_at, detail FROM scan_imports WHERE plan_id = ? AND state = 'applied' ORDER BY id DESC`, planID)
	if err != nil {
		return nil, fmt.Errorf("scan.Imports: %w", err)
	}
	defer rows.Close()
	var out []Import
	for rows.Next() {
		var i Import
		var at string
		if err := rows.Scan(&i.ID, &i.Kind, &i.Format, &i.Filename, &i.Scanner, &i.Targets, &i.Findings, &i.New, &i.Still, &i.Gone, &i.Reopened,
			&i.CreatedBy, &at, &i.Detail); err != nil {
			return nil, err
		}
		i.CreatedAt = stamp(database.ParseTime(at))
		out = append(out, i)
	}
	return out, rows.Err()
}
