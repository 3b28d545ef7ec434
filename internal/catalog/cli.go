package catalog

// This file is `mamori catalog …`: the shipped catalogue's counts and
// coverage, its import into a deployment, the differences between two
// editions of a framework, and a stored checklist version's export and
// import of its edited spreadsheet.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"mamori/content"
	"mamori/internal/jp"
	"mamori/internal/module"
)

// cliUsage is the catalogue's lines of `mamori --help`.
const cliUsage = `catalog stats|coverage     監査項目カタログの件数・条項の網羅を表示します
catalog import [--dir DIR] | catalog diff CODE OLD NEW
                           カタログ（content/catalog）を取り込みます／枠組みの版の違いを表示します
catalog import-xlsx KIND VERSION FILE [--dry-run]
                           編集したチェックリストの Excel を取り込みます（変更内容を表示）
catalog export KIND VERSION --format xlsx|pdf|docx -o FILE
                           チェックリストの版を Excel・PDF・Word で出力します`

// Commands implements module.Commander: `mamori catalog …`.
func (m *Module) Commands() []module.Command {
	return []module.Command{{Name: "catalog", Usage: cliUsage, Run: runCLI}}
}

// runCLI dispatches `mamori catalog SUB …`.
func runCLI(ctx context.Context, cli *module.CLI, args []string) error {
	if len(args) > 0 {
		switch args[0] {
		case "import":
			return cliImport(ctx, cli, args[1:])
		case "diff":
			return cliDiff(cli, args[1:])
		case "import-xlsx":
			return cliImportXLSX(ctx, cli, args[1:])
		case "export":
			return cliExport(ctx, cli, args[1:])
		}
	}
	return cliStats(cli, args)
}

// cliStats: `mamori catalog stats [--json]` and `mamori catalog coverage`
// on the shipped catalogue (or --dir, a folder laid out like content/catalog).
func cliStats(cli *module.CLI, args []string) error {
	flags := cli.Flags("catalog", "使い方: mamori catalog stats [--json] | mamori catalog coverage [--dir DIR] | mamori catalog import [--dir DIR] [--db …] [--data DIR]\n       | mamori catalog diff CODE OLD_VERSION NEW_VERSION [--dir DIR]\n       | mamori catalog export KIND VERSION --format xlsx|pdf|docx -o FILE\n       | mamori catalog import-xlsx KIND VERSION FILE [--dry-run] [--delete CODE,…]")
	asJSON := flags.Bool("json", false, "stats: JSON で出力します")
	dir := flags.String("dir", "", "検査するフォルダ（content/catalog と同じ構成。省略時は組み込みの内容）")
	pos, err := module.ParseArgs(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (pos[0] != "stats" && pos[0] != "coverage") {
		flags.Usage()
		return module.ExitCode(2)
	}
	cat, err := loadContent(*dir)
	if err != nil {
		return err
	}
	if pos[0] == "stats" {
		st := cat.Stats()
		if *asJSON {
			enc := json.NewEncoder(cli.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(st)
		}
		for _, t := range st.Templates {
			fmt.Fprintf(cli.Stdout, "%s（%s）%d年度版: %d 項目（視察 %d）\n", Kinds[t.Kind], t.Kind, t.Version, t.Items, t.SiteInspectionItems)
		}
		for _, f := range st.Frameworks {
			fmt.Fprintf(cli.Stdout, "%s %s: 条項 %d（項目あり %d、対応経由 %d）\n", f.Code, f.Version, f.Clauses, f.CoveredClauses, f.ViaMappingClauses)
		}
		return nil
	}
	un := cat.Uncovered()
	codes := make([]string, 0, len(un))
	for code := range un {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	n := 0
	for _, code := range codes {
		for _, cl := range un[code] {
			fmt.Fprintf(cli.Stdout, "%s:%s %s — 確認する項目がありません\n", code, cl.Number, cl.Title)
			n++
		}
	}
	if n > 0 {
		return fmt.Errorf("%d 件の必須条項に項目がありません: %w", n, ErrUncovered)
	}
	fmt.Fprintln(cli.Stdout, "すべての必須条項に、確認する項目があります。")
	return nil
}

// loadContent reads and validates the catalogue from dir, or the shipped one.
func loadContent(dir string) (*Content, error) {
	var fsys fs.FS
	var err error
	if dir != "" {
		fsys = os.DirFS(dir)
	} else if fsys, err = fs.Sub(content.FS, "catalog"); err != nil {
		return nil, err
	}
	cat, err := Load(fsys)
	if err != nil {
		return nil, fmt.Errorf("カタログの内容に問題があります。何も書き込んでいません:\n%w", err)
	}
	return cat, nil
}

// cliImport stores the catalogue in the database (one transaction).
func cliImport(ctx context.Context, cli *module.CLI, args []string) error {
	var dir *string
	return cli.Data(ctx, args, module.DataCommand{Name: "catalog import", Synopsis: "catalog import [--dir DIR] [--db …] [--data DIR]",
		Flags: func(fs *flag.FlagSet) {
			dir = fs.String("dir", "", "取り込むフォルダ（省略時は組み込みの内容）")
		},
		Run: func(d module.Deps, _ []string) error {
			cat, err := loadContent(*dir)
			if err != nil {
				return err
			}
			res, err := Import(ctx, d.DB, d.Log, cat, d.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(cli.Stdout, "取り込みました: 枠組み %d（既存の版 %d）、条項 %d、条項の対応 %d、チェックリスト %d（凍結済みで据え置き %d）、項目 %d\n",
				res.Frameworks, res.SkippedFrameworks, res.Clauses, res.Mappings, res.Templates, res.SkippedFrozenTemplates, res.Items)
			return nil
		}})
}

// cliDiff lists the clauses added, removed, renumbered and retitled
// between two editions of a framework.
func cliDiff(cli *module.CLI, args []string) error {
	flags := cli.Flags("catalog diff", "使い方: mamori catalog diff CODE OLD_VERSION NEW_VERSION [--dir DIR]\n例: mamori catalog diff ipa-top10 2025 2026")
	dir := flags.String("dir", "", "読み込むフォルダ（省略時は組み込みの内容）")
	pos, err := module.ParseArgs(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 3 {
		flags.Usage()
		return module.ExitCode(2)
	}
	cat, err := loadContent(*dir)
	if err != nil {
		return err
	}
	find := func(version string) (*Framework, error) {
		var versions []string
		for _, f := range cat.Frameworks {
			if f.Code == pos[0] {
				if f.Version == version {
					return f, nil
				}
				versions = append(versions, f.Version)
			}
		}
		return nil, fmt.Errorf("枠組み %s の版 %q はありません（ある版: %v）", pos[0], version, versions)
	}
	old, err := find(pos[1])
	if err != nil {
		return err
	}
	nw, err := find(pos[2])
	if err != nil {
		return err
	}
	changes := Diff(old, nw)
	for _, ch := range changes {
		fmt.Fprintln(cli.Stdout, ch)
	}
	fmt.Fprintf(cli.Stdout, "%s %s → %s: %d 件の違い\n", pos[0], pos[1], pos[2], len(changes))
	return nil
}

// cliExport writes one stored checklist template: XLSX in the ward's
// spreadsheet layout, PDF or DOCX as the printed checklist. The file is
// built in memory first, so a failure leaves no half-written file.
func cliExport(ctx context.Context, cli *module.CLI, args []string) error {
	var out, format *string
	return cli.Data(ctx, args, module.DataCommand{Name: "catalog export",
		Synopsis: "catalog export KIND VERSION --format xlsx|pdf|docx -o FILE [--db …] [--data DIR]\n" +
			"例: mamori catalog export internal 令和8年度 --format pdf -o 内部監査チェックリスト.pdf\n" +
			"KIND は種類のコード（internal, external_assets, external_mynumber, system, outsourcing, cloud, self_assessment）か日本語名、VERSION は年度（2026 / 令和8年度）",
		Flags: func(fs *flag.FlagSet) {
			out = fs.String("o", "", "出力ファイル（必須）")
			format = fs.String("format", "", "出力形式: xlsx, pdf, docx（省略時は -o の拡張子から判断）")
		},
		Args: func(pos []string) bool { return len(pos) == 2 && *out != "" },
		Run: func(d module.Deps, pos []string) error {
			f := strings.ToLower(strings.TrimSpace(*format))
			if f == "" {
				f = strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
			}
			if ExportFormats[f] == "" {
				return fmt.Errorf("出力形式「%s」には対応していません。--format に xlsx・pdf・docx のいずれかを指定してください", f)
			}
			kind, err := ParseKind(pos[0])
			if err != nil {
				return err
			}
			version, err := jp.ParseFiscalYear(pos[1])
			if err != nil {
				return fmt.Errorf("VERSION: %w", err)
			}
			st := NewStore(d.DB)
			t, err := st.TemplateByKind(ctx, kind, version)
			if err != nil {
				return err
			}
			items, err := st.Items(ctx, ItemFilter{TemplateID: t.ID})
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := RenderTemplate(&buf, f, t, items, d.Org.WardName(ctx), d.Now(), false); err != nil {
				return err
			}
			if err := d.Log.Record(ctx, "download", fmt.Sprintf("checklist_template:%d", t.ID),
				fmt.Sprintf("%s（%d 項目, %s, コマンドで出力）", *out, len(items), ExportFormats[f])); err != nil {
				return err
			}
			if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cli.Stdout, "%s %s版（%d 項目）を %s に出力しました（%s）。\n", t.Title, jp.FiscalYearLabel(t.Version), len(items), *out, strings.ToUpper(f))
			return nil
		}})
}

// cliImportXLSX imports an edited checklist workbook into the template of
// KIND and VERSION, printing the same report as the preview screen;
// --dry-run writes nothing.
func cliImportXLSX(ctx context.Context, cli *module.CLI, args []string) error {
	var dry *bool
	var del *string
	return cli.Data(ctx, args, module.DataCommand{Name: "catalog import-xlsx",
		Synopsis: "catalog import-xlsx KIND VERSION FILE [--dry-run] [--delete CODE,…] [--db …] [--data DIR]\n例: mamori catalog import-xlsx internal 2026 内部監査チェックリスト.xlsx --dry-run",
		Flags: func(fs *flag.FlagSet) {
			dry = fs.Bool("dry-run", false, "確認だけして何も書き込みません")
			del = fs.String("delete", "", "ファイルにない項目のうち削除する項目コード（カンマ区切り。省略時はすべて残します）")
		},
		Args: func(pos []string) bool { return len(pos) == 3 },
		Run: func(d module.Deps, pos []string) error {
			kind, err := ParseKind(pos[0])
			if err != nil {
				return err
			}
			version, err := jp.ParseFiscalYear(pos[1])
			if err != nil {
				return fmt.Errorf("年度 %q: %w", pos[1], err)
			}
			t, err := NewStore(d.DB).TemplateByKind(ctx, kind, version)
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
			plan, res, err := ImportXLSX(ctx, d.DB, d.Log, t.ID, filepath.Base(pos[2]), data, XLSXOptions{Delete: codes, DryRun: *dry}, d.Now())
			if plan != nil {
				plan.Report(cli.Stdout)
			}
			switch {
			case err != nil:
				return err
			case *dry:
				fmt.Fprintln(cli.Stdout, "--dry-run のため何も書き込んでいません。")
			case res.Changed+res.Added+res.Deleted == 0 && !plan.Reordered:
				fmt.Fprintln(cli.Stdout, "変更がないため何も書き込んでいません。")
			default:
				fmt.Fprintf(cli.Stdout, "取り込みました: 変更 %d・追加 %d・削除 %d・残した項目 %d・変更なし %d\n", res.Changed, res.Added, res.Deleted, res.Kept, res.Unchanged)
			}
			return nil
		}})
}
