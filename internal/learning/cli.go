package learning

// The module's sub-commands: `mamori learning list [--json]` and `mamori
// export learning-text|learning-completion|certificate`.

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
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/tabular"
)

const learningUsage = `learning list [--year 2026] [--json]
                           研修の実施の一覧（コース・受講期間・対象人数・修了者数・修了率）を表示します`

const exportUsage = `export learning-text|learning-completion|certificate --course CODE [--variant general|system|manager] [--campaign CODE] [--staff 職員番号] --format pdf|docx|xlsx|csv -o FILE
                           研修のテキスト版（pdf・docx）・受講状況の一覧（xlsx・csv）・受講修了証（pdf）を出力します`

// Commands implements module.Commander.
func (m *Module) Commands() []module.Command {
	return []module.Command{
		module.ListCommand{Name: "learning", Usage: learningUsage, What: "研修の実施", Rows: listRows}.Command(),
		{Name: "export learning-text", Usage: exportUsage, Run: runExport("learning-text")},
		{Name: "export learning-completion", Run: runExport("learning-completion")},
		{Name: "export certificate", Run: runExport("certificate")},
	}
}

var _ module.Commander = (*Module)(nil)

// ListRow is one campaign of `mamori learning list`.
type ListRow struct {
	Code           string   `json:"code"`
	FiscalYear     int      `json:"fiscal_year"`
	Title          string   `json:"title"`
	Course         string   `json:"course"`
	CourseTitle    string   `json:"course_title"`
	Variants       []string `json:"variants"`
	OpensOn        string   `json:"opens_on"`
	ClosesOn       string   `json:"closes_on"`
	Assigned       int      `json:"assigned"`
	Started        int      `json:"started"`
	Completed      int      `json:"completed"`
	CompletionRate float64  `json:"completion_rate"` // 0–1
}

// ListRows are fiscal year fy's campaigns (0: all), newest first.
func (s *Store) ListRows(ctx context.Context, fy int) ([]ListRow, error) {
	cs, err := s.Campaigns(ctx, fy)
	if err != nil {
		return nil, err
	}
	out := []ListRow{}
	for _, c := range cs {
		co, err := s.Course(ctx, c.CourseID)
		if err != nil {
			return nil, err
		}
		var vs []string
		for _, v := range co.Variants {
			vs = append(vs, v.Key)
		}
		out = append(out, ListRow{Code: c.Code, FiscalYear: c.FiscalYear, Title: c.Title, Course: co.Code, CourseTitle: co.Title, Variants: vs,
			OpensOn: jp.DateKey(c.Opens), ClosesOn: jp.DateKey(c.Closes), Assigned: c.Assigned, Started: c.Started, Completed: c.Completed,
			CompletionRate: float64(int(c.Rate()*100+0.5)) / 10000})
	}
	return out, nil
}

func parseYear(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	y, err := jp.ParseFiscalYear(s)
	if err != nil || y < 2000 || y > 2100 {
		return 0, fmt.Errorf("--year「%s」は年度として読めません（例: 2026、令和8年度）", s)
	}
	return y, nil
}

// listRows is `mamori learning list`'s rows and table.
func listRows(ctx context.Context, d module.Deps, fy int) (any, [][]string, error) {
	rows, err := NewStore(d).ListRows(ctx, fy)
	if err != nil {
		return nil, nil, err
	}
	table := [][]string{{"コード", "件名", "コース", "受講期間", "対象", "受講開始", "修了", "修了率"}}
	for _, r := range rows {
		table = append(table, []string{r.Code, r.Title, r.Course, r.OpensOn + "～" + r.ClosesOn, fmt.Sprint(r.Assigned), fmt.Sprint(r.Started),
			fmt.Sprint(r.Completed), fmt.Sprintf("%.1f%%", 100*r.CompletionRate)})
	}
	return rows, table, nil
}

var exportFormats = map[string][]string{
	"learning-text":       {"pdf", "docx"},
	"learning-completion": {"xlsx", "csv"},
	"certificate":         {"pdf"},
}

var exportLabels = map[string]string{"learning-text": "テキスト版", "learning-completion": "受講状況の一覧", "certificate": "受講修了証"}

func runExport(name string) func(ctx context.Context, cli *module.CLI, args []string) error {
	allowed := exportFormats[name]
	label := exportLabels[name]
	return func(ctx context.Context, cli *module.CLI, args []string) error {
		var course, variant, campaign, staff, year, out, format *string
		return cli.Data(ctx, args, module.DataCommand{Name: "export " + name,
			Synopsis: "export " + name + " --course CODE [--year 2026] [--variant …] [--campaign CODE] [--staff 職員番号] --format " + strings.Join(allowed, "|") +
				" -o FILE [--db …] [--data DIR]\n研修の" + label + "を出力します。CODE はコースのコード（例: PRIV。mamori learning list で確認できます）",
			Flags: func(fs *flag.FlagSet) {
				course = fs.String("course", "", "コースのコード（必須、例: PRIV）")
				year = fs.String("year", "", "年度（省略時は最新）")
				variant = fs.String("variant", "", "受講者の区分（テキスト版: general, system, manager など。省略時は最初の区分）")
				campaign = fs.String("campaign", "", "研修の実施のコード（省略時はそのコースの最新の実施）")
				staff = fs.String("staff", "", "職員番号（受講修了証に必須）")
				out = fs.String("o", "", "出力ファイル（必須）")
				format = fs.String("format", "", "出力形式: "+strings.Join(allowed, ", ")+"（省略時は -o の拡張子から判断）")
			},
			Args: func(pos []string) bool { return len(pos) == 0 && *course != "" && *out != "" },
			Run: func(d module.Deps, _ []string) error {
				ext := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(*format), "."))
				if ext == "" {
					ext = strings.ToLower(strings.TrimPrefix(filepath.Ext(*out), "."))
				}
				if !strings.Contains(","+strings.Join(allowed, ",")+",", ","+ext+",") {
					return fmt.Errorf("%sの出力形式「%s」には対応していません。--format に %s のいずれかを指定してください", label, ext, strings.Join(allowed, "・"))
				}
				fy, err := parseYear(*year)
				if err != nil {
					return err
				}
				s := NewStore(d)
				co, err := s.CourseByCode(ctx, strings.ToUpper(strings.TrimSpace(*course)), fy)
				if errors.Is(err, database.ErrNotFound) {
					return fmt.Errorf("コース「%s」がありません（mamori learning list で確認してください）", *course)
				}
				if err != nil {
					return err
				}
				var buf bytes.Buffer
				target, detail := fmt.Sprintf("learning_course:%d", co.ID), ""
				switch name {
				case "learning-text":
					v := *variant
					if v == "" {
						v = co.Variants[0].Key
					}
					if co.VariantLabel(v) == v {
						return fmt.Errorf("区分「%s」はコース %s にありません（%s）", v, co.Code, strings.Join(variantKeys(co), "・"))
					}
					ls, err := s.Lessons(ctx, co.ID)
					if err != nil {
						return err
					}
					qs, err := s.Questions(ctx, co.ID)
					if err != nil {
						return err
					}
					f, _ := formats.Get(ext)
					if err := f.Render(&buf, TextDocument(co, ls, qs, v, d.Org.WardName(ctx), s.now())); err != nil {
						return err
					}
					detail = fmt.Sprintf("%s テキスト版（%s、%s、コマンドで出力）", co.Code, co.VariantLabel(v), strings.ToUpper(ext))
				default:
					c, err := s.campaignOfCourse(ctx, co, *campaign)
					if err != nil {
						return err
					}
					roster, err := s.Roster(ctx, c.ID, 0)
					if err != nil {
						return err
					}
					target = fmt.Sprintf("learning_campaign:%d", c.ID)
					if name == "learning-completion" {
						ls, err := s.Lessons(ctx, co.ID)
						if err != nil {
							return err
						}
						per := lessonsPerVariant(ls)
						t := CompletionTable(co, c, roster, per)
						f, _ := tabular.ParseFormat(ext)
						if err := tabular.Write(&buf, f, t); err != nil {
							return err
						}
						detail = fmt.Sprintf("%s 受講状況（%s、%d 人、コマンドで出力）", c.Code, strings.ToUpper(ext), len(t.Rows))
						break
					}
					if *staff == "" {
						return fmt.Errorf("受講修了証には --staff に職員番号を指定してください")
					}
					var found *Assignment
					for i := range roster {
						if roster[i].EmployeeNo == strings.TrimSpace(*staff) {
							found = &roster[i]
						}
					}
					if found == nil {
						return fmt.Errorf("職員番号「%s」の職員は %s の対象にいません", *staff, c.Code)
					}
					if !found.Done() {
						return fmt.Errorf("%s さんは %s をまだ修了していません（%s）", found.StaffName, c.Code, StatusLabel(*found))
					}
					if err := formats.PDF.Render(&buf, CertificateDocument(co, c, *found, found.StaffName, d.Org.WardName(ctx))); err != nil {
						return err
					}
					target = fmt.Sprintf("learning_assignment:%d", found.ID)
					detail = fmt.Sprintf("%s 受講修了証（%s、コマンドで出力）", co.Code, found.StaffName)
				}
				if err := d.Log.Record(ctx, "download", target, detail); err != nil {
					return err
				}
				if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
					return err
				}
				fmt.Fprintf(cli.Stdout, "%s（%s）の%sを %s に出力しました（%s）。\n", co.Title, co.Code, label, *out, strings.ToUpper(ext))
				return nil
			}})
	}
}

// campaignOfCourse is campaign code of course co, or the course's latest.
func (s *Store) campaignOfCourse(ctx context.Context, co Course, code string) (Campaign, error) {
	cs, err := s.Campaigns(ctx, 0)
	if err != nil {
		return Campaign{}, err
	}
	for _, c := range cs {
		if c.CourseID == co.ID && (code == "" || c.Code == code) {
			return c, nil
		}
	}
	if code != "" {
		return Campaign{}, fmt.Errorf("コース %s の研修の実施「%s」がありません（mamori learning list で確認してください）", co.Code, code)
	}
	return Campaign{}, fmt.Errorf("コース %s の研修の実施はまだありません", co.Code)
}
