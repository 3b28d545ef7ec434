package app

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/org/roster"
	"mamori/internal/policy"
	"mamori/internal/tabular"
)

// bench prints the figures of the performance targets.
func (c CLI) bench(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "cluster" {
		return c.benchCluster(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "web" {
		return c.benchWeb(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "audit" {
		return c.benchAudit(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "survey" {
		return c.benchSurvey(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "learning" {
		return c.benchLearning(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "summary" {
		return c.benchSummary(ctx, args[1:])
	}
	fs := c.plainFlags("bench", "使い方: mamori bench import [--rows 10000] [--db postgres://…] | mamori bench docgen [--pages 100] | mamori bench policy [--chars 300000] [--changes 300] | mamori bench web [--seconds 5] [--conns 50] [--db postgres://…] | mamori bench audit [--items 400] [--files 200] [--savers 30] [--db postgres://…] | mamori bench survey [--db postgres://…] [--staff 5000] [--clients 50] | mamori bench learning [--db postgres://…] [--staff 5000] [--clients 50] | mamori bench cluster --db postgres://… [--instances 1,2,3] [--kill] [--pg-restart CMD] [--term] [--backup]")
	rows := fs.Int("rows", 10000, "import: 取り込む行数")
	pages := fs.Int("pages", 100, "docgen: 報告書のおよそのページ数")
	outDir := fs.String("o", "", "docgen・policy: 生成した文書を保存するフォルダ（LibreOffice との比較用）")
	dbURL := fs.String("db", "", "測るデータベース（省略時は一時 SQLite ファイル。postgres://… なら一時スキーマを作って測り、最後に削除）")
	chars := fs.Int("chars", 300000, "policy: 規程の文字数")
	changes := fs.Int("changes", 300, "policy: 改正箇所の数")
	seed := fs.Int64("seed", 1, "policy: 生成の種")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 1 && pos[0] == "policy" {
		return policy.BenchCommand(c.Stdout, policy.BenchOptions{Chars: *chars, Changes: *changes, Seed: *seed, OutDir: *outDir})
	}
	if len(pos) == 1 && pos[0] == "docgen" {
		return c.benchDocgen(*pages, *outDir)
	}
	if len(pos) != 1 || pos[0] != "import" {
		fs.Usage()
		return exitError(2)
	}
	dsn := *dbURL
	if dsn == "" {
		dir, err := os.MkdirTemp("", "mamori-bench")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		dsn = filepath.Join(dir, "bench.db")
	} else if database.IsPostgres(dsn) {
		var drop func()
		if dsn, drop, err = tempSchema(ctx, dsn); err != nil {
			return err
		}
		defer drop()
	}
	db, err := database.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	db.Warm(ctx)
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	log := auditlog.New(db, nil)
	first, second := benchRoster(*rows, 0), benchRoster(*rows, 1)
	fmt.Fprintf(c.Stdout, "名簿取り込みのベンチマーク（%s、%d 行、Shift_JIS CSV、%d 所属）\n", db.Dialect(), *rows, benchDepts)
	for i, data := range [][]byte{first, second} {
		label := []string{"初回（所属も作成）", "翌年度（異動・退職・新規あり）"}[i]
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		peak := newPeakSampler()
		start := time.Now()
		t, err := roster.ReadFile("bench.csv", data)
		if err != nil {
			return err
		}
		ex, err := roster.LoadExisting(ctx, db)
		if err != nil {
			return err
		}
		opt := roster.Options{FiscalYear: 2026 + i, CreateDepartments: true}
		p := roster.Build(t, ex, opt)
		if !p.OK() {
			return fmt.Errorf("bench roster has errors: %v", p.Errors[0])
		}
		built := time.Since(start)
		if _, err := roster.Apply(ctx, db, log, p, opt, time.Now(), nil); err != nil {
			return err
		}
		total := time.Since(start)
		pk := peak.stop()
		cnt := p.Counts()
		fmt.Fprintf(c.Stdout, "  %s: 合計 %.2f 秒（読込・検証 %.2f 秒、書込 %.2f 秒）、ヒープ最大 %.0f MB、新規 %d・異動 %d・退職 %d\n",
			label, total.Seconds(), built.Seconds(), (total - built).Seconds(), float64(pk-before.HeapInuse)/(1<<20), cnt.New, cnt.Moved, cnt.Leavers)
	}
	return nil
}

const benchDepts = 120

// benchRoster makes a roster of n people over benchDepts 係; variant 1 is
// next year's: every tenth person moved, one in a hundred gone, new staff.
func benchRoster(n, variant int) []byte {
	t := tabular.Table{Headers: []string{"職員番号", "氏名", "フリガナ", "所属コード", "所属名", "職名", "メールアドレス", "システム担当者", "保護担当者", "個人番号事務取扱担当者"}}
	fam := []string{"佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤"}
	famK := []string{"サトウ", "スズキ", "タカハシ", "タナカ", "イトウ", "ワタナベ", "ヤマモト", "ナカムラ", "コバヤシ", "カトウ"}
	giv := []string{"一郎", "花子", "健太", "美咲", "翔太", "陽子", "大輔", "由美", "直樹", "恵"}
	givK := []string{"イチロウ", "ハナコ", "ケンタ", "ミサキ", "ショウタ", "ヨウコ", "ダイスケ", "ユミ", "ナオキ", "メグミ"}
	for i := 0; i < n; i++ {
		id := i
		if variant == 1 && i%100 == 0 {
			id = n + i // a leaver replaced by a newcomer
		}
		d := i % benchDepts
		if variant == 1 && i%10 == 3 {
			d = (d + 7) % benchDepts
		}
		bu, ka, kakari := d/40+1, d/8+1, d%8+1
		code := fmt.Sprintf("%02d%02d%02d", bu, ka, kakari)
		path := fmt.Sprintf("第%d部 第%d課 第%d係", bu, ka, kakari)
		mark := func(b bool) string {
			if b {
				return "○"
			}
			return ""
		}
		t.Rows = append(t.Rows, []string{fmt.Sprintf("%06d", 100000+id), fam[id%10] + "　" + giv[(id/10)%10], famK[id%10] + "　" + givK[(id/10)%10],
			code, path, "主事", fmt.Sprintf("u%06d@example.jp", 100000+id), mark(id%50 == 0), mark(id%40 == 0), mark(id%3 == 0)})
	}
	var b strings.Builder
	f, _ := tabular.ParseFormat("csv")
	_ = tabular.Write(&b, f, t)
	return []byte(b.String())
}

// peakSampler samples the heap in use every few milliseconds.
type peakSampler struct {
	done chan struct{}
	res  chan uint64
}

func newPeakSampler() *peakSampler {
	p := &peakSampler{done: make(chan struct{}), res: make(chan uint64)}
	go func() {
		var peak uint64
		var m runtime.MemStats
		tk := time.NewTicker(5 * time.Millisecond)
		defer tk.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-p.done:
				p.res <- peak
				return
			case <-tk.C:
			}
		}
	}()
	return p
}

func (p *peakSampler) stop() uint64 { close(p.done); return <-p.res }

// tempSchema makes a throw-away schema on a PostgreSQL server.
func tempSchema(ctx context.Context, base string) (string, func(), error) {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", nil, err
	}
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() {
		_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
		admin.Close()
	}, nil
}
