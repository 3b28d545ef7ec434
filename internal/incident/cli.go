package incident

// The module's sub-command: `mamori incident list [--year 2026] [--json]`.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"time"

	"mamori/internal/jp"
	"mamori/internal/module"
)

const incidentUsage = `incident list [--year 2026] [--json]
                           インシデントの一覧（番号・件名・種類・レベル・状態・認知日時・対象人数・期限を過ぎた報告）を表示します`

// Commands implements module.Commander.
func (m *Module) Commands() []module.Command {
	return []module.Command{{Name: "incident", Usage: incidentUsage, Run: runIncident}}
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

func runIncident(ctx context.Context, cli *module.CLI, args []string) error {
	if len(args) == 0 || args[0] != "list" {
		fmt.Fprintln(cli.Stderr, "使い方: mamori "+strings.ReplaceAll(incidentUsage, "\n", "\n       "))
		return module.ExitCode(2)
	}
	var year *string
	var asJSON *bool
	return cli.Data(ctx, args[1:], module.DataCommand{Name: "incident list",
		Synopsis: "incident list [--year 2026] [--json] [--db …] [--data DIR]\nインシデントの一覧を表示します",
		Flags: func(fs *flag.FlagSet) {
			year = fs.String("year", "", "年度（2026、令和8年度。省略時はすべての年度）")
			asJSON = fs.Bool("json", false, "JSON で出力します")
		},
		Args: func(pos []string) bool { return len(pos) == 0 },
		Run: func(d module.Deps, _ []string) error {
			fy := 0
			if *year != "" {
				y, err := jp.ParseFiscalYear(*year)
				if err != nil || y < 2000 || y > 2100 {
					return fmt.Errorf("--year「%s」は年度として読めません（例: 2026、令和8年度）", *year)
				}
				fy = y
			}
			rows, err := NewStore(d).ListRows(ctx, fy)
			if err != nil {
				return err
			}
			if *asJSON {
				enc := json.NewEncoder(cli.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rows)
			}
			if len(rows) == 0 {
				fmt.Fprintln(cli.Stdout, "インシデントはありません。")
				return nil
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
			jp.WriteColumns(cli.Stdout, table)
			return nil
		}})
}
