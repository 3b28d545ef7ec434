package app

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
	"mamori/internal/catalog"
	"mamori/internal/config"
	"mamori/internal/jp"
)

// catalogCmd: `mamori catalog stats [--json]` and `mamori catalog coverage`
// on the shipped catalogue (or --dir, a folder laid out like content/catalog).
func (c CLI) catalogCmd(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "import" {
		return c.catalogImport(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "diff" {
		return c.catalogDiff(args[1:])
	}
	if len(args) > 0 && args[0] == "import-xlsx" {
		return c.catalogImportXLSX(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "export" {
		return c.catalogExport(ctx, args[1:])
	}
	flags := c.plainFlags("catalog", "使い方: mamori catalog stats [--json] | mamori catalog coverage [--dir DIR] | mamori catalog import [--dir DIR] [--db …] [--data DIR]\n       | mamori catalog diff CODE OLD_VERSION NEW_VERSION [--dir DIR]\n       | mamori catalog export KIND VERSION --format xlsx|pdf|docx -o FILE\n       | mamori catalog import-xlsx KIND VERSION FILE [--dry-run] [--delete CODE,…]")
	asJSON := flags.Bool("json", false, "stats: JSON で出力します")
	dir := flags.String("dir", "", "検査するフォルダ（content/catalog と同じ構成。省略時は組み込みの内容）")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || (pos[0] != "stats" && pos[0] != "coverage") {
		flags.Usage()
		return exitError(2)
	}
	cat, err := loadCatalog(*dir)
	if err != nil {
		return err
	}
	if pos[0] == "stats" {
		st := cat.Stats()
		if *asJSON {
			enc := json.NewEncoder(c.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(st)
		}
		for _, t := range st.Templates {
			fmt.Fprintf(c.Stdout, "%s（%s）%d年度版: %d 項目（視察 %d）\n", catalog.Kinds[t.Kind], t.Kind, t.Version, t.Items, t.SiteInspectionItems)
		}
		for _, f := range st.Frameworks {
			fmt.Fprintf(c.Stdout, "%s %s: 条項 %d（項目あり %d、対応経由 %d）\n", f.Code, f.Version, f.Clauses, f.CoveredClauses, f.ViaMappingClauses)
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
			fmt.Fprintf(c.Stdout, "%s:%s %s — 確認する項目がありません\n", code, cl.Number, cl.Title)
			n++
		}
	}
	if n > 0 {
		return fmt.Errorf("%d 件の必須条項に項目がありません: %w", n, catalog.ErrUncovered)
	}
	fmt.Fprintln(c.Stdout, "すべての必須条項に、確認する項目があります。")
	return nil
}

// loadCatalog reads and validates the catalogue from dir, or the shipped one.
func loadCatalog(dir string) (*catalog.Content, error) {
	var fsys fs.FS
	var err error
	if dir != "" {
		fsys = os.DirFS(dir)
	} else if fsys, err = fs.Sub(content.FS, "catalog"); err != nil {
		return nil, err
	}
	cat, err := catalog.Load(fsys)
	if err != nil {
		return nil, fmt.Errorf("カタログの内容に問題があります。何も書き込んでいません:\n%w", err)
	}
	return cat, nil
}

// catalogImport stores the catalogue in the database (one transaction).
func (c CLI) catalogImport(ctx context.Context, args []string) error {
	var dir *string
	return c.runData(ctx, args, dataCommand{name: "catalog import", synopsis: "catalog import [--dir DIR] [--db …] [--data DIR]",
		flags: func(fs *flag.FlagSet) {
			dir = fs.String("dir", "", "取り込むフォルダ（省略時は組み込みの内容）")
		},
		run: func(a *App, _ config.Config, _ []string) error {
			cat, err := loadCatalog(*dir)
			if err != nil {
				return err
			}
			res, err := catalog.Import(ctx, a.DB, a.Log, cat, a.Now())
			if err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "取り込みました: 枠組み %d（既存の版 %d）、条項 %d、条項の対応 %d、チェックリスト %d（凍結済みで据え置き %d）、項目 %d\n",
				res.Frameworks, res.SkippedFrameworks, res.Clauses, res.Mappings, res.Templates, res.SkippedFrozenTemplates, res.Items)
			return nil
		}})
}

// catalogDiff lists the clauses added, removed, renumbered and retitled
// between two editions of a framework.
func (c CLI) catalogDiff(args []string) error {
	flags := c.plainFlags("catalog diff", "使い方: mamori catalog diff CODE OLD_VERSION NEW_VERSION [--dir DIR]\n例: mamori catalog diff ipa-top10 2025 2026")
	dir := flags.String("dir", "", "読み込むフォルダ（省略時は組み込みの内容）")
	pos, err := parse(flags, args)
	if err != nil {
		return err
	}
	if len(pos) != 3 {
		flags.Usage()
		return exitError(2)
	}
	cat, err := loadCatalog(*dir)
	if err != nil {
		return err
	}
	find := func(version string) (*catalog.Framework, error) {
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
	changes := catalog.Diff(old, nw)
	for _, ch := range changes {
		fmt.Fprintln(c.Stdout, ch)
	}
	fmt.Fprintf(c.Stdout, "%s %s → %s: %d 件の違い\n", pos[0], pos[1], pos[2], len(changes))
	return nil
}

// catalogExport writes one stored checklist template: XLSX in the ward's
// spreadsheet layout, PDF or DOCX as the printed checklist. The file is
// built in memory first, so a failure leaves no half-written file.
func (c CLI) catalogExport(ctx context.Context, args []string) error {
	var out, format *string
	return c.runData(ctx, args, dataCommand{name: "catalog export",
		synopsis: "catalog export KIND VERSION --format xlsx|pdf|docx -o FILE [--db …] [--data DIR]\n" +
			"例: mamori catalog export internal 令和8年度 --format pdf -o 内部監査チェックリスト.pdf\n" +
			"KIND は種類のコード（internal, external_assets, external_mynumber, system, outsourcing, cloud, self_assessment）か日本語名、VERSION は年度（2026 / 令和8年度）",
		flags: func(fs *flag.FlagSet) {
			out = fs.String("o", "", "出力ファイル（必須）")
			format = fs.String("format", "", "出力形式: xlsx, pdf, docx（省略時は -o の拡張子から判断）")
		},
		args: func(pos []string) bool { return len(pos) == 2 && *out != "" },
		run: func(a *App, _ config.Config, pos []string) error {
			f := strings.ToLower(strings.TrimSpace(*format))
			if f == "" {
				f = strings.TrimPrefix(strings.ToLower(filepath.Ext(*out)), ".")
			}
			if catalog.ExportFormats[f] == "" {
				return fmt.Errorf("出力形式「%s」には対応していません。--format に xlsx・pdf・docx のいずれかを指定してください", f)
			}
			kind, err := catalog.ParseKind(pos[0])
			if err != nil {
				return err
			}
			version, err := jp.ParseFiscalYear(pos[1])
			if err != nil {
				return fmt.Errorf("VERSION: %w", err)
			}
			st := catalog.NewStore(a.DB)
			t, err := st.TemplateByKind(ctx, kind, version)
			if err != nil {
				return err
			}
			items, err := st.Items(ctx, catalog.ItemFilter{TemplateID: t.ID})
			if err != nil {
				return err
			}
			ward, _ := a.Org.Setting(ctx, "ward_name")
			var buf bytes.Buffer
			if err := catalog.RenderTemplate(&buf, f, t, items, ward, a.Now(), false); err != nil {
				return err
			}
			if err := a.Log.Record(ctx, "download", fmt.Sprintf("checklist_template:%d", t.ID),
				fmt.Sprintf("%s（%d 項目, %s, コマンドで出力）", *out, len(items), catalog.ExportFormats[f])); err != nil {
				return err
			}
			if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "%s %s版（%d 項目）を %s に出力しました（%s）。\n", t.Title, jp.FiscalYearLabel(t.Version), len(items), *out, strings.ToUpper(f))
			return nil
		}})
}
