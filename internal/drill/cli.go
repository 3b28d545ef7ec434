package drill

// The module's sub-commands: `mamori drill list` and the exports.

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

const drillUsage = `drill list [--year 2026] [--json]
                           事故対応訓練の一覧（番号・訓練名・所属・シナリオ・日時・状態・評価）を表示します`

// Commands implements module.Commander.
func (m *Module) Commands() []module.Command {
	return []module.Command{
		module.ListCommand{Name: "drill", Usage: drillUsage, What: "事故対応訓練", Rows: listRows}.Command(),
		{Name: "export drill-plan", Usage: exportUsage, Run: runExport("drill-plan")},
		{Name: "export drill-material", Run: runExport("drill-material")},
		{Name: "export drill-controller", Run: runExport("drill-controller")},
		{Name: "export drill-evaluation", Run: runExport("drill-evaluation")},
		{Name: "export drill-annual", Run: runExport("drill-annual")},
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

var exportLabels = map[string]string{"drill-plan": "業務計画書", "drill-material": "訓練資料", "drill-controller": "統制役・評価者用資料",
	"drill-evaluation": "訓練評価報告書", "drill-annual": "訓練結果報告書"}

func runExport(name string) func(ctx context.Context, cli *module.CLI, args []string) error {
	label := exportLabels[name]
	return func(ctx context.Context, cli *module.CLI, args []string) error {
		var code, year, out, format *string
		return cli.Data(ctx, args, module.DataCommand{Name: "export " + name,
			Synopsis: "export " + name + " [--drill CODE] [--year 2026] --format pdf|docx -o FILE [--db …] [--data DIR]\n" + label + "を出力します",
			Flags: func(fs *flag.FlagSet) {
				code = fs.String("drill", "", "訓練の番号（例: DR-R8-01。mamori drill list で確認できます）")
				year = fs.String("year", "", "年度（年間の計画・報告。省略時は現在の年度）")
				out = fs.String("o", "", "出力ファイル（必須）")
				format = fs.String("format", "", "出力形式: pdf, docx（省略時は -o の拡張子から判断）")
			},
			Args: func(pos []string) bool {
				yearly := name == "drill-annual" || name == "drill-plan" && *code == ""
				return len(pos) == 0 && *out != "" && (yearly || *code != "")
			},
			Run: func(d module.Deps, _ []string) error {
				ext := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(*format), "."))
				if ext == "" {
					ext = strings.ToLower(strings.TrimPrefix(filepath.Ext(*out), "."))
				}
				f, err := formats.Parse(ext, "pdf", "docx")
				if err != nil {
					return fmt.Errorf("%sの出力形式「%s」には対応していません。--format に pdf・docx のいずれかを指定してください", label, ext)
				}
				s := NewStore(d)
				now, ward := s.now(), d.Org.WardName(ctx)
				var doc *docgen.Document
				var target, detail string
				if *code == "" {
					fy := d.Org.CurrentFiscalYear(ctx)
					if *year != "" {
						if fy, err = jp.ParseFiscalYear(*year); err != nil || fy < 2000 || fy > 2100 {
							return fmt.Errorf("--year「%s」は年度として読めません（例: 2026、令和8年度）", *year)
						}
					}
					y, err := s.YearOf(ctx, fy)
					if err != nil {
						return err
					}
					if name == "drill-plan" {
						doc, label = y.PlanDocument(ward, now), "業務計画書（年間）"
					} else {
						doc = y.BusinessReport(ward, now)
					}
					target, detail = fmt.Sprintf("drill_plan:%d", fy), fmt.Sprintf("%s %s（%s、コマンドで出力）", jp.FiscalYearLabel(fy), label, f.Label)
				} else {
					x, err := s.ByCode(ctx, strings.TrimSpace(*code))
					if err != nil {
						return fmt.Errorf("訓練「%s」はありません（mamori drill list で確認してください）", *code)
					}
					rec, err := s.RecordOf(ctx, x)
					if err != nil {
						return err
					}
					switch name {
					case "drill-plan":
						doc, label = rec.DayPlan(ward, now), "訓練実施計画書（当日）"
					case "drill-material":
						doc = rec.PlayerHandbook(ward, now)
					case "drill-controller":
						doc = rec.ControllerHandbook(ward, now)
					case "drill-evaluation":
						doc = rec.Evaluation(ward, now)
					default:
						return fmt.Errorf("訓練結果報告書は --year で年度を指定して出力します（--drill は使いません）")
					}
					target, detail = fmt.Sprintf("drill:%d", x.ID), fmt.Sprintf("訓練 %s の%s（%s、コマンドで出力）", x.Code, label, f.Label)
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
