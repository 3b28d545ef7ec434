package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"mamori/internal/database"
	"mamori/internal/learning"
	"mamori/internal/survey"
	"mamori/internal/web"
)

// learningBencher is the e-learning module as `mamori bench learning`
// needs it.
type learningBencher interface {
	BenchSetup(ctx context.Context) (int64, []learning.BenchTaker, error)
	BenchCount(ctx context.Context, campaignID int64) (submitted, miscounted int, err error)
}

// Targets of issue 14 (2-core machine).
const (
	learningSubmitSQLite = 1000 // test submissions per second
)

var resultText = regexp.MustCompile(`問正解（`)

// benchLearning measures the deadline day of a whole-ward course: every
// member of staff submits the test through the real handler (session,
// CSRF, grading, one transaction, audit entry, the result page), one in
// ten twice at once; then the department progress page.
func (c CLI) benchLearning(ctx context.Context, args []string) error {
	fs := c.plainFlags("bench learning", "使い方: mamori bench learning [--db postgres://…] [--staff 5000] [--clients 50]")
	staff := fs.Int("staff", 5000, "受講する職員の数（デモの区の名簿に足りなければ職員を追加）")
	clients := fs.Int("clients", 50, "同時に提出するクライアントの数")
	dbURL := fs.String("db", "", "測るデータベース（省略時は一時 SQLite ファイル。postgres://… なら一時スキーマを作って測り、最後に削除）")
	profile := fs.String("cpuprofile", "", "提出の計測中の CPU プロファイルを書き出すファイル（go tool pprof 用）")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *staff < 10 || *clients < 1 {
		fs.Usage()
		return exitError(2)
	}
	bs, err := c.startBench(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer bs.close()
	lb, ok := moduleAs[learningBencher](bs.a)
	if !ok {
		return errors.New("bench learning: 研修の機能がありません")
	}
	fmt.Fprintf(c.Stderr, "職員 %d 人と確認テスト・セッションを用意しています…\n", *staff)
	if err := benchStaff(ctx, bs.a.DB, *staff); err != nil {
		return err
	}
	campaign, takers, err := lb.BenchSetup(ctx)
	if err != nil {
		return err
	}
	if len(takers) > *staff {
		takers = takers[:*staff]
	}
	invites := make([]survey.BenchInvite, len(takers))
	for i, t := range takers {
		invites[i].StaffID = t.StaffID
	}
	sessions, err := benchSessions(ctx, bs.a, invites)
	if err != nil {
		return err
	}
	dialect := bs.a.DB.Dialect()
	fmt.Fprintf(c.Stdout, "研修の確認テストの提出性能（%s、職員 %d 人、同時 %d クライアント、同じプロセスの Go クライアントからループバックで計測）\n",
		dialect, len(takers), *clients)
	hello, err := helloWorld(ctx, *clients, 2*time.Second)
	if err != nil {
		return err
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	client := benchHTTPClient(*clients, nil)
	var acked atomic.Int64
	res, err := drain(ctx, len(takers), *clients, func(_, i int) error {
		t := takers[i]
		body := t.Values.Encode()
		send := func(bool) error {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s/learning/my/%d/test/%d", bs.base, t.AssignmentID, t.AttemptID), strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Cookie", web.SessionCookie+"="+sessions[i].token)
			req.Header.Set("X-CSRF-Token", sessions[i].csrf)
			req.Header.Set("Origin", bs.base)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK || !resultText.Match(b) {
				return fmt.Errorf("提出が受理されませんでした（HTTP %d）: %s", resp.StatusCode, truncateText(string(b), 300))
			}
			return nil
		}
		if err := sendOnceOrTwice(send, i%10 == 0); err != nil {
			return err
		}
		acked.Add(1)
		return nil
	})
	if err != nil {
		return err
	}
	submitted, miscounted, err := lb.BenchCount(ctx, campaign)
	if err != nil {
		return err
	}
	lost := max(0, int(acked.Load())-submitted)
	ok1 := res.p(0.99) < 100*time.Millisecond && lost == 0 && miscounted == 0
	if dialect == database.SQLite {
		ok1 = ok1 && res.rate() >= learningSubmitSQLite
	}
	fmt.Fprintf(c.Stdout, "  確認テストの提出（採点して結果のページを返す）  %6.0f 件/秒  中央 %5.1f ms  99%% %5.1f ms  受理 %d  失われた提出 %d  回数の誤り %d  二度押し %d 回  目標（SQLite）%d 件/秒・99%% 100 ms 未満: %s\n",
		res.rate(), ms(res.p(0.5)), ms(res.p(0.99)), acked.Load(), lost, miscounted, (len(takers)+9)/10, learningSubmitSQLite, verdict(ok1))

	// The department progress page, as the security office opens it.
	admin, err := adminSession(ctx, bs.a)
	if err != nil {
		return err
	}
	var lat []time.Duration
	for range 30 {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/learning/campaigns/%d", bs.base, campaign), nil)
		req.Header.Set("Cookie", web.SessionCookie+"="+admin)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("所属別の受講状況: HTTP %d", resp.StatusCode)
		}
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	page := lat[len(lat)/2]
	fmt.Fprintf(c.Stdout, "  所属別の受講状況のページ（%d 人分）  中央 %.1f ms  最大 %.1f ms  目標 100 ms 未満: %s\n", len(takers), ms(page), ms(lat[len(lat)-1]),
		verdict(page < 100*time.Millisecond))
	fmt.Fprintf(c.Stdout, "  net/http の hello world  %8.0f 件/秒（同時 %d）  提出 ÷ hello world = %.3f\n", hello, *clients, res.rate()/hello)
	fmt.Fprintf(c.Stdout, "結果: 提出 %.0f 件/秒（99%% %.1f ms）%s、失われた提出 %d、回数の誤り %d、受講状況のページ %.1f ms %s、hello world 比 %.3f\n",
		res.rate(), ms(res.p(0.99)), verdict(ok1), lost, miscounted, ms(page), verdict(page < 100*time.Millisecond), res.rate()/hello)
	return nil
}

// adminSession signs the demo admin in for a bench (no password needed).
func adminSession(ctx context.Context, a *App) (string, error) {
	var id int64
	if err := a.DB.QueryRow(ctx, "SELECT id FROM users WHERE login = 'admin'").Scan(&id); err != nil {
		return "", err
	}
	return a.Auth.StartSession(ctx, id, false, "127.0.0.1", "mamori-bench")
}
