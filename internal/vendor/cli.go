package vendor

// The module's sub-commands: `mamori vendor list` and the exports.

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/module"
)

const vendorUsage = `vendor list [--year 2026] [--json]
                           委託・クラウドの審査の一覧（番号・サービス・事業者・所属・状況・決定・次回の再審査・ISMAP の期限）を表示します`

const exportUsage = `export vendor-questionnaire|vendor-review --request CODE --format pdf|docx|xlsx -o FILE
export vendor-workbook --request CODE -o FILE.xlsx   （事業者が記入して返す回答用の Excel）
                           委託・クラウドの審査の確認事項（調査票）・審査結果を出力します`

// Commands implements module.Commander.
func (m *Module) Commands() []module.Command {
	return []module.Command{
		vendorCommand(),
		exportCommand("vendor-questionnaire", "確認事項", exportUsage, (*Record).QuestionnaireDocument).Command(),
		exportCommand("vendor-review", "審査結果", "", (*Record).ReviewDocument).Command(),
		workbookCommand().Command(),
	}
}

// ListRow is one request of `mamori vendor list`.
type ListRow struct {
	Code         string      `json:"code"`
	FiscalYear   int         `json:"fiscal_year"`
	Kind         string      `json:"kind"`
	Service      string      `json:"service"`
	Vendor       string      `json:"vendor"`
	Department   string      `json:"department"`
	State        string      `json:"state"`
	StateLabel   string      `json:"state_label"`
	Decision     string      `json:"decision"`
	Conditions   []Condition `json:"conditions"`
	Items        int         `json:"items"`
	Answered     int         `json:"answered"`
	Submissions  int         `json:"submissions"`
	NextReviewOn *time.Time  `json:"next_review_on"`
	ISMAPExpires *time.Time  `json:"ismap_expires"`
}

func datePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func listRows(ctx context.Context, d module.Deps, fy int) (any, [][]string, error) {
	s := NewStore(d)
	rs, err := s.Requests(ctx, fy)
	if err != nil {
		return nil, nil, err
	}
	rows := []ListRow{}
	table := [][]string{{"番号", "サービス・契約", "事業者", "所属", "状況", "決定", "回答", "次回の再審査", "ISMAP の期限"}}
	for _, r := range rs {
		rec, err := s.RecordOf(ctx, r)
		if err != nil {
			return nil, nil, err
		}
		answered := 0
		for _, i := range rec.Items {
			if i.Answer != "" {
				answered++
			}
		}
		rows = append(rows, ListRow{Code: r.Code, FiscalYear: r.FiscalYear, Kind: r.Kind, Service: r.ServiceName, Vendor: r.VendorName, Department: r.Department,
			State: string(r.State), StateLabel: r.State.Label(), Decision: r.Decision, Conditions: append([]Condition{}, rec.Conds...), Items: len(rec.Items),
			Answered: answered, Submissions: len(rec.Subs), NextReviewOn: datePtr(r.NextReviewOn), ISMAPExpires: datePtr(r.ISMAPExpires)})
		table = append(table, []string{r.Code, r.ServiceName, r.VendorName, r.Department, r.State.Label(), or(r.DecisionLabel(), "—"),
			fmt.Sprintf("%d/%d", answered, len(rec.Items)), wareki(r.NextReviewOn), wareki(r.ISMAPExpires)})
	}
	return rows, table, nil
}

func exportCommand(name, label, usage string, build func(*Record, string, time.Time) *docgen.Document) module.ExportCommand {
	var code *string
	return module.ExportCommand{Name: name, Usage: usage, Label: label, Formats: []string{"pdf", "docx", "xlsx"}, Synopsis: "--request CODE",
		Flags: func(fs *flag.FlagSet) {
			code = fs.String("request", "", "審査の番号（例: VR-R8-001。mamori vendor list で確認できます）")
		},
		Ready: func() bool { return *code != "" },
		Build: func(ctx context.Context, d module.Deps) (*docgen.Document, string, string, string, error) {
			s := NewStore(d)
			r, err := s.ByCode(ctx, strings.TrimSpace(*code))
			if err != nil {
				return nil, "", "", "", fmt.Errorf("審査「%s」はありません（mamori vendor list で確認してください）", *code)
			}
			rec, err := s.RecordOf(ctx, r)
			if err != nil {
				return nil, "", "", "", err
			}
			return build(rec, d.Org.WardName(ctx), s.now()), label, fmt.Sprintf("vendor_request:%d", r.ID), fmt.Sprintf("%s の%s", r.Code, label), nil
		}}
}

const importUsage = `vendor import-xlsx --request CODE FILE [--dry-run]
                           事業者が記入した確認事項の Excel を取り込みます（--dry-run は変わる回答の一覧だけを表示）`

// vendorCommand is `mamori vendor list …` and `mamori vendor import-xlsx …`.
func vendorCommand() module.Command {
	list := module.ListCommand{Name: "vendor", Usage: vendorUsage, What: "委託・クラウドの審査", Rows: listRows}.Command()
	imp := importCommand()
	return module.Command{Name: "vendor", Usage: vendorUsage + "\n" + importUsage, Run: func(ctx context.Context, cli *module.CLI, args []string) error {
		if len(args) > 0 && args[0] == "import-xlsx" {
			return imp.Run(ctx, cli, args[1:])
		}
		return list.Run(ctx, cli, args)
	}}
}

// importCommand is `mamori vendor import-xlsx`.
func importCommand() module.Command {
	return module.Command{Name: "vendor import-xlsx", Run: func(ctx context.Context, cli *module.CLI, args []string) error {
		var code *string
		var dry, submit *bool
		return cli.Data(ctx, args, module.DataCommand{Name: "vendor import-xlsx",
			Synopsis: "vendor import-xlsx --request CODE FILE [--dry-run] [--submit] [--db …] [--data DIR]\n事業者が記入した確認事項の Excel を取り込みます",
			Flags: func(fs *flag.FlagSet) {
				code = fs.String("request", "", "審査の番号（例: VR-R8-002）")
				dry = fs.Bool("dry-run", false, "取り込まずに、変わる回答の一覧だけを表示します")
				submit = fs.Bool("submit", false, "取り込んだ回答を事業者からの提出として扱います")
			},
			Args: func(pos []string) bool { return len(pos) == 1 && *code != "" },
			Run: func(d module.Deps, pos []string) error {
				s := NewStore(d)
				r, err := s.ByCode(ctx, strings.TrimSpace(*code))
				if err != nil {
					return fmt.Errorf("審査「%s」はありません（mamori vendor list で確認してください）", *code)
				}
				data, err := os.ReadFile(pos[0])
				if err != nil {
					return fmt.Errorf("ファイル「%s」を読めません: %w", pos[0], err)
				}
				name := filepath.Base(pos[0])
				plan, err := s.PlanImport(ctx, r, name, data)
				if err != nil {
					return err
				}
				if !plan.OK() {
					_ = d.Log.Record(ctx, "vendor.import_refused", fmt.Sprintf("vendor_request:%d", r.ID), fmt.Sprintf("%s の Excel「%s」の取込みを拒否（コマンド）：%s", r.Code, name, plan.Errors[0]))
					return fmt.Errorf("取り込めません（何も変更していません）:\n  %s", strings.Join(plan.Errors, "\n  "))
				}
				for _, c := range plan.Changes {
					fmt.Fprintf(cli.Stdout, "%d行目 %s: %s → %s%s\n", c.Row, c.Code, or(c.OldAnswer, "未回答"), or(c.NewAnswer, or(c.OldAnswer, "未回答")),
						map[bool]string{true: "（説明を更新）", false: ""}[c.NewNote != ""])
				}
				if *dry {
					fmt.Fprintf(cli.Stdout, "変わる回答 %d 項目、変わらない %d 項目（--dry-run のため取り込んでいません）。\n", len(plan.Changes), plan.Unchanged)
					return nil
				}
				n, err := s.ApplyImport(ctx, r, plan.Rev, plan.Changes, name, *submit)
				if err != nil {
					return err
				}
				fmt.Fprintf(cli.Stdout, "%d 項目の回答を取り込みました。\n", n)
				return nil
			}})
	}}
}

// workbookCommand is `mamori export vendor-workbook`: the questionnaire as
// the Excel the vendor fills in and returns (hidden keys and revision).
func workbookCommand() module.ExportCommand {
	ec := exportCommand("vendor-workbook", "確認事項（回答用 Excel）", "", (*Record).Workbook)
	ec.Formats, ec.Write = []string{"xlsx"}, WriteWorkbook
	return ec
}
