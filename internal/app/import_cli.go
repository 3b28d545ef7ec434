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
	fs := c.flags("import", "import staff FILE [--dry-run] [--year 2026] [--create-departments] [--partial] [--map 見出し=項目]", &cfg)
	dry := fs.Bool("dry-run", false, "検証だけ行い、何も書き込みません")
	year := fs.String("year", "", "名簿の年度（2026、令和8年度 など。既定は現在の年度）")
	create := fs.Bool("create-departments", false, "未登録の所属を作成します")
	partial := fs.Bool("partial", false, "一部の所属だけの名簿として扱い、ファイルにいない職員を退職扱いにしません")
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
	opt := roster.Options{FiscalYear: a.Org.CurrentFiscalYear(ctx), CreateDepartments: *create, Partial: *partial}
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
	fmt.Fprintf(c.Stdout, "%s（%s）: %d 行、%sの名簿\n", name, t.Format, p.Rows, jp.FiscalYearLabel(opt.FiscalYear))
	for _, col := range p.Unmapped() {
		fmt.Fprintf(c.Stdout, "  取り込まない列: %s（%s列）\n", col.Name(), col.Letter)
	}
	cnt := p.Counts()
	fmt.Fprintf(c.Stdout, "  新規 %d、異動 %d、変更 %d、再登録 %d、退職 %d、変更なし %d、所属の新設 %d\n",
		cnt.New, cnt.Moved, cnt.Changed, cnt.Reactivated, cnt.Leavers, cnt.Unchanged, cnt.NewDepts)
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
		return fmt.Errorf("%d 件のエラーがあるため取り込みません。何も書き込んでいません", len(p.Errors))
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
