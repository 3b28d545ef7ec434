package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"mamori/internal/config"
	"mamori/internal/database"
	"mamori/internal/survey"
	"mamori/internal/web"
)

// benchCluster proves the scale-out set-up of DESIGN.md on one machine:
// several `mamori serve` processes on one PostgreSQL behind haproxy,
// under a steady mix of logins, page views and questionnaire
// submissions. It measures 1, 2, 3… instances, then kills one with
// SIGKILL and restarts it, restarts PostgreSQL (--pg-restart), stops an
// instance with SIGTERM, and takes a backup under load and restores it;
// at the end every acknowledged submission must be in the database once,
// and the scheduled task made due at the start must have run once.
func (c CLI) benchCluster(ctx context.Context, args []string) error {
	fs := c.plainFlags("bench cluster", "使い方: mamori bench cluster --db postgres://… [--instances 1,2,3] [--seconds 5] [--clients 24] [--staff 3000] [--kill] [--pg-restart 'コマンド'] [--term] [--backup] [--json FILE]")
	dbURL := fs.String("db", "", "PostgreSQL（必須。一時スキーマを作って測り、最後に削除）")
	list := fs.String("instances", "1,2,3", "測るインスタンス数（カンマ区切り。最大の数だけ起動）")
	secs := fs.Float64("seconds", 5, "1 つの測定の秒数（障害の測定はその 3 倍）")
	clients := fs.Int("clients", 24, "同時に操作する利用者の数")
	staff := fs.Int("staff", 3000, "個人用リンクで回答する職員の数（提出はこの数まで）")
	kill := fs.Bool("kill", false, "負荷の中で 1 台を SIGKILL で止めて再起動する")
	pgRestart := fs.String("pg-restart", "", "負荷の中で PostgreSQL を再起動するシェルコマンド（例: 'pg_ctlcluster 15 main restart'）")
	term := fs.Bool("term", false, "負荷の中で 1 台を SIGTERM で止める（処理中の要求が終わること）")
	doBackup := fs.Bool("backup", false, "負荷の中でバックアップを取り、別のスキーマに復元して監査ログを検証する")
	haproxy := fs.String("haproxy", "haproxy", "haproxy のコマンド")
	binary := fs.String("binary", "", "起動する mamori（省略時はこのプログラム）")
	jsonOut := fs.String("json", "", "結果を JSON でも書き出すファイル")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	counts, cerr := instanceCounts(*list)
	if len(pos) != 0 || !database.IsPostgres(*dbURL) || cerr != nil || *secs <= 0 || *clients < 1 || *staff < 10 {
		fs.Usage()
		if cerr != nil {
			fmt.Fprintln(c.Stderr, cerr)
		}
		return exitError(2)
	}
	if *binary == "" {
		if *binary, err = os.Executable(); err != nil {
			return err
		}
	}
	hp, err := exec.LookPath(*haproxy)
	if err != nil {
		return fmt.Errorf("bench cluster: haproxy がありません（apt-get install haproxy）: %w", err)
	}
	dur := time.Duration(*secs * float64(time.Second))

	dir, err := os.MkdirTemp("", "mamori-cluster")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	dsn, drop, err := tempSchema(ctx, *dbURL)
	if err != nil {
		return err
	}
	defer drop()

	fmt.Fprintln(c.Stderr, "デモの区と回答者を用意しています…")
	password := web.NewToken(12)
	invites, linked, action, err := c.clusterSetup(ctx, dsn, dir, password, *staff)
	if err != nil {
		return err
	}
	cl := &cluster{bin: *binary, haproxy: hp, dsn: dsn, dir: dir, log: c.Stderr}
	defer cl.stop()
	n := slices.Max(counts)
	if err := cl.start(ctx, n); err != nil {
		return err
	}
	ld := &clusterLoad{password: password, invites: invites, acked: map[int64]bool{}}
	rep := clusterReport{Clients: *clients, Seconds: dur.Seconds(), Staff: len(invites)}
	fmt.Fprintf(c.Stdout, "複数インスタンスの構成（PostgreSQL 1 台・haproxy・mamori serve %d 台、同時 %d 人、閲覧・提出・ログインの混在、%d コア）\n", n, *clients, runtimeCPUs())

	if err := cl.balance(n); err != nil {
		return err
	}
	if err := ld.signIn(ctx, cl.url, *clients); err != nil {
		return fmt.Errorf("bench cluster: ログイン: %w", err)
	}
	if n >= 2 {
		rep.FileAcross = cl.fileAcross(ctx, password, action)
		verdict := "OK"
		if rep.FileAcross != "" {
			verdict = "失敗: " + rep.FileAcross
		}
		fmt.Fprintf(c.Stdout, "  1 台目で証跡をアップロード → 2 台目で一覧に表示・ダウンロード（内容の一致）: %s\n", verdict)
	}
	// 1. Throughput by the number of instances behind the balancer.
	for _, k := range counts {
		if err := cl.balance(k); err != nil {
			return err
		}
		st := ld.run(ctx, cl.url, *clients, dur, nil)
		rep.Throughput = append(rep.Throughput, clusterThroughput{Instances: k, Stats: st})
		fmt.Fprintf(c.Stdout, "  %d 台  %s\n", k, st)
	}
	if err := cl.balance(n); err != nil {
		return err
	}
	// 2. SIGKILL of one instance and its restart.
	if *kill {
		var restart time.Duration
		st := ld.run(ctx, cl.url, *clients, 3*dur, func() {
			time.Sleep(dur)
			t := time.Now()
			cl.kill(0)
			time.Sleep(time.Second)
			if err := cl.startOne(ctx, 0); err != nil {
				fmt.Fprintln(c.Stderr, "再起動:", err)
				return
			}
			restart = time.Since(t)
		})
		rep.Kill = &clusterFault{Stats: st, Seconds: restart.Seconds()}
		fmt.Fprintf(c.Stdout, "  1 台を SIGKILL → 再起動（%.1f 秒で復帰）  %s\n", restart.Seconds(), st)
	}
	// 3. PostgreSQL restarted under load.
	if *pgRestart != "" {
		var took time.Duration
		var cmdErr error
		st := ld.run(ctx, cl.url, *clients, 3*dur, func() {
			time.Sleep(dur)
			t := time.Now()
			// The output goes to a file, not a pipe: a server the command
			// starts would hold a pipe open for ever.
			logPath := filepath.Join(dir, "pg-restart.log")
			logf, err := os.Create(logPath)
			if err != nil {
				cmdErr = err
				return
			}
			cmd := exec.CommandContext(ctx, "sh", "-c", *pgRestart)
			cmd.Stdout, cmd.Stderr = logf, logf
			err = cmd.Run()
			logf.Close()
			took = time.Since(t)
			if err != nil {
				out, _ := os.ReadFile(logPath)
				cmdErr = fmt.Errorf("%v: %s", err, truncateText(strings.TrimSpace(string(out)), 300))
			}
		})
		if cmdErr != nil {
			return fmt.Errorf("bench cluster: PostgreSQL の再起動: %w", cmdErr)
		}
		rep.PGRestart = &clusterFault{Stats: st, Seconds: took.Seconds()}
		fmt.Fprintf(c.Stdout, "  PostgreSQL を再起動（%.1f 秒）  %s\n", took.Seconds(), st)
	}
	// 4. SIGTERM: the instance finishes what it is doing and leaves.
	if *term && n >= 2 {
		var code int
		var took time.Duration
		st := ld.run(ctx, cl.url, *clients, 2*dur, func() {
			time.Sleep(dur)
			t := time.Now()
			code = cl.terminate(n - 1)
			took = time.Since(t)
		})
		rep.Term = &clusterFault{Stats: st, Seconds: took.Seconds(), ExitCode: code}
		fmt.Fprintf(c.Stdout, "  1 台を SIGTERM（%.1f 秒で終了、終了コード %d）  %s\n", took.Seconds(), code, st)
		if err := cl.startOne(ctx, n-1); err != nil {
			return err
		}
	}
	// 5. A backup under load, restored into an empty schema.
	if *doBackup {
		b := &clusterBackup{}
		st := ld.run(ctx, cl.url, *clients, 2*dur, func() {
			time.Sleep(dur / 2)
			b.Err = cl.backupRestore(ctx, *dbURL, b)
		})
		b.Stats = st
		rep.Backup = b
		verdict := "検証 OK"
		if b.Err != "" {
			verdict = "失敗: " + b.Err
		}
		fmt.Fprintf(c.Stdout, "  負荷の中のバックアップ（%.1f 秒、%d 件の監査ログ）→ 復元 → 監査ログの検証: %s  %s\n", b.Seconds, b.AuditEntries, verdict, st)
	}

	// What the database holds after all of it.
	if err := cl.check(ctx, ld, linked, &rep); err != nil {
		return err
	}
	fmt.Fprintf(c.Stdout, "結果: 受理された提出 %d 件、失われた提出 %d 件、二重計上 %d 件、開始時に期限とした定時処理の実行 %d 回（1 回が正しい）\n",
		rep.Acked, rep.Lost, rep.Duplicated, rep.ScheduleRuns)
	if *jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(*jsonOut, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func runtimeCPUs() int { return runtime.NumCPU() }

var verifiedCount = regexp.MustCompile(`監査ログは正常です（(\d+) 件`)

func instanceCounts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || k < 1 || k > 8 {
			return nil, fmt.Errorf("--instances: 「%s」は 1〜8 の数ではありません", f)
		}
		out = append(out, k)
	}
	return out, nil
}

// clusterSetup creates the demo ward in the schema, adds staff, opens the
// questionnaire campaign answered through personal links and makes the
// session purge due, so that the instances race for it when they start.
func (c CLI) clusterSetup(ctx context.Context, dsn, dir, password string, staff int) (invites []survey.BenchInvite, linked, action int64, err error) {
	cfg := config.Default()
	cfg.DB, cfg.Data = dsn, dir
	opt := c.Options
	opt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := Open(ctx, cfg, opt)
	if err != nil {
		return nil, 0, 0, err
	}
	defer a.Close()
	if err := a.CreateDemo(ctx, password, nil); err != nil {
		return nil, 0, 0, err
	}
	if err := benchStaff(ctx, a.DB, staff); err != nil {
		return nil, 0, 0, err
	}
	sb, ok := moduleAs[surveyBencher](a)
	if !ok {
		return nil, 0, 0, errors.New("bench cluster: 自己点検の機能がありません")
	}
	_, linked, invites, err = sb.BenchSetup(ctx)
	if err != nil {
		return nil, 0, 0, err
	}
	if len(invites) > staff {
		invites = invites[:staff]
	}
	if _, err := a.DB.Exec(ctx, "INSERT INTO job_schedules (name, next_run_at) VALUES ('sessions.purge', ?) ON CONFLICT (name) DO UPDATE SET next_run_at = excluded.next_run_at",
		database.T(time.Now().Add(-time.Minute))); err != nil {
		return nil, 0, 0, err
	}
	if err := a.DB.QueryRow(ctx, "SELECT MIN(id) FROM improvement_actions WHERE status IN ('open', 'in_progress')").Scan(&action); err != nil {
		return nil, 0, 0, err
	}
	return invites, linked, action, nil
}

// cluster is the running set: the instances on fixed ports (a restarted
// one comes back on its own port) and haproxy in front.
type cluster struct {
	bin, haproxy, dsn, dir string
	log                    io.Writer
	url                    string
	lbPort                 int
	ports                  []int
	procs                  []*exec.Cmd
	done                   []chan struct{}
	lb                     *exec.Cmd
}

func freeTCPPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (cl *cluster) start(ctx context.Context, n int) error {
	var err error
	if cl.lbPort, err = freeTCPPort(); err != nil {
		return err
	}
	cl.url = fmt.Sprintf("http://127.0.0.1:%d", cl.lbPort)
	cl.ports = make([]int, n)
	cl.procs = make([]*exec.Cmd, n)
	cl.done = make([]chan struct{}, n)
	for i := range n {
		if cl.ports[i], err = freeTCPPort(); err != nil {
			return err
		}
	}
	errc := make(chan error, n)
	for i := range n {
		go func() { errc <- cl.startOne(ctx, i) }()
	}
	for range n {
		if e := <-errc; e != nil && err == nil {
			err = e
		}
	}
	return err
}

// startOne starts instance i and waits until it answers /livez.
func (cl *cluster) startOne(ctx context.Context, i int) error {
	logf, err := os.OpenFile(filepath.Join(cl.dir, fmt.Sprintf("instance-%d.log", i+1)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(cl.bin, "serve", "--db", cl.dsn, "--data", cl.dir, "--addr", fmt.Sprintf("127.0.0.1:%d", cl.ports[i]),
		"--trusted-proxy", "127.0.0.1/32", "--stop-drain", clusterDrain.String())
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), "MAMORI_DB=", "MAMORI_DATA=", "MAMORI_LOG_LEVEL=warn")
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	cl.procs[i], cl.done[i] = cmd, done
	addr := fmt.Sprintf("http://127.0.0.1:%d/livez", cl.ports[i])
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("インスタンス %d が起動直後に終了しました（%s）", i+1, filepath.Join(cl.dir, fmt.Sprintf("instance-%d.log", i+1)))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if resp, err := http.Get(addr); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("インスタンス %d が 90 秒以内に起動しませんでした", i+1)
}

func (cl *cluster) kill(i int) {
	if p := cl.procs[i]; p != nil && p.Process != nil {
		_ = p.Process.Signal(syscall.SIGKILL)
		<-cl.done[i]
	}
}

// terminate sends SIGTERM and returns the exit code once it has exited
// (-1 when it had to be killed after a minute).
func (cl *cluster) terminate(i int) int {
	p := cl.procs[i]
	_ = p.Process.Signal(syscall.SIGTERM)
	select {
	case <-cl.done[i]:
		return p.ProcessState.ExitCode()
	case <-time.After(time.Minute):
		cl.kill(i)
		return -1
	}
}

// clusterDrain is each instance's --stop-drain: longer than haproxy's
// check interval times its fall count below (500 ms × 2), so that an
// instance stopped with SIGTERM is out of rotation before it closes its
// connections (a POST sent on a keep-alive connection the instance was
// closing at that moment was lost, and haproxy does not resend a POST).
const clusterDrain = 2 * time.Second

// haproxyErrorPage is what haproxy answers when no instance can take a
// request (all are down): the same Japanese message as the app's 503.
const haproxyErrorPage = "HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-store\r\nConnection: close\r\nRetry-After: 30\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" +
	"<!doctype html>\n<html lang=\"ja\"><head><meta charset=\"utf-8\"><title>一時的に利用できません — Mamori</title></head>\n" +
	"<body><h1>一時的に利用できません</h1><p>ただいまシステムに接続できないため、処理できませんでした。この操作の内容は保存されていません。1 分ほど待ってから、もう一度お試しください。</p></body></html>\n"

// balance (re)starts haproxy in front of the first k instances.
func (cl *cluster) balance(k int) error {
	if cl.lb != nil {
		_ = cl.lb.Process.Kill()
		_ = cl.lb.Wait()
		cl.lb = nil
	}
	errPage := filepath.Join(cl.dir, "503.http")
	if err := os.WriteFile(errPage, []byte(haproxyErrorPage), 0o644); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, `global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 2m
  timeout server 2m
  timeout http-request 30s
  retries 3
  option redispatch
  option forwardfor
  errorfile 503 %s
frontend web
  bind 127.0.0.1:%d
  default_backend mamori
backend mamori
  balance roundrobin
  option httpchk GET /livez
  default-server inter 500ms fall 2 rise 1
`, errPage, cl.lbPort)
	for i := range k {
		fmt.Fprintf(&b, "  server m%d 127.0.0.1:%d check\n", i+1, cl.ports[i])
	}
	cfgPath := filepath.Join(cl.dir, "haproxy.cfg")
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o644); err != nil {
		return err
	}
	lb := exec.Command(cl.haproxy, "-db", "-f", cfgPath)
	logf, err := os.OpenFile(filepath.Join(cl.dir, "haproxy.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	lb.Stdout, lb.Stderr = logf, logf
	if err := lb.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("haproxy: %w", err)
	}
	go func() { _ = lb.Wait(); logf.Close() }()
	cl.lb = lb
	for range 100 {
		if resp, err := http.Get(cl.url + "/livez"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(cl.dir, "haproxy.log"))
	return fmt.Errorf("haproxy が応答しません: %s", truncateText(string(log), 500))
}

func (cl *cluster) stop() {
	if cl.lb != nil {
		_ = cl.lb.Process.Kill()
	}
	for i, p := range cl.procs {
		if p != nil && p.Process != nil {
			_ = p.Process.Signal(syscall.SIGTERM)
			select {
			case <-cl.done[i]:
			case <-time.After(30 * time.Second):
				cl.kill(i)
			}
		}
	}
}

// backupRestore runs `mamori backup` against the live schema, restores the
// file into a new empty schema and verifies the audit chain there.
func (cl *cluster) backupRestore(ctx context.Context, base string, b *clusterBackup) string {
	file := filepath.Join(cl.dir, "under-load.mamori-backup")
	t := time.Now()
	if out, err := exec.CommandContext(ctx, cl.bin, "backup", file, "--db", cl.dsn, "--data", cl.dir).CombinedOutput(); err != nil {
		return fmt.Sprintf("backup: %v: %s", err, truncateText(string(out), 300))
	}
	b.Seconds = time.Since(t).Seconds()
	dsn2, drop, err := tempSchema(ctx, base)
	if err != nil {
		return err.Error()
	}
	defer drop()
	dir2, err := os.MkdirTemp("", "mamori-restore")
	if err != nil {
		return err.Error()
	}
	defer os.RemoveAll(dir2)
	key := filepath.Join(cl.dir, "auditlog.key")
	if out, err := exec.CommandContext(ctx, cl.bin, "restore", file, "--db", dsn2, "--data", dir2, "--audit-key-file", key).CombinedOutput(); err != nil {
		return fmt.Sprintf("restore: %v: %s", err, truncateText(string(out), 300))
	}
	out, err := exec.CommandContext(ctx, cl.bin, "auditlog", "verify", "--db", dsn2, "--data", dir2, "--audit-key-file", key).CombinedOutput()
	if err != nil {
		return fmt.Sprintf("auditlog verify: %v: %s", err, truncateText(string(out), 300))
	}
	if m := verifiedCount.FindStringSubmatch(string(out)); m != nil {
		b.AuditEntries, _ = strconv.Atoi(m[1])
	}
	b.Verified = true
	return ""
}

// check reads back what the load wrote: every acknowledged submission
// must be there, none counted twice, and the due task run once.
func (cl *cluster) check(ctx context.Context, ld *clusterLoad, linked int64, rep *clusterReport) error {
	db, err := database.Open(ctx, cl.dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	ids, err := db.Ints(ctx, "SELECT staff_id FROM survey_invitations WHERE campaign_id = ? AND submitted = TRUE", linked)
	if err != nil {
		return err
	}
	submitted := map[int64]bool{}
	for _, id := range ids {
		submitted[id] = true
	}
	var responses int
	if err := db.QueryRow(ctx, "SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ?", linked).Scan(&responses); err != nil {
		return err
	}
	ld.mu.Lock()
	rep.Acked = len(ld.acked)
	for id := range ld.acked {
		if !submitted[id] {
			rep.Lost++
		}
	}
	ld.mu.Unlock()
	rep.Duplicated = max(0, responses-len(submitted))
	return db.QueryRow(ctx, "SELECT runs FROM job_schedules WHERE name = 'sessions.purge'").Scan(&rep.ScheduleRuns)
}

// clusterLoad is the users: each signs in through the form, then views
// pages and answers questionnaires through personal links, and now and
// then signs in again.
type clusterLoad struct {
	password string
	invites  []survey.BenchInvite
	next     atomic.Int64
	mu       sync.Mutex
	acked    map[int64]bool // staff whose submission was acknowledged
	users    []*clusterUser
}

// clusterStats is one measured run.
type clusterStats struct {
	Ops         int      `json:"ops"`
	Rate        float64  `json:"rate"` // successful operations per second
	P50ms       float64  `json:"p50_ms"`
	P99ms       float64  `json:"p99_ms"`
	Views       int      `json:"views"`
	Submissions int      `json:"submissions"`
	Logins      int      `json:"logins"`
	Japanese503 int      `json:"japanese_503"` // answered with the Japanese 503 page
	OtherErrors int      `json:"other_errors"` // any other failure
	Samples     []string `json:"samples,omitempty"`
	// After the failure was injected and undone (the instance restarted,
	// PostgreSQL back): operations that succeeded, and errors later than
	// lateAfter (the set must have recovered on its own by then).
	AfterFault int `json:"after_fault"`
	LateErrors int `json:"late_errors"`
}

// lateAfter is how soon after a fault is undone the set must serve
// without errors again.
const lateAfter = 5 * time.Second

func (s clusterStats) String() string {
	out := fmt.Sprintf("%6.0f 件/秒（閲覧 %d・提出 %d・ログイン %d）  中央 %5.1f ms  99%% %6.1f ms  503（日本語の案内）%d  その他のエラー %d",
		s.Rate, s.Views, s.Submissions, s.Logins, s.P50ms, s.P99ms, s.Japanese503, s.OtherErrors)
	if s.AfterFault > 0 || s.LateErrors > 0 {
		out += fmt.Sprintf("  復旧後の成功 %d・復旧 %.0f 秒後以降のエラー %d", s.AfterFault, lateAfter.Seconds(), s.LateErrors)
	}
	if len(s.Samples) > 0 {
		out += "\n      例: " + strings.Join(s.Samples, "\n      例: ")
	}
	return out
}

type clusterThroughput struct {
	Instances int          `json:"instances"`
	Stats     clusterStats `json:"stats"`
}

type clusterFault struct {
	Stats    clusterStats `json:"stats"`
	Seconds  float64      `json:"seconds"`
	ExitCode int          `json:"exit_code"`
}

type clusterBackup struct {
	Stats        clusterStats `json:"stats"`
	Seconds      float64      `json:"seconds"`
	AuditEntries int          `json:"audit_entries"`
	Verified     bool         `json:"verified"`
	Err          string       `json:"error,omitempty"`
}

type clusterReport struct {
	Clients      int                 `json:"clients"`
	Seconds      float64             `json:"seconds"`
	Staff        int                 `json:"staff"`
	Throughput   []clusterThroughput `json:"throughput"`
	Kill         *clusterFault       `json:"kill,omitempty"`
	PGRestart    *clusterFault       `json:"pg_restart,omitempty"`
	Term         *clusterFault       `json:"term,omitempty"`
	Backup       *clusterBackup      `json:"backup,omitempty"`
	Acked        int                 `json:"acked"`
	Lost         int                 `json:"lost"`
	Duplicated   int                 `json:"duplicated"`
	ScheduleRuns int                 `json:"schedule_runs"`
	FileAcross   string              `json:"file_across"` // "" when a file uploaded to one instance came back whole from another
}

// run drives the users against base for dur; fault, when not nil, runs
// alongside (it injects the failure).
func (ld *clusterLoad) run(ctx context.Context, base string, users int, dur time.Duration, fault func()) clusterStats {
	var (
		mu  sync.Mutex
		st  clusterStats
		lat []time.Duration
		wg  sync.WaitGroup
	)
	var faultDone atomic.Int64 // unix nanoseconds when fault returned
	record := func(kind string, d time.Duration, err error, unavailable bool) {
		mu.Lock()
		defer mu.Unlock()
		if fd := faultDone.Load(); fd != 0 {
			since := time.Since(time.Unix(0, fd))
			if err == nil {
				st.AfterFault++
			} else if since > lateAfter {
				st.LateErrors++
			}
		}
		switch {
		case err == nil:
			lat = append(lat, d)
			switch kind {
			case "view":
				st.Views++
			case "submit":
				st.Submissions++
			case "login":
				st.Logins++
			}
		case unavailable:
			st.Japanese503++
		default:
			st.OtherErrors++
			if len(st.Samples) < 3 {
				st.Samples = append(st.Samples, kind+": "+truncateText(err.Error(), 160))
			}
		}
	}
	start := time.Now()
	end := start.Add(dur)
	// With a fault the run lasts until the fault is undone and then long
	// enough past lateAfter that a set which has not recovered shows it,
	// however slowly the machine restarts a process or PostgreSQL.
	more := func() bool {
		if time.Now().Before(end) {
			return true
		}
		if fault == nil {
			return false
		}
		fd := faultDone.Load()
		return fd == 0 || time.Since(time.Unix(0, fd)) < lateAfter+time.Second
	}
	if fault != nil {
		wg.Go(func() { fault(); faultDone.Store(time.Now().UnixNano()) })
	}
	for u := range users {
		us := ld.user(base, u)
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(u), uint64(start.UnixNano())))
			for more() && ctx.Err() == nil {
				kind := "view"
				switch p := r.IntN(100); {
				case us.cookie == "" || p < 2:
					kind = "login"
				case p < 32:
					kind = "submit"
				}
				t := time.Now()
				var err error
				switch kind {
				case "login":
					err = us.signIn(ctx)
				case "view":
					err = us.view(ctx)
				case "submit":
					err = ld.submit(ctx, base)
				}
				if errors.Is(err, errNoInvites) {
					continue
				}
				record(kind, time.Since(t), err, errors.Is(err, errUnavailable))
				if err != nil {
					time.Sleep(50 * time.Millisecond) // a user waits before trying again
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(start)
	slices.Sort(lat)
	st.Ops = len(lat)
	st.Rate = float64(len(lat)) / el.Seconds()
	st.P50ms, st.P99ms = ms(pct(lat, 0.5)), ms(pct(lat, 0.99))
	return st
}

// user is the u-th user, kept from run to run (signed in once).
func (ld *clusterLoad) user(base string, u int) *clusterUser {
	ld.mu.Lock()
	defer ld.mu.Unlock()
	for len(ld.users) <= u {
		n := len(ld.users)
		ld.users = append(ld.users, &clusterUser{base: base, login: clusterLogins[n%len(clusterLogins)], password: ld.password})
	}
	return ld.users[u]
}

// signIn signs every user in before the first measurement, a few at a
// time (a password check costs a core for most of a second by design:
// Argon2id with 64 MiB).
func (ld *clusterLoad) signIn(ctx context.Context, base string, users int) error {
	sem := make(chan struct{}, 4)
	errc := make(chan error, users)
	for u := range users {
		us := ld.user(base, u)
		sem <- struct{}{}
		go func() { defer func() { <-sem }(); errc <- us.signIn(ctx) }()
	}
	var first error
	for range users {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// clusterLogins are the demo accounts the users sign in as.
var clusterLogins = []string{"staff", "auditee", "admin", "auditor", "viewer", "consultant"}

var (
	errUnavailable = errors.New("503")
	errNoInvites   = errors.New("no invites left")
)

type clusterUser struct {
	base, login, password string
	cookie                string
	client                *http.Client
}

func (us *clusterUser) http() *http.Client {
	if us.client == nil {
		us.client = benchHTTPClient(1, nil)
	}
	return us.client
}

// signIn takes the login form and posts it, as a browser does.
func (us *clusterUser) signIn(ctx context.Context) error {
	jar, _ := cookiejar.New(nil)
	cl := benchHTTPClient(1, jar)
	defer cl.CloseIdleConnections()
	body, err := clusterDo(cl, mustRequest(ctx, http.MethodGet, us.base+"/login", nil), http.StatusOK)
	if err != nil {
		return err
	}
	m := benchCSRF.FindSubmatch(body)
	if m == nil {
		return errors.New("ログイン画面に CSRF トークンがありません")
	}
	form := url.Values{"login": {us.login}, "password": {us.password}, "csrf_token": {string(m[1])}, "next": {"/"}}
	req := mustRequest(ctx, http.MethodPost, us.base+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", us.base)
	if _, err := clusterDo(cl, req, http.StatusSeeOther); err != nil {
		return err
	}
	u, _ := url.Parse(us.base)
	for _, ck := range jar.Cookies(u) {
		if ck.Name == web.SessionCookie {
			us.cookie = ck.Name + "=" + ck.Value
			return nil
		}
	}
	return errors.New("ログインしてもセッションの Cookie がありません")
}

// view opens the home page, which must be the signed-in one.
func (us *clusterUser) view(ctx context.Context) error {
	req := mustRequest(ctx, http.MethodGet, us.base+"/", nil)
	req.Header.Set("Cookie", us.cookie)
	body, err := clusterDo(us.http(), req, http.StatusOK)
	if err != nil {
		return err
	}
	if !strings.Contains(string(body), `action="/logout"`) {
		return errors.New("ログインしているはずのホーム画面がログインしていない表示です（セッションが別のインスタンスで通じない）")
	}
	return nil
}

// submit answers the next person's questionnaire through their link.
func (ld *clusterLoad) submit(ctx context.Context, base string) error {
	i := int(ld.next.Add(1)) - 1
	if i >= len(ld.invites) {
		return errNoInvites
	}
	v := ld.invites[i]
	jar, _ := cookiejar.New(nil)
	cl := benchHTTPClient(1, jar)
	defer cl.CloseIdleConnections()
	link := base + "/selfcheck/r/" + v.Token
	page, err := clusterDo(cl, mustRequest(ctx, http.MethodGet, link, nil), http.StatusOK)
	if err != nil {
		return err
	}
	m := benchCSRF.FindSubmatch(page)
	if m == nil {
		return errors.New("調査票に CSRF トークンがありません")
	}
	vals := url.Values{}
	for k, x := range v.Values {
		vals[k] = x
	}
	vals.Set("csrf_token", string(m[1]))
	req := mustRequest(ctx, http.MethodPost, link, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	body, err := clusterDo(cl, req, http.StatusOK)
	if err != nil {
		return err
	}
	if !ackText.Match(body) {
		return fmt.Errorf("提出が受理されませんでした: %s", truncateText(string(body), 200))
	}
	ld.mu.Lock()
	ld.acked[v.StaffID] = true
	ld.mu.Unlock()
	return nil
}

func mustRequest(ctx context.Context, method, u string, body io.Reader) *http.Request {
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		panic(err)
	}
	return req
}

// clusterDo sends req and wants status; a 503 that carries the Japanese
// explanation is errUnavailable, anything else unexpected an error.
func clusterDo(cl *http.Client, req *http.Request, status int) ([]byte, error) {
	resp, err := cl.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(bufio.NewReader(resp.Body))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusServiceUnavailable && strings.Contains(string(body), "1 分ほど待ってから、もう一度お試しください") {
		return nil, errUnavailable
	}
	if resp.StatusCode != status {
		return nil, fmt.Errorf("%s %s: HTTP %d（%d を期待）: %s", req.Method, req.URL.Path, resp.StatusCode, status, truncateText(stripTags(string(body)), 120))
	}
	return body, nil
}

func stripTags(s string) string {
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

var evidenceLink = regexp.MustCompile(`/improve/\d+/evidence/(\d+)`)

// fileAcross uploads a file as evidence of an improvement action to the
// first instance and reads it back from the second, directly (not
// through the balancer); it returns what went wrong, or "".
func (cl *cluster) fileAcross(ctx context.Context, password string, action int64) string {
	one, two := fmt.Sprintf("http://127.0.0.1:%d", cl.ports[0]), fmt.Sprintf("http://127.0.0.1:%d", cl.ports[1])
	cookie, err := benchSignIn(ctx, one, "admin", password)
	if err != nil {
		return err.Error()
	}
	cl1 := benchHTTPClient(1, nil)
	page := fmt.Sprintf("/improve/%d", action)
	get := func(base, path string) ([]byte, error) {
		req := mustRequest(ctx, http.MethodGet, base+path, nil)
		req.Header.Set("Cookie", cookie)
		return clusterDo(cl1, req, http.StatusOK)
	}
	body, err := get(one, page)
	if err != nil {
		return err.Error()
	}
	m := benchCSRF.FindSubmatch(body)
	if m == nil {
		return "改善措置の画面に CSRF トークンがありません"
	}
	content := []byte(fmt.Sprintf("負荷の中で 1 台目に送った証跡（%s）\n", time.Now().Format(time.RFC3339Nano)))
	var buf strings.Builder
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("csrf_token", string(m[1]))
	_ = mw.WriteField("evidence_note", "複数台の確認")
	fw, _ := mw.CreateFormFile("file", "cluster-check.txt")
	_, _ = fw.Write(content)
	_ = mw.Close()
	req := mustRequest(ctx, http.MethodPost, one+page+"/evidence", strings.NewReader(buf.String()))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Cookie", cookie)
	req.Header.Set("Origin", one)
	if _, err := clusterDo(cl1, req, http.StatusSeeOther); err != nil {
		return "アップロード: " + err.Error()
	}
	body, err = get(two, page)
	if err != nil {
		return err.Error()
	}
	links := evidenceLink.FindAllSubmatch(body, -1)
	if len(links) == 0 {
		return "2 台目の画面に証跡がありません"
	}
	got, err := get(two, string(links[len(links)-1][0]))
	if err != nil {
		return "ダウンロード: " + err.Error()
	}
	if !bytes.Equal(got, content) {
		return fmt.Sprintf("2 台目から読んだ内容が違います（%d バイト）", len(got))
	}
	return ""
}
