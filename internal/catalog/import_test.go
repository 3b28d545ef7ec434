package catalog_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/auditlog"
	"mamori/internal/catalog"
	"mamori/internal/catalog/catalogtest"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/tabular"
)

// shipped imports the authored catalogue into db and returns the template
// of kind.
func shipped(t *testing.T, db *database.DB, kind string) (catalog.StoredTemplate, *auditlog.Log) {
	t.Helper()
	return catalogtest.Shipped(t, db, kind)
}

// exported is the template's spreadsheet as the export screen serves it.
func exported(t *testing.T, db *database.DB, tm catalog.StoredTemplate) []byte {
	t.Helper()
	return catalogtest.Exported(t, db, tm)
}

// sheetEdit opens an exported workbook for editing cells by item code and
// column header, as someone editing it in Excel would.
type sheetEdit struct {
	t      *testing.T
	f      *excelize.File
	sheet  string
	header int            // 1-based row of the header
	col    map[string]int // header → 1-based column
}

func openEdit(t *testing.T, data []byte) *sheetEdit {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	e := &sheetEdit{t: t, f: f, sheet: f.GetSheetName(0), col: map[string]int{}}
	rows, _ := f.GetRows(e.sheet)
	for i, r := range rows {
		if len(r) > 2 && r[0] == "No" {
			e.header = i + 1
			for j, h := range r {
				e.col[h] = j + 1
			}
			break
		}
	}
	if e.header == 0 {
		t.Fatalf("no header row in %q", rows[:min(len(rows), 5)])
	}
	return e
}

// row returns the 1-based row of item code.
func (e *sheetEdit) row(code string) int {
	e.t.Helper()
	rows, _ := e.f.GetRows(e.sheet)
	for i := e.header; i < len(rows); i++ {
		if len(rows[i]) > 0 && rows[i][0] == code {
			return i + 1
		}
	}
	e.t.Fatalf("no row for %s", code)
	return 0
}

func (e *sheetEdit) ref(row int, head string) string {
	e.t.Helper()
	c, ok := e.col[head]
	if !ok {
		e.t.Fatalf("no column %q", head)
	}
	ref, _ := excelize.CoordinatesToCellName(c, row)
	return ref
}

func (e *sheetEdit) get(row int, head string) string {
	v, _ := e.f.GetCellValue(e.sheet, e.ref(row, head))
	return v
}

func (e *sheetEdit) set(row int, head, v string) {
	e.t.Helper()
	if err := e.f.SetCellStr(e.sheet, e.ref(row, head), v); err != nil {
		e.t.Fatal(err)
	}
}

func (e *sheetEdit) bytes() []byte {
	e.t.Helper()
	var buf bytes.Buffer
	if _, err := e.f.WriteTo(&buf); err != nil {
		e.t.Fatal(err)
	}
	return buf.Bytes()
}

// snapshot is every stored field of every item of a template (and the
// audit log's length), to prove nothing was written.
func snapshot(t *testing.T, db *database.DB, tid int64) string {
	t.Helper()
	items, err := catalog.NewStore(db).Items(context.Background(), catalog.ItemFilter{TemplateID: tid})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_log").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d audit entries\n%+v", n, items)
}

// TestXLSXRoundTripUnchanged: every shipped template exported and
// imported back as it is reports no change and writes nothing; every
// field survives.
func TestXLSXRoundTripUnchanged(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		_, log := shipped(t, db, "internal")
		ts, err := catalog.NewStore(db).Templates(ctx)
		if err != nil || len(ts) < 5 {
			t.Fatalf("%d templates: %v", len(ts), err)
		}
		for _, tm := range ts {
			kind := tm.Kind
			data := exported(t, db, tm)
			f, err := excelize.OpenReader(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if v, err := f.GetSheetVisible("取込情報"); err != nil || v {
				t.Fatalf("meta sheet visible=%v err=%v", v, err)
			}
			before := snapshot(t, db, tm.ID)
			plan, res, err := catalog.ImportXLSX(ctx, db, log, tm.ID, "checklist.xlsx", data, catalog.XLSXOptions{}, time.Now())
			if err != nil {
				t.Fatalf("%s: %v\n%v", kind, err, plan.Errors)
			}
			if !plan.NoChanges() || len(plan.Missing) != 0 || len(plan.New) != 0 || plan.Unchanged != plan.DataRows || plan.DataRows < 50 {
				var b strings.Builder
				plan.Report(&b)
				t.Fatalf("%s: round trip not clean:\n%s", kind, b.String())
			}
			if res.Unchanged != plan.Unchanged || res.Changed+res.Added+res.Deleted != 0 {
				t.Fatalf("%s: result %+v", kind, res)
			}
			var b strings.Builder
			plan.Report(&b)
			if !strings.Contains(b.String(), "変更なし") || !strings.Contains(strings.Join(plan.Notes, ""), "判定・所見") {
				t.Fatalf("%s: report %q notes %q", kind, b.String(), plan.Notes)
			}
			if after := snapshot(t, db, tm.ID); after != before {
				t.Fatalf("%s: an unchanged file changed the database", kind)
			}
		}
	})
}

// TestXLSXEditedCells: cells edited with excelize are exactly the changes
// reported and written; judgement and findings are ignored; a new row is
// added, a removed row is kept unless deleted.
func TestXLSXEditedCells(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		tm, log := shipped(t, db, "internal")
		st := catalog.NewStore(db)
		items, _ := st.Items(ctx, catalog.ItemFilter{TemplateID: tm.ID})
		a, b, c, d := items[0], items[1], items[2], items[3]
		e := openEdit(t, exported(t, db, tm))
		ra, rb, rc := e.row(a.Code), e.row(b.Code), e.row(c.Code)
		e.set(ra, "監査項目", a.Question+"（Excel で修正）")
		tech := "ヒアリング"
		if len(a.Techniques) == 1 && a.Techniques[0] == "interview" {
			tech = "文書・記録の閲覧、技術的検証"
		}
		e.set(ra, "技法", tech)
		site := "○"
		if b.SiteInspection {
			site = ""
		}
		e.set(rb, "視察", site)
		// A clause the item does not check yet, written as the export writes them.
		extra := "mic-policy 9.1"
		for _, cl := range b.Clauses {
			if cl.Framework+" "+cl.Number == extra {
				extra = "mic-policy 9.2"
			}
		}
		e.set(rb, "根拠規定", e.get(rb, "根拠規定")+"\n"+extra)
		e.set(rc, "判定", "〇")
		e.set(rc, "所見", "規程は整備されている。")
		// A new item at the end.
		last := e.header + len(items) + 1
		for head, v := range map[string]string{"No": "IN-X-99", "分類": "組織体制／試行", "監査項目": "試行の項目を確認しているか。",
			"判定基準": "適合: 確認している\n不適合: 確認していない", "監査資料の例": "・試行記録", "確認方法": "・記録を閲覧する", "根拠規定": "mic-policy 1.1",
			"重要度": "推奨", "技法": "document", "対象": "全所属", "脅威": "内部不正", "事前調査": "", "備考": "Excel で追加"} {
			e.set(last, head, v)
		}
		// Item d's row removed.
		if err := e.f.RemoveRow(e.sheet, e.row(d.Code)); err != nil {
			t.Fatal(err)
		}
		data := e.bytes()

		plan, err := catalog.PlanXLSX(ctx, db, tm.ID, "edited.xlsx", data)
		if err != nil || !plan.OK() {
			t.Fatalf("plan: %v %v", err, plan.Errors)
		}
		got := map[string][]string{}
		for _, it := range plan.Changed {
			for _, ch := range it.Changes {
				got[it.Code] = append(got[it.Code], ch.Column)
			}
		}
		want := map[string][]string{a.Code: {"監査項目", "技法"}, b.Code: {"根拠規定", "視察"}}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("changes %v, want %v", got, want)
		}
		if plan.Changed[0].Changes[0].Old != a.Question || plan.Changed[0].Changes[0].New != a.Question+"（Excel で修正）" {
			t.Fatalf("question change %+v", plan.Changed[0].Changes[0])
		}
		if len(plan.New) != 1 || plan.New[0].Code != "IN-X-99" || plan.New[0].Row != last-1 {
			t.Fatalf("new %+v (row %d)", plan.New, last-1)
		}
		if len(plan.Missing) != 1 || plan.Missing[0].Code != d.Code || plan.Unchanged != len(items)-3 || plan.Reordered {
			t.Fatalf("missing %+v unchanged %d of %d reordered %v", plan.Missing, plan.Unchanged, len(items), plan.Reordered)
		}
		// The preview's fingerprint must match; a wrong one writes nothing.
		if _, _, err := catalog.ImportXLSX(ctx, db, log, tm.ID, "edited.xlsx", data, catalog.XLSXOptions{Fingerprint: "stale"}, time.Now()); !errors.Is(err, catalog.ErrXLSXStale) {
			t.Fatalf("stale fingerprint: %v", err)
		}
		_, res, err := catalog.ImportXLSX(ctx, db, log, tm.ID, "edited.xlsx", data,
			catalog.XLSXOptions{Delete: []string{d.Code}, Fingerprint: plan.Fingerprint()}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if res.Changed != 2 || res.Added != 1 || res.Deleted != 1 || res.Kept != 0 {
			t.Fatalf("result %+v", res)
		}
		after, _ := st.Items(ctx, catalog.ItemFilter{TemplateID: tm.ID})
		byCode := map[string]catalog.StoredItem{}
		for _, it := range after {
			byCode[it.Code] = it
		}
		if byCode[a.Code].Question != a.Question+"（Excel で修正）" || byCode[b.Code].SiteInspection == b.SiteInspection || len(byCode[b.Code].Clauses) != len(b.Clauses)+1 {
			t.Fatalf("not written: %+v / %+v", byCode[a.Code], byCode[b.Code])
		}
		if _, ok := byCode[d.Code]; ok {
			t.Fatal("deleted item still there")
		}
		n := byCode["IN-X-99"]
		if n.Priority != "recommended" || n.Criteria.Partial != "" || n.Criteria.Nonconform != "確認していない" || fmt.Sprint(n.Techniques) != "[document]" ||
			fmt.Sprint(n.Threats) != "[insider]" || fmt.Sprint(n.Applicability) != "[all]" || n.Notes != "Excel で追加" || len(n.Clauses) != 1 ||
			after[len(after)-1].Code != "IN-X-99" {
			t.Fatalf("new item %+v", n)
		}
		if catalogtest.AuditCount(t, db, "catalog.template_xlsx_import") != 1 {
			t.Fatal("import not audited")
		}
		var detail string
		_ = db.QueryRow(ctx, "SELECT detail FROM audit_log WHERE action = 'catalog.template_xlsx_import'").Scan(&detail)
		if !strings.Contains(detail, "変更 2・追加 1・削除 1") {
			t.Fatalf("audit detail %q", detail)
		}
		// Exported again, the file is what is stored.
		plan, err = catalog.PlanXLSX(ctx, db, tm.ID, "again.xlsx", exported(t, db, tm))
		if err != nil || !plan.OK() || !plan.NoChanges() || len(plan.Missing) != 0 {
			t.Fatalf("second round trip: %v %+v", err, plan)
		}
	})
}

// TestXLSXBrokenRows: every broken row is reported with its sheet, row,
// column and reason, and nothing is written.
func TestXLSXBrokenRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		tm, log := shipped(t, db, "internal")
		items, _ := catalog.NewStore(db).Items(ctx, catalog.ItemFilter{TemplateID: tm.ID})
		e := openEdit(t, exported(t, db, tm))
		r := func(i int) int { return e.row(items[i].Code) }
		rows := []int{r(0), r(1), r(2), r(3), r(4), r(5), r(6), r(7), r(8)}
		e.set(rows[0], "技法", "ヒヤリング")
		e.set(rows[1], "監査項目", "  ")
		e.set(rows[2], "No", items[3].Code)
		e.set(rows[4], "根拠規定", "mic-policy 99.9")
		e.set(rows[5], "視察", "△")
		e.set(rows[6], "重要度", "高")
		e.set(rows[7], "判定基準", "規程があればよい")
		e.set(rows[8], "根拠規定", "no-such-framework 1")
		data := e.bytes()
		before := snapshot(t, db, tm.ID)
		plan, res, err := catalog.ImportXLSX(ctx, db, log, tm.ID, "broken.xlsx", data, catalog.XLSXOptions{}, time.Now())
		if !errors.Is(err, catalog.ErrXLSXHasErrors) || res != nil {
			t.Fatalf("err %v res %+v", err, res)
		}
		want := []struct {
			row       int
			col, text string
		}{
			{rows[0], "技法", "技法「ヒヤリング」は使えません"},
			{rows[1], "監査項目", "監査項目（質問）がありません"},
			{rows[3], "No", fmt.Sprintf("%d 行目と重複", rows[2])},
			{rows[4], "根拠規定", "条項「mic-policy 99.9」は登録されていません"},
			{rows[5], "視察", "「△」は使えません"},
			{rows[6], "重要度", "重要度「高」は使えません"},
			{rows[7], "判定基準", "「適合:」「一部不適合:」「不適合:」で始まる行"},
			{rows[8], "根拠規定", "枠組み「no-such-framework」は登録されていません"},
		}
		for _, w := range want {
			found := false
			for _, is := range plan.Errors {
				if is.Row == w.row && is.Column == w.col && strings.Contains(is.Msg, w.text) && is.Sheet == e.sheet {
					found = true
				}
			}
			if !found {
				t.Errorf("no error at row %d [%s] %q in:\n%v", w.row, w.col, w.text, plan.Errors)
			}
		}
		if len(plan.Errors) != len(want) {
			t.Errorf("%d errors, want %d: %v", len(plan.Errors), len(want), plan.Errors)
		}
		if s := plan.Errors[0].String(); !strings.Contains(s, "シート「"+e.sheet+"」") || !strings.Contains(s, fmt.Sprintf("%d行目 K列 [技法]", rows[0])) {
			t.Errorf("issue text %q", s)
		}
		if after := snapshot(t, db, tm.ID); after != before {
			t.Fatal("a file with errors changed the database")
		}
	})
}

// TestXLSXOtherFiles: files of another layout, another template, a built
// checklist, missing columns or a frozen version are refused with a clear
// reason, and nothing is written.
func TestXLSXOtherFiles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		tm, log := shipped(t, db, "internal")
		other, _ := catalog.NewStore(db).TemplateByKind(ctx, "system", tm.Version)
		var roster bytes.Buffer
		if err := tabular.Write(&roster, tabular.Formats[2], tabular.Table{Sheet: "職員名簿", Headers: []string{"職員番号", "氏名", "所属"},
			Rows: [][]string{{"100001", "日野 太郎", "情報政策課"}}}); err != nil {
			t.Fatal(err)
		}
		noTech := openEdit(t, exported(t, db, tm))
		if err := noTech.f.RemoveCol(noTech.sheet, "K"); err != nil { // 技法
			t.Fatal(err)
		}
		cases := []struct {
			name string
			tid  int64
			data []byte
			want string
		}{
			{"roster", tm.ID, roster.Bytes(), "Mamori が出力したチェックリストの Excel ではありません"},
			{"csv", tm.ID, []byte("No,監査項目\nA,B\n"), "Excel（.xlsx）のファイルとして読めません"},
			{"other template", other.ID, exported(t, db, tm), "「内部監査」令和8年度版から出力したものです。取り込み先の「情報システム監査」"},
			{"missing column", tm.ID, noTech.bytes(), "見出し「技法」の列がありません"},
		}
		before := snapshot(t, db, tm.ID) + snapshot(t, db, other.ID)
		for _, c := range cases {
			plan, _, err := catalog.ImportXLSX(ctx, db, log, c.tid, c.name+".xlsx", c.data, catalog.XLSXOptions{}, time.Now())
			if !errors.Is(err, catalog.ErrXLSXHasErrors) || len(plan.Errors) == 0 || !strings.Contains(plan.Errors[0].Msg, c.want) {
				t.Errorf("%s: %v %v", c.name, err, plan.Errors)
			}
			var b strings.Builder
			plan.Report(&b)
			if !strings.Contains(b.String(), c.name+".xlsx") || !strings.Contains(b.String(), "何も書き込みません") {
				t.Errorf("%s: report %q", c.name, b.String())
			}
		}
		if after := snapshot(t, db, tm.ID) + snapshot(t, db, other.ID); after != before {
			t.Fatal("a refused file changed the database")
		}
		if _, err := db.Exec(ctx, "UPDATE checklist_templates SET frozen = TRUE WHERE id = ?", tm.ID); err != nil {
			t.Fatal(err)
		}
		plan, _, err := catalog.ImportXLSX(ctx, db, log, tm.ID, "frozen.xlsx", exported(t, db, tm), catalog.XLSXOptions{}, time.Now())
		if !errors.Is(err, catalog.ErrXLSXHasErrors) || !strings.Contains(plan.Errors[0].Msg, "凍結") {
			t.Fatalf("frozen: %v %v", err, plan.Errors)
		}
	})
}

// TestXLSXDryRunAndReorder: a dry run writes nothing; rows moved in the
// file reorder the items.
func TestXLSXDryRunAndReorder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		tm, log := shipped(t, db, "cloud")
		st := catalog.NewStore(db)
		items, _ := st.Items(ctx, catalog.ItemFilter{TemplateID: tm.ID})
		e := openEdit(t, exported(t, db, tm))
		// Swap the first two items' rows: every cell of the two rows.
		r1, r2 := e.row(items[0].Code), e.row(items[1].Code)
		for head := range e.col {
			v1, v2 := e.get(r1, head), e.get(r2, head)
			e.set(r1, head, v2)
			e.set(r2, head, v1)
		}
		data := e.bytes()
		before := snapshot(t, db, tm.ID)
		plan, res, err := catalog.ImportXLSX(ctx, db, log, tm.ID, "moved.xlsx", data, catalog.XLSXOptions{DryRun: true}, time.Now())
		if err != nil || res != nil || !plan.Reordered || len(plan.Changed) != 0 {
			t.Fatalf("dry run: %v %+v %+v", err, res, plan)
		}
		if snapshot(t, db, tm.ID) != before {
			t.Fatal("dry run wrote")
		}
		if _, _, err := catalog.ImportXLSX(ctx, db, log, tm.ID, "moved.xlsx", data, catalog.XLSXOptions{}, time.Now()); err != nil {
			t.Fatal(err)
		}
		after, _ := st.Items(ctx, catalog.ItemFilter{TemplateID: tm.ID})
		if after[0].Code != items[1].Code || after[1].Code != items[0].Code || after[2].Code != items[2].Code {
			t.Fatalf("order %s %s %s", after[0].Code, after[1].Code, after[2].Code)
		}
	})
}

// fakeUse is what the ItemUse registered by TestItemUseBlocksDeletion
// reports (nil outside that test).
var fakeUse map[string][]string

// TestItemUseBlocksDeletion: an item that a registered user of items (a
// feature keeping checklists) reports in use is listed as used and cannot
// be deleted by an import; nothing is written.
func TestItemUseBlocksDeletion(t *testing.T) {
	catalog.RegisterItemUse("catalog_test.fake", func(context.Context, *database.DB, int64) (map[string][]string, error) {
		return fakeUse, nil
	})
	t.Cleanup(func() { fakeUse = nil })
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		tm, log := shipped(t, db, "cloud")
		items, _ := catalog.NewStore(db).Items(ctx, catalog.ItemFilter{TemplateID: tm.ID})
		used := items[0].Code
		fakeUse = map[string][]string{used: {"試験用の監査チェックリスト"}}
		e := openEdit(t, exported(t, db, tm))
		if err := e.f.RemoveRow(e.sheet, e.row(used)); err != nil {
			t.Fatal(err)
		}
		data := e.bytes()
		plan, err := catalog.PlanXLSX(ctx, db, tm.ID, "x.xlsx", data)
		if err != nil || len(plan.Missing) != 1 || fmt.Sprint(plan.Missing[0].UsedBy) != "[試験用の監査チェックリスト]" {
			t.Fatalf("missing %+v %v", plan.Missing, err)
		}
		before := snapshot(t, db, tm.ID)
		plan, _, err = catalog.ImportXLSX(ctx, db, log, tm.ID, "x.xlsx", data, catalog.XLSXOptions{Delete: []string{used}}, time.Now())
		if !errors.Is(err, catalog.ErrXLSXHasErrors) || !strings.Contains(plan.Errors[0].Msg, "「試験用の監査チェックリスト」で使われているため削除できません") {
			t.Fatalf("deleting a used item: %v %v", err, plan.Errors)
		}
		if snapshot(t, db, tm.ID) != before {
			t.Fatal("a refused deletion wrote")
		}
		fakeUse = nil
		if _, _, err := catalog.ImportXLSX(ctx, db, log, tm.ID, "x.xlsx", data, catalog.XLSXOptions{Delete: []string{used}}, time.Now()); err != nil {
			t.Fatalf("deleting an item nobody uses: %v", err)
		}
	})
}
