package scan

// The module's sub-commands: `mamori scan list|import|check` and the
// exports of the plan and the report.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"mamori/internal/docgen"
	"mamori/internal/module"
	"mamori/internal/scan/parse"
)

const scanUsage = `scan list [--year 2026] [--json]
                           情報システム監査の技術的検証（計画・時間帯・検出事項の件数）の一覧を表示します
scan import --engagement CODE FILE [--format nmap|openvas|trivy|sarif|csv] [--dry-run]
                           スキャナの結果を取り込みます（--dry-run は新規・継続・解消・再発の件数だけを表示）
scan check --engagement CODE
                           検証計画の対象・時間帯・接続の上限の範囲で、組込み検査（TLS・HTTP・TCP）を実行します`

const exportUsage = `export tech-plan --engagement CODE --format pdf|docx -o FILE
export tech-report --engagement CODE --format pdf|docx|xlsx -o FILE
                           技術的検証実施計画書・技術的検証結果報告書を出力します`

// Commands implements module.Commander.
func (m *Module) Commands() []module.Command {
	return []module.Command{
		m.scanCommand(),
		m.exportCommand("tech-plan", "技術的検証実施計画書", exportUsage, []string{"pdf", "docx"}, func(ctx context.Context, d module.Deps, e module.AuditEngagement) (*docgen.Document, error) {
			s := NewStore(d)
			p, err := s.PlanOf(ctx, e.ID)
			if err != nil {
				return nil, err
			}
			return PlanDocument(e, p, d.Org.WardName(ctx), s.now()), nil
		}).Command(),
		m.exportCommand("tech-report", "技術的検証結果報告書", "", []string{"pdf", "docx", "xlsx"}, func(ctx context.Context, d module.Deps, e module.AuditEngagement) (*docgen.Document, error) {
			return NewStore(d).ReportDocument(ctx, e, d.Org.WardName(ctx))
		}).Command(),
	}
}

func engagementByCode(ctx context.Context, d module.Deps, code string) (module.AuditEngagement, error) {
	if d.Engagements == nil || d.Engagements() == nil {
		return module.AuditEngagement{}, errors.New("監査の機能が組み込まれていません")
	}
	e, err := d.Engagements().AuditEngagementByCode(ctx, strings.TrimSpace(code))
	if err != nil {
		return e, fmt.Errorf("監査「%s」はありません（mamori audit list で確認してください）", code)
	}
	if !e.System {
		return e, fmt.Errorf("監査「%s」は%sです。技術的検証は情報システム監査で行います", e.Code, e.KindLabel)
	}
	return e, nil
}

func (m *Module) exportCommand(name, label, usage string, fmts []string, build func(context.Context, module.Deps, module.AuditEngagement) (*docgen.Document, error)) module.ExportCommand {
	var code *string
	return module.ExportCommand{Name: name, Usage: usage, Label: label, Formats: fmts, Synopsis: "--engagement CODE",
		Flags: func(fs *flag.FlagSet) {
			code = fs.String("engagement", "", "情報システム監査のコード（例: 2026-SA-01。mamori scan list で確認できます）")
		},
		Ready: func() bool { return *code != "" },
		Build: func(ctx context.Context, d module.Deps) (*docgen.Document, string, string, string, error) {
			e, err := engagementByCode(ctx, d, *code)
			if err != nil {
				return nil, "", "", "", err
			}
			doc, err := build(ctx, d, e)
			if err != nil {
				return nil, "", "", "", err
			}
			return doc, label, fmt.Sprintf("audit_engagement:%d", e.ID), fmt.Sprintf("%s の%s", e.Code, label), nil
		}}
}

// ListRow is one system audit of `mamori scan list`.
type ListRow struct {
	Engagement string `json:"engagement"`
	System     string `json:"system"`
	Planned    bool   `json:"planned"`
	Approved   bool   `json:"approved"`
	Aborted    bool   `json:"aborted"`
	Window     string `json:"window"`
	Findings   int    `json:"findings"`
	Active     int    `json:"active"`
	Critical   int    `json:"critical_active"`
	High       int    `json:"high_active"`
}

func (m *Module) scanCommand() module.Command {
	list := module.ListCommand{Name: "scan", Usage: scanUsage, What: "技術的検証", Rows: func(ctx context.Context, d module.Deps, fy int) (any, [][]string, error) {
		if d.Engagements == nil || d.Engagements() == nil {
			return nil, nil, errors.New("監査の機能が組み込まれていません")
		}
		es, err := d.Engagements().AuditEngagements(ctx, fy)
		if err != nil {
			return nil, nil, err
		}
		s := NewStore(d)
		rows := []ListRow{}
		table := [][]string{{"監査", "対象システム", "計画", "時間帯", "検出事項", "未対応", "うち緊急・高"}}
		for _, e := range es {
			if !e.System {
				continue
			}
			p, err := s.PlanOf(ctx, e.ID)
			if err != nil {
				return nil, nil, err
			}
			var c Counts
			if p.Saved() {
				if c, err = s.CountsOf(ctx, p.ID); err != nil {
					return nil, nil, err
				}
			}
			state := "未作成"
			switch {
			case p.Aborted:
				state = "中止中"
			case p.Approved():
				state = "承認済"
			case p.Saved():
				state = "未承認"
			}
			rows = append(rows, ListRow{Engagement: e.Code, System: e.SystemName, Planned: p.Saved(), Approved: p.Approved(), Aborted: p.Aborted,
				Window: p.WindowLabel(), Findings: c.Total, Active: c.ActiveTotal, Critical: c.Active[0], High: c.Active[1]})
			table = append(table, []string{e.Code, e.SystemName, state, p.WindowLabel(), fmt.Sprint(c.Total), fmt.Sprint(c.ActiveTotal),
				fmt.Sprintf("%d・%d", c.Active[0], c.Active[1])})
		}
		return rows, table, nil
	}}.Command()
	return module.Command{Name: "scan", Usage: scanUsage, Run: func(ctx context.Context, cli *module.CLI, args []string) error {
		if len(args) > 0 {
			switch args[0] {
			case "import":
				return m.importCommand(ctx, cli, args[1:])
			case "check":
				return m.checkCommand(ctx, cli, args[1:])
			}
		}
		return list.Run(ctx, cli, args)
	}}
}

func (m *Module) importCommand(ctx context.Context, cli *module.CLI, args []string) error {
	var code, format *string
	var dry *bool
	return cli.Data(ctx, args, module.DataCommand{Name: "scan import",
		Synopsis: "scan import --engagement CODE FILE [--format nmap|openvas|trivy|sarif|csv] [--dry-run] [--db …] [--data DIR]\nスキャナの結果を情報システム監査に取り込みます",
		Flags: func(fs *flag.FlagSet) {
			code = fs.String("engagement", "", "情報システム監査のコード（例: 2026-SA-01）")
			format = fs.String("format", "", "ファイルの形式（省略時は中身から判断）")
			dry = fs.Bool("dry-run", false, "取り込まずに、新規・継続・解消・再発の件数だけを表示します")
		},
		Args: func(pos []string) bool { return len(pos) == 1 && *code != "" },
		Run: func(d module.Deps, pos []string) error {
			e, err := engagementByCode(ctx, d, *code)
			if err != nil {
				return err
			}
			s := NewStore(d)
			path := pos[0]
			name := filepath.Base(path)
			st, err := os.Stat(path)
			if err != nil {
				return fmt.Errorf("ファイル「%s」を読めません: %w", path, err)
			}
			// The format: as given, or sniffed from the opening bytes.
			f, err := os.Open(path)
			if err != nil {
				return fmt.Errorf("ファイル「%s」を読めません: %w", path, err)
			}
			head := make([]byte, 64<<10)
			n, _ := io.ReadFull(f, head)
			f.Close()
			fmtName := strings.TrimSpace(*format)
			var pf parse.Format
			if fmtName != "" {
				pf, err = parse.ParseFormat(fmtName)
			} else {
				pf, err = parse.Detect(head[:n], name)
			}
			if err != nil {
				return err
			}
			var open []*os.File
			defer func() {
				for _, f := range open {
					f.Close()
				}
			}()
			sum := ""
			in := ImportInput{Format: pf, Filename: name, Size: st.Size(), Open: func() (io.Reader, error) {
				f, err := os.Open(path)
				if err != nil {
					return nil, err
				}
				open = append(open, f)
				return f, nil
			}}
			if !*dry {
				h := sha256.New()
				f, err := in.Open()
				if err != nil {
					return err
				}
				if _, err := io.Copy(h, f); err != nil {
					return err
				}
				sum = hex.EncodeToString(h.Sum(nil))
				in.SHA256 = sum
			}
			var out Outcome
			if *dry {
				out, err = s.PreviewImport(ctx, e, in)
			} else {
				out, err = s.ApplyImport(ctx, e, in, "コマンド（mamori scan import）")
			}
			if err != nil {
				_ = d.Log.Record(ctx, "scan.import_refused", fmt.Sprintf("audit_engagement:%d", e.ID),
					fmt.Sprintf("%s への取込みを拒否（%s、コマンド）：%s", e.Code, name, err.Error()))
				return fmt.Errorf("%s を取り込めません（何も変更していません）: %w", name, err)
			}
			verb := "取り込みました"
			if *dry {
				verb = "取り込むと次のとおりです（--dry-run のため取り込んでいません）"
			}
			fmt.Fprintf(cli.Stdout, "%s（%s、%d 件）を%s：新規 %d 件、継続 %d 件、解消 %d 件、再発 %d 件。\n", name, pf.Label(), out.Read, verb,
				out.New, out.Still, out.Gone, out.Reopened)
			return nil
		}})
}

func (m *Module) checkCommand(ctx context.Context, cli *module.CLI, args []string) error {
	var code *string
	return cli.Data(ctx, args, module.DataCommand{Name: "scan check",
		Synopsis: "scan check --engagement CODE [--db …] [--data DIR]\n検証計画の範囲で組込み検査（TLS・HTTP・TCP）を実行します。時間帯の外・中止中・未承認では実行しません",
		Flags: func(fs *flag.FlagSet) {
			code = fs.String("engagement", "", "情報システム監査のコード（例: 2026-SA-01）")
		},
		Args: func(pos []string) bool { return len(pos) == 0 && *code != "" },
		Run: func(d module.Deps, _ []string) error {
			e, err := engagementByCode(ctx, d, *code)
			if err != nil {
				return err
			}
			s := NewStore(d)
			out, err := s.RunChecks(ctx, e, "コマンド（mamori scan check）", m.checkOpt, func(done, total int, msg string) {
				fmt.Fprintf(cli.Stderr, "[%d/%d] %s\n", done+1, total, msg)
			})
			var re *RefusedError
			if errors.As(err, &re) && !re.Partial {
				return fmt.Errorf("組込み検査を実行できません: %s", re.Msg)
			}
			if err != nil && !errors.As(err, &re) {
				return err
			}
			fmt.Fprintf(cli.Stdout, "組込み検査を記録しました：検出 %d 件（新規 %d、継続 %d、解消 %d、再発 %d）。\n", out.Read, out.New, out.Still, out.Gone, out.Reopened)
			if re != nil {
				return fmt.Errorf("%s", re.Msg)
			}
			return nil
		}})
}
