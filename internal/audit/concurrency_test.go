package audit_test

import (
	"errors"
	"fmt"
	"mamori/internal/testkit"
	"testing"
	"time"

	"mamori/internal/audit"
	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/webtest"
)

// succeeded counts the nil errors.
func succeeded(errs []error) int {
	n := 0
	for _, err := range errs {
		if err == nil {
			n++
		}
	}
	return n
}

// TestAuditWritesInFlightTogether: writes that read, check and then write
// run side by side on PostgreSQL (SQLite has one writer and hides these
// races). Each case starts the competing calls at once and checks that
// nothing was lost, duplicated or turned into a bare SQL error. The demo
// ward is built once per backend; the cases use separate engagements.
func TestAuditWritesInFlightTogether(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		ctx := t.Context()
		st := audit.NewStoreFrom(s.Deps())
		by := audit.Actor{UserID: s.ID("SELECT id FROM users WHERE login = 'auditor'"), Name: "監査 太郎"}
		load := func(id int64) audit.Engagement {
			t.Helper()
			e, err := st.Engagement(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return e
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := s.DB.Exec(ctx, q, args...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		fw := newFieldworkOn(t, s) // 障害者福祉課, in 実施

		// 前年どおり確認済 against a save of the same item read at the same
		// rev: exactly one wins, and the item holds the winner's judgement.
		t.Run("ConfirmPreviousAgainstSaveItem", func(t *testing.T) {
			const n = 8
			ids := make([]int64, n)
			for i := range n {
				ids[i] = fw.item(i)
				exec("UPDATE audit_items SET prev_judgement = 'partial', prev_notes = '前年のメモ', judgement = '', notes = '', rev = 0 WHERE id = ?", ids[i])
			}
			errs := testkit.Together(2*n, func(k int) error {
				id := ids[k/2]
				if k%2 == 0 {
					_, err := st.ConfirmPrevious(ctx, fw.eid, []audit.ItemRev{{ID: id, Rev: 0}}, by)
					return err
				}
				_, err := st.SaveItem(ctx, fw.eid, id, 0, audit.ItemUpdate{Judgement: "conform", Status: "doing", Notes: "今年の確認"}, by)
				return err
			})
			for i, id := range ids {
				confirmErr, saveErr := errs[2*i], errs[2*i+1]
				for _, err := range []error{confirmErr, saveErr} {
					if err != nil && !errors.Is(err, audit.ErrConflict) {
						t.Errorf("item %d: %v", id, err)
					}
				}
				j, _, _, _, rev := fw.row(t, id)
				switch {
				case confirmErr == nil && saveErr == nil:
					t.Errorf("item %d: both the confirmation and the save reported success; stored %q rev %d", id, j, rev)
				case confirmErr == nil && j != "partial":
					t.Errorf("item %d: confirmed as last year's, but stored %q", id, j)
				case saveErr == nil && j != "conform":
					t.Errorf("item %d: saved as conform, but stored %q", id, j)
				}
			}
		})

		// The first uploads of an engagement create its key once.
		t.Run("FirstEvidenceUploads", func(t *testing.T) {
			exec("DELETE FROM audit_evidence WHERE engagement_id = ?", fw.eid)
			exec("DELETE FROM audit_keys WHERE engagement_id = ?", fw.eid)
			const n = 10
			errs := testkit.Together(n, func(i int) error {
				_, err := st.AddEvidence(ctx, fw.eid, audit.EvidenceInput{Kind: audit.EvidenceFile, Filename: fmt.Sprintf("memo%d.txt", i),
					ContentType: "text/plain", Data: []byte(fmt.Sprintf("記録 %d", i))}, by)
				return err
			})
			for i, err := range errs {
				if err != nil {
					t.Errorf("upload %d: %v", i, err)
				}
			}
			if got := s.Count("SELECT COUNT(*) FROM audit_evidence WHERE engagement_id = ?", fw.eid); got != n {
				t.Errorf("%d evidence records, want %d", got, n)
			}
			for i := range n {
				var id int64
				if errs[i] != nil {
					continue
				}
				if err := s.DB.QueryRow(ctx, "SELECT id FROM audit_evidence WHERE engagement_id = ? AND filename = ?", fw.eid, fmt.Sprintf("memo%d.txt", i)).Scan(&id); err != nil {
					t.Errorf("evidence %d: %v", i, err)
					continue
				}
				if _, data, err := st.EvidenceFile(ctx, fw.eid, id); err != nil || string(data) != fmt.Sprintf("記録 %d", i) {
					t.Errorf("evidence %d reads %q, %v", i, data, err)
				}
			}
		})

		// Moving the checklist to a newer template twice at once: one moves
		// it, the other is a conflict (not a duplicate item).
		t.Run("UpgradeChecklistTwice", func(t *testing.T) {
			var tid int64
			var version int
			if err := s.DB.QueryRow(ctx, "SELECT template_id, template_version FROM audit_engagements WHERE id = ?", fw.eid).Scan(&tid, &version); err != nil {
				t.Fatal(err)
			}
			newID, err := catalog.CopyTemplate(ctx, s.DB, s.Log, tid, version+1, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			exec(`INSERT INTO checklist_items (template_id, code, category, question, criteria_conform, criteria_nonconform, techniques, priority, applicability, sort_order)
				VALUES (?, 'IN-NEW-01', '運用／生成AIの利用', '生成AIサービスの業務利用について定めているか。', '定めている。', '定めていない。', 'interview', 'required', 'all', 9999)`, newID)
			const n = 6
			errs := testkit.Together(n, func(int) error {
				_, err := st.UpgradeChecklist(ctx, fw.eid, tid, newID, true, by)
				return err
			})
			for i, err := range errs {
				if err != nil && !errors.Is(err, audit.ErrConflict) {
					t.Errorf("upgrade %d: %v", i, err)
				}
			}
			if ok := succeeded(errs); ok != 1 {
				t.Errorf("%d upgrades succeeded, want 1", ok)
			}
			if got := s.Count("SELECT COUNT(*) FROM audit_items WHERE engagement_id = ? AND code = 'IN-NEW-01'", fw.eid); got != 1 {
				t.Errorf("the new item is there %d times", got)
			}
		})

		fid, dept := findingEngagement(t, s)
		fe := load(fid)

		// Two people saving the empty witness record at once: one is saved,
		// the other is told of the conflict.
		t.Run("WitnessFirstSaves", func(t *testing.T) {
			const n = 10
			errs := testkit.Together(n, func(i int) error {
				_, err := st.SaveWitness(ctx, fe, []audit.WitnessInput{
					{Point: "progress", Rating: "good", Comment: fmt.Sprintf("進捗 %d", i)},
					{Point: "evidence", Rating: "fair", Comment: fmt.Sprintf("証拠 %d", i)},
				}, by)
				return err
			})
			for i, err := range errs {
				if err != nil && !errors.Is(err, audit.ErrConflict) {
					t.Errorf("save %d: %v", i, err)
				}
			}
			if ok := succeeded(errs); ok != 1 {
				t.Errorf("%d saves succeeded, want 1", ok)
			}
		})

		// Findings added at once all get their own number.
		var created []int64
		t.Run("CreateFindings", func(t *testing.T) {
			const n = 10
			ids := make([]int64, n)
			errs := testkit.Together(n, func(i int) error {
				var err error
				ids[i], err = st.CreateFinding(ctx, fe, audit.FindingInput{Type: audit.FindingObservation, Title: fmt.Sprintf("観察 %d", i),
					DepartmentID: dept, Condition: "記録簿の記入が遅れていた。"}, by)
				return err
			})
			for i, err := range errs {
				if err != nil {
					t.Errorf("finding %d: %v", i, err)
				} else {
					created = append(created, ids[i])
				}
			}
			if got := s.Count("SELECT COUNT(DISTINCT seq) FROM audit_findings WHERE engagement_id = ?", fid); got != n {
				t.Errorf("%d distinct numbers for %d findings", got, n)
			}
		})

		// Deleting a finding while it is changed (both read at one rev):
		// not both succeed, and what succeeded is what is stored.
		t.Run("DeleteFindingAgainstUpdate", func(t *testing.T) {
			if len(created) == 0 {
				t.Skip("no findings")
			}
			errs := testkit.Together(2*len(created), func(k int) error {
				id := created[k/2]
				if k%2 == 0 {
					return st.DeleteFinding(ctx, fe, id, 1, by)
				}
				return st.UpdateFinding(ctx, fe, id, 1, audit.FindingInput{Type: audit.FindingObservation, Title: "更新した観察",
					DepartmentID: dept, Condition: "記録簿の記入が遅れていた。"}, by)
			})
			for i, id := range created {
				delErr, updErr := errs[2*i], errs[2*i+1]
				for _, err := range []error{delErr, updErr} {
					if err != nil && !errors.Is(err, audit.ErrConflict) && !errors.Is(err, database.ErrNotFound) {
						t.Errorf("finding %d: %v", id, err)
					}
				}
				left := s.Count("SELECT COUNT(*) FROM audit_findings WHERE id = ?", id)
				switch {
				case delErr == nil && updErr == nil:
					t.Errorf("finding %d: both the deletion and the change reported success (%d left)", id, left)
				case delErr == nil && left != 0:
					t.Errorf("finding %d: reported deleted but still stored", id)
				case updErr == nil && left != 1:
					t.Errorf("finding %d: reported changed but gone", id)
				}
			}
		})

		pid := engagementOf(t, s, "生活福祉課") // 事前調査

		// One catalogue item added twice at once: added once, the other
		// told it is there already.
		t.Run("AddItemTwice", func(t *testing.T) {
			rows, err := s.DB.Query(ctx, `SELECT ci.code FROM checklist_items ci WHERE ci.template_id = (SELECT template_id FROM audit_engagements WHERE id = ?)
				AND ci.code NOT IN (SELECT code FROM audit_items WHERE engagement_id = ?) ORDER BY ci.code LIMIT 4`, pid, pid)
			if err != nil {
				t.Fatal(err)
			}
			var codes []string
			for rows.Next() {
				var c string
				if err := rows.Scan(&c); err != nil {
					t.Fatal(err)
				}
				codes = append(codes, c)
			}
			rows.Close()
			if len(codes) == 0 {
				t.Fatal("no item to add")
			}
			const n = 8
			errs := testkit.Together(n*len(codes), func(i int) error {
				_, err := st.AddItem(ctx, pid, audit.AddItemInput{Code: codes[i%len(codes)], Reason: "重点的に確認するため"}, by)
				return err
			})
			var fe audit.FieldErrors
			for i, err := range errs {
				if err != nil && !errors.As(err, &fe) {
					t.Errorf("add %d: %v", i, err)
				}
			}
			if ok := succeeded(errs); ok != len(codes) {
				t.Errorf("%d additions of %d codes succeeded, want one each", ok, len(codes))
			}
		})

		// Requests added at once take their own places in the list.
		t.Run("AddRequests", func(t *testing.T) {
			exec("DELETE FROM audit_doc_requests WHERE engagement_id = ? AND id NOT IN (SELECT request_id FROM audit_evidence WHERE request_id IS NOT NULL)", pid)
			before := s.Count("SELECT COUNT(*) FROM audit_doc_requests WHERE engagement_id = ?", pid)
			const n = 10
			errs := testkit.Together(n, func(i int) error {
				_, err := st.AddRequests(ctx, pid, []audit.RequestInput{{Name: fmt.Sprintf("資料 %d", i)}}, by)
				return err
			})
			for i, err := range errs {
				if err != nil {
					t.Errorf("request %d: %v", i, err)
				}
			}
			total := s.Count("SELECT COUNT(*) FROM audit_doc_requests WHERE engagement_id = ?", pid)
			distinct := s.Count("SELECT COUNT(DISTINCT sort_order) FROM audit_doc_requests WHERE engagement_id = ?", pid)
			if total != before+n || distinct != total {
				t.Errorf("%d requests (want %d) in %d distinct places", total, before+n, distinct)
			}
		})

		// A request removed while a file is uploaded for it: either the
		// file is kept with its request or both are gone, never a bare
		// foreign-key error.
		t.Run("RemoveRequestAgainstUpload", func(t *testing.T) {
			ids, err := st.AddRequests(ctx, pid, []audit.RequestInput{{Name: "規程集"}, {Name: "研修記録"}, {Name: "管理簿"}, {Name: "点検表"},
				{Name: "委託契約書"}, {Name: "鍵管理簿"}}, by)
			if err != nil {
				t.Fatal(err)
			}
			errs := testkit.Together(2*len(ids), func(k int) error {
				id := ids[k/2]
				if k%2 == 0 {
					return st.RemoveRequest(ctx, pid, id, 0, by)
				}
				_, err := st.AddEvidence(ctx, pid, audit.EvidenceInput{RequestID: id, Kind: audit.EvidenceDocument, Filename: "doc.pdf",
					ContentType: "application/pdf", Data: []byte("%PDF-1.4 提出資料")}, by)
				return err
			})
			var fe audit.FieldErrors
			for i, id := range ids {
				remErr, upErr := errs[2*i], errs[2*i+1]
				for _, err := range []error{remErr, upErr} {
					if err != nil && !errors.As(err, &fe) {
						t.Errorf("request %d: %v", id, err)
					}
				}
				files := s.Count("SELECT COUNT(*) FROM audit_evidence WHERE request_id = ?", id)
				left := s.Count("SELECT COUNT(*) FROM audit_doc_requests WHERE id = ?", id)
				switch {
				case remErr == nil && upErr == nil:
					t.Errorf("request %d: both the removal and the upload reported success", id)
				case remErr == nil && (left != 0 || files != 0):
					t.Errorf("request %d: removed, but %d left with %d files", id, left, files)
				case upErr == nil && (left != 1 || files != 1):
					t.Errorf("request %d: file kept, but %d requests with %d files", id, left, files)
				}
			}
		})

		// A phase change sent several times at once is made once.
		t.Run("SetPhaseTwice", func(t *testing.T) {
			const n = 8
			errs := testkit.Together(n, func(int) error { return st.SetPhase(ctx, pid, audit.PhaseBriefing, by) })
			var fe audit.FieldErrors
			for i, err := range errs {
				if err != nil && !errors.As(err, &fe) {
					t.Errorf("move %d: %v", i, err)
				}
			}
			if ok := succeeded(errs); ok != 1 {
				t.Errorf("%d phase changes succeeded, want 1", ok)
			}
			if got := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'audit.engagement_phase' AND target = ?", fmt.Sprintf("audit_engagement:%d", pid)); got != 1 {
				t.Errorf("%d phase changes recorded, want 1", got)
			}
		})

		// Engagements of one year and kind created at once all get a code.
		t.Run("CreateEngagements", func(t *testing.T) {
			var fy int
			if err := s.DB.QueryRow(ctx, "SELECT MAX(fiscal_year) FROM audit_engagements").Scan(&fy); err != nil {
				t.Fatal(err)
			}
			const n = 8
			errs := testkit.Together(n, func(i int) error {
				_, err := st.CreateEngagement(ctx, audit.EngagementInput{FiscalYear: fy, Kind: audit.KindInternal, Title: fmt.Sprintf("同時登録 %d", i),
					Targets: []audit.TargetInput{{DepartmentID: dept}}}, by)
				return err
			})
			for i, err := range errs {
				if err != nil {
					t.Errorf("create %d: %v", i, err)
				}
			}
			if got := s.Count("SELECT COUNT(*) FROM audit_engagements WHERE title LIKE '同時登録 %'"); got != n {
				t.Errorf("%d engagements created, want %d", got, n)
			}
		})

		// The shipped examples loaded by first uses at once; one new code
		// saved twice at once; the material's choice saved at once.
		t.Run("Examples", func(t *testing.T) {
			exec("DELETE FROM audit_material_examples")
			exec("DELETE FROM audit_response_examples")
			const n = 8
			errs := testkit.Together(n, func(int) error { _, err := st.EnsureExamples(ctx); return err })
			for i, err := range errs {
				if err != nil {
					t.Errorf("load %d: %v", i, err)
				}
			}
			loaded := s.Count("SELECT COUNT(*) FROM audit_response_examples")
			if loaded == 0 || s.Count("SELECT COUNT(DISTINCT code) FROM audit_response_examples") != loaded {
				t.Errorf("%d examples loaded", loaded)
			}
			errs = testkit.Together(n, func(i int) error {
				_, err := st.CreateExample(ctx, audit.ExampleInput{Code: "EX-RACE", Category: "careless_leak", Title: fmt.Sprintf("対応例 %d", i),
					Problem: "課題", Practice: "対応"}, by)
				return err
			})
			var fe audit.FieldErrors
			for i, err := range errs {
				if err != nil && (!errors.As(err, &fe) || fe["code"] == "") {
					t.Errorf("create %d: %v", i, err)
				}
			}
			if ok := succeeded(errs); ok != 1 {
				t.Errorf("%d creations of one code succeeded, want 1", ok)
			}
			ext := externalEngagement(t, s)
			picks, err := s.DB.Ints(ctx, "SELECT id FROM audit_response_examples WHERE active = TRUE ORDER BY id LIMIT 3")
			if err != nil {
				t.Fatal(err)
			}
			errs = testkit.Together(n, func(i int) error {
				var cs []audit.MaterialChoice
				for _, p := range picks {
					cs = append(cs, audit.MaterialChoice{ExampleID: p, Note: fmt.Sprintf("補足 %d", i)})
				}
				return st.SetMaterialExamples(ctx, ext, cs, by)
			})
			for i, err := range errs {
				if err != nil {
					t.Errorf("material %d: %v", i, err)
				}
			}
			if got := s.Count("SELECT COUNT(*) FROM audit_material_examples WHERE engagement_id = ?", ext.ID); got != len(picks) {
				t.Errorf("%d examples chosen, want %d", got, len(picks))
			}
		})

		// The year copied twice at once: each engagement once.
		t.Run("CopyYearTwice", func(t *testing.T) {
			var fy int
			if err := s.DB.QueryRow(ctx, "SELECT MAX(fiscal_year) FROM audit_engagements").Scan(&fy); err != nil {
				t.Fatal(err)
			}
			from := s.Count("SELECT COUNT(*) FROM audit_engagements WHERE fiscal_year = ?", fy)
			errs := testkit.Together(3, func(int) error { _, err := st.CopyYear(ctx, fy, fy+1, by); return err })
			for i, err := range errs {
				if err != nil {
					t.Errorf("copy %d: %v", i, err)
				}
			}
			if got := s.Count("SELECT COUNT(*) FROM audit_engagements WHERE fiscal_year = ?", fy+1); got != from {
				t.Errorf("%d engagements in the new year, want %d", got, from)
			}
		})
	})
}

// newFieldworkOn is newFieldwork's fixture on a server already started.
func newFieldworkOn(t *testing.T, s *webtest.Server) fieldworkFixture {
	t.Helper()
	eid := s.ID("SELECT id FROM audit_engagements WHERE title LIKE '%（障害者福祉課）' AND phase = 'fieldwork'")
	for _, q := range []string{
		"UPDATE audit_items SET judgement = '', status = 'todo', technique = '', notes = '', focus = FALSE, recheck = FALSE, prev_judgement = '', prev_notes = '', rev = 0 WHERE engagement_id = ?",
		"UPDATE audit_reports SET state = 'draft' WHERE engagement_id = ?",
	} {
		if _, err := s.DB.Exec(t.Context(), q, eid); err != nil {
			t.Fatal(err)
		}
	}
	return fieldworkFixture{s: s, eid: eid}
}
