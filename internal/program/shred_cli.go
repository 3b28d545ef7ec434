package program

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/web"
)

const shredUsage = `shred --year 2026 [--engagement CODE] --by 実施者 --confirm 令和8年度 -o DIR
                           契約終了時の消去：年度（または1件の監査・インシデント）の証跡の暗号鍵を消去し、
                           先に製本した成果物と消去証明書（PDF・DOCX）を DIR に出力します（管理者が実行）
  export shred-certificate --shred N --format pdf|docx -o FILE
                           消去証明書を出力します`

// shredCommand is `mamori shred`. Without --confirm (or with the wrong
// words) it lists what would be destroyed and changes nothing.
func shredCommand() module.Command {
	return module.Command{Name: "shred", Usage: shredUsage, Run: func(ctx context.Context, cli *module.CLI, args []string) error {
		var year, scope, by, confirm, out *string
		return cli.Data(ctx, args, module.DataCommand{Name: "shred",
			Synopsis: "shred --year 2026 [--engagement CODE] --by 実施者 --confirm 令和8年度 -o DIR [--db …] [--data DIR]\n" +
				"契約終了時に、支援事業者が年度に取得した証跡（監査の証跡・インシデントの証拠）の暗号鍵を消去し、復号できないことを確かめます。\n" +
				"消去の前に年度の成果物を製本して DIR に出力し（成果物は消去の対象外）、消去証明書を DIR に出力します。\n" +
				"--confirm を付けずに実行すると、消去の対象を表示するだけで何も変更しません。",
			Flags: func(fs *flag.FlagSet) {
				year = fs.String("year", "", "年度（必須、2026 または 令和8年度）")
				scope = fs.String("engagement", "", "1件の監査（またはインシデント）だけを消去するときの番号（例: R8-IA-01）")
				by = fs.String("by", "", "実施者（消去証明書に記載、例: \"支援事業者 情報太郎\"）")
				confirm = fs.String("confirm", "", "確認の言葉：年度全体は年度（令和8年度）、1件はその番号")
				out = fs.String("o", "", "製本と消去証明書の出力フォルダ（必須）")
			},
			Args: func(pos []string) bool { return len(pos) == 0 && *year != "" && *out != "" },
			Run: func(d module.Deps, _ []string) error {
				fy, err := jp.ParseFiscalYear(*year)
				if err != nil {
					return fmt.Errorf("--year: %w", err)
				}
				if d.Shredders == nil {
					return errors.New("消去できる業務がありません")
				}
				s := NewStore(d)
				plan, err := s.PlanShred(ctx, fy, *scope, d.Shredders())
				if err != nil {
					return err
				}
				files := 0
				fmt.Fprintf(cli.Stdout, "消去の対象（%d 件）:\n", len(plan.Sets))
				for _, x := range plan.Sets {
					files += len(x.Files)
					state := ""
					if !x.Destroyed.IsZero() {
						state = "（鍵は消去済み）"
					}
					fmt.Fprintf(cli.Stdout, "  %s %s %s ファイル %d 件%s\n", x.Label, x.Code, x.Title, len(x.Files), state)
				}
				if *confirm == "" {
					want := jp.FiscalYearLabel(fy)
					if plan.Scope != "" {
						want = plan.Scope
					}
					return fmt.Errorf("消去していません。%d 件・ファイル %d 件の証跡を消去するには、確認のため --confirm %s を付けて実行してください（消去した証跡は二度と読み出せません）", len(plan.Sets), files, want)
				}
				if err := os.MkdirAll(*out, 0o755); err != nil {
					return err
				}
				ward := d.Org.WardName(ctx)
				bind := func(ctx context.Context) (Binder, error) {
					fmt.Fprintln(cli.Stderr, "消去の前に成果物を製本しています…")
					return s.Bind(ctx, fy, ward, d.YearDeliverables, d.Blobs, strings.TrimSpace(*by), nil)
				}
				blobSHA := func(ctx context.Context, id int64) (string, error) {
					b, data, err := d.Blobs.Get(ctx, id)
					if err != nil {
						return "", err
					}
					name := "製本.pdf"
					if strings.HasSuffix(b.Filename, ".zip") {
						name = "電子データ.zip"
					}
					return b.SHA256, os.WriteFile(filepath.Join(*out, name), data, 0o644)
				}
				rec, err := s.Shred(ctx, plan, *confirm, *by, bind, blobSHA)
				if err != nil {
					return err
				}
				doc := CertificateDocument(rec, ward)
				for _, f := range []formats.Format{formats.PDF, formats.DOCX} {
					var buf bytes.Buffer
					if err := f.Render(&buf, doc); err != nil {
						return err
					}
					p := filepath.Join(*out, "消去証明書."+f.Name)
					if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
						return err
					}
					if err := d.Log.Record(ctx, "download", fmt.Sprintf("program_year:%d", fy), fmt.Sprintf("消去証明書（%s、%s、コマンドで出力）", rec.ScopeLabel(), f.Label)); err != nil {
						return err
					}
					fmt.Fprintln(cli.Stdout, p)
				}
				fmt.Fprintf(cli.Stdout, "%d 件・ファイル %d 件の暗号鍵を消去しました。消去後に復号を試み、復号できたファイルは %d 件です（消去の記録 %d）。\n",
					len(rec.Sets), rec.Files(), rec.Readable, rec.ID)
				return nil
			}})
	}}
}

func certificateCommand() module.ExportCommand {
	var id *string
	return module.ExportCommand{Name: "shred-certificate", Label: "消去証明書", Formats: []string{"pdf", "docx"}, Synopsis: "--shred N",
		Flags: func(fs *flag.FlagSet) {
			id = fs.String("shred", "", "消去の記録の番号（mamori shred が表示します。必須）")
		},
		Ready: func() bool { return *id != "" },
		Build: func(ctx context.Context, d module.Deps) (*docgen.Document, string, string, string, error) {
			n, err := strconv.ParseInt(strings.TrimSpace(*id), 10, 64)
			if err != nil {
				return nil, "", "", "", fmt.Errorf("--shred には消去の記録の番号（数字）を指定してください")
			}
			rec, err := NewStore(d).ShredByID(ctx, n)
			if err != nil {
				return nil, "", "", "", fmt.Errorf("消去の記録 %d はありません", n)
			}
			return CertificateDocument(rec, d.Org.WardName(ctx)), "消去証明書", fmt.Sprintf("program_year:%d", rec.FiscalYear), "消去証明書（" + rec.ScopeLabel() + "）", nil
		}}
}

// certificate sends a destruction's certificate (消去証明書).
func (m *Module) certificate(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	rec, err := m.store.ShredByID(r.Context(), id)
	if err != nil {
		return err
	}
	f, err := formats.Parse(r.URL.Query().Get("format"), "pdf", "docx")
	if err != nil {
		return web.Invalid("出力形式は pdf か docx を指定してください。")
	}
	doc := CertificateDocument(rec, m.d.Org.WardName(r.Context()))
	dl := web.Download{Name: web.JoinFileName(f.Name, "消去証明書", jp.FiscalYearLabel(rec.FiscalYear)), ContentType: f.ContentType,
		Target: fmt.Sprintf("program_year:%d", rec.FiscalYear), Detail: fmt.Sprintf("消去証明書（%s、%s）", rec.ScopeLabel(), f.Label)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
}
