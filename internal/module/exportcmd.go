package module

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
)

// ExportCommand is `mamori export NAME … --format F -o FILE`: one document
// of the deployment written to a file, recorded in the audit log as a
// download. The format comes from --format or the file's extension.
type ExportCommand struct {
	Name     string   // e.g. "drill-evaluation"
	Usage    string   // lines for `mamori --help` (only one command of a family needs them)
	Label    string   // the document, e.g. 訓練評価報告書
	Formats  []string // the formats offered, e.g. pdf, docx
	Synopsis string   // the arguments before --format, e.g. "--drill CODE"
	// Flags adds the command's own flags (the document's object, a year).
	Flags func(fs *flag.FlagSet)
	// Ready reports whether the flags name what is needed (after parsing).
	Ready func() bool
	// Build makes the document; target and detail are the audit log's
	// (detail without the format), label what the message calls it.
	Build func(ctx context.Context, d Deps) (doc *docgen.Document, label, target, detail string, err error)
	// Write, when set, writes the document instead of the format's
	// renderer (a workbook with hidden keys for an Excel round trip).
	Write func(w io.Writer, doc *docgen.Document) error
}

// Command is the sub-command.
func (ec ExportCommand) Command() Command {
	return Command{Name: "export " + ec.Name, Usage: ec.Usage, Run: ec.run}
}

func (ec ExportCommand) run(ctx context.Context, cli *CLI, args []string) error {
	var out, format *string
	return cli.Data(ctx, args, DataCommand{Name: "export " + ec.Name,
		Synopsis: strings.TrimSpace("export "+ec.Name+" "+ec.Synopsis) + " --format " + strings.Join(ec.Formats, "|") + " -o FILE [--db …] [--data DIR]\n" + ec.Label + "を出力します",
		Flags: func(fs *flag.FlagSet) {
			if ec.Flags != nil {
				ec.Flags(fs)
			}
			out = fs.String("o", "", "出力ファイル（必須）")
			format = fs.String("format", "", "出力形式: "+strings.Join(ec.Formats, ", ")+"（省略時は -o の拡張子から判断）")
		},
		Args: func(pos []string) bool { return len(pos) == 0 && *out != "" && (ec.Ready == nil || ec.Ready()) },
		Run: func(d Deps, _ []string) error {
			ext := strings.ToLower(strings.TrimPrefix(strings.TrimSpace(*format), "."))
			if ext == "" {
				ext = strings.ToLower(strings.TrimPrefix(filepath.Ext(*out), "."))
			}
			f, err := formats.Parse(ext, ec.Formats...)
			if err != nil {
				return fmt.Errorf("%sの出力形式「%s」には対応していません。--format に %s のいずれかを指定してください", ec.Label, ext, strings.Join(ec.Formats, "・"))
			}
			doc, label, target, detail, err := ec.Build(ctx, d)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			render := f.Render
			if ec.Write != nil {
				render = ec.Write
			}
			if err := render(&buf, doc); err != nil {
				return err
			}
			if err := d.Log.Record(ctx, "download", target, fmt.Sprintf("%s（%s、コマンドで出力）", detail, f.Label)); err != nil {
				return err
			}
			if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(cli.Stdout, "%sを %s に出力しました（%s）。\n", label, *out, f.Label)
			return nil
		}})
}
