package audit

// This file is `mamori audit list|copy-year` and `mamori export
// audit-plan|audit-checklist|presurvey|audit-report|findings|witness-report|…`.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/module"
)

const auditUsage = `audit list [--year 2026] [--json]  監査計画（年度の監査の一覧と進み具合）を表示します
audit copy-year --from 2025 --to 2026
                           前年度の監査計画を複写します（工程は計画に戻り、前年の判定を引き継ぎます）`

const exportUsage = `export audit-plan|audit-notice|briefing|audit-checklist|presurvey|audit-report|findings|meeting|witness-report|followup
       --engagement CODE --format pdf|docx|xlsx -o FILE
                           監査の成果物（監査計画書・通知書・説明会資料・チェックリスト・事前調査票・監査報告書・
                           指摘事項一覧・報告会資料・立会い報告書・フォローアップ状況）を出力します`

// exportDoc is one deliverable of an engagement the CLI can write.
type exportDoc struct {
	name  string // after `mamori export`
	label string // Japanese, for messages and file names
	build func(ctx context.Context, s *Store, e Engagement) (*docgen.Document, error)
	// byFormat, when set, replaces build for a deliverable laid out
	// differently per format: the document for format ext and how to
	// write it (nil: the format's own renderer).
	byFormat func(ctx context.Context, s *Store, e Engagement, ext string) (*docgen.Document, func(io.Writer, *docgen.Document) error, error)
}

// exportDocs are the engagement deliverables, filled by the files that
// build each document (registerExport in their init).
var exportDocs []exportDoc

// registerExport adds a deliverable to `mamori export`.
func registerExport(name, label string, build func(ctx context.Context, s *Store, e Engagement) (*docgen.Document, error)) {
	exportDocs = append(exportDocs, exportDoc{name: name, label: label, build: build})
}

// The pre-audit questionnaire (事前調査票) as the page offers it: the
// workbook the auditee answers in (XLSX, with its drop-down, hidden key
// column and 取込情報 sheet, so that it can be imported back), or the
// printed questionnaire with the answers given so far (PDF, DOCX).
func init() {
	exportDocs = append(exportDocs, exportDoc{name: "presurvey", label: "事前調査票",
		byFormat: func(ctx context.Context, s *Store, e Engagement, ext string) (*docgen.Document, func(io.Writer, *docgen.Document) error, error) {
			if ext == "xlsx" {
				d, err := s.PresurveyWorkbook(ctx, e)
				return d, WritePresurveyXLSX, err
			}
			d, err := s.PresurveyDocument(ctx, e, true)
			return d, nil, err
		}})
}

// Commands implements module.Commander.
func (m *Module) Commands() []module.Command {
	cmds := []module.Command{{Name: "audit", Usage: auditUsage, Run: runAudit}}
	for i, x := range exportDocs {
		usage := ""
		if i == 0 {
			usage = exportUsage
		}
		cmds = append(cmds, module.Command{Name: "export " + x.name, Usage: usage, Run: x.run})
	}
	cmds = append(cmds, summaryCommands()...) // audit-summary, issue-list (summary_cli.go)
	return cmds
}

func runAudit(ctx context.Context, cli *module.CLI, args []string) error {
	if len(args) > 0 && args[0] == "copy-year" {
		return runCopyYear(ctx, cli, args[1:])
	}
	if len(args) > 0 && args[0] == "list" {
		args = args[1:]
	}
	var year *int
	var asJSON *bool
	return cli.Data(ctx, args, module.DataCommand{Name: "audit list",
		Synopsis: "audit list [--year 2026] [--json] [--db …] [--data DIR]",
		Flags: func(fs *flag.FlagSet) {
			year = fs.Int("year", 0, "年度（開始の西暦年。省略時は現在の年度）")
			asJSON = fs.Bool("json", false, "JSON で出力します")
		},
		Run: func(d module.Deps, _ []string) error {
			s := NewStoreFrom(d)
			fy := *year
			if fy == 0 {
				fy = d.Org.CurrentFiscalYear(ctx)
			}
			rows, err := s.ListSummary(ctx, fy)
			if err != nil {
				return err
			}
			if *asJSON {
				enc := json.NewEncoder(cli.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			if len(rows) == 0 {
				fmt.Fprintf(cli.Stdout, "%sの監査はありません。\n", jp.FiscalYearLabel(fy))
				return nil
			}
			table := [][]string{{"コード", "種類", "対象", "工程", "判定済/項目", "指摘・提言", "未完了のフォローアップ"}}
			for _, r := range rows {
				phase := r.PhaseLabel
				if len(r.Overdue) > 0 {
					phase += "（期限超過）"
				}
				table = append(table, []string{r.Code, r.KindLabel, strings.Join(r.Targets, "・"), phase,
					fmt.Sprintf("%d/%d", r.Judged, r.Items), fmt.Sprint(r.Findings.Finding + r.Findings.Recommendation), fmt.Sprint(r.OpenFollowups)})
			}
			jp.WriteColumns(cli.Stdout, table)
			return nil
		}})
}

func runCopyYear(ctx context.Context, cli *module.CLI, args []string) error {
	var from, to *int
	return cli.Data(ctx, args, module.DataCommand{Name: "audit copy-year",
		Synopsis: "audit copy-year --from 2025 --to 2026 [--db …] [--data DIR]",
		Flags: func(fs *flag.FlagSet) {
			from = fs.Int("from", 0, "複写元の年度（西暦）")
			to = fs.Int("to", 0, "複写先の年度（西暦、複写元の翌年度）")
		},
		Args: func(pos []string) bool { return len(pos) == 0 && *from != 0 && *to != 0 },
		Run: func(d module.Deps, _ []string) error {
			n, err := NewStoreFrom(d).CopyYear(ctx, *from, *to, Actor{Name: "コマンド"})
			if err != nil {
				return err
			}
			fmt.Fprintf(cli.Stdout, "%sの監査計画を%sへ %d 件複写しました。\n", jp.FiscalYearLabel(*from), jp.FiscalYearLabel(*to), n)
			return nil
		}})
}

// run is `mamori export NAME --engagement CODE --format F -o FILE`.
func (x exportDoc) run(ctx context.Context, cli *module.CLI, args []string) error {
	var code, out, format *string
	return cli.Data(ctx, args, module.DataCommand{Name: "export " + x.name,
		Synopsis: "export " + x.name + " --engagement CODE --format pdf|docx|xlsx -o FILE [--db …] [--data DIR]\n" + x.label + "を出力します。CODE は監査のコード（例: 2026-IA-01。mamori audit list で確認できます）",
		Flags: func(fs *flag.FlagSet) {
			code = fs.String("engagement", "", "監査のコード（必須）")
			out = fs.String("o", "", "出力ファイル（必須）")
			format = fs.String("format", "", "出力形式: pdf, docx, xlsx（省略時は -o の拡張子から判断）")
		},
		Args: func(pos []string) bool { return len(pos) == 0 && *code != "" && *out != "" },
		Run: func(d module.Deps, _ []string) error {
			ext := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(*format), "."))
			if ext == "" {
				ext = strings.ToLower(strings.TrimPrefix(filepath.Ext(*out), "."))
			}
			f, ok := formats.Get(ext)
			if !ok || ext == "html" {
				return fmt.Errorf("出力形式「%s」には対応していません。--format に pdf・docx・xlsx のいずれかを指定してください", ext)
			}
			s := NewStoreFrom(d)
			e, err := s.EngagementByCode(ctx, *code)
			if err != nil {
				return fmt.Errorf("監査「%s」がありません（mamori audit list でコードを確認してください）", *code)
			}
			var doc *docgen.Document
			write := f.Render
			if x.byFormat != nil {
				var custom func(io.Writer, *docgen.Document) error
				doc, custom, err = x.byFormat(ctx, s, e, f.Name)
				if custom != nil {
					write = custom
				}
			} else {
				doc, err = x.build(ctx, s, e)
			}
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := write(&buf, doc); err != nil {
				return err
			}
			if err := d.Log.Record(ctx, "download", fmt.Sprintf("audit_engagement:%d", e.ID),
				fmt.Sprintf("%s %s（%s、コマンドで出力）", e.Code, x.label, strings.ToUpper(ext))); err != nil {
				return err
			}
			if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cli.Stdout, "%s（%s）の%sを %s に出力しました（%s）。\n", e.Title, e.Code, x.label, *out, strings.ToUpper(ext))
			return nil
		}})
}

// FindingCounts counts an engagement's findings by type.
type FindingCounts struct {
	Finding        int `json:"finding"`
	Recommendation int `json:"recommendation"`
	Good           int `json:"good"`
	Observation    int `json:"observation"`
}

// SummaryRow is one engagement of `mamori audit list`.
type SummaryRow struct {
	Code          string        `json:"code"`
	Kind          Kind          `json:"kind"`
	KindLabel     string        `json:"kind_label"`
	Title         string        `json:"title"`
	System        string        `json:"system,omitempty"`
	Targets       []string      `json:"targets"`
	Phase         Phase         `json:"phase"`
	PhaseLabel    string        `json:"phase_label"`
	Overdue       []Phase       `json:"overdue,omitempty"`
	Items         int           `json:"items"`
	Judged        int           `json:"judged_items"`
	Findings      FindingCounts `json:"findings"`
	OpenFollowups int           `json:"open_followups"`
}

// ListSummary is the year's engagements with their figures.
func (s *Store) ListSummary(ctx context.Context, fy int) ([]SummaryRow, error) {
	es, _, err := s.Engagements(ctx, EngagementFilter{FiscalYear: fy})
	if err != nil {
		return nil, err
	}
	counts := map[int64]*FindingCounts{}
	rows, err := s.db.Query(ctx, `SELECT f.engagement_id, f.type, COUNT(*) FROM audit_findings f JOIN audit_engagements e ON e.id = f.engagement_id
		WHERE e.fiscal_year = ? GROUP BY f.engagement_id, f.type`, fy)
	if err != nil {
		return nil, fmt.Errorf("audit.ListSummary: %w", err)
	}
	for rows.Next() {
		var id int64
		var typ string
		var n int
		if err := rows.Scan(&id, &typ, &n); err != nil {
			rows.Close()
			return nil, err
		}
		c := counts[id]
		if c == nil {
			c = &FindingCounts{}
			counts[id] = c
		}
		switch typ {
		case "finding":
			c.Finding = n
		case "recommendation":
			c.Recommendation = n
		case "good":
			c.Good = n
		case "observation":
			c.Observation = n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]SummaryRow, 0, len(es))
	now := s.now()
	for _, e := range es {
		r := SummaryRow{Code: e.Code, Kind: e.Kind, KindLabel: e.Kind.Label(), Title: e.Title, System: e.System, Targets: []string{},
			Phase: e.Phase, PhaseLabel: e.Phase.Label(), Overdue: e.Overdue(now), Items: e.Items, Judged: e.Judged, OpenFollowups: e.OpenFollowups}
		for _, t := range e.Targets {
			r.Targets = append(r.Targets, t.Path)
		}
		if c := counts[e.ID]; c != nil {
			r.Findings = *c
		}
		out = append(out, r)
	}
	return out, nil
}
