package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"mamori/internal/auth"
	"mamori/internal/database"
	"mamori/internal/survey"
	"mamori/internal/web"
)

// surveyBencher is the self-assessment module as `mamori bench survey`
// needs it.
type surveyBencher interface {
	BenchSetup(ctx context.Context) (signedIn, linked int64, invites []survey.BenchInvite, err error)
	BenchResponses(ctx context.Context, campaignID int64) (responses, answered int, err error)
}

// surveyAnalyzer is the analysis, when the module has it.
type surveyAnalyzer interface {
	BenchAnalyze(ctx context.Context, campaignID int64) (time.Duration, error)
}

// Targets of issue 12 (2-core machine).
const (
	surveySubmitSQLite   = 2000.0
	surveySubmitPostgres = 1000.0
	surveyFlowSQLite     = 500.0
)

// benchSurvey measures the whole ward answering at once through the real
// HTTP server: submissions by signed-in staff (each POST carries every
// answer; one in ten is sent twice, as a double click), then the full
// respondent flow through personal links (a new browser session GETs the
// questionnaire, then POSTs it), then the analysis; and a plain net/http
// hello world in the same run for the ratio.
func (c CLI) benchSurvey(ctx context.Context, args []string) error {
	fs := c.plainFlags("bench survey", "使い方: mamori bench survey [--db postgres://…] [--staff 5000] [--clients 50]")
	staff := fs.Int("staff", 5000, "回答する職員の数（デモの区の名簿に足りなければ職員を追加）")
	clients := fs.Int("clients", 50, "同時に回答するクライアントの数")
	dbURL := fs.String("db", "", "測るデータベース（省略時は一時 SQLite ファイル。postgres://… なら一時スキーマを作って測り、最後に削除）")
	profile := fs.String("cpuprofile", "", "提出の計測中の CPU プロファイルを書き出すファイル（go tool pprof 用。一連の流れの計測分は FILE.flow）")
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
	sb, ok := moduleAs[surveyBencher](bs.a)
	if !ok {
		return errors.New("bench survey: 自己点検の機能がありません")
	}
	an, hasAnalysis := moduleAs[surveyAnalyzer](bs.a)
	// A few respondents more than measured submit first, unmeasured, as a
	// warm-up: a server that has just started opens its database
	// connections and prepares its statements on the first requests (on
	// PostgreSQL the first 50 waited 170 ms for that, the whole p99).
	warm := 2 * *clients
	dialect := bs.a.DB.Dialect()
	target := surveySubmitSQLite
	if dialect == database.Postgres {
		target = surveySubmitPostgres
	}
	// Respondents of their own for the run paced at the target rate, two
	// seconds of it (fewer on a small run).
	paced := min(*staff, int(2*target))
	fmt.Fprintf(c.Stderr, "職員 %d 人（ほかに準備運転用 %d 人、一定間隔での測定用 %d 人）と回答用のセッションを用意しています…\n", *staff, warm, paced)
	if err := benchStaff(ctx, bs.a.DB, *staff+warm+paced); err != nil {
		return err
	}
	signedIn, linked, invites, err := sb.BenchSetup(ctx)
	if err != nil {
		return fmt.Errorf("bench survey: %w", err)
	}
	if len(invites) > *staff+warm+paced {
		invites = invites[:*staff+warm+paced]
	}
	sessions, err := benchSessions(ctx, bs.a, invites)
	if err != nil {
		return err
	}
	if len(invites) < *staff+warm+paced {
		warm, paced = min(warm, len(invites)/3), min(paced, len(invites)/3)
	}
	measured := len(invites) - warm - paced
	// The answers as the form posts them, encoded once: kept as maps, the
	// client's own data would be the largest thing on the heap the
	// server's garbage collector walks.
	questions := 0
	forms := make([]string, len(invites))
	for i := range invites {
		if i >= warm && i < warm+measured {
			questions += len(invites[i].Values) - 1
		}
		forms[i] = invites[i].Values.Encode()
		invites[i].Values = nil
	}
	fmt.Fprintf(c.Stdout, "自己点検の回答性能（%s、職員 %d 人、1 人あたり平均 %.0f 問、同時 %d クライアント、同じプロセスの Go クライアントから、クライアントごとに 1 本の接続でループバック計測、準備運転として別の %d 人が先に提出）\n",
		dialect, measured, float64(questions)/float64(max(measured, 1)), *clients, warm)

	hello, err := helloWorld(ctx, *clients, 2*time.Second)
	if err != nil {
		return err
	}

	stopProfile, err := startProfile(*profile)
	if err != nil {
		return err
	}
	defer func() { stopProfile() }()

	// 1. Submissions by signed-in staff, each client on its own
	// keep-alive connection (a second one for the double click).
	addr := bs.ln.Addr().String()
	first, second := make([]rawConn, *clients), make([]rawConn, *clients)
	for w := range first {
		first[w].addr, second[w].addr = addr, addr
	}
	defer func() {
		for w := range first {
			first[w].close()
			second[w].close()
		}
	}()
	var acked atomic.Int64
	submit := func(w, i int) error {
		req := rawRequest(http.MethodPost, addr, fmt.Sprintf("/selfcheck/answer/%d", signedIn), []string{
			"Cookie: " + web.SessionCookie + "=" + sessions[i].token,
			"X-CSRF-Token: " + sessions[i].csrf,
			"Origin: " + bs.base,
		}, forms[i])
		err := sendOnceOrTwice(func(again bool) error {
			if again {
				return expectAckRaw(ctx, &second[w], req)
			}
			return expectAckRaw(ctx, &first[w], req)
		}, i%10 == 0)
		if err != nil {
			return err
		}
		acked.Add(1)
		return nil
	}
	if _, err := drain(ctx, warm, *clients, submit); err != nil {
		return fmt.Errorf("準備運転: %w", err)
	}
	res, err := drain(ctx, measured, *clients, func(w, i int) error { return submit(w, warm+i) })
	if err != nil {
		return err
	}
	responses, answered, err := sb.BenchResponses(ctx, signedIn)
	if err != nil {
		return err
	}
	lost, dup := max(0, int(acked.Load())-responses), responses-answered
	v1 := verdict(res.rate() >= target && res.p(0.99) < 50*time.Millisecond && lost == 0 && dup == 0)
	fmt.Fprintf(c.Stdout, "  提出（ログイン済み、全問を 1 回で POST）  %6.0f 件/秒  中央 %5.1f ms  99%% %5.1f ms  受理 %d  失われた回答 %d  二重計上 %d  二度押し %d 回  目標 %.0f 件/秒・99%% 50 ms 未満: %s\n",
		res.rate(), ms(res.p(0.5)), ms(res.p(0.99)), acked.Load()-int64(warm), lost, dup, (warm+measured+9)/10-(warm+9)/10, target, v1)

	// 1b. Other respondents at the target rate, sent at even intervals on
	// the same connections. Above, every client sends its next as soon as
	// its last is answered, so the server is always saturated and the
	// latency is the number of clients divided by the throughput (Little's
	// law): at exactly the target rate that would be 50 ms for 50 clients.
	// Here is what a respondent waits when the ward submits at that rate.
	before := acked.Load()
	resP, err := drainAt(ctx, paced, *clients, target, func(w, i int) error { return submit(w, warm+measured+i) })
	if err != nil {
		return err
	}
	responsesP, answeredP, err := sb.BenchResponses(ctx, signedIn)
	if err != nil {
		return err
	}
	lostP, dupP := max(0, int(acked.Load())-responsesP-lost), responsesP-answeredP-dup
	vP := verdict(resP.p(0.99) < 50*time.Millisecond && lostP == 0 && dupP == 0)
	fmt.Fprintf(c.Stdout, "  提出（目標の %.0f 件/秒で一定間隔に送信、同じ %d 本の接続）  %6.0f 件/秒  中央 %5.1f ms  99%% %5.1f ms  受理 %d  失われた回答 %d  二重計上 %d  99%% 50 ms 未満: %s\n",
		target, *clients, resP.rate(), ms(resP.p(0.5)), ms(resP.p(0.99)), acked.Load()-before, lostP, dupP, vP)
	lost, dup = lost+lostP, dup+dupP

	// 2. The respondent's whole flow through personal links.
	stopProfile()
	if *profile != "" {
		if stopProfile, err = startProfile(*profile + ".flow"); err != nil {
			return err
		}
	}
	var acked2 atomic.Int64
	res2, err := drain(ctx, measured, *clients, func(_, i int) error {
		i += warm
		// A new browser: a new connection and no cookie.
		cl := rawConn{addr: addr}
		defer cl.close()
		link := fmt.Sprintf("/selfcheck/r/%s", invites[i].Token)
		resp, page, err := cl.do(ctx, rawRequest(http.MethodGet, addr, link, []string{"Accept: text/html"}, ""))
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET 個人用リンク: HTTP %d", resp.StatusCode)
		}
		m := benchCSRF.FindSubmatch(page)
		if m == nil {
			return errors.New("調査票に CSRF トークンがありません")
		}
		form := forms[i] + "&csrf_token=" + url.QueryEscape(string(m[1]))
		header := []string{"Origin: " + bs.base}
		if ck := cookieHeader(resp); ck != "" {
			header = append(header, ck)
		}
		if err := expectAckRaw(ctx, &cl, rawRequest(http.MethodPost, addr, link, header, form)); err != nil {
			return err
		}
		acked2.Add(1)
		return nil
	})
	if err != nil {
		return err
	}
	responses2, answered2, err := sb.BenchResponses(ctx, linked)
	if err != nil {
		return err
	}
	lost2, dup2 := max(0, int(acked2.Load())-responses2), responses2-answered2
	ok2 := lost2 == 0 && dup2 == 0
	// The flow's speed target is SQLite's; on PostgreSQL only nothing
	// lost or counted twice is judged, and the line says so.
	goal2 := "失われた回答・二重計上なし（速さの目標は SQLite のもの）"
	if dialect == database.SQLite {
		ok2 = ok2 && res2.rate() >= surveyFlowSQLite && res2.p(0.99) < 100*time.Millisecond
		goal2 = fmt.Sprintf("目標 %.0f 件/秒・99%% 100 ms 未満", surveyFlowSQLite)
	}
	v2 := verdict(ok2)
	fmt.Fprintf(c.Stdout, "  回答の一連の流れ（新しいセッションで GET → POST）  %6.0f 件/秒  中央 %5.1f ms  99%% %5.1f ms  受理 %d  失われた回答 %d  二重計上 %d  %s: %s\n",
		res2.rate(), ms(res2.p(0.5)), ms(res2.p(0.99)), acked2.Load(), lost2, dup2, goal2, v2)

	// 3. The analysis of what was just answered.
	analysis := "（集計機能なし）"
	if hasAnalysis {
		d, err := an.BenchAnalyze(ctx, signedIn)
		if err != nil {
			return err
		}
		analysis = fmt.Sprintf("%.0f ms", ms(d))
		fmt.Fprintf(c.Stdout, "  集計・分析（%d 人分）  %.0f ms  目標 500 ms 未満: %s\n", responsesP, ms(d), verdict(d < 500*time.Millisecond))
	}
	fmt.Fprintf(c.Stdout, "  net/http の hello world  %8.0f 件/秒（同時 %d）  提出 ÷ hello world = %.3f\n", hello, *clients, res.rate()/hello)
	fmt.Fprintf(c.Stdout, "結果: 提出 %.0f 件/秒（99%% %.1f ms）%s、目標件数で一定間隔なら 99%% %.1f ms %s、一連の流れ %.0f 件/秒（99%% %.1f ms）%s、失われた回答 %d、二重計上 %d、集計 %s、hello world 比 %.3f\n",
		res.rate(), ms(res.p(0.99)), v1, ms(resP.p(0.99)), vP, res2.rate(), ms(res2.p(0.99)), v2, lost+lost2, dup+dup2, analysis, res.rate()/hello)
	return nil
}

func verdict(ok bool) string {
	if ok {
		return "達成"
	}
	return "未達"
}

// sendOnceOrTwice sends a submission, or (twice) the same one twice at
// once, as a double click does: both must be answered, one counted. The
// second copy is sent by send(true), on a connection of its own.
func sendOnceOrTwice(send func(second bool) error, twice bool) error {
	if !twice {
		return send(false)
	}
	errc := make(chan error, 1)
	go func() { errc <- send(true) }()
	err := send(false)
	if err2 := <-errc; err == nil {
		err = err2
	}
	return err
}

// benchStaff adds active staff to the demo ward's departments until the
// roster has n people (setup of the benchmark only).
func benchStaff(ctx context.Context, db *database.DB, n int) error {
	var have int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM staff WHERE active = TRUE").Scan(&have); err != nil {
		return err
	}
	if have >= n {
		return nil
	}
	rows, err := db.Query(ctx, "SELECT id FROM departments ORDER BY id")
	if err != nil {
		return err
	}
	var depts []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		depts = append(depts, id)
	}
	rows.Close()
	now := database.T(time.Now())
	return db.WithTx(ctx, func(ctx context.Context) error {
		for i := have; i < n; i++ {
			if _, err := db.Exec(ctx, `INSERT INTO staff (employee_no, name, kana, department_id, job_class, job_title, is_system, is_protection, is_mynumber, email, active, search_text, created_at, updated_at)
				VALUES (?, ?, ?, ?, '一般職員', '', ?, ?, FALSE, '', TRUE, '', ?, ?)`, fmt.Sprintf("B%07d", i), fmt.Sprintf("測定 職員%d", i), "ソクテイ",
				depts[i%len(depts)], i%9 == 0, i%4 == 0, now, now); err != nil {
				return err
			}
		}
		return nil
	})
}

type benchSession struct{ token, csrf string }

// benchSessions gives every respondent an account and a session (setup of
// the benchmark: the accounts have no password).
func benchSessions(ctx context.Context, a *App, invites []survey.BenchInvite) ([]benchSession, error) {
	out := make([]benchSession, len(invites))
	now := database.T(time.Now())
	for i, v := range invites {
		id, err := a.DB.InsertID(ctx, `INSERT INTO users (login, display_name, role, staff_id, created_at, updated_at) VALUES (?, ?, 'staff', ?, ?, ?)`,
			fmt.Sprintf("bench%05d", i), fmt.Sprintf("測定 %d", i), v.StaffID, now, now)
		if err != nil {
			return nil, err
		}
		tok, err := a.Auth.StartSession(ctx, id, false, "127.0.0.1", "mamori-bench")
		if err != nil {
			return nil, err
		}
		var csrf string
		if err := a.DB.QueryRow(ctx, "SELECT csrf_token FROM sessions WHERE token_hash = ?", auth.TokenHash(tok)).Scan(&csrf); err != nil {
			return nil, err
		}
		out[i] = benchSession{tok, csrf}
	}
	return out, nil
}

func benchHTTPClient(conns int, jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, Timeout: time.Minute,
		Transport:     &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var ackText = regexp.MustCompile(`回答を提出しました`)

// expectAck sends a submission and wants the acknowledgement page.
func expectAck(cl *http.Client, req *http.Request) error {
	resp, err := cl.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !ackText.Match(b) {
		return fmt.Errorf("提出が受理されませんでした（HTTP %d）: %s", resp.StatusCode, truncateText(string(b), 300))
	}
	return nil
}

func truncateText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// drainResult is what a run over every respondent measured.
type drainResult struct {
	n       int
	elapsed time.Duration
	lat     []time.Duration
}

func (r drainResult) rate() float64             { return float64(r.n) / r.elapsed.Seconds() }
func (r drainResult) p(q float64) time.Duration { return pct(r.lat, q) }

// drain runs do(w, i) for i in [0, n) on conns goroutines (w is the
// goroutine's number) and times each.
func drain(ctx context.Context, n, conns int, do func(w, i int) error) (drainResult, error) {
	return drainAt(ctx, n, conns, 0, do)
}

// drainAt is drain with the starts paced at rate per second (0: each
// goroutine starts its next as soon as its last is answered). Paced, item
// i is due at start + i/rate and its time runs from then, so that waiting
// for a goroutine still busy with a slow answer counts too (the load does
// not ease off when the server slows down).
func drainAt(ctx context.Context, n, conns int, rate float64, do func(w, i int) error) (drainResult, error) {
	var next atomic.Int64
	var mu sync.Mutex
	var res drainResult
	var first error
	var wg sync.WaitGroup
	start := time.Now()
	for w := range conns {
		wg.Go(func() {
			var lat []time.Duration
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					break
				}
				t := time.Now()
				if rate > 0 {
					t = start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
					time.Sleep(time.Until(t))
				}
				if err := do(w, i); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("%d 人目: %w", i+1, err)
					}
					mu.Unlock()
					return
				}
				lat = append(lat, time.Since(t))
			}
			mu.Lock()
			res.lat = append(res.lat, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.n = len(res.lat)
	slices.Sort(res.lat)
	return res, first
}

// helloWorld is the request rate of a plain net/http handler on loopback
// with the same client, for the ratio.
func helloWorld(ctx context.Context, conns int, dur time.Duration) (float64, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello") })}
	go srv.Serve(ln)
	defer srv.Close()
	res, err := loadPage(ctx, ln.Addr().String(), "/", "", conns, dur)
	if err != nil {
		return 0, err
	}
	return res.rate(), nil
}

// startProfile starts a CPU profile into file (none when file is empty)
// and returns the function that stops it, safe to call more than once.
func startProfile(file string) (stop func(), err error) {
	if file == "" {
		return func() {}, nil
	}
	f, err := os.Create(file)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { pprof.StopCPUProfile(); f.Close() }) }, nil
}
