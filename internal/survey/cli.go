package survey

// This file is the module's sub-commands: `mamori survey list [--json]`
// and `mamori export survey-report|survey-briefing|survey-answers`; the
// questionnaire's `export survey-form` is form_cli.go's.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mamori/internal/database"
	"mamori/internal/docgen/formats"
	"mamori/internal/module"
	"mamori/internal/tabular"
)

const surveyUsage = `survey list [--year 2026] [--json]
                           自己点検の実施の一覧（対象者・期間・対象人数・回答数・回答率）を表示します`

const resultsExportUsage = `export survey-report|survey-briefing|survey-answers --campaign CODE --format pdf|docx|xlsx|csv -o FILE
                           自己点検の調査結果報告書（pdf・docx）・報告会資料（pdf）・回答データ（xlsx・csv）を出力します`

// Commands implements module.Commander.
func (m *Module) Commands() []module.Command {
	cmds := []module.Command{
		module.ListCommand{Name: "survey", Usage: surveyUsage, What: "自己点検の実施", Rows: listRows}.Command(),
		{Name: "export survey-report", Usage: resultsExportUsage, Run: resultsExport("survey-report")},
		{Name: "export survey-briefing", Run: resultsExport("survey-briefing")},
		{Name: "export survey-answers", Run: resultsExport("survey-answers")},
	}
	return append(cmds, m.formCommands()...)
}

var _ module.Commander = (*Module)(nil)

// ListRow is one campaign of `mamori survey list`.
type ListRow struct {
	Code        string   `json:"code"`
	FiscalYear  int      `json:"fiscal_year"`
	Title       string   `json:"title"`
	State       string   `json:"state"`
	StateLabel  string   `json:"state_label"`
	Audiences   []string `json:"audiences"`
	Anonymous   bool     `json:"anonymous"`
	OpensOn     string   `json:"opens_on"`
	ClosesOn    string   `json:"closes_on"`
	Departments string   `json:"departments"` // the target departments: 「全庁」 or their paths
	Targets     int      `json:"targets"`     // people asked

	Responses    int     `json:"responses"`
	ResponseRate float64 `json:"response_rate"` // 0–1
}

// ListRows are the campaigns of fiscal year fy (0: every year), newest
// first, as the command lists them.
func (s *Store) ListRows(ctx context.Context, fy int) ([]ListRow, error) {
	cs, err := s.Campaigns(ctx, fy)
	if err != nil {
		return nil, fmt.Errorf("survey.ListRows: %w", err)
	}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return nil, fmt.Errorf("survey.ListRows: %w", err)
	}
	targets, err := s.campaignTargets(ctx)
	if err != nil {
		return nil, fmt.Errorf("survey.ListRows: %w", err)
	}
	out := make([]ListRow, 0, len(cs))
	for _, c := range cs {
		c.Departments = targets[c.ID]
		auds := c.Audiences
		if auds == nil {
			auds = []string{}
		}
		out = append(out, ListRow{Code: c.Code, FiscalYear: c.FiscalYear, Title: c.Title, State: c.State, StateLabel: c.StateLabel(), Audiences: auds,
			Anonymous: c.Anonymous, OpensOn: dateKey(c.OpensOn), ClosesOn: dateKey(c.ClosesOn), Departments: targetLabel(tree, c),
			Targets: c.Invited, Responses: c.Answered, ResponseRate: float64(int(c.Rate()*10000+0.5)) / 10000})
	}
	return out, nil
}

// listRows is `mamori survey list`'s rows and table.
func listRows(ctx context.Context, d module.Deps, fy int) (any, [][]string, error) {
	rows, err := NewStore(d).ListRows(ctx, fy)
	if err != nil {
		return nil, nil, err
	}
	table := [][]string{{"コード", "件名", "対象者", "回答期間", "状態", "対象人数", "回答数", "回答率"}}
	for _, r := range rows {
		var auds []string
		for _, a := range r.Audiences {
			auds = append(auds, AudienceLabel(a))
		}
		table = append(table, []string{r.Code, r.Title, strings.Join(auds, "・"), r.OpensOn + "～" + r.ClosesOn, r.StateLabel,
			fmt.Sprint(r.Targets), fmt.Sprint(r.Responses), fmt.Sprintf("%.1f%%", 100*r.ResponseRate)})
	}
	return rows, table, nil
}

// resultsExports are what each export writes and in which formats.
var resultsExports = map[string]struct {
	label   string
	formats []string
}{
	"survey-report":   {ReportTitle, []string{"pdf", "docx"}},
	"survey-briefing": {BriefingTitle, []string{"pdf"}},
	"survey-answers":  {AnswersTitle, []string{"xlsx", "csv"}},
}

// resultsExport is `mamori export NAME --campaign CODE --format F -o FILE`.
func resultsExport(name string) func(ctx context.Context, cli *module.CLI, args []string) error {
	x := resultsExports[name]
	return func(ctx context.Context, cli *module.CLI, args []string) error {
		var code, out, format *string
		return cli.Data(ctx, args, module.DataCommand{Name: "export " + name,
			Synopsis: "export " + name + " --campaign CODE --format " + strings.Join(x.formats, "|") + " -o FILE [--db …] [--data DIR]\n" +
				x.label + "を出力します。CODE は自己点検の実施のコード（例: 2026-SC-01。mamori survey list で確認できます）",
			Flags: func(fs *flag.FlagSet) {
				code = fs.String("campaign", "", "自己点検の実施のコード（必須）")
				out = fs.String("o", "", "出力ファイル（必須）")
				format = fs.String("format", "", "出力形式: "+strings.Join(x.formats, ", ")+"（省略時は -o の拡張子から判断）")
			},
			Args: func(pos []string) bool { return len(pos) == 0 && *code != "" && *out != "" },
			Run: func(d module.Deps, _ []string) error {
				ext := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(*format), "."))
				if ext == "" {
					ext = strings.ToLower(strings.TrimPrefix(filepath.Ext(*out), "."))
				}
				if !strings.Contains(","+strings.Join(x.formats, ",")+",", ","+ext+",") {
					return fmt.Errorf("%sの出力形式「%s」には対応していません。--format に %s のいずれかを指定してください", x.label, ext, strings.Join(x.formats, "・"))
				}
				s := NewStore(d)
				c, err := s.CampaignByCode(ctx, *code)
				if errors.Is(err, database.ErrNotFound) {
					return fmt.Errorf("自己点検の実施「%s」がありません（mamori survey list でコードを確認してください）", *code)
				}
				if err != nil {
					return err
				}
				if c.State == StateDraft {
					return fmt.Errorf("自己点検の実施「%s」はまだ回答の受付を始めていないため、結果がありません", c.Code)
				}
				a, err := s.Analyze(ctx, c.ID)
				if err != nil {
					return err
				}
				var buf bytes.Buffer
				rows := 0
				if name == "survey-answers" {
					t, err := s.AnswersTable(ctx, a)
					if err != nil {
						return err
					}
					f, _ := tabular.ParseFormat(ext)
					if err := tabular.Write(&buf, f, t); err != nil {
						return err
					}
					rows = len(t.Rows)
				} else {
					f, _ := formats.Get(ext)
					doc, _ := resultsDoc(strings.TrimPrefix(name, "survey-"), a)
					if err := f.Render(&buf, doc); err != nil {
						return err
					}
				}
				detail := fmt.Sprintf("%s %s（%s、コマンドで出力）", c.Code, x.label, strings.ToUpper(ext))
				if err := d.Log.Record(ctx, "download", fmt.Sprintf("survey_campaign:%d", c.ID), detail); err != nil {
					return err
				}
				if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
					return err
				}
				msg := fmt.Sprintf("%s（%s）の%sを %s に出力しました（%s", c.Title, c.Code, x.label, *out, strings.ToUpper(ext))
				if name == "survey-answers" {
					msg += fmt.Sprintf("、%d 件", rows)
				}
				fmt.Fprintln(cli.Stdout, msg+"）。")
				return nil
			}})
	}
}
