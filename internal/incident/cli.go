package incident

// The module's sub-command: `mamori incident list [--year 2026] [--json]`.

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/module"
)

const incidentUsage = `incident list [--year 2026] [--json]
                           インシデントの一覧（番号・件名・種類・レベル・状態・認知日時・対象人数・期限を過ぎた報告）を表示します`

// Commands implements module.Commander.
func (m *Module) Commands() []module.Command {
	return []module.Command{
		module.ListCommand{Name: "incident", Usage: incidentUsage, What: "インシデント", Rows: listRows}.Command(),
		exportCommand("incident-report", exportUsage).Command(),
		exportCommand("ppc-report", "").Command(),
		exportCommand("incident-annual", "").Command(),
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

func exportCommand(name, usage string) module.ExportCommand {
	label := exportLabels[name]
	var code, year *string
	annual := name == "incident-annual"
	return module.ExportCommand{Name: name, Usage: usage, Label: label, Formats: exportFormats[name],
		Synopsis: map[bool]string{true: "[--year 2026]", false: "--incident CODE"}[annual],
		Flags: func(fs *flag.FlagSet) {
			if annual {
				year = fs.String("year", "", "年度（年間総括。省略時は現在の年度）")
			} else {
				code = fs.String("incident", "", "インシデントの番号（例: 2026-IN-001。mamori incident list で確認できます）")
			}
		},
		Ready: func() bool { return annual || *code != "" },
		Build: func(ctx context.Context, d module.Deps) (*docgen.Document, string, string, string, error) {
			s := NewStore(d)
			now, ward := s.now(), d.Org.WardName(ctx)
			if annual {
				fy := d.Org.CurrentFiscalYear(ctx)
				if *year != "" {
					var err error
					if fy, err = jp.ParseFiscalYear(*year); err != nil || fy < 2000 || fy > 2100 {
						return nil, "", "", "", fmt.Errorf("--year「%s」は年度として読めません（例: 2026、令和8年度）", *year)
					}
				}
				a, err := s.AnnualOf(ctx, fy, now)
				if err != nil {
					return nil, "", "", "", err
				}
				return a.Document(ward, now), label, "incident_annual", jp.FiscalYearLabel(fy) + " " + label, nil
			}
			is, err := s.List(ctx, 0)
			if err != nil {
				return nil, "", "", "", err
			}
			var found *Incident
			for k := range is {
				if is[k].Code == strings.TrimSpace(*code) {
					found = &is[k]
				}
			}
			if found == nil {
				return nil, "", "", "", fmt.Errorf("インシデント「%s」はありません（mamori incident list で確認してください）", *code)
			}
			rec, err := s.RecordOf(ctx, *found)
			if err != nil {
				return nil, "", "", "", err
			}
			doc := rec.ReportDocument(ward, now)
			if name == "ppc-report" {
				doc = rec.CommissionDocument(ward, now)
			}
			return doc, label, fmt.Sprintf("incident:%d", found.ID), fmt.Sprintf("インシデント %s の%s", found.Code, label), nil
		}}
}
