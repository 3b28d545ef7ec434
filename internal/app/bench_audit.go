package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// auditBencher is the audit module as `mamori bench audit` needs it.
type auditBencher interface {
	BenchSetup(ctx context.Context, items, files, size int) (int64, []int64, error)
}

// Targets of issue 11 (server time on loopback).
const (
	auditPageTarget   = 100 * time.Millisecond
	auditSaveTarget   = 20 * time.Millisecond
	auditReportTarget = 2 * time.Second
)

// benchAudit measures an engagement of --items checklist items and --files
// evidence files through the real HTTP server: the fieldwork page, saving
// one judgement, --savers auditors saving at once (each on their own
// items, then all on one item), and the report PDF; and /healthz in the
// same run for the ratio.
func (c CLI) benchAudit(ctx context.Context, args []string) error {
	fs := c.plainFlags("bench audit", "使い方: mamori bench audit [--items 400] [--files 200] [--savers 30] [--seconds 3] [--rounds 40] [--db postgres://…]")
	items := fs.Int("items", 400, "チェックリストの項目数")
	files := fs.Int("files", 200, "証跡ファイルの数")
	size := fs.Int("size", 64<<10, "証跡ファイル 1 件の大きさ（バイト）")
	savers := fs.Int("savers", 30, "同時に保存する監査人の数")
	seconds := fs.Float64("seconds", 3, "同時保存と、ヘルスチェックとの比較の計測秒数")
	rounds := fs.Int("rounds", 40, "画面を続けて読み込む回数（判定の保存はその 2.5 倍）")
	dbURL := fs.String("db", "", "測るデータベース（省略時は一時 SQLite ファイル。postgres://… なら一時スキーマを作って測り、最後に削除）")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *items < 10 || *files < 0 || *size < 64 || *savers < 1 || *seconds <= 0 || *rounds < 1 {
		fs.Usage()
		return exitError(2)
	}
	bs, err := c.startBench(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer bs.close()
	ab, ok := moduleAs[auditBencher](bs.a)
	if !ok {
		return errors.New("bench audit: 監査の機能がありません")
	}
	fmt.Fprintf(c.Stderr, "%d 項目・証跡 %d 件の監査を作成しています…\n", *items, *files)
	t0 := time.Now()
	id, itemIDs, err := ab.BenchSetup(ctx, *items, *files, *size)
	if err != nil {
		return fmt.Errorf("bench audit: %w", err)
	}
	if len(itemIDs) < *savers+1 {
		return fmt.Errorf("bench audit: 項目が %d しかありません", len(itemIDs))
	}
	fmt.Fprintf(c.Stderr, "作成 %.1f 秒\n", time.Since(t0).Seconds())

	admin, err := newBenchUser(ctx, bs, "admin", fmt.Sprintf("/audit/%d/fieldwork", id))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "監査の性能（%s、%d 項目、証跡 %d 件、同じプロセスの Go クライアントからループバックで計測）\n", bs.a.DB.Dialect(), len(itemIDs), *files)

	// The fieldwork page and one item's screen, one request at a time.
	verdicts := []string{}
	var pageP99 time.Duration
	for _, p := range []struct {
		label, path string
		target      time.Duration
	}{
		{"実施画面（項目一覧・全件）", fmt.Sprintf("/audit/%d/fieldwork", id), auditPageTarget},
		{"項目の画面", fmt.Sprintf("/audit/%d/items/%d", id, itemIDs[len(itemIDs)/2]), auditPageTarget},
	} {
		lat, n, err := admin.timeGets(ctx, p.path, *rounds)
		if err != nil {
			return err
		}
		verdicts = append(verdicts, printLatency(c.Stdout, p.label, lat, p.target, fmt.Sprintf("%.0f KB", float64(n)/1024)))
		if pageP99 == 0 {
			pageP99 = pct(sortedCopy(lat), 0.99)
		}
	}

	// One judgement saved again and again by one auditor.
	item := itemIDs[0]
	rev, err := admin.itemRev(ctx, id, item)
	if err != nil {
		return err
	}
	var saveLat []time.Duration
	for i := range *rounds * 5 / 2 {
		t := time.Now()
		st, reply, err := admin.saveItem(ctx, id, item, rev, fmt.Sprintf("単独保存 %d 回目", i+1), i%2 == 0)
		if err != nil {
			return err
		}
		if st != http.StatusOK || !reply.OK {
			return fmt.Errorf("bench audit: 保存が HTTP %d で失敗しました: %s", st, reply.Message)
		}
		saveLat = append(saveLat, time.Since(t))
		rev = reply.Rev
	}
	verdicts = append(verdicts, printLatency(c.Stdout, "判定の保存（1 件ずつ）", saveLat, auditSaveTarget, ""))

	// Savers at once, each on their own items, for the given time.
	users := make([]*benchUser, *savers)
	for i := range users {
		if users[i], err = newBenchUser(ctx, bs, "admin", fmt.Sprintf("/audit/%d/items/%d", id, itemIDs[1+i])); err != nil {
			return err
		}
	}
	own := (len(itemIDs) - 1) / *savers
	type last struct {
		note string
		rev  int64
	}
	acked := make([]map[int64]last, *savers)
	var (
		mu       sync.Mutex
		all      []time.Duration
		failures []string
		wg       sync.WaitGroup
	)
	end := time.Now().Add(time.Duration(*seconds * float64(time.Second)))
	start := time.Now()
	for s := range users {
		acked[s] = map[int64]last{}
		wg.Go(func() {
			u := users[s]
			mine := itemIDs[1+s*own : 1+(s+1)*own]
			revs := map[int64]int64{}
			var lat []time.Duration
			for k := 0; time.Now().Before(end); k++ {
				it := mine[k%len(mine)]
				r, ok := revs[it]
				if !ok {
					var err error
					if r, err = u.itemRev(ctx, id, it); err != nil {
						mu.Lock()
						failures = append(failures, err.Error())
						mu.Unlock()
						return
					}
				}
				note := fmt.Sprintf("監査人%02d の %d 回目の記録", s+1, k+1)
				t := time.Now()
				st, reply, err := u.saveItem(ctx, id, it, r, note, k%3 != 0)
				lat = append(lat, time.Since(t))
				if err != nil || st != http.StatusOK || !reply.OK {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("監査人%02d: HTTP %d %v %s", s+1, st, err, reply.Message))
					mu.Unlock()
					return
				}
				revs[it] = reply.Rev
				acked[s][it] = last{note, reply.Rev}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if len(failures) > 0 {
		return fmt.Errorf("bench audit: 同時保存で失敗: %s", failures[0])
	}
	slices.Sort(all)
	// Every acknowledged save is what the database holds: nothing lost,
	// nothing written to another auditor's item.
	lost, crossed := 0, 0
	for s := range acked {
		for it, want := range acked[s] {
			var notes string
			var rev int64
			if err := bs.a.DB.QueryRow(ctx, `SELECT notes, rev FROM audit_items WHERE id = ?`, it).Scan(&notes, &rev); err != nil {
				return err
			}
			if notes != want.note || rev != want.rev {
				lost++
			}
			if !strings.HasPrefix(notes, fmt.Sprintf("監査人%02d ", s+1)) {
				crossed++
			}
		}
	}
	fmt.Fprintf(c.Stdout, "  %-28s %6d 件  %6.0f 件/秒  平均 %6.1f ms  99%% %6.1f ms  失われた更新 %d  取り違え %d\n",
		fmt.Sprintf("同時保存（%d 人、各自の項目）", *savers), len(all), float64(len(all))/elapsed.Seconds(),
		ms(mean(all)), ms(pct(all, 0.99)), lost, crossed)
	if lost+crossed > 0 {
		verdicts = append(verdicts, "未達")
	}

	// All savers on one item with the same version: exactly one wins, the
	// others are told of the conflict (409), none is lost silently.
	contested := itemIDs[1]
	r0, err := admin.itemRev(ctx, id, contested)
	if err != nil {
		return err
	}
	codes := make([]int, len(users))
	var cw sync.WaitGroup
	for s, u := range users {
		cw.Go(func() {
			st, _, err := u.saveItem(ctx, id, contested, r0, fmt.Sprintf("監査人%02d の競合する記録", s+1), true)
			if err != nil {
				st = -1
			}
			codes[s] = st
		})
	}
	cw.Wait()
	won, refused := 0, 0
	for _, st := range codes {
		switch st {
		case http.StatusOK:
			won++
		case http.StatusConflict:
			refused++
		}
	}
	fmt.Fprintf(c.Stdout, "  %-28s 成功 %d 件、競合として返した %d 件、その他 %d 件（期待: 成功 1、競合 %d）\n",
		"同じ項目を同じ版から同時保存", won, refused, len(codes)-won-refused, len(codes)-1)
	if won != 1 || refused != len(codes)-1 {
		verdicts = append(verdicts, "未達")
	}

	// The report PDF, built each time from the engagement.
	var pdfLat []time.Duration
	var pdfSize int
	for range 3 {
		t := time.Now()
		b, err := admin.get(ctx, fmt.Sprintf("/audit/%d/report/document.pdf", id))
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) {
			return errors.New("bench audit: 監査報告書が PDF ではありません")
		}
		pdfLat = append(pdfLat, time.Since(t))
		pdfSize = len(b)
	}
	slices.Sort(pdfLat)
	verdicts = append(verdicts, printLatency(c.Stdout, "監査報告書 PDF", pdfLat, auditReportTarget, fmt.Sprintf("%.0f KB", float64(pdfSize)/1024)))

	// Hello world of the same run: the health check under the same load
	// as the fieldwork page, for the ratio.
	dur := time.Duration(*seconds * float64(time.Second))
	hz, err := loadPage(ctx, bs.ln.Addr().String(), "/healthz", "", 10, dur)
	if err != nil {
		return err
	}
	fw, err := loadPage(ctx, bs.ln.Addr().String(), fmt.Sprintf("/audit/%d/fieldwork", id), admin.cookie, 10, dur)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "  %-28s %8.0f 件/秒（同時接続 10）\n", "ヘルスチェック /healthz", hz.rate())
	fmt.Fprintf(c.Stdout, "  %-28s %8.0f 件/秒（同時接続 10）  ÷ ヘルスチェック = %.3f\n", "実施画面（項目一覧・全件）", fw.rate(), fw.rate()/hz.rate())
	verdict := "すべて達成"
	if slices.Contains(verdicts, "未達") {
		verdict = "未達あり"
	}
	fmt.Fprintf(c.Stdout, "結果: %s（実施画面 99%% %.1f ms、保存 99%% %.1f ms、同時保存 %d 人で失われた更新 %d、報告書 PDF %.2f 秒）\n",
		verdict, ms(pageP99), ms(pct(sortedCopy(saveLat), 0.99)), *savers, lost+crossed, pdfLat[len(pdfLat)-1].Seconds())
	return nil
}

// printLatency prints one figure against its target and returns the verdict.
func printLatency(w io.Writer, label string, lat []time.Duration, target time.Duration, extra string) string {
	lat = sortedCopy(lat)
	verdict := "達成"
	if pct(lat, 0.99) > target {
		verdict = "未達"
	}
	fmt.Fprintf(w, "  %-28s %4d 回  中央 %7.1f ms  99%% %7.1f ms  最大 %7.1f ms  目標 %s 未満: %s  %s\n", label, len(lat),
		ms(pct(lat, 0.5)), ms(pct(lat, 0.99)), ms(lat[len(lat)-1]), target, verdict, extra)
	return verdict
}

func sortedCopy(d []time.Duration) []time.Duration { c := slices.Clone(d); slices.Sort(c); return c }

func mean(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	var sum time.Duration
	for _, x := range d {
		sum += x
	}
	return sum / time.Duration(len(d))
}

func pct(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(float64(len(d))*p))]
}

// benchUser is one signed-in session with its CSRF token.
type benchUser struct {
	base, cookie, csrf string
	cl                 *http.Client
}

func newBenchUser(ctx context.Context, bs *benchServer, login, page string) (*benchUser, error) {
	ck, err := benchSignIn(ctx, bs.base, login, bs.password)
	if err != nil {
		return nil, err
	}
	u := &benchUser{base: bs.base, cookie: ck, cl: &http.Client{Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	b, err := u.get(ctx, page)
	if err != nil {
		return nil, err
	}
	m := benchCSRF.FindSubmatch(b)
	if m == nil {
		return nil, fmt.Errorf("bench audit: %s に CSRF トークンがありません", page)
	}
	u.csrf = string(m[1])
	return u, nil
}

func (u *benchUser) get(ctx context.Context, path string) ([]byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.base+path, nil)
	req.Header.Set("Cookie", u.cookie)
	resp, err := u.cl.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("bench audit: GET %s: HTTP %d", path, resp.StatusCode)
	}
	return b, nil
}

// timeGets requests path n times after one warm-up and returns the times
// and the page's size.
func (u *benchUser) timeGets(ctx context.Context, path string, n int) ([]time.Duration, int, error) {
	b, err := u.get(ctx, path)
	if err != nil {
		return nil, 0, err
	}
	lat := make([]time.Duration, 0, n)
	for range n {
		t := time.Now()
		if _, err := u.get(ctx, path); err != nil {
			return nil, 0, err
		}
		lat = append(lat, time.Since(t))
	}
	return lat, len(b), nil
}

// itemRev reads an item's version from its screen (the form's rev field).
func (u *benchUser) itemRev(ctx context.Context, id, item int64) (int64, error) {
	b, err := u.get(ctx, fmt.Sprintf("/audit/%d/items/%d", id, item))
	if err != nil {
		return 0, err
	}
	const mark = `name="rev" value="`
	i := bytes.Index(b, []byte(mark))
	if i < 0 {
		return 0, errors.New("bench audit: 項目の画面に版がありません")
	}
	rest := b[i+len(mark):]
	j := bytes.IndexByte(rest, '"')
	return strconv.ParseInt(string(rest[:j]), 10, 64)
}

// benchSave is the JSON answer of a save, as the page's script reads it.
type benchSave struct {
	OK      bool   `json:"ok"`
	Rev     int64  `json:"rev"`
	Message string `json:"message"`
}

// saveItem saves a judgement as the fieldwork page's script does (fetch,
// JSON answer).
func (u *benchUser) saveItem(ctx context.Context, id, item, rev int64, notes string, conform bool) (int, benchSave, error) {
	j := "partial"
	if conform {
		j = "conform"
	}
	form := url.Values{"rev": {strconv.FormatInt(rev, 10)}, "judgement": {j}, "status": {"done"}, "notes": {notes}, "technique": {"interview"}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf("%s/audit/%d/items/%d", u.base, id, item), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Cookie", u.cookie)
	req.Header.Set("X-CSRF-Token", u.csrf)
	req.Header.Set("Origin", u.base)
	resp, err := u.cl.Do(req)
	if err != nil {
		return 0, benchSave{}, err
	}
	defer resp.Body.Close()
	var reply benchSave
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &reply); err != nil {
		reply.Message = string(b[:min(len(b), 200)])
	}
	return resp.StatusCode, reply, nil
}
