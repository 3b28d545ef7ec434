package roster

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

var (
	jst     = time.FixedZone("JST", 9*60*60)
	april26 = time.Date(2026, 4, 1, 9, 0, 0, 0, jst)
	april27 = time.Date(2027, 4, 1, 9, 0, 0, 0, jst)
)

// roster2026 is the first import into an empty database: every
// department comes from the paths in 所属名.
var roster2026 = [][]string{
	{"令和8年度 職員名簿"},
	{"職員番号", "氏名", "フリガナ", "所属名", "職名", "メールアドレス", "システム担当者", "保護担当者", "個人番号事務取扱担当者"},
	{"1001", "山田 太郎", "ヤマダ タロウ", "区民部 戸籍住民課 住民記録係", "主事", "yamada@example.lg.jp", "○", "", ""},
	{"1002", "佐藤 花子", "サトウ ハナコ", "区民部 戸籍住民課", "課長", "sato@example.lg.jp", "", "○", ""},
	{"1003", "鈴木 一郎", "スズキ イチロウ", "総務部 総務課", "係長", "suzuki@example.lg.jp", "", "", "○"},
	{"1004", "田中 三郎", "タナカ サブロウ", "区民部 戸籍住民課 住民記録係", "主任", "tanaka@example.lg.jp", "", "", ""},
}

// roster2027 is the next year's full roster (an XLSX with codes): 1001
// moves to 総務課, 1003 has left, 1005 is new.
var roster2027 = [][]any{
	{"職員番号", "氏名", "所属コード", "職名", "メールアドレス", "システム担当者", "保護担当者", "個人番号事務取扱担当者", "フリガナ"},
	{"1001", "山田 太郎", "0201", "主事", "yamada@example.lg.jp", "○", "", "", "ヤマダ タロウ"},
	{"1002", "佐藤 花子", "0101", "課長", "sato@example.lg.jp", "", "○", "", "サトウ ハナコ"},
	{"1004", "田中 三郎", "010101", "主任", "tanaka@example.lg.jp", "", "", "", "タナカ サブロウ"},
	{"1005", "伊藤 四郎", "010101", "主事", "ito@example.lg.jp", "", "", "", "イトウ シロウ"},
}

// importFile reads, plans and applies one file, failing the test on any
// problem.
func importFile(t *testing.T, db *database.DB, name string, data []byte, opt Options, now time.Time) (*Plan, *Result) {
	t.Helper()
	ctx := context.Background()
	ex, err := LoadExisting(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	p := Build(mustRead(t, name, data), ex, opt)
	if !p.OK() {
		t.Fatalf("plan errors:\n%s", issuesText(p.Errors))
	}
	log := auditlog.New(db, func() time.Time { return now })
	res, err := Apply(ctx, db, log, p, opt, now, nil)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return p, res
}

func count(t *testing.T, db *database.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// tableCounts is the number of rows in every table an import writes.
func tableCounts(t *testing.T, db *database.DB) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tbl := range []string{"departments", "staff", "staff_assignments", "audit_log"} {
		out[tbl] = count(t, db, "SELECT COUNT(*) FROM "+tbl)
	}
	return out
}

func TestApplyCreatesDepartmentsFromPaths(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		opt := Options{FiscalYear: 2026, CreateDepartments: true}
		ex, err := LoadExisting(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		p := Build(mustRead(t, "名簿.csv", csvFile(t, encSJIS, ',', roster2026)), ex, opt)
		if !p.OK() {
			t.Fatalf("errors:\n%s", issuesText(p.Errors))
		}
		var calls [][2]int
		log := auditlog.New(db, func() time.Time { return april26 })
		res, err := Apply(ctx, db, log, p, opt, april26, func(done, total int) { calls = append(calls, [2]int{done, total}) })
		if err != nil {
			t.Fatal(err)
		}
		if want := (Counts{New: 4, NewDepts: 5}); res.Counts != want {
			t.Errorf("Counts = %+v, want %+v", res.Counts, want)
		}
		if res.StaffWritten != 4 || res.AssignmentsWritten != 4 || len(res.DepartmentIDs) != 5 {
			t.Errorf("Result = %+v", res)
		}
		if len(calls) == 0 || calls[len(calls)-1] != [2]int{4, 4} {
			t.Errorf("progress calls = %v", calls)
		}

		// The tree: code, name, level and parent code of every department.
		rows, err := db.Query(ctx, `SELECT d.code, d.name, d.level, COALESCE(p.code, '') FROM departments d
			LEFT JOIN departments p ON p.id = d.parent_id ORDER BY d.code`)
		if err != nil {
			t.Fatal(err)
		}
		var tree []string
		for rows.Next() {
			var code, name, level, parent string
			if err := rows.Scan(&code, &name, &level, &parent); err != nil {
				t.Fatal(err)
			}
			tree = append(tree, strings.Join([]string{code, name, level, parent}, " "))
		}
		rows.Close()
		wantTree := []string{"01 区民部 部 ", "0101 戸籍住民課 課 01", "010101 住民記録係 係 0101", "02 総務部 部 ", "0201 総務課 課 02"}
		if !reflect.DeepEqual(tree, wantTree) {
			t.Errorf("departments = %q, want %q", tree, wantTree)
		}

		var name, kana, class, dept, email string
		var sys, prot, myno, active bool
		err = db.QueryRow(ctx, `SELECT s.name, s.kana, s.job_class, d.code, s.email, s.is_system, s.is_protection, s.is_mynumber, s.active
			FROM staff s JOIN departments d ON d.id = s.department_id WHERE s.employee_no = ?`, "1002").
			Scan(&name, &kana, &class, &dept, &email, &sys, &prot, &myno, &active)
		if err != nil {
			t.Fatal(err)
		}
		if name != "佐藤\u3000花子" || kana != "サトウ\u3000ハナコ" || class != JobManager || dept != "0101" || email != "sato@example.lg.jp" ||
			sys || !prot || myno || !active {
			t.Errorf("staff 1002 = %q %q %s %s %s %v %v %v %v", name, kana, class, dept, email, sys, prot, myno, active)
		}
		if n := count(t, db, "SELECT COUNT(*) FROM staff_assignments WHERE fiscal_year = 2026 AND active = TRUE"); n != 4 {
			t.Errorf("%d assignments for 2026, want 4", n)
		}

		entries, _, err := log.List(ctx, auditlog.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
			if e.Action == "staff.import" {
				if want := "名簿.csv（令和8年度、全庁）: 新規 4 件, 異動 0 件, 変更 0 件, 退職 0 件, 変更なし 0 件, 所属新設 5 件"; e.Detail != want || e.Target != "roster" {
					t.Errorf("import entry = %q %q, want %q", e.Target, e.Detail, want)
				}
			}
		}
		if n := strings.Count(strings.Join(actions, ","), "department.create"); n != 5 || len(actions) != 6 {
			t.Errorf("audit actions = %v", actions)
		}
		if _, brk, err := log.Verify(ctx); err != nil || brk != nil {
			t.Errorf("audit chain: %v %v", brk, err)
		}
	})
}

func TestApplyNextFiscalYear(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		importFile(t, db, "r8.csv", csvFile(t, encBOM, ',', roster2026), Options{FiscalYear: 2026, CreateDepartments: true}, april26)

		// One leaver of four active staff is above the limit: the import
		// says it means to retire them.
		opt := Options{FiscalYear: 2027, RetireMissing: true}
		p, res := importFile(t, db, "r9.xlsx", xlsxFile(t, roster2027), opt, april27)
		if want := (Counts{New: 1, Moved: 1, Unchanged: 2, Leavers: 1}); res.Counts != want {
			t.Fatalf("Counts = %+v, want %+v\n%+v", res.Counts, want, p.Changes)
		}
		// Only the move, the newcomer and the leaver are written to staff;
		// every listed person and the leaver get a 2027 assignment.
		if res.StaffWritten != 3 || res.AssignmentsWritten != 5 {
			t.Errorf("Result = %+v", res)
		}

		// The leaver is kept, inactive.
		if n := count(t, db, "SELECT COUNT(*) FROM staff WHERE employee_no = '1003' AND active = FALSE"); n != 1 {
			t.Error("1003 is not kept as inactive")
		}
		if n := count(t, db, "SELECT COUNT(*) FROM staff"); n != 5 {
			t.Errorf("%d staff, want 5", n)
		}
		// Unchanged staff are not rewritten.
		var updated database.Time
		if err := db.QueryRow(ctx, "SELECT updated_at FROM staff WHERE employee_no = '1002'").Scan(&updated); err != nil {
			t.Fatal(err)
		}
		if !updated.Equal(april26) {
			t.Errorf("unchanged 1002 updated_at = %v, want the first import's time", updated)
		}

		// History: both years for the mover and the leaver.
		history := func(no string) []string {
			rows, err := db.Query(ctx, `SELECT a.fiscal_year, d.code, a.active FROM staff_assignments a
				JOIN staff s ON s.id = a.staff_id JOIN departments d ON d.id = a.department_id
				WHERE s.employee_no = ? ORDER BY a.fiscal_year`, no)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var fy int
				var code string
				var active bool
				if err := rows.Scan(&fy, &code, &active); err != nil {
					t.Fatal(err)
				}
				state := "在籍"
				if !active {
					state = "退職"
				}
				out = append(out, strings.Join([]string{strconv.Itoa(fy), code, state}, " "))
			}
			return out
		}
		for no, want := range map[string][]string{
			"1001": {"2026 010101 在籍", "2027 0201 在籍"},
			"1003": {"2026 0201 在籍", "2027 0201 退職"},
			"1005": {"2027 010101 在籍"},
		} {
			if got := history(no); !reflect.DeepEqual(got, want) {
				t.Errorf("history of %s = %q, want %q", no, got, want)
			}
		}

		// Importing the same file again changes nothing.
		before := tableCounts(t, db)
		_, res = importFile(t, db, "r9.xlsx", xlsxFile(t, roster2027), opt, april27.Add(time.Hour))
		if want := (Counts{Unchanged: 4}); res.Counts != want || res.StaffWritten != 0 || res.AssignmentsWritten != 0 {
			t.Errorf("re-import: %+v", res)
		}
		after := tableCounts(t, db)
		before["audit_log"]++ // the import itself is logged
		if !reflect.DeepEqual(before, after) {
			t.Errorf("re-import wrote rows: %v → %v", before, after)
		}
	})
}

func TestApplyWritesNothing(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		importFile(t, db, "r8.csv", csvFile(t, encUTF8, ',', roster2026), Options{FiscalYear: 2026, CreateDepartments: true}, april26)
		log := auditlog.New(db, func() time.Time { return april27 })
		opt := Options{FiscalYear: 2027, CreateDepartments: true, RetireMissing: true}
		// Good rows, a new department and one bad row.
		bad := "職員番号,氏名,所属名\n1001,山田 太郎,総務部 総務課\n1006,新人,区民部 新設課\n1007,,総務部 総務課\n"
		good := "職員番号,氏名,所属名\n1001,山田 太郎,総務部 総務課\n1006,新人,区民部 新設課\n"

		tests := []struct {
			name    string
			plan    func(t *testing.T) *Plan
			opt     Options
			wantErr error
		}{
			{
				name: "plan with errors",
				plan: func(t *testing.T) *Plan {
					ex, err := LoadExisting(ctx, db)
					if err != nil {
						t.Fatal(err)
					}
					return Build(mustRead(t, "bad.csv", []byte(bad)), ex, opt)
				},
				opt:     opt,
				wantErr: ErrPlanHasErrors,
			},
			{
				name: "someone changed staff after the preview",
				plan: func(t *testing.T) *Plan {
					ex, err := LoadExisting(ctx, db)
					if err != nil {
						t.Fatal(err)
					}
					p := Build(mustRead(t, "good.csv", []byte(good)), ex, opt)
					if _, err := db.Exec(ctx, "UPDATE staff SET email = ?, updated_at = ? WHERE employee_no = '1004'",
						"new@example.lg.jp", database.T(april27)); err != nil {
						t.Fatal(err)
					}
					return p
				},
				opt:     opt,
				wantErr: ErrStale,
			},
			{
				// A failure after departments were created and the audit
				// entry written (a department id that does not exist) must
				// roll all of it back.
				name: "failure part-way",
				plan: func(t *testing.T) *Plan {
					ex, err := LoadExisting(ctx, db)
					if err != nil {
						t.Fatal(err)
					}
					ex.stamp = ""
					ex.Departments = append(ex.Departments, Department{ID: 9999, Code: "99", Name: "幻部", Level: "部", Active: true})
					p := Build(mustRead(t, "ghost.csv", []byte("職員番号,氏名,所属名\n1006,新人,区民部 新設課\n1008,幽霊,幻部\n")), ex, opt)
					if !p.OK() || len(p.NewDepts) != 1 {
						t.Fatalf("the plan must be applicable: %+v", p)
					}
					return p
				},
				opt: opt,
			},
			{
				// The good file retires three of four active staff: without
				// consent nothing is written.
				name: "no consent to retire most staff",
				plan: func(t *testing.T) *Plan {
					ex, err := LoadExisting(ctx, db)
					if err != nil {
						t.Fatal(err)
					}
					p := Build(mustRead(t, "good.csv", []byte(good)), ex, opt)
					if !p.NeedsConsent() || p.Counts().Leavers != 3 || p.Active != 4 {
						t.Fatalf("plan: consent %v, %+v, active %d", p.NeedsConsent(), p.Counts(), p.Active)
					}
					return p
				},
				opt:     Options{FiscalYear: 2027, CreateDepartments: true},
				wantErr: ErrNeedsConsent,
			},
			{
				name: "options differ from the plan's",
				plan: func(t *testing.T) *Plan {
					ex, err := LoadExisting(ctx, db)
					if err != nil {
						t.Fatal(err)
					}
					return Build(mustRead(t, "good.csv", []byte(good)), ex, opt)
				},
				opt: Options{FiscalYear: 2028, CreateDepartments: true},
			},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := tt.plan(t)
				before := tableCounts(t, db)
				res, err := Apply(ctx, db, log, p, tt.opt, april27, nil)
				if err == nil || res != nil {
					t.Fatalf("Apply = %+v, %v; want an error", res, err)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Errorf("err = %v, want %v", err, tt.wantErr)
				}
				if !strings.HasPrefix(err.Error(), "roster.Apply: ") {
					t.Errorf("err %q not wrapped with the operation name", err)
				}
				if after := tableCounts(t, db); !reflect.DeepEqual(before, after) {
					t.Errorf("rows written: %v → %v", before, after)
				}
			})
		}
		if n := count(t, db, "SELECT COUNT(*) FROM departments WHERE name = '新設課'"); n != 0 {
			t.Errorf("新設課 was created")
		}
	})
}

// TestApplyOncePerSource: an upload is imported once. Applying it again —
// later (the back button) or at the same time (a double submit) — is
// refused and writes nothing; Imported finds the one import's entry.
func TestApplyOncePerSource(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		importFile(t, db, "r8.csv", csvFile(t, encUTF8, ',', roster2026), Options{FiscalYear: 2026, CreateDepartments: true}, april26)
		log := auditlog.New(db, func() time.Time { return april27 })
		opt := Options{FiscalYear: 2027, RetireMissing: true, Source: "blob:42"}
		data := xlsxFile(t, roster2027)
		plan := func() *Plan {
			ex, err := LoadExisting(ctx, db)
			if err != nil {
				t.Fatal(err)
			}
			return Build(mustRead(t, "r9.xlsx", data), ex, opt)
		}
		// Two confirmations at once: exactly one import.
		p1, p2 := plan(), plan()
		errs := make(chan error, 2)
		for _, p := range []*Plan{p1, p2} {
			go func() { _, err := Apply(ctx, db, log, p, opt, april27, nil); errs <- err }()
		}
		var failed []error
		for range 2 {
			if err := <-errs; err != nil {
				failed = append(failed, err)
			}
		}
		// The loser sees either the winner's entry or its changes.
		if len(failed) != 1 || !errors.Is(failed[0], ErrAlreadyImported) && !errors.Is(failed[0], ErrStale) {
			t.Fatalf("double submit: errors %v, want one refusal", failed)
		}
		e, ok, err := Imported(ctx, log, "blob:42")
		if err != nil || !ok || !strings.Contains(e.Detail, "退職 1 件") || !strings.Contains(e.Detail, "変更なし 2 件") {
			t.Fatalf("Imported = %+v %v %v", e, ok, err)
		}
		if _, ok, _ := Imported(ctx, log, "blob:4"); ok {
			t.Error("Imported matches a prefix of the source")
		}
		// Later, with a fresh plan (nothing would change any more): refused.
		before := tableCounts(t, db)
		if _, err := Apply(ctx, db, log, plan(), opt, april27, nil); !errors.Is(err, ErrAlreadyImported) {
			t.Errorf("replay: err = %v, want ErrAlreadyImported", err)
		}
		if after := tableCounts(t, db); !reflect.DeepEqual(before, after) {
			t.Errorf("replay wrote rows: %v → %v", before, after)
		}
	})
}
