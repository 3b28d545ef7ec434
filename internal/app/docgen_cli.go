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

	"mamori/internal/docgen/formats"
	"mamori/internal/docgen/sample"
	"mamori/internal/module"
)

// formatOrder is the order formats are offered and written in.
var formatOrder = func() []string {
	var names []string
	for _, f := range formats.All {
		names = append(names, f.Name)
	}
	return names
}()

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
		if err := writeFile(p, func(w io.Writer) error { return module.Renderers[ext](w, d) }); err != nil {
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
		err := module.Renderers[ext](&buf, d)
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
