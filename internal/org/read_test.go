package org_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/org"
)

// TestReader: the read API the features use gives the tree with parent
// ids and paths, a department's active staff, a person's duties, the
// ward's name and the working year, on both databases.
func TestReader(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		now := func() time.Time { return time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC) }
		svc := org.New(db, auditlog.New(db, now), org.Config{Argon: cheap}, now, nil)
		bu, err := svc.SaveDepartment(ctx, 0, org.DepartmentInput{Code: "B01", Name: "区民部", Level: "部", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		ka, err := svc.SaveDepartment(ctx, 0, org.DepartmentInput{Code: "K01", Name: "戸籍住民課", Level: "課", ParentID: bu, Active: true, HasCounter: true})
		if err != nil {
			t.Fatal(err)
		}
		add := func(no string, dept int64, active, system, mynumber bool) int64 {
			id, err := svc.SaveStaff(ctx, 0, org.StaffInput{EmployeeNo: no, Name: "職員 " + no, Kana: "ショクイン", DepartmentID: dept,
				JobClass: org.JobGeneral, IsSystem: system, IsMyNumber: mynumber, Active: active})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		p1 := add("100001", ka, true, true, true)
		add("100002", ka, false, false, false)
		add("100003", bu, true, false, false)

		var r org.Reader = org.NewReader(db, now)
		tree, err := r.Departments(ctx)
		if err != nil {
			t.Fatal(err)
		}
		d := tree.ByID[ka]
		if d == nil || d.ParentID != bu || d.Path != "区民部 戸籍住民課" || d.Depth != 1 || !d.HasCounter || len(tree.Roots) != 1 {
			t.Fatalf("tree: %+v", d)
		}
		staff, err := r.StaffInDepartment(ctx, ka)
		if err != nil || len(staff) != 1 || staff[0].ID != p1 {
			t.Fatalf("staff of 戸籍住民課: %+v %v", staff, err)
		}
		f, err := r.Flags(ctx, p1)
		if err != nil || !f.System || f.Protection || !f.MyNumber || f.JobClass != org.JobGeneral || fmt.Sprint(f.Labels()) != "[システム担当者 個人番号事務取扱担当者]" {
			t.Fatalf("flags %+v %v", f, err)
		}
		if _, err := r.Flags(ctx, 999999); !errors.Is(err, database.ErrNotFound) {
			t.Fatalf("flags of nobody: %v", err)
		}
		if w := r.WardName(ctx); w != "" {
			t.Fatalf("unset ward %q", w)
		}
		if err := svc.SetSetting(ctx, "ward_name", "ひので区"); err != nil {
			t.Fatal(err)
		}
		if w := r.WardName(ctx); w != "ひので区" {
			t.Fatalf("ward %q", w)
		}
		if y := r.CurrentFiscalYear(ctx); y != 2026 {
			t.Fatalf("fiscal year %d", y)
		}
		if _, err := r.Department(ctx, 999999); !errors.Is(err, database.ErrNotFound) {
			t.Fatalf("missing department: %v", err)
		}
	})
}
