package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/docgen/binder"
	"mamori/internal/docgen/sample"
	"mamori/internal/jp"
	"mamori/internal/module"
)

// binderSubtitle is what the cover of the bound set says it is.
const binderSubtitle = "情報セキュリティ対策支援業務"

// binderCmd: `mamori binder --year 2026 -o DIR` writes the bound set of
// the year's deliverables — every module implementing module.Year, in the
// order of the module list — as one print-ready PDF (製本.pdf), each
// document numbered 資料1, 資料2 … behind a divider page, and a ZIP of
// each document in every format its module lists, with an index
// (電子データ.zip).
// --sample binds sample documents without any database, so the machinery
// can be seen working.
func (c CLI) binderCmd(ctx context.Context, args []string) error {
	cfg := loadConfig()
	fs := c.flags("binder", "binder --year 2026 -o DIR [--sample] [--db …] [--data DIR]\n\n"+
		"その年度に各業務が作成した成果物（チェックリスト、新旧対照表、見え消し版、相違点整合表、改善措置台帳など）を、\n"+
		"表紙・目次付きの製本 PDF（文書ごとに「資料1」などの番号と表題の合紙を付けます）と、\n"+
		"文書ごとの電子データ（ZIP、一覧 index.xlsx 付き）にまとめます。", &cfg)
	out := fs.String("o", "binder", "出力フォルダ")
	year := fs.String("year", "", "年度（2026 または 令和8年度。省略時は現在の年度）")
	useSample := fs.Bool("sample", false, "見本文書で製本する（データベースを使わない動作確認用）")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		fs.Usage()
		return exitError(2)
	}
	fy := 0
	if *year != "" {
		if fy, err = jp.ParseFiscalYear(*year); err != nil {
			return fmt.Errorf("--year: %w", err)
		}
	}
	if *useSample {
		if fy == 0 {
			fy = jp.FiscalYearOf(time.Now())
		}
		a, b := sample.Sample(), sample.Sample()
		a.Meta.Title, b.Meta.Title = "見本文書（その1）", "見本文書（その2）"
		items := []binder.Item{{Doc: a, Formats: formatOrder}, {Doc: b, Formats: []string{"pdf", "docx"}}}
		meta := a.Meta
		meta.Title, meta.Subtitle, meta.FiscalYear = "成果物一式", binderSubtitle, fy
		return c.writeBinder(*out, meta, items, time.Now())
	}
	a, err := c.open(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	org := a.Deps().Org
	if fy == 0 {
		fy = org.CurrentFiscalYear(ctx)
	}
	items, err := a.yearDeliverables(ctx, fy, c.Stderr)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return fmt.Errorf("%sの成果物はまだありません。製本するものがないため、何も出力していません（--year で年度を指定できます）", jp.FiscalYearLabel(fy))
	}
	now := a.Now()
	meta := docgen.Meta{Title: "成果物一式", Subtitle: binderSubtitle, Ward: org.WardName(ctx), FiscalYear: fy, Date: now,
		PageNumbers: docgen.PageDash}
	if err := a.Log.Record(ctx, "download", fmt.Sprintf("binder:%d", fy),
		fmt.Sprintf("%s（%s、%d 件、コマンドで出力）", *out, meta.Title, len(items))); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "%sの成果物 %d 件を製本します:\n", jp.FiscalYearLabel(fy), len(items))
	for i, it := range items {
		fmt.Fprintf(c.Stdout, "  %s %s（%s）\n", binder.Label(i), it.Doc.Meta.Title, strings.ToUpper(strings.Join(it.Formats, "・")))
	}
	return c.writeBinder(*out, meta, items, now)
}

// yearDeliverables builds the deliverables of fiscal year fy of every
// module that has any, in module order, telling the terminal of each.
func (a *App) yearDeliverables(ctx context.Context, fy int, progress io.Writer) ([]binder.Item, error) {
	ds, err := a.yearDeliverableList(ctx, fy)
	if err != nil {
		return nil, err
	}
	m := newMeter(progress, "成果物を作成中")
	items, err := module.BoundItems(ctx, ds, func(i int, _ string) { m.show(i, len(ds)) })
	m.show(len(ds), len(ds))
	return items, err
}

// meter shows how far a long step has come: on a terminal as one line
// rewritten in place, elsewhere (a log) as a line at each quarter.
type meter struct {
	w       io.Writer
	label   string
	tty     bool
	quarter int
}

func newMeter(w io.Writer, label string) *meter {
	m := &meter{w: w, label: label}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil {
			m.tty = st.Mode()&os.ModeCharDevice != 0
		}
	}
	return m
}

func (m *meter) show(done, total int) {
	if m.w == nil || total == 0 {
		return
	}
	switch q := 4 * done / total; {
	case m.tty:
		fmt.Fprintf(m.w, "\r%s %d/%d", m.label, done, total)
		if done == total {
			fmt.Fprintln(m.w)
		}
	case q > m.quarter:
		m.quarter = q
		fmt.Fprintf(m.w, "%s %d/%d（%d%%）\n", m.label, done, total, 100*done/total)
	}
}

// writeBinder writes 製本.pdf and 電子データ.zip into dir, telling the
// terminal how far it has come, and prints their paths.
func (c CLI) writeBinder(dir string, meta docgen.Meta, items []binder.Item, now time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	pdfPath, zipPath := filepath.Join(dir, "製本.pdf"), filepath.Join(dir, "電子データ.zip")
	total, done, m := module.BoundSteps(items), 0, newMeter(c.Stderr, "ファイルを出力中")
	err := writeFile(pdfPath, func(pdf io.Writer) error {
		return writeFile(zipPath, func(zw io.Writer) error {
			return module.WriteBoundSet(pdf, zw, meta, items, now, func(string) {
				done++
				m.show(done, total)
			})
		})
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(c.Stdout, pdfPath)
	fmt.Fprintln(c.Stdout, zipPath)
	return nil
}
