package improve_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/improve"
	"mamori/internal/jp"
	"mamori/internal/org"
	"mamori/internal/web"
	"mamori/internal/webtest"
)

// clock is the fixed time of the store tests: 令和8年10月1日 10:00 JST.
var clock = time.Date(2026, 10, 1, 10, 0, 0, 0, jp.JST)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, jp.JST) }

// fixture is an app on an empty database with a small department tree:
// 区民部 → 戸籍住民課 → 住民記録係, and 総務部 → 総務課.
type fixture struct {
	srv                                 *webtest.Server
	store                               *improve.Store
	ctx                                 context.Context
	kumin, koseki, juki, soumuBu, soumu int64
}

func newFixture(t *testing.T, dsn string) *fixture {
	t.Helper()
	srv := webtest.Start(t, webtest.Options{DSN: dsn, Now: func() time.Time { return clock }})
	ctx := auditlog.WithActor(context.Background(), auditlog.Actor{Login: "test"})
	f := &fixture{srv: srv, store: improve.NewStore(srv.Deps()), ctx: ctx}
	dept := func(code, name, level string, parent int64) int64 {
		id, err := srv.Org.SaveDepartment(ctx, 0, org.DepartmentInput{Code: code, Name: name, Level: level, ParentID: parent, Active: true})
		if err != nil {
			t.Fatalf("department %s: %v", name, err)
		}
		return id
	}
	f.kumin = dept("05", "区民部", "部", 0)
	f.koseki = dept("0502", "戸籍住民課", "課", f.kumin)
	f.juki = dept("050201", "住民記録係", "係", f.koseki)
	f.soumuBu = dept("03", "総務部", "部", 0)
	f.soumu = dept("0301", "総務課", "課", f.soumuBu)
	return f
}

func (f *fixture) upsert(t *testing.T, in improve.Input) int64 {
	t.Helper()
	id, _, err := f.store.Upsert(f.ctx, in)
	if err != nil {
		t.Fatalf("upsert %s: %v", in.SourceRef, err)
	}
	return id
}

func (f *fixture) count(q string, args ...any) int { return f.srv.Count(q, args...) }

var (
	admin   = improve.Actor{UserID: 0, Name: "管理者", Role: web.RoleAdmin}
	auditor = improve.Actor{Name: "内部監査人", Role: web.RoleAuditor}
)

func finding(ref string, owner int64) improve.Input {
	return improve.Input{FiscalYear: 2026, Source: improve.SourceAuditFinding, SourceModule: "audit", SourceRef: ref,
		SourceLabel: "令和8年度 内部監査 戸籍住民課 指摘事項1", Clause: "対策基準 第23条", Title: "窓口端末の自動画面ロックの設定",
		Detail: "離席時に画面がロックされない端末があった。", Risk: "高", OwnerDepartmentID: owner, Due: date(2026, 12, 25)}
}

func TestUpsertIsIdempotentAndKeepsProgress(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		in := finding("finding-1", f.koseki)
		id, created, err := f.store.Upsert(f.ctx, in)
		if err != nil || !created || id == 0 {
			t.Fatalf("first upsert: id %d created %v err %v", id, created, err)
		}
		events := f.count("SELECT COUNT(*) FROM improvement_action_events")
		audits := f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'improve.upsert'")
		if audits != 1 {
			t.Fatalf("audit entries after create: %d, want 1", audits)
		}

		// The same input again: the same action, and nothing written.
		id2, created2, err := f.store.Upsert(f.ctx, in)
		if err != nil || created2 || id2 != id {
			t.Fatalf("second upsert: id %d (want %d) created %v err %v", id2, id, created2, err)
		}
		if n := f.count("SELECT COUNT(*) FROM improvement_actions"); n != 1 {
			t.Fatalf("%d actions after a repeated upsert, want 1", n)
		}
		if n := f.count("SELECT COUNT(*) FROM improvement_action_events"); n != events {
			t.Errorf("repeated upsert wrote %d events", n-events)
		}
		if n := f.count("SELECT COUNT(*) FROM audit_log WHERE action = 'improve.upsert'"); n != audits {
			t.Errorf("repeated upsert wrote %d audit entries", n-audits)
		}

		// While nobody has started, the source may move the owner and the date.
		in.OwnerDepartmentID, in.Due = f.juki, date(2027, 1, 15)
		f.upsert(t, in)
		a, err := f.store.Get(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if a.OwnerDepartmentID != f.juki || !a.Due.Equal(date(2027, 1, 15)) || a.Owner != "区民部 戸籍住民課 住民記録係" {
			t.Fatalf("open action: owner %d %q due %v, want the source's new owner and date", a.OwnerDepartmentID, a.Owner, a.Due)
		}

		// The owner starts and adds evidence.
		owner := improve.Actor{Name: "住民記録係 担当", Role: web.RoleAuditee, DepartmentID: f.juki}
		if err := f.store.SetStatus(f.ctx, id, improve.StatusInProgress, "全端末の設定を依頼した。", owner); err != nil {
			t.Fatal(err)
		}
		if _, err := f.store.AddEvidence(f.ctx, id, improve.EvidenceInput{Note: "設定依頼書の控え"}, owner); err != nil {
			t.Fatal(err)
		}

		// The source rewrites its finding: the description follows it, the
		// owner's commitments and progress stay.
		in.Title, in.Detail, in.Risk = "窓口端末の画面ロック（改）", "内容を改めた。", "中"
		in.OwnerDepartmentID, in.Due = f.soumu, date(2026, 11, 1)
		id3, created3, err := f.store.Upsert(f.ctx, in)
		if err != nil || created3 || id3 != id {
			t.Fatalf("upsert after progress: id %d created %v err %v", id3, created3, err)
		}
		a, err = f.store.Get(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Title != "窓口端末の画面ロック（改）" || a.Detail != "内容を改めた。" || a.Risk != "中" {
			t.Errorf("description not refreshed: %q %q %q", a.Title, a.Detail, a.Risk)
		}
		if a.Status != improve.StatusInProgress || a.ProgressNote != "全端末の設定を依頼した。" {
			t.Errorf("progress overwritten: %s %q", a.Status, a.ProgressNote)
		}
		if a.OwnerDepartmentID != f.juki || !a.Due.Equal(date(2027, 1, 15)) {
			t.Errorf("owner/due overwritten after the owner started: %d %v", a.OwnerDepartmentID, a.Due)
		}
		if ev, err := f.store.EvidenceOf(f.ctx, id); err != nil || len(ev) != 1 {
			t.Errorf("evidence after upsert: %v %v", ev, err)
		}
		evs, err := f.store.Events(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		last := evs[len(evs)-1]
		if last.Kind != "source_update" || !strings.Contains(last.Note, "件名") || !strings.Contains(last.Note, "内容") {
			t.Errorf("last event %+v, want a source update naming 件名 and 内容", last)
		}

		// A writer's bad input names the field and writes nothing.
		before := f.count("SELECT COUNT(*) FROM improvement_actions")
		bad := finding("finding-bad", f.koseki)
		bad.Title, bad.Source = "", "rumour"
		_, _, err = f.store.Upsert(f.ctx, bad)
		var fe improve.FieldErrors
		if !errors.As(err, &fe) || fe["title"] == "" || fe["source"] == "" {
			t.Fatalf("bad input: %v, want errors on title and source", err)
		}
		if n := f.count("SELECT COUNT(*) FROM improvement_actions"); n != before {
			t.Errorf("bad input wrote %d actions", n-before)
		}
	})
}

// kind classifies an error of SetStatus for the table below.
func kind(err error) string {
	var fe improve.FieldErrors
	var we *web.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &fe):
		for _, k := range []string{"status", "note"} {
			if fe[k] != "" {
				return "field:" + k
			}
		}
		return "field"
	case errors.As(err, &we) && we.Status == http.StatusForbidden:
		return "denied"
	}
	return "error: " + err.Error()
}

func TestStatusRules(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		id := f.upsert(t, finding("rules-1", f.juki))
		owner := improve.Actor{Name: "戸籍住民課 担当", Role: web.RoleAuditee, DepartmentID: f.koseki} // parent of the owner: in scope
		other := improve.Actor{Name: "総務課 担当", Role: web.RoleAuditee, DepartmentID: f.soumu}
		consultant := improve.Actor{Name: "支援事業者", Role: web.RoleConsultant}
		steps := []struct {
			name string
			to   improve.Status
			note string
			by   improve.Actor
			want string
		}{
			{"another department may not", improve.StatusInProgress, "着手", other, "denied"},
			{"an auditor may not", improve.StatusInProgress, "着手", auditor, "denied"},
			{"open to done skips a step", improve.StatusDone, "完了", owner, "field:status"},
			{"starting needs a note", improve.StatusInProgress, "  ", owner, "field:note"},
			{"the owner starts", improve.StatusInProgress, "設定を依頼した。", owner, "ok"},
			{"same status", improve.StatusInProgress, "再度", owner, "field:status"},
			{"done needs a note or evidence", improve.StatusDone, "", owner, "field:note"},
			{"the owner may not verify", improve.StatusVerified, "確認", owner, "denied"},
			{"verifying needs done", improve.StatusVerified, "確認", admin, "field:status"},
			{"the owner finishes with a note", improve.StatusDone, "全12台に設定した。", owner, "ok"},
			{"the consultant verifies", improve.StatusVerified, "3台を抽出して確認した。", consultant, "ok"},
			{"the owner may not reopen", improve.StatusInProgress, "追加対応", owner, "denied"},
			{"reopening needs a reason", improve.StatusDone, "", admin, "field:note"},
			{"the admin reopens with a reason", improve.StatusInProgress, "1台の設定漏れが見つかった。", admin, "ok"},
			{"going back to open needs a reason", improve.StatusOpen, "", owner, "field:note"},
		}
		for _, s := range steps {
			if got := kind(f.store.SetStatus(f.ctx, id, s.to, s.note, s.by)); got != s.want {
				t.Fatalf("%s: %s, want %s", s.name, got, s.want)
			}
		}
		a, err := f.store.Get(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != improve.StatusInProgress || !a.VerifiedAt.IsZero() || a.VerifiedByName != "" || !a.CompletedAt.IsZero() {
			t.Errorf("after reopening: %s verified %v by %q completed %v", a.Status, a.VerifiedAt, a.VerifiedByName, a.CompletedAt)
		}
		// Evidence alone lets the owner finish; the verification is recorded.
		if _, err := f.store.AddEvidence(f.ctx, id, improve.EvidenceInput{Filename: "設定記録.txt", ContentType: "text/plain",
			Data: []byte("12台設定済み\n")}, owner); err != nil {
			t.Fatal(err)
		}
		if err := f.store.SetStatus(f.ctx, id, improve.StatusDone, "", owner); err != nil {
			t.Fatalf("done with evidence and no note: %v", err)
		}
		if err := f.store.Verify(f.ctx, id, "設定記録で確認した。", consultant); err != nil {
			t.Fatal(err)
		}
		a, _ = f.store.Get(f.ctx, id)
		if a.Status != improve.StatusVerified || a.VerifiedByName != "支援事業者" || !a.VerifiedAt.Equal(clock) || a.VerificationNote != "設定記録で確認した。" {
			t.Errorf("verified action: %+v", a)
		}
		// Verified actions take no more evidence.
		if _, err := f.store.AddEvidence(f.ctx, id, improve.EvidenceInput{Note: "追加"}, owner); kind(err) != "field" {
			t.Errorf("evidence on a verified action: %v", err)
		}
		// Every change left its event: created, 4 moves, verify, reopen, evidence, done, verify.
		evs, err := f.store.Events(f.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range evs {
			kinds = append(kinds, e.Kind)
		}
		want := "created status status verified reopened evidence status verified"
		if strings.Join(kinds, " ") != want {
			t.Errorf("events %v, want %s", kinds, want)
		}
		if n := f.count("SELECT COUNT(*) FROM audit_log WHERE target = ?", "improvement_action:"+itoa(id)); n != len(evs) {
			t.Errorf("%d audit entries for %d events", n, len(evs))
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestListFiltersSortAndSummary(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		f := newFixture(t, dsn)
		mk := func(ref string, src improve.Source, fy int, owner int64, title, detail string, due time.Time) int64 {
			in := finding(ref, owner)
			in.Source, in.FiscalYear, in.Title, in.Detail, in.Due = src, fy, title, detail, due
			return f.upsert(t, in)
		}
		usb := mk("l-1", improve.SourceAuditFinding, 2026, f.juki, "USBメモリの管理台帳の照合", "貸出記録の漏れ", date(2026, 9, 1))
		pw := mk("l-2", improve.SourceAuditFinding, 2025, f.koseki, "パスワードの付箋の撤去", "共用IDの廃止", date(2026, 3, 31))
		drill := mk("l-3", improve.SourceDrillEvaluation, 2026, f.soumu, "第一報の連絡経路の明確化", "連絡先一覧の更新", time.Time{})
		gap := mk("l-4", improve.SourcePolicyGap, 2026, 0, "生成ＡＩの利用に関する規定", "ガイドラインとの相違", date(2027, 3, 31))
		done := mk("l-5", improve.SourceIncidentMeasure, 2026, f.soumu, "メール誤送信の防止", "送信保留の設定", date(2026, 8, 1))
		by := improve.Actor{Name: "管理者", Role: web.RoleAdmin}
		for _, st := range []improve.Status{improve.StatusInProgress, improve.StatusDone} {
			if err := f.store.SetStatus(f.ctx, done, st, "送信保留を設定した。", by); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.store.SetStatus(f.ctx, usb, improve.StatusInProgress, "台帳の様式を見直し中", by); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			f    improve.Filter
			want []int64 // in order
		}{
			{"everything by due date, none last", improve.Filter{}, []int64{pw, done, usb, gap, drill}},
			{"due date descending, none still last", improve.Filter{Desc: true}, []int64{gap, usb, done, pw, drill}},
			{"by number", improve.Filter{Sort: "no"}, []int64{usb, pw, drill, gap, done}},
			{"year", improve.Filter{FiscalYear: 2025}, []int64{pw}},
			{"source", improve.Filter{Source: improve.SourceDrillEvaluation}, []int64{drill}},
			{"status", improve.Filter{Status: "done"}, []int64{done}},
			{"unfinished", improve.Filter{Status: improve.StatusUnfinished, Sort: "no"}, []int64{usb, pw, drill, gap}},
			{"department with its sub-tree", improve.Filter{DepartmentID: f.kumin, Sort: "no"}, []int64{usb, pw}},
			{"department leaf", improve.Filter{DepartmentID: f.juki}, []int64{usb}},
			{"within a scope", improve.Filter{Within: []int64{f.soumu}, Sort: "no"}, []int64{drill, done}},
			{"empty scope sees nothing", improve.Filter{Within: []int64{}}, nil},
			{"overdue on 1 October 2026", improve.Filter{OverdueAt: clock}, []int64{pw, usb}},
			{"overdue on 1 April 2026", improve.Filter{OverdueAt: date(2026, 4, 1)}, []int64{pw}},
			{"overdue on the due day itself is not", improve.Filter{OverdueAt: date(2026, 3, 31)}, nil},
			{"full-width search matches half-width text", improve.Filter{Q: "ＵＳＢ"}, []int64{usb}},
			{"half-width search matches full-width text", improve.Filter{Q: "生成AI"}, []int64{gap}},
			{"half-width katakana and hiragana", improve.Filter{Q: "ﾊﾟｽﾜｰﾄﾞ"}, []int64{pw}},
			{"hiragana finds katakana", improve.Filter{Q: "めーる"}, []int64{done}},
			{"every word must match", improve.Filter{Q: "連絡先　一覧"}, []int64{drill}},
			{"words from different fields", improve.Filter{Q: "付箋 共用"}, []int64{pw}},
			{"search in the progress note", improve.Filter{Q: "様式"}, []int64{usb}},
			{"no match", improve.Filter{Q: "ＵＳＢ 付箋"}, nil},
			{"wildcards are not wildcards", improve.Filter{Q: "%"}, []int64{pw, done, usb, gap, drill}},
			{"page 2 of 2", improve.Filter{Sort: "no", Limit: 3, Offset: 3}, []int64{gap, done}},
		}
		for _, c := range cases {
			as, total, err := f.store.List(f.ctx, c.f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			var got []int64
			for _, a := range as {
				got = append(got, a.ID)
			}
			if !equal(got, c.want) {
				t.Errorf("%s: %v, want %v", c.name, got, c.want)
			}
			if c.f.Limit == 0 && total != len(c.want) {
				t.Errorf("%s: total %d, want %d", c.name, total, len(c.want))
			}
			if c.f.Limit != 0 && total != 5 {
				t.Errorf("%s: total %d, want 5", c.name, total)
			}
		}
		if _, _, err := f.store.List(f.ctx, improve.Filter{Status: "closed"}); kind(err) != "field:status" {
			t.Errorf("unknown status filter: %v", err)
		}

		sum, err := f.store.Summary(f.ctx, 2026, clock)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Total != 4 || sum.Unfinished != 3 || sum.Overdue != 1 || sum.Status(improve.StatusOpen) != 2 ||
			sum.Status(improve.StatusInProgress) != 1 || sum.Status(improve.StatusDone) != 1 {
			t.Errorf("summary 2026: %+v", sum)
		}
		src := map[string]int{}
		for _, c := range sum.BySource {
			src[c.Key] = c.N
		}
		if src["audit_finding"] != 1 || src["drill_evaluation"] != 1 || src["policy_gap"] != 1 || src["incident_measure"] != 1 || len(sum.BySource) != 6 {
			t.Errorf("by source: %+v", sum.BySource)
		}
		var depts []string
		for _, d := range sum.ByDepartment {
			depts = append(depts, d.Name+":"+itoa(int64(d.Total))+"/"+itoa(int64(d.Overdue)))
		}
		if got := strings.Join(depts, " "); got != "総務部 総務課:2/0 区民部 戸籍住民課 住民記録係:1/1 （未割当）:1/0" {
			t.Errorf("by department: %s", got)
		}
	})
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
