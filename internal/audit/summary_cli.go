package audit

// This file is `mamori export audit-summary` and `mamori export
// issue-list`: the year's documents from the command line.

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/module"
)

// yearExport is a document of a fiscal year the CLI can write.
type yearExport struct {
	name    string   // after `mamori export`
	label   string   // Japanese, for messages
	formats []string // the first is the default
	build   func(ctx context.Context, s *Store, fy int, format string) (*docgen.Document, error)
}

var yearExports = []yearExport{
	{name: "audit-summary", label: summaryTitle, formats: []string{"pdf", "docx"},
		build: func(ctx context.Context, s *Store, fy int, _ string) (*docgen.Document, error) {
			return s.SummaryDocument(ctx, fy)
		}},
	{name: "issue-list", label: issueListTitle, formats: []string{"xlsx", "pdf"},
		build: func(ctx context.Context, s *Store, fy int, format string) (*docgen.Document, error) {
			if format == "pdf" {
				return s.IssueMatrixDocument(ctx, fy)
			}
			return s.IssueListDocument(ctx, fy)
		}},
}

// summaryCommands are the year's exports as sub-commands (cli.go adds
// them to the module's commands).
func summaryCommands() []module.Command {
	var out []module.Command
	for _, x := range yearExports {
		usage := fmt.Sprintf("export %s --year 2026 --format %s -o FILE\n                           %s（内部監査の年度のまとめ）を出力します",
			x.name, strings.Join(x.formats, "|"), x.label)
		out = append(out, module.Command{Name: "export " + x.name, Usage: usage, Run: x.run})
	}
	return out
}

// run is `mamori export NAME --year Y --format F -o FILE`.
func (x yearExport) run(ctx context.Context, cli *module.CLI, args []string) error {
	var year, out, format *string
	return cli.Data(ctx, args, module.DataCommand{Name: "export " + x.name,
		Synopsis: "export " + x.name + " --year 2026 --format " + strings.Join(x.formats, "|") + " -o FILE [--db …] [--data DIR]\n" + x.label + "を出力します",
		Flags: func(fs *flag.FlagSet) {
			year = fs.String("year", "", "年度（西暦の開始年 2026 又は 令和8年度。省略時は現在の年度）")
			out = fs.String("o", "", "出力ファイル（必須）")
			format = fs.String("format", "", "出力形式: "+strings.Join(x.formats, ", ")+"（省略時は -o の拡張子から判断）")
		},
		Args: func(pos []string) bool { return len(pos) == 0 && *out != "" },
		Run: func(d module.Deps, _ []string) error {
			fy := d.Org.CurrentFiscalYear(ctx)
			if strings.TrimSpace(*year) != "" {
				y, err := jp.ParseFiscalYear(*year)
				if err != nil {
					return fmt.Errorf("--year「%s」を年度として読めません（例: 2026、令和8年度）", *year)
				}
				fy = y
			}
			ext := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(*format), "."))
			if ext == "" {
				ext = strings.ToLower(strings.TrimPrefix(filepath.Ext(*out), "."))
			}
			f, err := formats.Parse(ext, x.formats...)
			if err != nil {
				return fmt.Errorf("--format: %w", err)
			}
			s := NewStoreFrom(d)
			doc, err := x.build(ctx, s, fy, f.Name)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := f.Render(&buf, doc); err != nil {
				return err
			}
			if err := d.Log.Record(ctx, "download", fmt.Sprintf("fiscal_year:%d", fy),
				fmt.Sprintf("%s %s（%s、コマンドで出力）", jp.FiscalYearLabel(fy), x.label, strings.ToUpper(f.Name))); err != nil {
				return err
			}
			if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cli.Stdout, "%sの%sを %s に出力しました（%s）。\n", jp.FiscalYearLabel(fy), x.label, *out, strings.ToUpper(f.Name))
			return nil
		}})
}
