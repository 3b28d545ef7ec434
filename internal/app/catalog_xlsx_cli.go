package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mamori/internal/catalog"
	"mamori/internal/config"
	"mamori/internal/jp"
)

// catalogImportXLSX imports an edited checklist workbook into the
// template of KIND and VERSION, printing the same report as the preview
// screen; --dry-run writes nothing.
func (c CLI) catalogImportXLSX(ctx context.Context, args []string) error {
	var dry *bool
	var del *string
	return c.runData(ctx, args, dataCommand{name: "catalog import-xlsx",
		synopsis: "catalog import-xlsx KIND VERSION FILE [--dry-run] [--delete CODE,…] [--db …] [--data DIR]\n例: mamori catalog import-xlsx internal 2026 内部監査チェックリスト.xlsx --dry-run",
		flags: func(fs *flag.FlagSet) {
			dry = fs.Bool("dry-run", false, "確認だけして何も書き込みません")
			del = fs.String("delete", "", "ファイルにない項目のうち削除する項目コード（カンマ区切り。省略時はすべて残します）")
		},
		args: func(pos []string) bool { return len(pos) == 3 },
		run: func(a *App, _ config.Config, pos []string) error {
			kind, err := catalog.ParseKind(pos[0])
			if err != nil {
				return err
			}
			version, err := jp.ParseFiscalYear(pos[1])
			if err != nil {
				return fmt.Errorf("年度 %q: %w", pos[1], err)
			}
			t, err := catalog.NewStore(a.DB).TemplateByKind(ctx, kind, version)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(pos[2])
			if err != nil {
				return fmt.Errorf("%s を読めません: %w", pos[2], err)
			}
			var codes []string
			for _, s := range strings.Split(*del, ",") {
				if s = strings.TrimSpace(s); s != "" {
					codes = append(codes, s)
				}
			}
			plan, res, err := catalog.ImportXLSX(ctx, a.DB, a.Log, t.ID, filepath.Base(pos[2]), data, catalog.XLSXOptions{Delete: codes, DryRun: *dry}, a.Now())
			if plan != nil {
				plan.Report(c.Stdout)
			}
			switch {
			case err != nil:
				return err
			case *dry:
				fmt.Fprintln(c.Stdout, "--dry-run のため何も書き込んでいません。")
			case res.Changed+res.Added+res.Deleted == 0 && !plan.Reordered:
				fmt.Fprintln(c.Stdout, "変更がないため何も書き込んでいません。")
			default:
				fmt.Fprintf(c.Stdout, "取り込みました: 変更 %d・追加 %d・削除 %d・残した項目 %d・変更なし %d\n", res.Changed, res.Added, res.Deleted, res.Kept, res.Unchanged)
			}
			return nil
		}})
}
