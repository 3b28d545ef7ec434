package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// summaryBencher is the audit module as `mamori bench summary` needs it.
type summaryBencher interface {
	BenchSummarySetup(ctx context.Context, engagements, items, years int) (int, error)
	BenchSummarize(ctx context.Context, fy int) error
}

// Targets of issue 13 (server time on loopback).
const (
	summaryDashboardTarget = 150 * time.Millisecond
	summaryPDFTarget       = 3 * time.Second
)

// benchSummary builds --engagements internal audits of --items items in
// each of --years years and measures, through the real HTTP server, the
// audit dashboard and the summary report PDF, with the summary's
// calculation on its own and /healthz of the same run for the ratio.
func (c CLI) benchSummary(ctx context.Context, args []string) error {
	fs := c.plainFlags("bench summary", "使い方: mamori bench summary [--engagements 13] [--items 400] [--years 5] [--seconds 3] [--rounds 40] [--db postgres://…]")
	engagements := fs.Int("engagements", 13, "1 年度の内部監査の数")
	items := fs.Int("items", 400, "監査 1 件のチェックリストの項目数")
	years := fs.Int("years", 5, "監査の記録がある年度の数（当年度を含む）")
	seconds := fs.Float64("seconds", 3, "ヘルスチェックとの比較の計測秒数")
	rounds := fs.Int("rounds", 40, "ダッシュボードを続けて読み込む回数")
	dbURL := fs.String("db", "", "測るデータベース（省略時は一時 SQLite ファイル。postgres://… なら一時スキーマを作って測り、最後に削除）")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *engagements < 1 || *items < 10 || *years < 1 || *seconds <= 0 || *rounds < 1 {
		fs.Usage()
		return exitError(2)
	}
	bs, err := c.startBench(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer bs.close()
	sb, ok := moduleAs[summaryBencher](bs.a)
	if !ok {
		return errors.New("bench summary: 監査の機能がありません")
	}
	fmt.Fprintf(c.Stderr, "%d 年度分、各 %d 件・%d 項目の内部監査を作成しています…\n", *years, *engagements, *items)
	t0 := time.Now()
	fy, err := sb.BenchSummarySetup(ctx, *engagements, *items, *years)
	if err != nil {
		return fmt.Errorf("bench summary: %w", err)
	}
	fmt.Fprintf(c.Stderr, "作成 %.1f 秒\n", time.Since(t0).Seconds())

	dash := fmt.Sprintf("/audit/dashboard?year=%d", fy)
	admin, err := newBenchUser(ctx, bs, "admin", dash)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "年度のまとめの性能（%s、%d 年度 × 内部監査 %d 件 × %d 項目、同じプロセスの Go クライアントからループバックで計測）\n",
		bs.a.DB.Dialect(), *years, *engagements, *items)
	verdicts := []string{}
	lat, n, err := admin.timeGets(ctx, dash, *rounds)
	if err != nil {
		return err
	}
	verdicts = append(verdicts, printLatency(c.Stdout, "監査ダッシュボード", lat, summaryDashboardTarget, fmt.Sprintf("%.0f KB", float64(n)/1024)))
	dashP99 := pct(sortedCopy(lat), 0.99)

	// The year's summary on its own (what the dashboard's heatmap and the
	// summary report are built from).
	var calc []time.Duration
	for range 5 {
		t := time.Now()
		if err := sb.BenchSummarize(ctx, fy); err != nil {
			return fmt.Errorf("bench summary: %w", err)
		}
		calc = append(calc, time.Since(t))
	}
	printLatency(c.Stdout, "年度のまとめの計算（参考）", calc, summaryDashboardTarget, "")

	// The summary report PDF through its route.
	pdfPath := fmt.Sprintf("/audit/summary/document?year=%d&format=pdf", fy)
	pdfNote := ""
	var pdfLat []time.Duration
	var pdfSize int
	for range 3 {
		t := time.Now()
		b, err := admin.get(ctx, pdfPath)
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) {
			return errors.New("bench summary: 内部監査全体報告書が PDF ではありません")
		}
		pdfLat = append(pdfLat, time.Since(t))
		pdfSize = len(b)
	}
	pdfSecs := -1.0
	if pdfNote != "" {
		fmt.Fprintf(c.Stdout, "  %-28s %s\n", "内部監査全体報告書 PDF", pdfNote)
		verdicts = append(verdicts, "未計測")
	} else {
		slices.Sort(pdfLat)
		pdfSecs = pdfLat[len(pdfLat)-1].Seconds()
		verdicts = append(verdicts, printLatency(c.Stdout, "内部監査全体報告書 PDF", pdfLat, summaryPDFTarget, fmt.Sprintf("%.0f KB", float64(pdfSize)/1024)))
	}

	dur := time.Duration(*seconds * float64(time.Second))
	hz, err := loadPage(ctx, bs.ln.Addr().String(), "/healthz", "", 10, dur)
	if err != nil {
		return err
	}
	dl, err := loadPage(ctx, bs.ln.Addr().String(), dash, admin.cookie, 10, dur)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "  %-28s %8.0f 件/秒（同時接続 10）\n", "ヘルスチェック /healthz", hz.rate())
	fmt.Fprintf(c.Stdout, "  %-28s %8.0f 件/秒（同時接続 10）  ÷ ヘルスチェック = %.3f\n", "監査ダッシュボード", dl.rate(), dl.rate()/hz.rate())
	verdict := "すべて達成"
	switch {
	case slices.Contains(verdicts, "未達"):
		verdict = "未達あり"
	case slices.Contains(verdicts, "未計測"):
		verdict = "未計測あり"
	}
	pdf := "未計測"
	if pdfSecs >= 0 {
		pdf = fmt.Sprintf("%.2f 秒", pdfSecs)
	}
	fmt.Fprintf(c.Stdout, "結果: %s（ダッシュボード 99%% %.1f ms、内部監査全体報告書 PDF %s）\n", verdict, ms(dashP99), pdf)
	return nil
}
