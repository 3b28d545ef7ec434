package program

// The module's sub-command: `mamori program status`.

import (
	"context"
	"fmt"
	"time"

	"mamori/internal/jp"
	"mamori/internal/module"
)

const programUsage = `program status [--year 2026] [--json]
                           年度の工程（各業務の作業と独自の作業）、遅延・要注意と次の節目を表示します`

// Commands implements module.Commander.
func (m *Module) Commands() []module.Command {
	list := module.ListCommand{Name: "program", Usage: programUsage, What: "工程の作業", Rows: statusRows}.Command()
	return []module.Command{{Name: "program", Usage: programUsage, Run: func(ctx context.Context, cli *module.CLI, args []string) error {
		if len(args) > 0 && args[0] == "status" {
			args = append([]string{"list"}, args[1:]...)
		}
		return list.Run(ctx, cli, args)
	}}, workPlanCommand().Command(), minutesCommand().Command(), nextPlanCommand().Command(),
		shredCommand(), certificateCommand().Command()}
}

// StatusRow is one task of `mamori program status --json`.
type StatusRow struct {
	Workstream      int        `json:"workstream"`
	WorkstreamLabel string     `json:"workstream_label"`
	Module          string     `json:"module,omitempty"`
	Task            string     `json:"task"`
	Owner           string     `json:"owner"`
	Milestone       bool       `json:"milestone"`
	Start           *time.Time `json:"start"`
	End             *time.Time `json:"end"`
	Progress        int        `json:"progress"`
	Status          string     `json:"status"`
	StatusLabel     string     `json:"status_label"`
	Why             string     `json:"why,omitempty"`
	Replanned       bool       `json:"replanned"`
}

func datePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func statusRows(ctx context.Context, d module.Deps, fy int) (any, [][]string, error) {
	if fy == 0 {
		fy = d.Org.CurrentFiscalYear(ctx)
	}
	sc, err := NewStore(d).ScheduleOf(ctx, fy, d.YearProgress)
	if err != nil {
		return nil, nil, err
	}
	rows := []StatusRow{}
	table := [][]string{{"状況", "業務", "作業", "担当", "予定", "進捗", "検知した内容"}}
	for _, r := range sc.Rows {
		rows = append(rows, StatusRow{Workstream: r.Workstream, WorkstreamLabel: r.WorkstreamLabel(), Module: r.Module, Task: r.Title, Owner: r.Owner,
			Milestone: r.Milestone, Start: datePtr(r.Start), End: datePtr(r.End), Progress: r.Percent(), Status: r.Status, StatusLabel: r.StatusLabel(),
			Why: r.Why, Replanned: r.Replanned()})
		table = append(table, []string{r.StatusLabel(), r.WorkstreamLabel(), r.Title, r.Owner, jp.FormatWareki(r.Start) + "〜" + jp.FormatWareki(r.End),
			fmt.Sprintf("%d%%", r.Percent()), r.Why})
	}
	return rows, table, nil
}
