package org_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"

	"mamori/internal/auditlog"
	"mamori/internal/auth"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/org"
)

var cheap = auth.ArgonParams{Memory: 8 * 1024, Time: 1, Threads: 1}

func demoDigest(t *testing.T, db *database.DB) (string, map[string]int) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Query(ctx, `SELECT s.employee_no, s.name, s.kana, d.code, s.job_class, s.job_title, s.is_system, s.is_protection, s.is_mynumber, s.email
		FROM staff s JOIN departments d ON d.id = s.department_id ORDER BY s.employee_no`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	h := sha256.New()
	stats := map[string]int{}
	for rows.Next() {
		var no, name, kana, code, class, title, email string
		var sys, prot, myno bool
		if err := rows.Scan(&no, &name, &kana, &code, &class, &title, &sys, &prot, &myno, &email); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintln(h, no, name, kana, code, class, title, sys, prot, myno, email)
		stats["staff"]++
		if class == org.JobManager {
			stats["manager"]++
		}
		if sys {
			stats["system"]++
		}
		if prot {
			stats["protection"]++
		}
		if myno {
			stats["mynumber"]++
		}
	}
	var depts int
	_ = db.QueryRow(ctx, "SELECT COUNT(*) FROM departments").Scan(&depts)
	stats["departments"] = depts
	return fmt.Sprintf("%x", h.Sum(nil)), stats
}

func TestDemoIsDeterministicAndRealistic(t *testing.T) {
	var digests []string
	var stats map[string]int
	for i := 0; i < 2; i++ {
		db := dbtest.Open(t, dbtest.Backend{Name: "sqlite", DSN: filepath.Join(t.TempDir(), "m.db")})
		svc := org.New(db, auditlog.New(db, nil), org.Config{Argon: cheap}, nil, nil)
		if err := svc.CreateDemo(context.Background(), "mamori-demo", nil); err != nil {
			t.Fatal(err)
		}
		d, s := demoDigest(t, db)
		digests, stats = append(digests, d), s
	}
	if digests[0] != digests[1] {
		t.Fatal("two demo wards differ: the demo is not deterministic")
	}
	n := stats["staff"]
	switch {
	case stats["departments"] < 120:
		t.Errorf("only %d departments", stats["departments"])
	case n < 3500 || n > 5000:
		t.Errorf("%d staff, want about 4,000", n)
	case stats["manager"] < n/50 || stats["manager"] > n/5:
		t.Errorf("%d managers of %d", stats["manager"], n)
	case stats["system"] < n/100 || stats["system"] > n/10:
		t.Errorf("%d system staff of %d", stats["system"], n)
	case stats["protection"] < n/100 || stats["protection"] > n/10:
		t.Errorf("%d protection officers of %d", stats["protection"], n)
	case stats["mynumber"] < n/10 || stats["mynumber"] > n/2:
		t.Errorf("%d My Number handlers of %d", stats["mynumber"], n)
	}
	t.Logf("demo ward: %v", stats)
}
