package survey

// This file is `mamori export survey-form`: the 調査票 for paper (PDF,
// DOCX) or the question list (XLSX) of a fiscal year or of a campaign.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/module"
)

const formUsage = `export survey-form --year 2026 [--audience general|system|protection] --format pdf|docx|xlsx -o FILE
       export survey-form --campaign CODE …
                           自己点検の調査票（紙用の PDF・Word）または設問一覧（Excel）を出力します`

// formCommands are the questionnaire's sub-commands (the module's
// Commands lists them).
func (m *Module) formCommands() []module.Command {
	return []module.Command{{Name: "export survey-form", Usage: formUsage, Run: runFormExport}}
}

func runFormExport(ctx context.Context, cli *module.CLI, args []string) error {
	var year, audience, campaign, format, out *string
	return cli.Data(ctx, args, module.DataCommand{Name: "export survey-form",
		Synopsis: "export survey-form --year 2026 [--audience general] --format pdf|docx|xlsx -o FILE [--db …] [--data DIR]\n" +
			"自己点検の調査票（pdf・docx: 紙で配る調査票、xlsx: 確認用の設問一覧）を出力します。--campaign CODE を指定すると、その実施の年度と対象者の調査票になります",
		Flags: func(fs *flag.FlagSet) {
			year = fs.String("year", "", "年度（2026、令和8年度。--campaign がなければ必須）")
			audience = fs.String("audience", "", "対象者: general（一般職員）・system（システム担当者）・protection（保護担当者）。省略時は全員分")
			campaign = fs.String("campaign", "", "実施のコード（例: 2026-SC-01。年度と対象者をそこから取ります）")
			format = fs.String("format", "", "出力形式: pdf, docx, xlsx（省略時は -o の拡張子から判断）")
			out = fs.String("o", "", "出力ファイル（必須）")
		},
		Args: func(pos []string) bool { return len(pos) == 0 && *out != "" && (*year != "" || *campaign != "") },
		Run: func(d module.Deps, _ []string) error {
			s := NewStore(d)
			var fy int
			var auds []string
			if *campaign != "" {
				c, err := s.CampaignByCode(ctx, *campaign)
				if errors.Is(err, database.ErrNotFound) {
					return fmt.Errorf("自己点検の実施「%s」がありません（コードは 2026-SC-01 の形です）", *campaign)
				}
				if err != nil {
					return err
				}
				fy, auds = c.FiscalYear, c.Audiences
			}
			if *year != "" {
				y, err := jp.ParseFiscalYear(*year)
				if err != nil || y < 2000 || y > 2100 {
					return fmt.Errorf("--year「%s」は年度として読めません（例: 2026、令和8年度）", *year)
				}
				if fy != 0 && y != fy {
					return fmt.Errorf("--year %d と実施 %s の年度（%d）が違います", y, *campaign, fy)
				}
				fy = y
			}
			if *audience != "" {
				a, err := ParseAudience(*audience)
				if err != nil {
					return err
				}
				auds = []string{a}
			}
			ext := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(*format), "."))
			if ext == "" {
				ext = strings.ToLower(strings.TrimPrefix(filepath.Ext(*out), "."))
			}
			f, err := s.QuestionnaireFile(ctx, fy, auds, ext)
			var fe FieldErrors
			if errors.As(err, &fe) {
				return errors.New(strings.TrimSuffix(fe.Error(), "。"))
			}
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := f.Render(&buf); err != nil {
				return err
			}
			if err := d.Log.Record(ctx, "download", "survey_year:"+strconv.Itoa(fy),
				fmt.Sprintf("%s（%d 問、コマンドで出力）", f.Name, f.Count)); err != nil {
				return err
			}
			if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cli.Stdout, "%s を %s に出力しました（%d 問、%s）。\n", f.Name, *out, f.Count, strings.ToUpper(ext))
			return nil
		}})
}
