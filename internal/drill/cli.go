package drill

// The module's sub-commands: `mamori drill list` and the exports.

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

const drillUsage = `drill list [--year 2026] [--json]
                           事故対応訓練の一覧（番号・訓練名・所属・シナリオ・日時・状態・評価）を表示します`

// Commands implements module.Commander.
func (m *Module) Commands() []module.Command {
	return []module.Command{
		module.ListCommand{Name: "drill", Usage: drillUsage, What: "事故対応訓練", Rows: listRows}.Command(),
		exportCommand("drill-plan", "業務計画書", exportUsage).Command(),
		exportCommand("drill-material", "訓練資料", "").Command(),
		exportCommand("drill-controller", "統制役・評価者用資料", "").Command(),
		exportCommand("drill-evaluation", "訓練評価報告書", "").Command(),
		exportCommand("drill-annual", "訓練結果報告書", "").Command(),
	}
}

// ListRow is one drill of `mamori drill list`.
type ListRow struct {
	Code         string            `json:"code"`
	FiscalYear   int               `json:"fiscal_year"`
	Title        string            `json:"title"`
	Department   string            `json:"department"`
	Scenario     string            `json:"scenario"`
	Threat       string            `json:"threat"`
	PlannedAt    time.Time         `json:"planned_at"`
	StartedAt    *time.Time        `json:"started_at"`
	EndedAt      *time.Time        `json:"ended_at"`
	State        string            `json:"state"`
	StateLabel   string            `json:"state_label"`
	Participants int               `json:"participants"`
	Ratings      map[string]string `json:"ratings"`
	Improvements int               `json:"improvements"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func listRows(ctx context.Context, d module.Deps, fy int) (any, [][]string, error) {
	s := NewStore(d)
	ds, err := s.Drills(ctx, fy)
	if err != nil {
		return nil, nil, err
	}
	rows := []ListRow{}
	table := [][]string{{"番号", "訓練名", "所属", "シナリオ", "日時", "状態", "評価", "改善点"}}
	for _, x := range ds {
		rec, err := s.RecordOf(ctx, x)
		if err != nil {
			return nil, nil, err
		}
		r := ListRow{Code: x.Code, FiscalYear: x.FiscalYear, Title: x.Title, Department: x.Department, Scenario: x.ScenarioCode, Threat: rec.S.Threat,
			PlannedAt: x.PlannedAt, StartedAt: timePtr(x.StartedAt), EndedAt: timePtr(x.EndedAt), State: string(x.State), StateLabel: x.State.Label(),
			Participants: len(rec.Participants), Ratings: map[string]string{}, Improvements: len(rec.Improvements)}
		var rs []string
		for _, o := range rec.S.Objectives {
			if v, ok := rec.Ratings[o.Key]; ok {
				r.Ratings[o.Key] = v.Rating
				rs = append(rs, o.Key+":"+v.Rating)
			}
		}
		rows = append(rows, r)
		table = append(table, []string{x.Code, x.Title, x.Department, x.ScenarioCode, jp.FormatWarekiDateTime(x.PlannedAt), x.State.Label(),
			strings.Join(rs, " "), fmt.Sprint(len(rec.Improvements))})
	}
	return rows, table, nil
}

const exportUsage = `export drill-plan (--year 2026 | --drill CODE) --format pdf|docx -o FILE
export drill-material|drill-controller|drill-evaluation --drill CODE --format pdf|docx -o FILE
export drill-annual [--year 2026] --format pdf|docx -o FILE
                           事故対応訓練の業務計画書（年間・当日）・訓練資料・統制役用資料・評価報告書・訓練結果報告書を出力します`

// exportCommand is one of the drill exports: by --drill CODE, or for a
// year by --year (the annual plan and the business report).
func exportCommand(name, label, usage string) module.ExportCommand {
	var code, year *string
	yearly := name == "drill-annual" || name == "drill-plan"
	return module.ExportCommand{Name: name, Usage: usage, Label: label, Formats: []string{"pdf", "docx"},
		Synopsis: map[bool]string{true: "[--year 2026]", false: "--drill CODE"}[name == "drill-annual"],
		Flags: func(fs *flag.FlagSet) {
			if name != "drill-annual" {
				code = fs.String("drill", "", "訓練の番号（例: DR-R8-01。mamori drill list で確認できます）")
			}
			if yearly {
				year = fs.String("year", "", "年度（年間の計画・報告。省略時は現在の年度）")
			}
		},
		Ready: func() bool { return yearly && (code == nil || *code == "") || code != nil && *code != "" },
		Build: func(ctx context.Context, d module.Deps) (*docgen.Document, string, string, string, error) {
			s := NewStore(d)
			now, ward := s.now(), d.Org.WardName(ctx)
			if code == nil || *code == "" {
				fy := d.Org.CurrentFiscalYear(ctx)
				if *year != "" {
					var err error
					if fy, err = jp.ParseFiscalYear(*year); err != nil || fy < 2000 || fy > 2100 {
						return nil, "", "", "", fmt.Errorf("--year「%s」は年度として読めません（例: 2026、令和8年度）", *year)
					}
				}
				y, err := s.YearOf(ctx, fy)
				if err != nil {
					return nil, "", "", "", err
				}
				doc, l := y.BusinessReport(ward, now), label
				if name == "drill-plan" {
					doc, l = y.PlanDocument(ward, now), "業務計画書（年間）"
				}
				return doc, l, fmt.Sprintf("drill_plan:%d", fy), jp.FiscalYearLabel(fy) + " " + l, nil
			}
			x, err := s.ByCode(ctx, strings.TrimSpace(*code))
			if err != nil {
				return nil, "", "", "", fmt.Errorf("訓練「%s」はありません（mamori drill list で確認してください）", *code)
			}
			rec, err := s.RecordOf(ctx, x)
			if err != nil {
				return nil, "", "", "", err
			}
			build, l := map[string]func(*Record, string, time.Time) *docgen.Document{
				"drill-plan": (*Record).DayPlan, "drill-material": (*Record).PlayerHandbook,
				"drill-controller": (*Record).ControllerHandbook, "drill-evaluation": (*Record).Evaluation}[name], label
			if name == "drill-plan" {
				l = "訓練実施計画書（当日）"
			}
			return build(rec, ward, now), l, fmt.Sprintf("drill:%d", x.ID), fmt.Sprintf("訓練 %s の%s", x.Code, l), nil
		}}
}
