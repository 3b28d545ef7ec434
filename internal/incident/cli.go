package incident

// The module's sub-command: `mamori incident list [--year 2026] [--json]`.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/module"
)

const incidentUsage = `incident list [--year 2026] [--json]
                           インシデントの一覧（番号・件名・種類・レベル・状態・認知日時・対象人数・期限を過ぎた報告）を表示します`

// Commands implements module.Commander.
func (m *Module) Commands() []module.Command {
	return []module.Command{
		module.ListCommand{Name: "incident", Usage: incidentUsage, What: "インシデント", Rows: listRows}.Command(),
		{Name: "export incident-report", Usage: exportUsage, Run: runExport("incident-report")},
		{Name: "export ppc-report", Run: runExport("ppc-report")},
		{Name: "export incident-annual", Run: runExport("incident-annual")},
	}
}

// ListRow is one incident of `mamori incident list`.
type ListRow struct {
	Code       string     `json:"code"`
	FiscalYear int        `json:"fiscal_year"`
	Title      string     `json:"title"`
	Category   string     `json:"category"`
	Level      int        `json:"level"`
	State      string     `json:"state"`
	StateLabel string     `json:"state_label"`
	Lead       string     `json:"lead_department"`
	OccurredAt *time.Time `json:"occurred_at"`
	AwareAt    time.Time  `json:"aware_at"`
	ClosedAt   *time.Time `json:"closed_at"`
	Persons    int        `json:"persons"`
	Facts      []string   `json:"facts"`
	Deadlines  []DueRow   `json:"deadlines"`
}

// DueRow is one report or notice of a ListRow.
type DueRow struct {
	Rule    string     `json:"rule"`
	Label   string     `json:"label"`
	Due     *time.Time `json:"due"`
	Guide   bool       `json:"guide"`
	DoneAt  *time.Time `json:"done_at"`
	Overdue bool       `json:"overdue"`
}

func opt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// ListRows are fiscal year fy's incidents (0: all) with their deadlines.
func (s *Store) ListRows(ctx context.Context, fy int) ([]ListRow, error) {
	is, err := s.List(ctx, fy)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := []ListRow{}
	for _, i := range is {
		ds, err := s.Deadlines(ctx, i)
		if err != nil {
			return nil, err
		}
		r := ListRow{Code: i.Code, FiscalYear: i.FiscalYear, Title: i.Title, Category: i.Category, Level: i.Severity, State: string(i.State),
			StateLabel: i.State.Label(), Lead: i.LeadDepartment, OccurredAt: opt(i.OccurredAt), AwareAt: i.AwareAt, ClosedAt: opt(i.ClosedAt),
			Persons: i.Persons, Facts: append([]string{}, i.Flags...), Deadlines: []DueRow{}}
		for _, d := range ds {
			r.Deadlines = append(r.Deadlines, DueRow{Rule: d.Rule.Key, Label: d.Rule.Label, Due: opt(d.Due), Guide: d.Guide, DoneAt: opt(d.DoneAt),
				Overdue: d.Overdue(now)})
		}
		out = append(out, r)
	}
	return out, nil
}

// listRows is `mamori incident list`'s rows and table.
func listRows(ctx context.Context, d module.Deps, fy int) (any, [][]string, error) {
	rows, err := NewStore(d).ListRows(ctx, fy)
	if err != nil {
		return nil, nil, err
	}
	table := [][]string{{"番号", "件名", "種類", "レベル", "状態", "認知日時", "人数", "期限超過"}}
	for _, r := range rows {
		over := 0
		for _, d := range r.Deadlines {
			if d.Overdue {
				over++
			}
		}
		table = append(table, []string{r.Code, jp.TruncateWidth(r.Title, 40), r.Category, fmt.Sprint(r.Level), r.StateLabel,
			jp.FormatWarekiDateTime(r.AwareAt), fmt.Sprint(r.Persons), fmt.Sprint(over)})
	}
	return rows, table, nil
}

const exportUsage = `export incident-report|ppc-report --incident CODE --format pdf|docx -o FILE
export incident-annual [--year 2026] --format pdf|docx|xlsx -o FILE
                           インシデントの再発防止レポート・漏えい等報告（案）・年間総括を出力します`

var exportFormats = map[string][]string{"incident-report": {"pdf", "docx"}, "ppc-report": {"pdf", "docx"}, "incident-annual": {"pdf", "docx", "xlsx"}}

var exportLabels = map[string]string{"incident-report": "再発防止レポート", "ppc-report": "漏えい等報告（案）", "incident-annual": "インシデント対応の年間総括"}

func runExport(name string) func(ctx context.Context, cli *module.CLI, args []string) error {
	allowed, label := exportFormats[name], exportLabels[name]
	return func(ctx context.Context, cli *module.CLI, args []string) error {
		var code, year, out, format *string
		return cli.Data(ctx, args, module.DataCommand{Name: "export " + name,
			Synopsis: "export " + name + " [--incident CODE] [--year 2026] --format " + strings.Join(allowed, "|") + " -o FILE [--db …] [--data DIR]\n" + label + "を出力します",
			Flags: func(fs *flag.FlagSet) {
				code = fs.String("incident", "", "インシデントの番号（例: 2026-IN-001。mamori incident list で確認できます）")
				year = fs.String("year", "", "年度（年間総括。省略時は現在の年度）")
				out = fs.String("o", "", "出力ファイル（必須）")
				format = fs.String("format", "", "出力形式: "+strings.Join(allowed, ", ")+"（省略時は -o の拡張子から判断）")
			},
			Args: func(pos []string) bool {
				return len(pos) == 0 && *out != "" && (name == "incident-annual" || *code != "")
			},
			Run: func(d module.Deps, _ []string) error {
				ext := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(*format), "."))
				if ext == "" {
					ext = strings.ToLower(strings.TrimPrefix(filepath.Ext(*out), "."))
				}
				f, err := formats.Parse(ext, allowed...)
				if err != nil {
					return fmt.Errorf("%sの出力形式「%s」には対応していません。--format に %s のいずれかを指定してください", label, ext, strings.Join(allowed, "・"))
				}
				s := NewStore(d)
				now, ward := s.now(), d.Org.WardName(ctx)
				var doc *docgen.Document
				target, detail := "incident_annual", ""
				if name == "incident-annual" {
					fy := d.Org.CurrentFiscalYear(ctx)
					if *year != "" {
						if fy, err = jp.ParseFiscalYear(*year); err != nil || fy < 2000 || fy > 2100 {
							return fmt.Errorf("--year「%s」は年度として読めません（例: 2026、令和8年度）", *year)
						}
					}
					a, err := s.AnnualOf(ctx, fy, now)
					if err != nil {
						return err
					}
					doc = a.Document(ward, now)
					detail = fmt.Sprintf("%s %s（%s、コマンドで出力）", jp.FiscalYearLabel(fy), label, f.Label)
				} else {
					is, err := s.List(ctx, 0)
					if err != nil {
						return err
					}
					var found *Incident
					for k := range is {
						if is[k].Code == strings.TrimSpace(*code) {
							found = &is[k]
						}
					}
					if found == nil {
						return fmt.Errorf("インシデント「%s」はありません（mamori incident list で確認してください）", *code)
					}
					rec, err := s.RecordOf(ctx, *found)
					if err != nil {
						return err
					}
					if name == "ppc-report" {
						doc = rec.CommissionDocument(ward, now)
					} else {
						doc = rec.ReportDocument(ward, now)
					}
					target, detail = fmt.Sprintf("incident:%d", found.ID), fmt.Sprintf("インシデント %s の%s（%s、コマンドで出力）", found.Code, label, f.Label)
				}
				var buf bytes.Buffer
				if err := f.Render(&buf, doc); err != nil {
					return err
				}
				if err := d.Log.Record(ctx, "download", target, detail); err != nil {
					return err
				}
				if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
					return err
				}
				fmt.Fprintf(cli.Stdout, "%sを %s に出力しました（%s）。\n", label, *out, f.Label)
				return nil
			}})
	}
}
