package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"mamori/internal/jp"
	"mamori/internal/org"
	"mamori/internal/org/roster"
)

// mapFlags collects repeated --map 見出し=項目 options.
type mapFlags []string

func (m *mapFlags) String() string     { return strings.Join(*m, ",") }
func (m *mapFlags) Set(v string) error { *m = append(*m, v); return nil }

func (c CLI) importCmd(ctx context.Context, args []string) error {
	cfg := loadConfig()
	fs := c.flags("import", "import staff FILE [--dry-run] [--year 2026] [--create-departments] [--departments file|CODE,…] [--partial] [--retire-missing] [--map 見出し=項目]\n\n"+
		"既定では全庁の名簿として扱い、ファイルにいない在籍職員を退職扱いにします。在籍職員の "+fmt.Sprint(roster.DefaultRetireLimit)+"% を超える人数が\n"+
		"退職扱いになるファイルは、--retire-missing を付けない限り取り込みません。", &cfg)
	dry := fs.Bool("dry-run", false, "検証して数を表示するだけで、何も書き込みません")
	year := fs.String("year", "", "名簿の年度（2026、令和8年度 など。既定は現在の年度）")
	create := fs.Bool("create-departments", false, "未登録の所属を作成します（付けないと、登録されていない所属コードの行はエラー）")
	depts := fs.String("departments", "", "一部の所属の名簿として扱い、この所属の在籍職員のうちファイルにいない人だけを退職扱いにします: file（ファイルに載っている所属）または所属コードのカンマ区切り（下位の所属を含む）")
	partial := fs.Bool("partial", false, "一部の所属の名簿として扱い、ファイルにいない職員を誰も退職扱いにしません（追加と更新だけ）")
	retire := fs.Bool("retire-missing", false, "在籍職員の多く（既定 "+fmt.Sprint(roster.DefaultRetireLimit)+"% 超）が退職扱いになる取り込みを、意図したものとして行います")
	var maps mapFlags
	fs.Var(&maps, "map", "見出しの割り当て（例: --map 'ｼｮｸｲﾝNO=employee_no'）。項目: "+fieldIDs())
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 2 || pos[0] != "staff" {
		fs.Usage()
		return exitError(2)
	}
	path := pos[1]
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("ファイルを開けません: %s", path)
	}
	if st.Size() > roster.MaxFileSize {
		return fmt.Errorf("ファイルが大きすぎます（%.1f MB。上限 %d MB）", float64(st.Size())/(1<<20), roster.MaxFileSize>>20)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	a, err := c.open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	opt := roster.Options{FiscalYear: a.Org.CurrentFiscalYear(ctx), CreateDepartments: *create, RetireMissing: *retire}
	switch {
	case *partial && *depts != "":
		return fmt.Errorf("--partial と --departments は同時に指定できません")
	case *partial:
		opt.Scope = roster.ScopeDepartments
	case *depts != "":
		opt.Scope = roster.ScopeDepartments
		for _, code := range strings.Split(*depts, ",") {
			switch code = strings.TrimSpace(code); code {
			case "":
			case "file":
				opt.FileDepartments = true
			default:
				opt.Departments = append(opt.Departments, code)
			}
		}
	}
	if *year != "" {
		if opt.FiscalYear, err = jp.ParseFiscalYear(*year); err != nil {
			return err
		}
	}
	name := filepath.Base(path)
	t, err := roster.ReadFile(name, data)
	if err != nil {
		return fmt.Errorf("%s: %s", name, cliMessage(err))
	}
	if len(maps) > 0 {
		opt.Mapping = map[int]roster.Field{}
		for _, m := range maps {
			h, f, ok := strings.Cut(m, "=")
			field, ferr := roster.ParseField(strings.TrimSpace(f))
			col := -1
			for i, hd := range t.Headers {
				if jp.Normalize(hd) == jp.Normalize(h) {
					col = i
				}
			}
			if !ok || ferr != nil || col < 0 {
				return fmt.Errorf("--map %q: 「見出し=項目」の形で、ファイルにある見出しと次の項目を指定してください: %s", m, fieldIDs())
			}
			opt.Mapping[col] = field
		}
	}
	ex, err := roster.LoadExisting(ctx, a.DB)
	if err != nil {
		return err
	}
	p := roster.Build(t, ex, opt)
	fmt.Fprintf(c.Stdout, "%s（%s）: %d 行、%sの名簿、範囲: %s\n", name, t.Format, p.Rows, jp.FiscalYearLabel(opt.FiscalYear), p.ScopeLabel())
	for _, col := range p.Unmapped() {
		fmt.Fprintf(c.Stdout, "  取り込まない列: %s（%s列）\n", col.Name(), col.Letter)
	}
	// The numbers are always printed, whatever happens next.
	cnt := p.Counts()
	fmt.Fprintf(c.Stdout, "  新規 %d、異動 %d、変更 %d、再登録 %d、退職 %d、変更なし %d、所属の新設 %d\n",
		cnt.New, cnt.Moved, cnt.Changed, cnt.Reactivated, cnt.Leavers, cnt.Unchanged, cnt.NewDepts)
	if opt.Scope == roster.ScopeDepartments && len(p.ScopeDepts) > 0 {
		fmt.Fprintf(c.Stdout, "  退職扱いの範囲: %s（在籍 %d 人）\n", strings.Join(p.ScopeDepts, "、"), p.Active)
	}
	for _, d := range p.NewDepts {
		fmt.Fprintf(c.Stdout, "  所属を新設: %s %s（%s）\n", d.Code, d.Path, d.Level)
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(c.Stdout, "  確認: %s\n", w)
	}
	if !p.OK() {
		for _, e := range p.Errors {
			fmt.Fprintf(c.Stderr, "  %s\n", e)
		}
		if p.UnknownDepts > 0 && !opt.CreateDepartments {
			fmt.Fprintf(c.Stderr, "  登録されていない所属の行が %d 行あります。所属コードを直すか、新しい所属として作るなら --create-departments を付けてください。\n", p.UnknownDepts)
		}
		return fmt.Errorf("%d 件のエラーがあるため取り込みません。何も書き込んでいません", len(p.Errors))
	}
	if p.NeedsConsent() {
		msg := fmt.Sprintf("在籍職員 %d 人のうち %d 人（%s%%）が退職扱いになります（上限 %d%%）", p.Active, cnt.Leavers, p.RetireShare(), p.RetireLimit)
		if !opt.RetireMissing {
			fmt.Fprintf(c.Stderr, "  %s。\n", msg)
			fmt.Fprintln(c.Stderr, "  全庁の名簿として退職扱いにするなら --retire-missing を、一部の所属の名簿なら --departments file（または所属コード）か --partial を付けてください。")
			return fmt.Errorf("退職扱いになる職員が多すぎるため取り込みません。何も書き込んでいません")
		}
		fmt.Fprintf(c.Stdout, "  %s。--retire-missing により退職扱いにします。\n", msg)
	}
	if *dry {
		fmt.Fprintln(c.Stdout, "検証のみ（--dry-run）: エラーはありません。何も書き込んでいません。")
		return nil
	}
	last := -1
	res, err := roster.Apply(ctx, a.DB, a.Log, p, opt, a.Now(), func(done, total int) {
		if pct := done * 100 / max(total, 1); pct/10 != last {
			last = pct / 10
			fmt.Fprintf(c.Stderr, "\r取り込み中… %3d%%（%d / %d）", pct, done, total)
		}
	})
	fmt.Fprintln(c.Stderr)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.Stdout, org.ImportSummary(name, opt.FiscalYear, res.Counts))
	return nil
}

func cliMessage(err error) string {
	var ie *roster.InputError
	if asInputError(err, &ie) {
		return ie.Msg
	}
	return err.Error()
}

func fieldIDs() string {
	var ids []string
	for _, f := range roster.Fields() {
		ids = append(ids, f.String()+"（"+f.Label()+"）")
	}
	return strings.Join(ids, ", ")
}

func asInputError(err error, target **roster.InputError) bool { return errors.As(err, target) }
