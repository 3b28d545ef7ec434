package gap

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

var now = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

func newTable(t *testing.T, db *database.DB, log *auditlog.Log, ids fixtureIDs, prev bool) int64 {
	t.Helper()
	nt := NewTable{Title: "相違点整合表（試験）", FiscalYear: 2026, GuidelineID: ids.guide, WardID: ids.ward}
	if prev {
		nt.PreviousID = ids.prev
	}
	id, err := Create(context.Background(), db, log, nt, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func byNumber(rows []Row) map[string]Row {
	m := map[string]Row{}
	for _, r := range rows {
		if r.Kind == KindWard {
			m["ward:"+r.Provisions] = r
		} else {
			m[r.Number] = r
		}
	}
	return m
}

func TestCreatePrefillsRows(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		log := auditlog.New(db, nil)
		ids := loadFixture(t, db, log)
		id := newTable(t, db, log, ids, true)
		s := NewStore(db, log)
		rows, err := s.Rows(ctx, id, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, r := range rows {
			order = append(order, r.Clause())
		}
		want := []string{"B1 目的", "1.1 最高責任者", "1.2 統括責任者", "2.1 サーバ等の管理", "2.2 端末の管理", "2.4 通信回線の管理",
			"3.1 委託先の管理", "3.2 クラウドサービスの利用", "（対応する条項なし）"}
		if strings.Join(order, "|") != strings.Join(want, "|") {
			t.Fatalf("rows:\n%q\nwant\n%q", order, want)
		}
		m := byNumber(rows)
		cases := []struct {
			number, provisions, status, suggested, change string
			unmapped                                      bool
			chapter                                       string
		}{
			{"B1", "基本方針第1条（目的）\n対策基準第7条（業務委託）", "", StatusReflected, "", false, "基本方針"},
			{"1.1", "対策基準第1条（最高情報セキュリティ責任者）", "", StatusReflected, "", false, "第1章　組織体制"},
			{"2.1", "対策基準第3条（サーバ等の管理）", "", StatusPartial, ChangeModified, false, "第2章　物理的対策"},
			{"2.4", "対策基準第5条（通信回線の管理）", "", StatusReflected, ChangeRenumbered, false, "第2章　物理的対策"},
			{"3.2", "", StatusNotReflected, StatusNotReflected, ChangeAdded, true, "第3章　業務委託"},
			{"ward:対策基準第6条（庁舎の警備）", "対策基準第6条（庁舎の警備）", StatusOwn, StatusOwn, "", false, "区の独自規定"},
		}
		for _, c := range cases {
			r, ok := m[c.number]
			if !ok {
				t.Fatalf("no row %s", c.number)
			}
			if r.Provisions != c.provisions || r.Status != c.status || r.Suggested != c.suggested || r.ChangeKind != c.change ||
				r.Unmapped != c.unmapped || r.Chapter() != c.chapter {
				t.Errorf("%s: got provisions=%q status=%q suggested=%q change=%q unmapped=%v chapter=%q", c.number, r.Provisions, r.Status,
					r.Suggested, r.ChangeKind, r.Unmapped, r.Chapter())
			}
		}
		if r := m["2.1"]; r.PrevSummary != "サーバを施錠した部屋に置く。" || !strings.Contains(strings.Join(r.Flags(), ","), FlagChanged) {
			t.Errorf("2.1 old summary %q flags %v", r.PrevSummary, r.Flags())
		}
		if r := m["2.4"]; r.PrevNumber != "2.3" || r.Changed() || r.ChangeNote() != "旧 2.3 から番号変更" {
			t.Errorf("2.4: prev %q changed %v note %q", r.PrevNumber, r.Changed(), r.ChangeNote())
		}
		if r := m["3.2"]; strings.Join(r.Flags(), ",") != FlagUnmapped+","+FlagChanged {
			t.Errorf("3.2 flags %v", r.Flags())
		}
		// Without a previous edition nothing is flagged as changed, and
		// the mapping to the old edition's 2.3 no longer reaches 2.4.
		id2 := newTable(t, db, log, ids, false)
		rows2, _ := s.Rows(ctx, id2, Filter{})
		m2 := byNumber(rows2)
		if r := m2["2.1"]; r.Changed() || r.Suggested != StatusReflected {
			t.Errorf("no previous edition: 2.1 %+v", r)
		}
		if r := m2["2.4"]; !r.Unmapped {
			t.Errorf("no previous edition: 2.4 should be unmapped, got %q", r.Provisions)
		}
		// Filters.
		for _, c := range []struct {
			f    Filter
			want int
		}{
			{Filter{Flag: "unmapped"}, 1}, {Filter{Flag: "changed"}, 2}, {Filter{Flag: "flagged"}, 2}, {Filter{Flag: "none"}, 7},
			{Filter{Status: Unset}, 7}, {Filter{Status: StatusNotReflected}, 1}, {Filter{Chapter: "物理的対策"}, 3},
			{Filter{Q: "クラウド"}, 1}, {Filter{Q: "第7条"}, 2},
		} {
			got, err := s.Rows(ctx, id, c.f)
			if err != nil || len(got) != c.want {
				t.Errorf("filter %+v: %d rows (%v), want %d", c.f, len(got), err, c.want)
			}
		}
		var n int
		_ = db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_log WHERE action = 'policy.gap_create'").Scan(&n)
		if n != 2 {
			t.Fatalf("%d create entries", n)
		}
	})
}

func TestCreateRefusesBadInput(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		log := auditlog.New(db, nil)
		ids := loadFixture(t, db, log)
		cases := []struct {
			name  string
			nt    NewTable
			field string
		}{
			{"no title", NewTable{FiscalYear: 2026, GuidelineID: ids.guide, WardID: ids.ward}, "title"},
			{"same framework", NewTable{Title: "x", FiscalYear: 2026, GuidelineID: ids.guide, WardID: ids.prev}, "ward"},
			{"previous of another framework", NewTable{Title: "x", FiscalYear: 2026, GuidelineID: ids.guide, WardID: ids.ward, PreviousID: ids.ward}, "previous"},
			{"previous is itself", NewTable{Title: "x", FiscalYear: 2026, GuidelineID: ids.guide, WardID: ids.ward, PreviousID: ids.guide}, "previous"},
			{"unknown guideline", NewTable{Title: "x", FiscalYear: 2026, GuidelineID: 99999, WardID: ids.ward}, "guideline"},
			{"no year", NewTable{Title: "x", GuidelineID: ids.guide, WardID: ids.ward}, "fiscal_year"},
		}
		for _, c := range cases {
			_, err := Create(ctx, db, log, c.nt, 0, now)
			var fe FieldErrors
			if !errors.As(err, &fe) || fe[c.field] == "" {
				t.Errorf("%s: %v, want an error on %s", c.name, err, c.field)
			}
		}
		var n int
		_ = db.QueryRow(ctx, "SELECT COUNT(*) FROM policy_gap_tables").Scan(&n)
		if n != 0 {
			t.Fatalf("%d tables stored from bad input", n)
		}
	})
}

func TestUpdateRowAndBulk(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		log := auditlog.New(db, nil)
		ids := loadFixture(t, db, log)
		id := newTable(t, db, log, ids, true)
		s := NewStore(db, log)
		rows, _ := s.Rows(ctx, id, Filter{})
		m := byNumber(rows)
		r := m["2.1"]
		// Bad input: unknown status, 独自規定 on a guideline clause, bad date,
		// 反映しない without a reason, too long a text.
		for _, c := range []struct {
			e     Edit
			field string
		}{
			{Edit{Status: "済み"}, "status"},
			{Edit{Status: StatusOwn}, "status"},
			{Edit{Decision: DecisionReflect, DecisionDate: "令和8年2月30日"}, "decision_date"},
			{Edit{Decision: DecisionNoReflect}, "reason"},
			{Edit{Difference: strings.Repeat("あ", MaxText+1)}, "difference"},
			{Edit{DecisionDate: "2026-06-01"}, "decision_date"},
		} {
			_, err := s.UpdateRow(ctx, r.ID, c.e, 0, now)
			var fe FieldErrors
			if !errors.As(err, &fe) || fe[c.field] == "" {
				t.Errorf("%+v: %v, want error on %s", c.e, err, c.field)
			}
		}
		e := EditOf(r)
		e.Status, e.Difference, e.Decision, e.Reason, e.DecisionDate = StatusPartial, "冗長化の規定がない。", DecisionReflect, "次回改定で追加する。", "令和8年5月20日"
		changed, err := s.UpdateRow(ctx, r.ID, e, 0, now)
		if err != nil || !changed {
			t.Fatalf("update: %v %v", changed, err)
		}
		got, _ := s.Row(ctx, r.ID)
		if got.Status != StatusPartial || got.DecisionDate != "2026-05-20" || got.DecisionWareki() != "令和8年5月20日" || got.Difference != "冗長化の規定がない。" {
			t.Fatalf("stored %+v", got)
		}
		if changed, err := s.UpdateRow(ctx, r.ID, EditOf(got), 0, now); err != nil || changed {
			t.Fatalf("saving unchanged values: %v %v", changed, err)
		}
		var detail string
		if err := db.QueryRow(ctx, "SELECT detail FROM audit_log WHERE action = 'policy.gap_row_update' ORDER BY id DESC LIMIT 1").Scan(&detail); err != nil ||
			!strings.Contains(detail, "状況 未設定→一部反映") || !strings.Contains(detail, "決定日 未設定→2026-05-20") {
			t.Fatalf("audit detail %q %v", detail, err)
		}
		// Bulk: a set including the ward row refuses 反映済 for it and
		// changes nothing.
		all := []int64{m["1.1"].ID, m["1.2"].ID, m["ward:対策基準第6条（庁舎の警備）"].ID}
		if _, err := s.BulkStatus(ctx, id, all, StatusReflected, 0, now); err == nil {
			t.Fatal("bulk 反映済 on a 独自規定 row accepted")
		}
		if g, _ := s.Row(ctx, m["1.1"].ID); g.Status != "" {
			t.Fatalf("refused bulk change still changed 1.1: %q", g.Status)
		}
		n, err := s.BulkStatus(ctx, id, all, "suggested", 0, now)
		if err != nil || n != 2 {
			t.Fatalf("bulk suggested: %d %v", n, err)
		}
		if g, _ := s.Row(ctx, m["1.2"].ID); g.Status != StatusReflected {
			t.Fatalf("1.2 after bulk: %q", g.Status)
		}
		// A row of another table is not found.
		other := newTable(t, db, log, ids, false)
		if _, err := s.BulkStatus(ctx, other, all[:1], StatusReflected, 0, now); !errors.Is(err, database.ErrNotFound) {
			t.Fatalf("bulk across tables: %v", err)
		}
		rows, _ = s.Rows(ctx, id, Filter{})
		sum := Summarize(rows)
		counts := map[string]int{}
		for _, c := range sum.ByStatus {
			counts[c.Label] = c.N
		}
		if counts[StatusReflected] != 2 || counts[StatusPartial] != 1 || counts[StatusNotReflected] != 1 || counts[StatusOwn] != 1 || counts[Unset] != 4 {
			t.Fatalf("summary %+v", sum.ByStatus)
		}
		if len(sum.Chapters) != 5 || sum.Chapters[2].Chapter != "第2章　物理的対策" || sum.Chapters[2].Total != 3 {
			t.Fatalf("chapters %+v", sum.Chapters)
		}
		if sum.ByDecision[0].Label != DecisionReflect || sum.ByDecision[0].N != 1 {
			t.Fatalf("decisions %+v", sum.ByDecision)
		}
		ts, err := s.Tables(ctx)
		if err != nil || len(ts) != 2 || ts[0].Rows != 9 {
			t.Fatalf("tables %+v %v", ts, err)
		}
	})
}
