package audit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/audit"
	"mamori/internal/catalog"
	"mamori/internal/catalog/catalogtest"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/org"
)

func item(code, priority string, appl, threats []string) catalog.StoredItem {
	return catalog.StoredItem{ID: int64(len(code)) * 1000, Code: code, Priority: priority, Applicability: appl, Threats: threats}
}

// TestSelectItems: applicability decides inclusion, every included item
// says why, priority threats come first, "required only" keeps
// recommended items only when they are on a priority threat.
func TestSelectItems(t *testing.T) {
	items := []catalog.StoredItem{
		item("A-all", "required", []string{"all"}, nil),
		item("B-counter", "required", []string{"counter"}, []string{"careless_leak"}),
		item("C-mynumber", "required", []string{"mynumber", "counter"}, []string{"insider"}),
		item("D-server", "required", []string{"server_room"}, []string{"ransomware"}),
		item("E-rec", "recommended", []string{"all"}, nil),
		item("F-rec-ransom", "recommended", []string{"all"}, []string{"ransomware", "targeted"}),
		item("G-none", "required", nil, nil),
		item("H-system", "required", []string{"system_owner"}, nil),
	}
	cases := []struct {
		name     string
		req      audit.BuildRequest
		included string // codes in order
		reasons  map[string]string
		excluded map[string]string
	}{
		{
			name:     "counter department, everything",
			req:      audit.BuildRequest{Scope: []string{"counter"}, IncludeRecommended: true},
			included: "A-all B-counter C-mynumber E-rec F-rec-ransom G-none",
			reasons:  map[string]string{"A-all": "全所属に適用", "B-counter": "窓口のある所属のため", "C-mynumber": "窓口のある所属のため", "G-none": "全所属に適用"},
			excluded: map[string]string{"D-server": "対象外：サーバ室のある所属が対象", "H-system": "対象外：システム所管所属が対象"},
		},
		{
			name:     "mynumber and counter, ransomware first, required only",
			req:      audit.BuildRequest{Scope: []string{"mynumber", "counter", "server_room"}, Threats: []string{"ransomware"}},
			included: "D-server F-rec-ransom A-all B-counter C-mynumber G-none",
			reasons: map[string]string{"C-mynumber": "個人番号を扱う事務があるため／窓口のある所属のため", "D-server": "サーバ室のある所属のため／重点脅威：ランサム攻撃",
				"F-rec-ransom": "全所属に適用／推奨の項目だが重点脅威に関わるため含める／重点脅威：ランサム攻撃"},
			excluded: map[string]string{"E-rec": "推奨の項目のため（必須の項目だけで作成）", "H-system": "対象外"},
		},
		{
			name:     "a system",
			req:      audit.BuildRequest{System: "住民記録システム", Scope: []string{"system_owner"}, IncludeRecommended: true},
			included: "A-all E-rec F-rec-ransom G-none H-system",
			reasons:  map[string]string{"H-system": "情報システム（住民記録システム）を対象とするため"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in, out := audit.SelectItems(items, c.req)
			var codes []string
			for _, it := range in {
				codes = append(codes, it.Item.Code)
				if len(it.Reasons) == 0 {
					t.Errorf("%s has no reason", it.Item.Code)
				}
				if want, ok := c.reasons[it.Item.Code]; ok && strings.Join(it.Reasons, "／") != want {
					t.Errorf("%s: reasons %q, want %q", it.Item.Code, strings.Join(it.Reasons, "／"), want)
				}
			}
			if strings.Join(codes, " ") != c.included {
				t.Fatalf("included %s, want %s", strings.Join(codes, " "), c.included)
			}
			if len(in)+len(out) != len(items) {
				t.Fatalf("%d + %d items, want %d", len(in), len(out), len(items))
			}
			for code, want := range c.excluded {
				found := false
				for _, x := range out {
					if x.Item.Code == code && strings.HasPrefix(x.Reason, want) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s not excluded with %q: %+v", code, want, out)
				}
			}
		})
	}
	if ps := (&audit.BuildRequest{Scope: []string{"nuclear"}, Threats: []string{"alien"}}).Check(); len(ps) != 4 {
		t.Fatalf("problems %+v", ps)
	}
}

func department(t *testing.T, db *database.DB, code, name string, counter bool) int64 {
	t.Helper()
	id, err := db.InsertID(context.Background(), `INSERT INTO departments (code, name, level, sort_order, active, has_counter, created_at, updated_at)
		VALUES (?, ?, '課', 0, TRUE, ?, ?, ?)`, code, name, counter, database.T(time.Now()), database.T(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestBuildSaveExport: a department's profile is saved (audited) and
// read back; a checklist built from it is saved with the reason of each
// item, exported in the ward layout with the reasons, and refused by the
// template import; its items cannot be deleted by an import.
func TestBuildSaveExport(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		tm, log := catalogtest.Shipped(t, db, "internal")
		now := func() time.Time { return time.Date(2026, 5, 20, 9, 0, 0, 0, time.UTC) }
		st := audit.New(db, log, now, org.NewReader(db, now)).Store()
		dept := department(t, db, "D100", "戸籍住民課", true)
		department(t, db, "D200", "情報政策課", false)

		p, err := st.ProfileOf(ctx, dept)
		if err != nil || p.Saved || len(p.Codes(true)) != 1 {
			t.Fatalf("fresh profile %+v %v", p, err)
		}
		p = audit.Profile{DepartmentID: dept, MyNumber: true, Systems: audit.SystemLines("住民記録システム\n\n 戸籍システム \n住民記録システム")}
		if err := st.SaveProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
		p.CloudUser = true
		if err := st.SaveProfile(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, _ := st.ProfileOf(ctx, dept)
		if !got.Saved || !got.MyNumber || !got.CloudUser || got.ServerRoom || fmt.Sprint(got.Systems) != "[住民記録システム 戸籍システム]" {
			t.Fatalf("profile %+v", got)
		}
		if fmt.Sprint(got.Codes(true)) != "[counter mynumber cloud_user]" {
			t.Fatalf("codes %v", got.Codes(true))
		}
		if catalogtest.AuditCount(t, db, "catalog.department_profile") != 2 {
			t.Fatal("profile not audited")
		}
		owners, _ := st.SystemOwners(ctx)
		if len(owners) != 2 || owners[0].Department != "戸籍住民課" {
			t.Fatalf("owners %+v", owners)
		}
		if err := st.SaveProfile(ctx, audit.Profile{DepartmentID: 999999}); !errors.Is(err, database.ErrNotFound) {
			t.Fatalf("profile of a missing department: %v", err)
		}
		ds, _ := st.Departments(ctx, "戸籍")
		if len(ds) != 1 || ds[0].ID != dept || !ds[0].HasCounter {
			t.Fatalf("search %+v", ds)
		}

		req := audit.BuildRequest{TemplateID: tm.ID, DepartmentID: dept, Scope: got.Codes(true), Threats: []string{"careless_leak"}, IncludeRecommended: true}
		res, ps, err := st.Build(ctx, req)
		if err != nil || len(ps) > 0 {
			t.Fatalf("build: %v %+v", err, ps)
		}
		if res.Target != "戸籍住民課" || len(res.Included) == 0 || len(res.Excluded) == 0 || res.ThreatItems() == 0 {
			t.Fatalf("result %s: %d included, %d excluded, %d on threats", res.Target, len(res.Included), len(res.Excluded), res.ThreatItems())
		}
		if len(res.Included[0].ThreatMatch) == 0 {
			t.Fatal("threat items are not first")
		}
		if _, ps, _ := st.Build(ctx, audit.BuildRequest{TemplateID: tm.ID, DepartmentID: 999999}); len(ps) != 1 || ps[0].Field != "department" {
			t.Fatalf("missing department: %+v", ps)
		}
		if _, ps, _ := st.Build(ctx, audit.BuildRequest{TemplateID: 999999, System: "X"}); len(ps) != 1 || ps[0].Field != "template" {
			t.Fatalf("missing template: %+v", ps)
		}

		id, err := st.SaveBuilt(ctx, res, "", 0)
		if err != nil {
			t.Fatal(err)
		}
		b, items, err := st.Built(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Title != res.DefaultTitle() || b.Items != len(res.Included) || len(items) != len(res.Included) || b.Excluded != len(res.Excluded) || b.Department != "戸籍住民課" {
			t.Fatalf("saved %+v with %d items", b, len(items))
		}
		for i := range items {
			if items[i].Item.Code != res.Included[i].Item.Code || items[i].Reason() != res.Included[i].Reason() ||
				len(items[i].ThreatMatch) != len(res.Included[i].ThreatMatch) {
				t.Fatalf("item %d: %+v vs %+v", i, items[i], res.Included[i])
			}
		}
		if catalogtest.AuditCount(t, db, "catalog.checklist_build") != 1 {
			t.Fatal("build not audited")
		}
		list, _ := st.BuiltChecklists(ctx)
		if len(list) != 1 || list[0].ID != id {
			t.Fatalf("list %+v", list)
		}

		var buf bytes.Buffer
		if err := catalog.WriteChecklistXLSX(&buf, audit.BuiltDocument(b, items, "ひので区")); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows(f.GetSheetName(0))
		header := -1
		for i, r := range rows {
			if len(r) > 3 && r[0] == "No" && r[3] == "判定" {
				header = i
			}
		}
		if header < 0 || len(rows)-header-1 != len(items) {
			t.Fatalf("ward layout: header %d, %d rows for %d items", header, len(rows)-header-1, len(items))
		}
		last := rows[header][len(rows[header])-1]
		first := rows[header+1]
		if last != "選定理由" || first[0] != items[0].Item.Code || first[len(first)-1] != items[0].Reason() {
			t.Fatalf("reason column: %q / %q", last, first)
		}
		plan, _, err := catalog.ImportXLSX(ctx, db, log, tm.ID, "built.xlsx", buf.Bytes(), catalog.XLSXOptions{}, time.Now())
		if !errors.Is(err, catalog.ErrXLSXHasErrors) || !strings.Contains(plan.Errors[0].Msg, "テンプレートには取り込めません") {
			t.Fatalf("built file imported into the template: %v %v", err, plan.Errors)
		}

		// An item the saved checklist uses cannot be deleted by an import.
		used := items[0].Item.Code
		data := withoutRow(t, catalogtest.Exported(t, db, tm), used)
		plan, err = catalog.PlanXLSX(ctx, db, tm.ID, "x.xlsx", data)
		if err != nil || len(plan.Missing) != 1 || len(plan.Missing[0].UsedBy) != 1 {
			t.Fatalf("missing %+v %v", plan.Missing, err)
		}
		plan, _, err = catalog.ImportXLSX(ctx, db, log, tm.ID, "x.xlsx", data, catalog.XLSXOptions{Delete: []string{used}}, time.Now())
		if !errors.Is(err, catalog.ErrXLSXHasErrors) || !strings.Contains(plan.Errors[0].Msg, "削除できません") {
			t.Fatalf("deleting a used item: %v %v", err, plan.Errors)
		}
		// Re-importing the (unfrozen) template renumbers its items; the saved
		// checklist still finds them by code.
		catalogtest.Shipped(t, db, "internal")
		b2, items2, err := st.Built(ctx, id)
		if err != nil || len(items2) != len(items) || b2.Removed != 0 || items2[0].Item.ID == items[0].Item.ID || items2[0].Item.Question != items[0].Item.Question {
			t.Fatalf("after re-import: %v removed %d", err, b2.Removed)
		}
		if _, err := catalog.DeleteItem(ctx, db, log, items2[1].Item.ID, now()); err != nil {
			t.Fatal(err)
		}
		if b3, items3, err := st.Built(ctx, id); err != nil || b3.Removed != 1 || items3[1].Item.ID != 0 || items3[1].Item.Code != items[1].Item.Code {
			t.Fatalf("removed item: %v %+v", err, b3)
		}
	})
}

// withoutRow is a workbook with the row of one item code removed, as
// someone deleting it in Excel would.
func withoutRow(t *testing.T, data []byte, code string) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sheet := f.GetSheetName(0)
	rows, _ := f.GetRows(sheet)
	for i, r := range rows {
		if len(r) > 0 && r[0] == code {
			if err := f.RemoveRow(sheet, i+1); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := f.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			return buf.Bytes()
		}
	}
	t.Fatalf("no row for %s", code)
	return nil
}
