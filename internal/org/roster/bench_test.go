package roster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

// benchRoster generates a roster of n people spread over 120 係 (6 部 × 4
// 課 × 5 係, named by path). For the next year (next = true) every tenth
// staying person moves to another 係, the last 1% have left and as many
// new people join.
func benchRoster(tb testing.TB, n int, next bool) []byte {
	titles := []string{"主事", "主任", "主事", "係長", "主査", "課長", "技師", "部長"}
	rows := [][]string{
		{"令和8年度 職員名簿"},
		{"職員番号", "氏名", "フリガナ", "所属名", "職名", "メールアドレス", "システム担当者", "保護担当者", "個人番号事務取扱担当者"},
	}
	leave := n / 100
	for i := 0; i < n; i++ {
		id := i
		if next && i >= n-leave {
			id = n + i // the leavers' places go to newcomers
		}
		dept := id % 120
		if next && i%10 == 0 && i < n-leave {
			dept = (dept + 7) % 120
		}
		path := fmt.Sprintf("第%d部 第%d課 第%d係", dept/20+1, dept/5%4+1, dept%5+1)
		flag := func(k int) string {
			if id%k == 0 {
				return "○"
			}
			return ""
		}
		rows = append(rows, []string{fmt.Sprintf("%06d", id), fmt.Sprintf("職員 %d号", id), "ショクイン", path,
			titles[id%len(titles)], fmt.Sprintf("s%06d@city.example.lg.jp", id), flag(50), flag(40), flag(30)})
	}
	return csvFile(tb, encSJIS, ',', rows)
}

// benchDB opens a fresh, migrated database of the named backend.
func benchDB(b *testing.B, backend string) *database.DB {
	if backend == "postgres" {
		return dbtest.Open(b, dbtest.Backend{Name: backend, DSN: dbtest.FreshSchema(b, os.Getenv("MAMORI_TEST_PG"))})
	}
	return dbtest.Open(b, dbtest.Backend{Name: backend, DSN: filepath.Join(b.TempDir(), "bench.db")})
}

// benchImport runs one whole import and reports how long each step took.
func benchImport(b *testing.B, db *database.DB, data []byte, fy int, want Counts, report bool) {
	ctx := context.Background()
	t0 := time.Now()
	tb, err := ReadFile("bench.csv", data)
	if err != nil {
		b.Fatal(err)
	}
	t1 := time.Now()
	ex, err := LoadExisting(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	opt := Options{FiscalYear: fy, CreateDepartments: true}
	p := Build(tb, ex, opt)
	if !p.OK() {
		b.Fatalf("plan errors:\n%s", issuesText(p.Errors[:min(len(p.Errors), 10)]))
	}
	t2 := time.Now()
	now := time.Date(fy, 4, 1, 9, 0, 0, 0, time.UTC)
	res, err := Apply(ctx, db, auditlog.New(db, func() time.Time { return now }), p, opt, now, nil)
	if err != nil {
		b.Fatal(err)
	}
	t3 := time.Now()
	if res.Counts != want {
		b.Fatalf("Counts = %+v, want %+v", res.Counts, want)
	}
	if report {
		b.ReportMetric(float64(t1.Sub(t0).Milliseconds()), "read-ms")
		b.ReportMetric(float64(t2.Sub(t1).Milliseconds()), "load+build-ms")
		b.ReportMetric(float64(t3.Sub(t2).Milliseconds()), "apply-ms")
	}
}

// BenchmarkImport10k imports 10,000 people over 120 departments into an
// empty database (creating every department), then the next year's
// roster with 990 moves, 100 leavers and 100 newcomers; on SQLite and,
// when MAMORI_TEST_PG is set, on PostgreSQL.
func BenchmarkImport10k(b *testing.B) {
	const n = 10_000
	first, next := benchRoster(b, n, false), benchRoster(b, n, true)
	backends := []string{"sqlite"}
	if os.Getenv("MAMORI_TEST_PG") != "" {
		backends = append(backends, "postgres")
	}
	for _, backend := range backends {
		b.Run(backend+"/initial", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := benchDB(b, backend)
				b.StartTimer()
				benchImport(b, db, first, 2026, Counts{New: n, NewDepts: 6 + 24 + 120}, i == 0)
			}
		})
		b.Run(backend+"/next-year", func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := benchDB(b, backend)
				benchImport(b, db, first, 2026, Counts{New: n, NewDepts: 150}, false)
				b.StartTimer()
				benchImport(b, db, next, 2027, Counts{New: 100, Moved: 990, Unchanged: 8910, Leavers: 100}, i == 0)
			}
		})
	}
}
