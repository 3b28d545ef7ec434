package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/jp"
	"mamori/internal/policy/provision"
)

const sampleText = `テスト区情報セキュリティ対策基準
（令和4年3月25日テスト区情報セキュリティ委員会決定）

第1章　総則

第1条（目的）
この基準は、区の情報資産を守るために必要な事項を定める。

第2条（定義）
この基準において「職員等」とは、区の職員及び会計年度任用職員をいう。
２　この基準において「情報資産」とは、情報及び情報システムをいう。

第2章　報告

第3条（報告）
職員等は、事故を知ったときは、速やかに管理者に報告しなければならない。
２　管理者は、前項の報告を受けたときは、第2条に定める職員等に周知する。

第4条（記録）
管理者は、報告の内容を記録し、30日以内に委員会に提出しなければならない。
`

var fixedNow = time.Date(2026, 11, 26, 10, 0, 0, 0, jp.JST)

func parseSample(t *testing.T) *provision.Document {
	t.Helper()
	d, _, err := provision.Parse(sampleText)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func adoptSample(t *testing.T, ctx context.Context, s *Store) (docID, verID int64) {
	t.Helper()
	docID, err := s.CreateDocument(ctx, DocumentInput{Kind: KindStandard, Title: "テスト区情報セキュリティ対策基準"}, Author{Name: "試験"})
	if err != nil {
		t.Fatal(err)
	}
	verID, err = s.CreateVersion(ctx, NewVersion{DocumentID: docID, Status: StatusAdopted, Tree: parseSample(t),
		Adoption: Adoption{EffectiveDate: time.Date(2024, 4, 1, 0, 0, 0, 0, jp.JST), DecidedBy: "テスト区情報セキュリティ委員会決定",
			DecidedDate: time.Date(2024, 3, 22, 0, 0, 0, 0, jp.JST)}}, Author{Name: "試験"})
	if err != nil {
		t.Fatal(err)
	}
	return docID, verID
}

func unitPath(t *testing.T, d *provision.Document, label string) string {
	t.Helper()
	for _, u := range Units(d) {
		if u.Node.Label == label {
			return u.Path
		}
	}
	t.Fatalf("no unit %s in %v", label, labels(d))
	return ""
}

func labels(d *provision.Document) []string {
	var out []string
	for _, u := range Units(d) {
		out = append(out, u.Node.Label+"（"+u.Node.Caption+"）")
	}
	return out
}

func auditCount(t *testing.T, db *database.DB) int {
	var n int
	if err := db.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_log").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestVersionsAdoptSupersede(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := NewStore(db, auditlog.New(db, nil), func() time.Time { return fixedNow })
		docID, v1 := adoptSample(t, ctx, s)
		v, err := s.Version(ctx, v1)
		if err != nil || v.Status != StatusAdopted || jp.FormatWareki(v.EffectiveDate) != "令和6年4月1日" || v.Decision() != "（令和6年3月22日テスト区情報セキュリティ委員会決定）" {
			t.Fatalf("adopted version: %+v %v", v, err)
		}
		tree, err := s.Tree(ctx, v1)
		if err != nil || len(Units(tree)) != 4 || tree.Title != "テスト区情報セキュリティ対策基準" {
			t.Fatalf("stored tree: %v %v", labels(tree), err)
		}
		// A revision copies the tree; adopting it supersedes the first version.
		draft, err := s.StartRevision(ctx, docID, "", Author{Name: "試験"})
		if err != nil {
			t.Fatal(err)
		}
		dv, _ := s.Version(ctx, draft)
		if dv.Status != StatusDraft || dv.BaseVersionID != v1 || dv.Label != "令和8年度改正案" {
			t.Fatalf("draft: %+v", dv)
		}
		if err := s.Adopt(ctx, draft, Adoption{EffectiveDate: fixedNow, DecidedBy: "委員会決定", DecidedDate: fixedNow.AddDate(0, 0, 1)}); err == nil {
			t.Fatal("a decision after the effective date was accepted")
		}
		if err := s.Adopt(ctx, draft, Adoption{EffectiveDate: fixedNow, DecidedBy: "委員会決定", DecidedDate: fixedNow}); err != nil {
			t.Fatal(err)
		}
		old, _ := s.Version(ctx, v1)
		nw, _ := s.Version(ctx, draft)
		if old.Status != StatusSuperseded || old.SupersededAt.IsZero() || nw.Status != StatusAdopted {
			t.Fatalf("after adoption: old %s new %s", old.Status, nw.Status)
		}
		docs, err := s.Documents(ctx)
		if err != nil || len(docs) != 1 || docs[0].Adopted == nil || docs[0].Adopted.ID != draft || len(docs[0].Drafts) != 0 {
			t.Fatalf("documents: %+v %v", docs, err)
		}
		// An adopted version cannot be adopted again nor discarded.
		if err := s.Adopt(ctx, draft, Adoption{EffectiveDate: fixedNow, DecidedBy: "委員会決定", DecidedDate: fixedNow}); err == nil {
			t.Fatal("re-adoption accepted")
		}
		if err := s.DiscardDraft(ctx, draft); err == nil {
			t.Fatal("discarding an adopted version accepted")
		}
		var n int
		_ = db.QueryRow(ctx, "SELECT COUNT(*) FROM policy_versions WHERE document_id = ? AND status = 'adopted'", docID).Scan(&n)
		if n != 1 {
			t.Fatalf("%d adopted versions", n)
		}
	})
}

func TestApplyRenumbersAndTracksChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := NewStore(db, auditlog.New(db, nil), func() time.Time { return fixedNow })
		docID, _ := adoptSample(t, ctx, s)
		vid, err := s.StartRevision(ctx, docID, "改正案", Author{Name: "試験"})
		if err != nil {
			t.Fatal(err)
		}
		by := Author{Name: "支援事業者"}
		tree, _ := s.Tree(ctx, vid)
		meta := ChangeMeta{Reason: "報告を早めるため。", Audiences: []Audience{AudienceAll}, StaffAction: "事故を知ったら直ちに管理者に報告する。"}

		// 1. Edit 第3条 (whatever number the user types, it stays 第3条).
		res, err := s.Apply(ctx, vid, 0, Op{Kind: ChangeEdit, At: unitPath(t, tree, "第3条"),
			Text: "第9条（報告）\n職員等は、事故を知ったときは、直ちに管理者に報告しなければならない。\n２　管理者は、前項の報告を受けたときは、第2条に定める職員等に周知する。"}, meta, by)
		if err != nil {
			t.Fatal(err)
		}
		if res.Change.ArticleKey != "第3条" || len(res.Renames) != 0 || !strings.Contains(res.Change.OldText, "速やかに") || !strings.Contains(res.Change.NewText, "直ちに") {
			t.Fatalf("edit: %+v", res)
		}
		// 2. Insert after 第1条: 第2条 onwards move down; the reference to 第2条 follows.
		tree, _ = s.Tree(ctx, vid)
		res, err = s.Apply(ctx, vid, 0, Op{Kind: ChangeInsert, After: unitPath(t, tree, "第1条"),
			Text: "第2条（適用範囲）\nこの基準は、区のすべての所属に適用する。"}, ChangeMeta{Reason: "適用範囲を明らかにするため。"}, by)
		if err != nil {
			t.Fatal(err)
		}
		if res.Change.ArticleKey != "第2条" || len(res.Renames) != 3 || res.Renames[0] != (RenameView{Kind: "条", Old: "第2条", New: "第3条"}) {
			t.Fatalf("insert: %+v", res)
		}
		tree, _ = s.Tree(ctx, vid)
		if got := strings.Join(labels(tree), " "); got != "第1条（目的） 第2条（適用範囲） 第3条（定義） 第4条（報告） 第5条（記録）" {
			t.Fatalf("after insert: %s", got)
		}
		report, _ := unitAt(tree, unitPath(t, tree, "第4条"))
		if !strings.Contains(report.Plain(), "第3条に定める職員等") {
			t.Fatalf("reference not rewritten: %s", report.Plain())
		}
		cs, _ := s.Changes(ctx, vid)
		if len(cs) != 2 || cs[0].ArticleKey != "第4条" || cs[1].ArticleKey != "第2条" {
			t.Fatalf("changes after insert: %+v", cs)
		}
		// 3. Move 第5条（記録） to after 第2条.
		res, err = s.Apply(ctx, vid, 0, Op{Kind: ChangeMove, At: unitPath(t, tree, "第5条"), After: unitPath(t, tree, "第2条")},
			ChangeMeta{Reason: "記録の規定を総則に移すため。"}, by)
		if err != nil {
			t.Fatal(err)
		}
		tree, _ = s.Tree(ctx, vid)
		if got := strings.Join(labels(tree), " "); got != "第1条（目的） 第2条（適用範囲） 第3条（記録） 第4条（定義） 第5条（報告）" {
			t.Fatalf("after move: %s", got)
		}
		if res.Change.OldKey != "第5条" || res.Change.ArticleKey != "第3条" {
			t.Fatalf("move: %+v", res.Change)
		}
		// 4. Delete 第3条（記録）.
		v, _ := s.Version(ctx, vid)
		res, err = s.Apply(ctx, vid, v.Rev, Op{Kind: ChangeDelete, At: unitPath(t, tree, "第3条")}, ChangeMeta{Reason: "不要になったため。"}, by)
		if err != nil {
			t.Fatal(err)
		}
		cs, _ = s.Changes(ctx, vid)
		keys := []string{}
		for _, c := range cs {
			keys = append(keys, string(c.Kind)+":"+c.ArticleKey)
		}
		if got := strings.Join(keys, " "); got != "edit:第4条 insert:第2条 move:第3条 delete:第3条" {
			t.Fatalf("change keys: %s", got)
		}
		// A stale page and bad text change nothing.
		before := auditCount(t, db)
		treeBefore, _ := s.Tree(ctx, vid)
		if _, err := s.Apply(ctx, vid, v.Rev, Op{Kind: ChangeDelete, At: "0.0"}, ChangeMeta{Reason: "x"}, by); !errors.Is(err, ErrStale) {
			t.Fatalf("stale rev: %v", err)
		}
		for name, text := range map[string]string{
			"no number":   "これは番号のない文です。",
			"two":         "第2条（一）\n一つ目。\n第3条（二）\n二つ目。",
			"no body":     "第2条（見出しだけ）",
			"a paragraph": "２　項だけの文。",
		} {
			_, err := s.Apply(ctx, vid, 0, Op{Kind: ChangeEdit, At: unitPath(t, treeBefore, "第2条"), Text: text}, ChangeMeta{Reason: "x"}, by)
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("%s: %v, want an input error", name, err)
			}
		}
		if _, err := s.Apply(ctx, vid, 0, Op{Kind: ChangeEdit, At: unitPath(t, treeBefore, "第2条")}, ChangeMeta{}, by); err == nil {
			t.Error("a change without a reason was accepted")
		}
		treeAfter, _ := s.Tree(ctx, vid)
		if treeAfter.Plain() != treeBefore.Plain() || auditCount(t, db) != before {
			t.Fatal("a refused edit changed the draft or the audit log")
		}
		if cs2, _ := s.Changes(ctx, vid); len(cs2) != 4 {
			t.Fatalf("%d changes after refused edits", len(cs2))
		}
		// Discarding the draft removes it with its changes.
		if err := s.DiscardDraft(ctx, vid); err != nil {
			t.Fatal(err)
		}
		var n int
		_ = db.QueryRow(ctx, "SELECT COUNT(*) FROM policy_changes").Scan(&n)
		if n != 0 {
			t.Fatalf("%d changes left after discard", n)
		}
	})
}

func TestGapCitations(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := NewStore(db, auditlog.New(db, nil), func() time.Time { return fixedNow })
		now := database.T(fixedNow)
		var fw, gt, row1, row2 int64
		var err error
		if fw, err = db.InsertID(ctx, "INSERT INTO frameworks (code, version, title, imported_at) VALUES ('g', 'v1', 'ガイドライン', ?)", now); err != nil {
			t.Fatal(err)
		}
		if gt, err = db.InsertID(ctx, `INSERT INTO policy_gap_tables (title, fiscal_year, guideline_framework_id, ward_framework_id, created_at, updated_at)
			VALUES ('整合表', 2026, ?, ?, ?, ?)`, fw, fw, now, now); err != nil {
			t.Fatal(err)
		}
		for i, num := range []string{"5.3", "8.1"} {
			id, err := db.InsertID(ctx, `INSERT INTO policy_gap_rows (table_id, seq, kind, clause_number, clause_title, status, updated_at)
				VALUES (?, ?, 'guideline', ?, '報告', '未反映', ?)`, gt, i+1, num, now)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				row1 = id
			} else {
				row2 = id
			}
		}
		docID, _ := adoptSample(t, ctx, s)
		vid, _ := s.StartRevision(ctx, docID, "", Author{})
		tree, _ := s.Tree(ctx, vid)
		res, err := s.Apply(ctx, vid, 0, Op{Kind: ChangeDelete, At: unitPath(t, tree, "第4条")}, ChangeMeta{Reason: "r", GapRowIDs: []int64{row1}}, Author{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, vid, 0, Op{Kind: ChangeDelete, At: unitPath(t, tree, "第1条")}, ChangeMeta{Reason: "r", GapRowIDs: []int64{999999}}, Author{}); err == nil {
			t.Fatal("a missing gap row was accepted")
		}
		if err := s.UpdateChange(ctx, res.Change.ID, ChangeMeta{Reason: "r2", GapRowIDs: []int64{row1, row2}}); err != nil {
			t.Fatal(err)
		}
		cs, _ := s.Changes(ctx, vid)
		if len(cs) != 1 || len(cs[0].Gaps) != 2 || cs[0].Gaps[0].Label != "5.3 報告" || cs[0].Gaps[0].Status != "未反映" || cs[0].Reason != "r2" {
			t.Fatalf("gaps: %+v", cs)
		}
		tables, err := s.GapTables(ctx)
		if err != nil || len(tables) != 1 || len(tables[0].Rows) != 2 {
			t.Fatalf("gap tables: %+v %v", tables, err)
		}
	})
}

func TestQuizFromChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := NewStore(db, auditlog.New(db, nil), func() time.Time { return fixedNow })
		docID, _ := adoptSample(t, ctx, s)
		vid, _ := s.StartRevision(ctx, docID, "", Author{})
		tree, _ := s.Tree(ctx, vid)
		by := Author{Name: "支援事業者"}
		if _, err := s.Apply(ctx, vid, 0, Op{Kind: ChangeEdit, At: unitPath(t, tree, "第3条"),
			Text: "第3条（報告）\n職員等は、事故を知ったときは、直ちに管理者に報告しなければならない。\n２　管理者は、前項の報告を受けたときは、第2条に定める職員等に周知する。"},
			ChangeMeta{Reason: "初動を早めるため。", Audiences: []Audience{AudienceAll}, StaffAction: "事故を知ったら直ちに管理者に報告する。"}, by); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, vid, 0, Op{Kind: ChangeEdit, At: unitPath(t, tree, "第4条"),
			Text: "第4条（記録）\n管理者は、報告の内容を記録し、15日以内に委員会に提出しなければならない。"},
			ChangeMeta{Reason: "提出を早めるため。", Audiences: []Audience{AudienceManager}, StaffAction: "報告の記録を15日以内に委員会に提出する。"}, by); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Apply(ctx, vid, 0, Op{Kind: ChangeInsert, After: unitPath(t, tree, "第4条"),
			Text: "第5条（雑則）\nこの基準の実施に必要な事項は、別に定める。"}, ChangeMeta{Reason: "委任規定を置くため。"}, by); err != nil {
			t.Fatal(err)
		}
		l, err := s.Load(ctx, vid)
		if err != nil {
			t.Fatal(err)
		}
		cs, _ := s.Changes(ctx, vid)
		qs := GenerateQuiz(l, cs)
		// Two changes ask something of staff: a rule and an action question each; the third (no action) none.
		if len(qs) != 4 {
			t.Fatalf("%d questions: %+v", len(qs), qs)
		}
		rule := qs[0]
		if !strings.Contains(rule.Text, "第3条（報告）") || !strings.Contains(rule.Choices[rule.Answer], "直ちに") {
			t.Fatalf("rule question: %+v", rule)
		}
		hasOld := false
		for i, c := range rule.Choices {
			if i != rule.Answer && strings.Contains(c, "速やかに") {
				hasOld = true
			}
		}
		if !hasOld {
			t.Fatalf("the old rule is not a distractor: %+v", rule.Choices)
		}
		act := qs[1]
		if act.Choices[act.Answer] != "事故を知ったら直ちに管理者に報告する。" || len(act.Choices) != 3 || !strings.Contains(act.Explanation, "初動を早めるため") {
			t.Fatalf("action question: %+v", act)
		}
		if !strings.Contains(qs[2].Choices[qs[2].Answer], "15日以内") {
			t.Fatalf("number change question: %+v", qs[2])
		}
		if err := s.ReplaceQuiz(ctx, vid, qs); err != nil {
			t.Fatal(err)
		}
		stored, _ := s.Questions(ctx, vid)
		if len(stored) != 4 || stored[0].Answer != rule.Answer {
			t.Fatalf("stored: %+v", stored)
		}
		bad := stored[0]
		bad.Choices = []string{"ひとつだけ"}
		if err := s.UpdateQuestion(ctx, bad.ID, bad); err == nil {
			t.Fatal("a one-choice question was accepted")
		}
		ok := stored[0]
		ok.Text = "改正後の報告の時期は？"
		if err := s.UpdateQuestion(ctx, ok.ID, ok); err != nil {
			t.Fatal(err)
		}
		f := QuizExport(l, mustQuestions(t, s, vid), cs, fixedNow)
		for _, enc := range []func() ([]byte, error){f.JSON, f.YAML} {
			b, err := enc()
			if err != nil {
				t.Fatal(err)
			}
			back, err := ParseQuiz(b)
			if err != nil || len(back.Questions) != 4 || back.Questions[0].Question != "改正後の報告の時期は？" || back.Questions[0].Provision != "第3条" {
				t.Fatalf("round trip: %+v %v\n%s", back, err, b)
			}
		}
		if _, err := ParseQuiz([]byte(`{"format":"other"}`)); err == nil {
			t.Fatal("a foreign format was accepted")
		}
	})
}

func mustQuestions(t *testing.T, s *Store, vid int64) []Question {
	qs, err := s.Questions(context.Background(), vid)
	if err != nil {
		t.Fatal(err)
	}
	return qs
}

func TestEditKeepsParagraphReferences(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := NewStore(db, auditlog.New(db, nil), func() time.Time { return fixedNow })
		text := strings.Replace(sampleText, "管理者は、報告の内容を記録し、", "管理者は、第3条第2項の周知をした後、報告の内容を記録し、", 1)
		d, _, err := provision.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		doc, _ := s.CreateDocument(ctx, DocumentInput{Kind: KindStandard, Title: "基準"}, Author{})
		if _, err := s.CreateVersion(ctx, NewVersion{DocumentID: doc, Status: StatusAdopted, Tree: d,
			Adoption: Adoption{EffectiveDate: fixedNow, DecidedBy: "決定", DecidedDate: fixedNow}}, Author{}); err != nil {
			t.Fatal(err)
		}
		vid, _ := s.StartRevision(ctx, doc, "", Author{})
		tree, _ := s.Tree(ctx, vid)
		// A new paragraph 2 pushes the old one down: the reference in 第4条 follows it.
		if _, err := s.Apply(ctx, vid, 0, Op{Kind: ChangeEdit, At: unitPath(t, tree, "第3条"),
			Text: "第3条（報告）\n職員等は、事故を知ったときは、速やかに管理者に報告しなければならない。\n２　管理者は、報告の内容を確認しなければならない。\n３　管理者は、前項の報告を受けたときは、第2条に定める職員等に周知する。"},
			ChangeMeta{Reason: "確認を加えるため。"}, Author{}); err != nil {
			t.Fatal(err)
		}
		tree, _ = s.Tree(ctx, vid)
		u, _ := unitAt(tree, unitPath(t, tree, "第4条"))
		if !strings.Contains(u.Plain(), "第3条第3項の周知") {
			t.Fatalf("paragraph reference not followed: %s", u.Plain())
		}
	})
}

// TestDocumentsKeptBetweenChanges: the document list every visitor reads
// is kept in memory, but every change through the store shows at once,
// and a caller changing what it got does not change what others read.
func TestDocumentsKeptBetweenChanges(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		s := NewStore(db, auditlog.New(db, nil), func() time.Time { return fixedNow })
		docID, _ := adoptSample(t, ctx, s)
		docs, err := s.Documents(ctx)
		if err != nil || len(docs) != 1 || docs[0].Adopted == nil || len(docs[0].Drafts) != 0 {
			t.Fatalf("documents: %+v %v", docs, err)
		}
		// A caller's change to its copy stays its own.
		docs[0].Title, docs[0].Adopted.Label = "書き換え", "書き換え"
		docs[0].Drafts = append(docs[0].Drafts, Version{ID: 99})
		again, _ := s.Documents(ctx)
		if again[0].Title == "書き換え" || again[0].Adopted.Label == "書き換え" || len(again[0].Drafts) != 0 {
			t.Fatalf("the kept list was changed through a copy: %+v", again[0])
		}
		// Each kind of change shows on the next read, with the same clock.
		draft, err := s.CreateVersion(ctx, NewVersion{DocumentID: docID, Status: StatusDraft, Tree: parseSample(t)}, Author{Name: "試験"})
		if err != nil {
			t.Fatal(err)
		}
		if docs, _ = s.Documents(ctx); len(docs[0].Drafts) != 1 || docs[0].Drafts[0].ID != draft {
			t.Fatalf("new draft not listed: %+v", docs[0])
		}
		if err := s.UpdateDocument(ctx, docID, DocumentInput{Kind: KindStandard, Title: "改題した対策基準"}); err != nil {
			t.Fatal(err)
		}
		if docs, _ = s.Documents(ctx); docs[0].Title != "改題した対策基準" {
			t.Fatalf("new title not shown: %+v", docs[0])
		}
		if err := s.DiscardDraft(ctx, draft); err != nil {
			t.Fatal(err)
		}
		if docs, _ = s.Documents(ctx); len(docs[0].Drafts) != 0 {
			t.Fatalf("discarded draft still listed: %+v", docs[0])
		}
		if _, err := s.CreateDocument(ctx, DocumentInput{Kind: KindBasic, Title: "基本方針"}, Author{Name: "試験"}); err != nil {
			t.Fatal(err)
		}
		if docs, _ = s.Documents(ctx); len(docs) != 2 {
			t.Fatalf("new document not listed: %d", len(docs))
		}
		// Another process's change (here a second store on the same
		// database) shows once the kept list is older than docsTTL.
		other := NewStore(db, auditlog.New(db, nil), func() time.Time { return fixedNow })
		if _, err := other.CreateDocument(ctx, DocumentInput{Kind: KindBasic, Title: "別の基本方針"}, Author{Name: "試験"}); err != nil {
			t.Fatal(err)
		}
		s.docs.mu.Lock()
		s.docs.at = s.docs.at.Add(-docsTTL)
		s.docs.mu.Unlock()
		if docs, _ = s.Documents(ctx); len(docs) != 3 {
			t.Fatalf("another process's document not listed after %s: %d", docsTTL, len(docs))
		}
	})
}
