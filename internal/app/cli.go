package app

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"strings"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/auditlog/auditweb"
	"mamori/internal/auth"
	"mamori/internal/config"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/tabular"
	"mamori/internal/web"
)

// CLI carries a sub-command's streams.
type CLI struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Ready is called with the base URL once `serve` accepts connections (tests).
	Ready func(url string)
	// Options are passed to Open/New (tests lower the password cost).
	Options Options
}

const usage = `守り Mamori — 自治体の情報セキュリティ対策を年間で運用するシステム

使い方: mamori <コマンド> [オプション]

コマンド:
  serve                      Web アプリを起動します（--demo で空のデータベースにデモの区を作成）
  migrate                    データベースを最新の構造にします
  demo                       空のデータベースにデモの区（ひので区）を作成します
  import staff FILE          職員名簿（CSV: UTF-8/BOM付き/Shift_JIS、または XLSX）を取り込みます
  export staff|departments|auditlog -o FILE [--format csv|csv-utf8|xlsx]
                             一覧を出力します（既定は Shift_JIS の CSV）
  user add|passwd|disable    利用者を管理します
%s  auditlog verify [--anchor FILE] | anchor [-o FILE]
                             監査ログの連鎖を検証します／署名付きの末尾（アンカー）を出力します
  backup FILE | restore FILE データとファイルを 1 つの ZIP に保存／空のデータベースに復元します
  bench import|docgen|policy|web
                             名簿取り込み・文書生成・新旧対照表・Web 応答の速度を測って表示します
  docgen sample -o DIR       全要素を含む見本文書を PDF・DOCX・XLSX・HTML で出力します
  binder --year 2026 -o DIR [--sample]
                             その年度の成果物一式（製本 PDF と電子データの ZIP）を作成します
  version                    バージョンを表示します

共通オプション: --data DIR（MAMORI_DATA）、--db PATH|postgres://…（MAMORI_DB）
各コマンドの詳細は mamori <コマンド> --help で表示します。
`

// fullUsage is the help text with the modules' sub-commands.
func (c CLI) fullUsage() string { return fmt.Sprintf(usage, c.moduleUsage()) }

// Version is set at build time.
var Version = "dev"

// Run executes a sub-command and returns the process exit code.
func Run(ctx context.Context, args []string, c CLI) int {
	if c.Stdin == nil {
		c.Stdin = os.Stdin
	}
	if len(args) == 0 {
		fmt.Fprint(c.Stderr, c.fullUsage())
		return 2
	}
	ctx = auditlog.WithActor(ctx, auditlog.Actor{Login: "cli:" + osUser()})
	var err error
	switch args[0] {
	case "serve":
		err = c.serve(ctx, args[1:])
	case "migrate":
		err = c.migrate(ctx, args[1:])
	case "demo":
		err = c.demo(ctx, args[1:])
	case "import":
		err = c.importCmd(ctx, args[1:])
	case "export":
		err = c.export(ctx, args[1:])
	case "user":
		err = c.user(ctx, args[1:])
	case "auditlog":
		err = c.auditlog(ctx, args[1:])
	case "backup":
		err = c.backup(ctx, args[1:])
	case "restore":
		err = c.restore(ctx, args[1:])
	case "bench":
		err = c.bench(ctx, args[1:])
	case "docgen":
		err = c.docgenCmd(ctx, args[1:])
	case "binder":
		err = c.binderCmd(ctx, args[1:])
	case "version", "--version":
		fmt.Fprintln(c.Stdout, "mamori", Version)
	case "help", "-h", "--help":
		fmt.Fprint(c.Stdout, c.fullUsage())
	default:
		cmd, ok := c.moduleCommands()[args[0]]
		if !ok {
			fmt.Fprintf(c.Stderr, "不明なコマンドです: %s\n\n%s", args[0], c.fullUsage())
			return 2
		}
		err = cmd.Run(ctx, c.moduleCLI(), args[1:])
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(c.Stderr, "エラー:", err)
		var ex exitError
		if errors.As(err, &ex) {
			return int(ex)
		}
		return 1
	}
	return 0
}

// exitError ends mamori with its status (the modules' sub-commands return
// the same type).
type exitError = module.ExitCode

func osUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "unknown"
}

// flags returns a flag set with Japanese usage and the storage flags.
func (c CLI) flags(name, synopsis string, cfg *config.Config) *flag.FlagSet {
	fs := c.plainFlags(name, "使い方: mamori "+synopsis)
	cfg.StorageFlags(fs)
	return fs
}

// plainFlags returns a flag set whose --help prints usage (Japanese) and
// then the options.
func (c CLI) plainFlags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	fs.Usage = func() {
		fmt.Fprint(c.Stderr, usage+"\n\nオプション:\n")
		fs.PrintDefaults()
	}
	return fs
}

func loadConfig() config.Config {
	cfg := config.Default()
	cfg.FromEnv()
	return cfg
}

// parse parses flags allowing them after positional arguments too.
func parse(fs *flag.FlagSet, args []string) ([]string, error) { return module.ParseArgs(fs, args) }

func (c CLI) open(ctx context.Context, cfg config.Config) (*App, error) {
	return Open(ctx, cfg, c.Options)
}

func (c CLI) serve(ctx context.Context, args []string) error {
	cfg := loadConfig()
	fs := c.plainFlags("serve", "使い方: mamori serve [--addr 127.0.0.1:8080] [--db PATH|postgres://…] [--data DIR] [--demo]")
	cfg.ServeFlags(fs)
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	a, err := New(ctx, cfg, c.Options)
	if err != nil {
		return err
	}
	defer a.Close()
	a.Logger.Info("starting", "config", cfg.Redacted())
	demo := false
	if cfg.Demo {
		empty, err := a.Org.IsEmpty(ctx)
		if err != nil {
			return err
		}
		if empty {
			fmt.Fprintln(c.Stdout, "デモの区（ひので区）を作成しています…")
			if err := a.CreateDemo(ctx, cfg.DemoPassword, func(s string) { fmt.Fprintln(c.Stdout, "  "+s) }); err != nil {
				return err
			}
		}
		demo = a.Org.IsDemo(ctx)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("%s で待ち受けできません: %w", cfg.Addr, err)
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	url := scheme + "://" + ln.Addr().String()
	fmt.Fprintf(c.Stdout, "Mamori を起動しました: %s\n", url)
	if demo {
		fmt.Fprintf(c.Stdout, "デモのログイン（パスワードはすべて %s）:\n", cfg.DemoPassword)
		for _, d := range demoAccountList() {
			fmt.Fprintf(c.Stdout, "  %-11s %s\n", d.Login, d.Role)
		}
	}
	fmt.Fprintln(c.Stdout, "終了するには Ctrl+C を押してください。")
	if c.Ready != nil {
		c.Ready(url)
	}
	return a.Listen(ctx, ln)
}

func demoAccountList() []auth.DemoLogin {
	var out []auth.DemoLogin
	for _, r := range web.AllRoles {
		out = append(out, auth.DemoLogin{Login: string(r), Role: r.Label()})
	}
	return out
}

func (c CLI) migrate(ctx context.Context, args []string) error {
	return c.runData(ctx, args, dataCommand{name: "migrate", synopsis: "migrate [--db …] [--data DIR]",
		run: func(*App, config.Config, []string) error {
			fmt.Fprintln(c.Stdout, "データベースは最新の構造です。")
			return nil
		}})
}

func (c CLI) demo(ctx context.Context, args []string) error {
	return c.runData(ctx, args, dataCommand{name: "demo", synopsis: "demo [--db …] [--data DIR]",
		run: func(a *App, cfg config.Config, _ []string) error { return c.createDemo(ctx, a, cfg) }})
}

func (c CLI) createDemo(ctx context.Context, a *App, cfg config.Config) error {
	start := time.Now()
	if err := a.CreateDemo(ctx, cfg.DemoPassword, func(s string) { fmt.Fprintln(c.Stdout, s) }); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "デモの区を作成しました（%.1f 秒）。ログイン: admin, consultant, auditor, auditee, staff, vendor, viewer（パスワード %s）\n",
		time.Since(start).Seconds(), cfg.DemoPassword)
	return nil
}

func (c CLI) export(ctx context.Context, args []string) error {
	// A module's deliverables: `mamori export audit-plan …` runs the
	// module command named "export audit-plan".
	if len(args) > 0 {
		if cmd, ok := c.moduleCommands()["export "+args[0]]; ok {
			return cmd.Run(ctx, c.moduleCLI(), args[1:])
		}
	}
	var out, format *string
	var all *bool
	return c.runData(ctx, args, dataCommand{name: "export", synopsis: "export staff|departments|auditlog -o FILE [--format csv|csv-utf8|xlsx] [--all]",
		flags: func(fs *flag.FlagSet) {
			out = fs.String("o", "", "出力ファイル（- で標準出力）")
			format = fs.String("format", "", "出力形式: csv（Shift_JIS、既定）, csv-utf8（BOM付き）, xlsx")
			all = fs.Bool("all", false, "staff: 退職者も含める")
		},
		args: func(pos []string) bool { return len(pos) == 1 && *out != "" },
		run: func(a *App, _ config.Config, pos []string) error {
			f, err := tabular.ParseFormat(*format)
			if err != nil {
				return err
			}
			return c.writeList(ctx, a, pos[0], *out, f, *all)
		}})
}

func (c CLI) writeList(ctx context.Context, a *App, list, out string, f tabular.Format, all bool) error {
	var t tabular.Table
	switch list {
	case "staff":
		tree, err := a.Org.Departments(ctx)
		if err != nil {
			return err
		}
		filter := org.StaffFilter{}
		if all {
			filter.Status = "all"
		}
		list, _, err := a.Org.StaffList(ctx, filter, tree)
		if err != nil {
			return err
		}
		t = org.StaffTable(list)
	case "auditlog":
		es, _, err := a.Log.List(ctx, auditlog.Filter{})
		if err != nil {
			return err
		}
		t = auditweb.Table(es)
	case "departments":
		tree, err := a.Org.DepartmentsWithCounts(ctx)
		if err != nil {
			return err
		}
		t = org.DepartmentTable(tree)
	default:
		return fmt.Errorf("出力できる一覧は staff, departments, auditlog です（指定: %s）", list)
	}
	var w io.Writer = c.Stdout
	if out != "-" {
		file, err := os.Create(out)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	if err := a.Log.Record(ctx, "download", list+".export", fmt.Sprintf("%s（%d 件, %s）", out, len(t.Rows), f.Label)); err != nil {
		return err
	}
	if err := tabular.Write(w, f, t); err != nil {
		return err
	}
	if out != "-" {
		fmt.Fprintf(c.Stdout, "%d 件を %s に出力しました（%s）。\n", len(t.Rows), out, f.Label)
	}
	return nil
}

func (c CLI) auditlog(ctx context.Context, args []string) error {
	var anchor, out *string
	return c.runData(ctx, args, dataCommand{name: "auditlog", synopsis: "auditlog verify [--anchor FILE] | auditlog anchor [-o FILE] [--db …] [--data DIR] [--audit-key-file FILE]",
		flags: func(fs *flag.FlagSet) {
			anchor = fs.String("anchor", "", "verify: このアンカーファイルと照合して、末尾の削除も確かめる")
			out = fs.String("o", "", "anchor: アンカーを保存するファイル（省略時は標準出力）")
		},
		args: func(pos []string) bool { return len(pos) == 1 && (pos[0] == "verify" || pos[0] == "anchor") },
		run: func(a *App, _ config.Config, pos []string) error {
			if pos[0] == "anchor" {
				return auditlog.RunAnchor(ctx, a.Log, *out, c.Stdout)
			}
			return auditlog.RunVerify(ctx, a.Log, *anchor, c.Stdout)
		}})
}

// readPassword takes a password from --password-file, MAMORI_PASSWORD or
// the first line of standard input.
func (c CLI) readPassword(file string) (string, error) {
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", err
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	if v := os.Getenv("MAMORI_PASSWORD"); v != "" {
		return v, nil
	}
	fmt.Fprint(c.Stderr, "パスワード: ")
	line, err := bufio.NewReader(c.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("パスワードを読み取れません（--password-file か MAMORI_PASSWORD で指定できます）")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (c CLI) user(ctx context.Context, args []string) error {
	var login, name, role, dept, pwFile *string
	return c.runData(ctx, args, dataCommand{name: "user", synopsis: "user add --login ID --name 表示名 --role ROLE [--department CODE] | user passwd LOGIN | user disable LOGIN",
		flags: func(fs *flag.FlagSet) {
			login = fs.String("login", "", "add: ログインID")
			name = fs.String("name", "", "add: 表示名")
			role = fs.String("role", "", "add: 役割（admin, consultant, auditor, auditee, staff, vendor, viewer）")
			dept = fs.String("department", "", "add: 所属コード")
			pwFile = fs.String("password-file", "", "パスワードを読むファイル（省略時は MAMORI_PASSWORD か標準入力）")
		},
		args: func(pos []string) bool {
			return len(pos) == 1 && pos[0] == "add" || len(pos) == 2 && (pos[0] == "passwd" || pos[0] == "disable")
		},
		run: func(a *App, _ config.Config, pos []string) error {
			return c.manageUser(ctx, a, pos, *login, *name, *role, *dept, *pwFile)
		}})
}

func (c CLI) manageUser(ctx context.Context, a *App, pos []string, login, name, role, dept, pwFile string) error {
	switch pos[0] {
	case "add":
		r, ok := web.ParseRole(role)
		if !ok {
			return fmt.Errorf("--role には admin, consultant, auditor, auditee, staff, vendor, viewer のいずれかを指定してください")
		}
		var deptID int64
		if dept != "" {
			if err := a.DB.QueryRow(ctx, "SELECT id FROM departments WHERE code = ?", dept).Scan(&deptID); err != nil {
				return fmt.Errorf("所属コード %s は登録されていません", dept)
			}
		}
		pw, err := c.readPassword(pwFile)
		if err != nil {
			return err
		}
		if _, err := a.Org.CreateAccount(ctx, org.AccountInput{Login: login, DisplayName: name, Role: r, DepartmentID: deptID, Password: pw}); err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "利用者 %s（%s）を追加しました。\n", strings.ToLower(login), r.Label())
	case "passwd", "disable":
		acc, err := a.Org.AccountByLogin(ctx, pos[1])
		if err != nil {
			return fmt.Errorf("利用者 %s は登録されていません", pos[1])
		}
		if pos[0] == "disable" {
			if err := a.Org.SetDisabled(ctx, acc.ID, true); err != nil {
				return err
			}
			fmt.Fprintf(c.Stdout, "利用者 %s を無効にしました。\n", acc.Login)
			return nil
		}
		pw, err := c.readPassword(pwFile)
		if err != nil {
			return err
		}
		if err := a.Org.SetPassword(ctx, acc.ID, pw, ""); err != nil {
			return err
		}
		fmt.Fprintf(c.Stdout, "利用者 %s のパスワードを変更しました（ログイン中のセッションは終了しました）。\n", acc.Login)
	}
	return nil
}
