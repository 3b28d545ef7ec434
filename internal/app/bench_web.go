package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"mamori/internal/config"
	"mamori/internal/database"
	"mamori/internal/web"
)

// webTarget is the performance target of the web shell: a small signed-in
// page serves at least this share of the health check's rate.
const webTarget = 0.5

// benchWeb starts the application in this process on the demo ward, signs
// in through the login form and drives load on loopback with a Go HTTP
// client against /healthz, a small signed-in page, the staff list and the
// largest checklist template, each for a fixed time.
func (c CLI) benchWeb(ctx context.Context, args []string) error {
	fs := c.plainFlags("bench web", "使い方: mamori bench web [--seconds 5] [--conns 50] [--db postgres://…] [--cpuprofile FILE]")
	seconds := fs.Float64("seconds", 5, "1 ページあたりの計測秒数")
	conns := fs.Int("conns", 50, "同時接続数")
	dbURL := fs.String("db", "", "測るデータベース（省略時は一時 SQLite ファイル。postgres://… なら一時スキーマを作って測り、最後に削除。SQLite のパスなら空のファイル）")
	profile := fs.String("cpuprofile", "", "小さいページ（/policy）の計測中の CPU プロファイルを書き出すファイル（go tool pprof 用）")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *seconds <= 0 || *conns < 1 {
		fs.Usage()
		return exitError(2)
	}
	bs, err := c.startBench(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer bs.close()
	tpl, err := largestTemplate(ctx, bs.a.DB)
	if err != nil {
		return err
	}
	a, ln := bs.a, bs.ln
	cookie, err := benchSignIn(ctx, bs.base, "admin", bs.password)
	if err != nil {
		return err
	}

	dur := time.Duration(*seconds * float64(time.Second))
	fmt.Fprintf(c.Stdout, "Web の応答速度（%s、同時接続 %d、各 %g 秒、同じプロセスの Go クライアントからループバックで計測）\n", a.DB.Dialect(), *conns, dur.Seconds())
	pages := []struct {
		label, path string
		signedIn    bool
	}{
		{"ヘルスチェック", "/healthz", false},
		{"小さいページ（ログイン済み）", "/policy", true},
		{"職員名簿", "/staff", true},
		{"チェックリストの版（最多項目）", tpl, true},
	}
	rates := map[string]float64{}
	for _, p := range pages {
		ck := ""
		if p.signedIn {
			ck = cookie
		}
		stop := func() {}
		if p.path == "/policy" {
			if stop, err = startProfile(*profile); err != nil {
				return err
			}
		}
		res, err := loadPage(ctx, ln.Addr().String(), p.path, ck, *conns, dur)
		stop()
		if err != nil {
			return fmt.Errorf("bench web %s: %w", p.path, err)
		}
		rates[p.path] = res.rate()
		fmt.Fprintf(c.Stdout, "  %-24s %8.0f 件/秒  平均 %6.1f ms  99%% %6.1f ms  %6.1f KB/件  %s\n", p.path, res.rate(),
			ms(res.mean()), ms(res.percentile(0.99)), float64(res.bytes)/float64(max(res.n, 1))/1024, p.label)
	}
	ratio := rates["/policy"] / rates["/healthz"]
	verdict := "達成"
	if ratio < webTarget {
		verdict = "未達"
	}
	fmt.Fprintf(c.Stdout, "  ログイン済みの小さいページ ÷ ヘルスチェック = %.2f（目標 %.1f 以上: %s）\n", ratio, webTarget, verdict)
	return nil
}

// benchServer is the demo ward served on loopback in this process, for
// the bench commands that drive it over HTTP.
type benchServer struct {
	a        *App
	ln       net.Listener
	base     string // http://127.0.0.1:port
	password string // of every demo account
	close    func()
}

// startBench creates the demo ward in a fresh database (a temporary SQLite
// file, or a temporary schema of the PostgreSQL database dbURL) and serves
// it on a free loopback port. The access log is formatted as in
// production but thrown away.
func (c CLI) startBench(ctx context.Context, dbURL string) (*benchServer, error) {
	dir, err := os.MkdirTemp("", "mamori-bench")
	if err != nil {
		return nil, err
	}
	var undo []func()
	cleanup := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	undo = append(undo, func() { os.RemoveAll(dir) })
	cfg := config.Default()
	cfg.Data = dir
	cfg.DB = dbURL
	if database.IsPostgres(cfg.DB) {
		var drop func()
		if cfg.DB, drop, err = tempSchema(ctx, cfg.DB); err != nil {
			cleanup()
			return nil, err
		}
		undo = append(undo, drop)
	}
	fmt.Fprintln(c.Stderr, "デモの区を作成しています…")
	opt := c.Options
	opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := New(ctx, cfg, opt)
	if err != nil {
		cleanup()
		return nil, err
	}
	undo = append(undo, func() { a.Close() })
	if empty, err := a.Org.IsEmpty(ctx); err != nil || !empty {
		cleanup()
		if err == nil {
			err = errors.New("bench: データベースが空ではありません。空のデータベースを指定してください")
		}
		return nil, err
	}
	password := web.NewToken(12)
	if err := a.CreateDemo(ctx, password, nil); err != nil {
		cleanup()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cleanup()
		return nil, err
	}
	srvCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- a.Listen(srvCtx, ln) }()
	undo = append(undo, func() { stop(); <-served })
	return &benchServer{a: a, ln: ln, base: "http://" + ln.Addr().String(), password: password, close: cleanup}, nil
}

// moduleAs is the first of the app's modules that implements T (a bench
// command's view of its feature), if any.
func moduleAs[T any](a *App) (T, bool) {
	for _, m := range a.Modules {
		if t, ok := m.(T); ok {
			return t, true
		}
	}
	var zero T
	return zero, false
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

var benchCSRF = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// benchSignIn signs in through the login form, as a browser does, and
// returns the Cookie header value that carries the session.
func benchSignIn(ctx context.Context, base, login, password string) (string, error) {
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/login", nil)
	resp, err := cl.Do(req)
	if err != nil {
		return "", fmt.Errorf("bench web: ログイン画面: %w", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := benchCSRF.FindSubmatch(body)
	if m == nil {
		return "", errors.New("bench web: ログイン画面に CSRF トークンがありません")
	}
	form := url.Values{"login": {login}, "password": {password}, "csrf_token": {string(m[1])}, "next": {"/"}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	resp, err = cl.Do(req)
	if err != nil {
		return "", fmt.Errorf("bench web: ログイン: %w", err)
	}
	resp.Body.Close()
	u, _ := url.Parse(base)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == web.SessionCookie && resp.StatusCode == http.StatusSeeOther {
			return ck.Name + "=" + ck.Value, nil
		}
	}
	return "", fmt.Errorf("bench web: %s でログインできませんでした（HTTP %d）", login, resp.StatusCode)
}

// loadResult is what one page's run measured.
type loadResult struct {
	n       int
	bytes   int64
	elapsed time.Duration
	lat     []time.Duration // sorted
}

func (r loadResult) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

func (r loadResult) mean() time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	var sum time.Duration
	for _, d := range r.lat {
		sum += d
	}
	return sum / time.Duration(len(r.lat))
}

func (r loadResult) percentile(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	return r.lat[min(len(r.lat)-1, int(float64(len(r.lat))*p))]
}

// loadPage requests path from conns keep-alive connections to addr for
// dur (after a short warm-up that is not counted) and counts the answers.
// Each connection writes a prepared request and reads the answer with
// http.ReadResponse: the client shares the machine with the server, and
// http.Client's pool and goroutines would cost more than a small page
// does, hiding the server's differences. Any answer but 200 is an error:
// the figures would not mean anything.
func loadPage(ctx context.Context, addr, path, cookie string, conns int, dur time.Duration) (loadResult, error) {
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUser-Agent: mamori-bench\r\nAccept: text/html\r\n"
	if cookie != "" {
		req += "Cookie: " + cookie + "\r\n"
	}
	raw := []byte(req + "\r\n")
	run := func(d time.Duration, keep bool) (loadResult, error) {
		var (
			mu    sync.Mutex
			res   loadResult
			first error
			wg    sync.WaitGroup
		)
		start := time.Now()
		end := start.Add(d)
		for range conns {
			wg.Go(func() {
				lat, n, bytes, err := drive(ctx, addr, raw, end, keep)
				mu.Lock()
				defer mu.Unlock()
				res.n += n
				res.bytes += bytes
				res.lat = append(res.lat, lat...)
				if first == nil {
					first = err
				}
			})
		}
		wg.Wait()
		res.elapsed = time.Since(start)
		if first == nil && ctx.Err() != nil {
			first = ctx.Err()
		}
		slices.Sort(res.lat)
		return res, first
	}
	if _, err := run(min(time.Second, dur/5), false); err != nil {
		return loadResult{}, err
	}
	return run(dur, true)
}

// firstAnswerLimit bounds the wait for a connection's first answer, which
// is always awaited so that a page slower than the run still gets a figure.
const firstAnswerLimit = 60 * time.Second

// drive sends raw on one connection until end and counts complete answers;
// an answer cut off by end is not counted, except that the first one is
// always awaited (up to firstAnswerLimit).
func drive(ctx context.Context, addr string, raw []byte, end time.Time, keep bool) (lat []time.Duration, n int, bytes int64, err error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, 0, 0, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	_ = conn.SetDeadline(time.Now().Add(firstAnswerLimit))
	br := bufio.NewReaderSize(conn, 64<<10)
	for (n == 0 || time.Now().Before(end)) && ctx.Err() == nil {
		if n == 1 {
			_ = conn.SetDeadline(end)
		}
		t0 := time.Now()
		if _, err := conn.Write(raw); err != nil {
			return lat, n, bytes, cutOff(err, end, n)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			return lat, n, bytes, cutOff(err, end, n)
		}
		b, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil {
			return lat, n, bytes, cutOff(err, end, n)
		}
		if resp.StatusCode != http.StatusOK {
			return lat, n, bytes, fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		n++
		bytes += b
		if keep {
			lat = append(lat, time.Since(t0))
		}
		if resp.Close {
			return lat, n, bytes, errors.New("サーバーが接続を閉じました")
		}
	}
	return lat, n, bytes, nil
}

// cutOff hides the error of an exchange interrupted by the end of the run
// (never of a connection's first exchange: that one is awaited).
func cutOff(err error, end time.Time, done int) error {
	if done > 0 && !time.Now().Before(end) {
		return nil
	}
	return err
}

// largestTemplate is the path of the checklist template with the most items.
func largestTemplate(ctx context.Context, db *database.DB) (string, error) {
	var id int64
	err := db.QueryRow(ctx, `SELECT template_id FROM checklist_items GROUP BY template_id ORDER BY COUNT(*) DESC, template_id LIMIT 1`).Scan(&id)
	if err != nil {
		return "", fmt.Errorf("bench web: チェックリストの版がありません: %w", err)
	}
	return fmt.Sprintf("/catalog/templates/%d", id), nil
}
