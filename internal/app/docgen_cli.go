package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"mamori/internal/docgen/binder"
	"mamori/internal/docgen/docx"
	"mamori/internal/docgen/html"
	"mamori/internal/docgen/pdf"
	"mamori/internal/docgen/sample"
	"mamori/internal/docgen/xlsx"
)

// renderers are the document formats Mamori writes.
var renderers = map[string]binder.Renderer{"pdf": pdf.Render, "docx": docx.Render, "xlsx": xlsx.Render, "html": html.Render}

var formatOrder = []string{"pdf", "docx", "xlsx", "html"}

// docgenCmd: `mamori docgen sample -o DIR` writes the sample document in
// every format so anyone can look at it.
func (c CLI) docgenCmd(ctx context.Context, args []string) error {
	fs := c.plainFlags("docgen", "使い方: mamori docgen sample -o DIR\n\n全要素を含む見本文書を PDF・DOCX・XLSX・HTML で出力します。")
	out := fs.String("o", "docgen-sample", "出力フォルダ")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "sample" {
		fs.Usage()
		return exitError(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	d := sample.Sample()
	for _, ext := range formatOrder {
		p := filepath.Join(*out, "sample."+ext)
		if err := writeFile(p, func(w io.Writer) error { return renderers[ext](w, d) }); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		fmt.Fprintln(c.Stdout, p)
	}
	return nil
}

func writeFile(path string, fn func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fn(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// benchDocgen builds the 100-page report in every format and prints time
// and peak memory per format.
func (c CLI) benchDocgen(pages int, outDir string) error {
	d := sample.Report(pages)
	fmt.Fprintf(c.Stdout, "文書生成のベンチマーク（約 %d ページの報告書: 1,000 行の表 %d 個、グラフ %d 個）\n", pages, max(1, pages/50), max(1, pages/5))
	for _, ext := range formatOrder {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		peak := newPeakSampler()
		start := time.Now()
		var buf bytes.Buffer
		err := renderers[ext](&buf, d)
		el := time.Since(start)
		pk := peak.stop()
		if err != nil {
			return fmt.Errorf("%s: %w", ext, err)
		}
		fmt.Fprintf(c.Stdout, "  %-5s %.2f 秒、ヒープ最大 %.0f MB、%.1f MB\n", ext, el.Seconds(), float64(pk-min(pk, before.HeapInuse))/(1<<20), float64(buf.Len())/(1<<20))
		if outDir != "" {
			if err := os.MkdirAll(outDir, 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(outDir, "report."+ext), buf.Bytes(), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

// binderCmd: `mamori binder --year 2026 -o DIR` writes the bound set of the
// year's deliverables. Until the workstreams produce deliverables, --sample
// binds sample documents so the machinery can be seen working.
func (c CLI) binderCmd(ctx context.Context, args []string) error {
	fs := c.plainFlags("binder", "使い方: mamori binder --year 2026 -o DIR [--sample]")
	out := fs.String("o", "binder", "出力フォルダ")
	year := fs.Int("year", 0, "年度（西暦）")
	useSample := fs.Bool("sample", false, "見本文書で製本する（各業務の成果物がまだない間の動作確認用）")
	if _, err := parse(fs, args); err != nil {
		return err
	}
	if !*useSample {
		return fmt.Errorf("製本できる成果物がまだありません（各業務の画面が実装されると、その年度の成果物をまとめます）。動作確認には --sample を付けてください")
	}
	fy := *year
	if fy == 0 {
		fy = 2026
	}
	a, b := sample.Sample(), sample.Sample()
	a.Meta.Title, b.Meta.Title = "見本文書（その1）", "見本文書（その2）"
	items := []binder.Item{{Doc: a, Formats: formatOrder}, {Doc: b, Formats: []string{"pdf", "docx"}}}
	meta := a.Meta
	meta.Title, meta.Subtitle, meta.FiscalYear = "成果物一式", "情報セキュリティ対策支援業務", fy
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	pdfPath := filepath.Join(*out, "製本.pdf")
	if err := writeFile(pdfPath, func(w io.Writer) error { return pdf.Render(w, binder.Bind(meta, items)) }); err != nil {
		return err
	}
	zipPath := filepath.Join(*out, "電子データ.zip")
	if err := writeFile(zipPath, func(w io.Writer) error { return binder.WriteZIP(w, meta, items, renderers, time.Now()) }); err != nil {
		return err
	}
	fmt.Fprintln(c.Stdout, pdfPath)
	fmt.Fprintln(c.Stdout, zipPath)
	return nil
}
