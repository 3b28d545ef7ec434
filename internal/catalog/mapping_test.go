package catalog_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/catalog"
	"mamori/internal/catalog/catalogtest"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
)

// mapped is a small catalogue shaped like the real one: a guideline (g,
// two editions), a ward policy (w, nothing required, articles mapped to
// guideline sections), a My Number measure set (m) and a checklist whose
// items check only guideline sections.
var mapped = fstest.MapFS{
	"frameworks/g-old.yaml": {Data: []byte(`code: g
title: ガイドライン
publisher: 国
version: v1
clauses:
  - number: "4"
    title: 物理的セキュリティ
    children:
      - {number: "4.1", title: サーバ等の管理}
      - {number: "4.2", title: 管理区域の管理}
`)},
	"frameworks/g.yaml": {Data: []byte(`code: g
title: ガイドライン
publisher: 国
version: v2
clauses:
  - number: "4"
    title: 物理的セキュリティ
    children:
      - {number: "4.1", title: サーバ等の管理}
      - {number: "4.2", title: 管理区域の管理}
      - {number: "4.3", title: 通信回線の管理}
`)},
	"frameworks/w.yaml": {Data: []byte(`code: w
title: 区のポリシー
publisher: 区
version: 令和6年4月1日施行
clauses:
  - number: 第4章
    title: 物理的セキュリティ
    required: false
    children:
      - {number: 第19条, title: サーバ等の管理, required: false, maps_to: ["g:4.1"]}
      - {number: 第20条, title: 管理区域の構造等, required: false, maps_to: ["g:4.2"]}
      - {number: 第22条, title: 通信回線, required: false}
`)},
	"frameworks/m.yaml": {Data: []byte(`code: m
title: 安全管理措置
version: r4
clauses:
  - {number: E1, title: 取扱区域の管理, required: false}
`)},
	"checklists/a.yaml": {Data: []byte(`kind: internal
title: 内部監査チェックリスト
version: 2026
items:
  - code: IN-4.1-01
    category: 物理的セキュリティ／サーバ等の管理
    clauses: [g:4.1]
    question: サーバは施錠できる場所に置かれているか。
    criteria: {conform: 施錠された室内にある, partial: 施錠はあるが鍵の管理簿がない, nonconform: 施錠できない場所にある}
    evidence: [サーバ設置場所の図面, 鍵管理簿]
    methods: [サーバ室を視察する]
    techniques: [interview, inspection]
    priority: required
    site_inspection: true
  - code: IN-4.1-02
    category: 物理的セキュリティ／サーバ等の管理
    clauses: [g:4.1]
    question: サーバの保守記録は残されているか。
    criteria: {conform: 直近一年の記録がある, nonconform: 記録がない}
    techniques: [document]
    priority: recommended
  - code: IN-4.3-01
    category: 物理的セキュリティ／通信回線の管理
    clauses: [g:4.3]
    question: 通信回線の構成図は最新か。
    criteria: {conform: 直近の変更が反映されている, nonconform: 構成図がない}
    techniques: [document]
    priority: required
`)},
}

// loadMapped imports the fixture and returns the log and a lookup of
// clause ids by "code:number" (newest edition).
func loadMapped(t *testing.T, db *database.DB) (*auditlog.Log, func(ref string) int64) {
	t.Helper()
	log := catalogtest.Import(t, db, mapped)
	st := catalog.NewStore(db)
	return log, func(ref string) int64 {
		t.Helper()
		mc, err := st.ResolveRef(context.Background(), ref, nil)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		return mc.ID
	}
}

func auditCount(t *testing.T, db *database.DB, action string) int {
	t.Helper()
	var n int
	if err := db.QueryRow(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = ?", action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMappingsBothWaysAndValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		log, id := loadMapped(t, db)
		st := catalog.NewStore(db)

		// maps_to from the content: outgoing from the ward article, incoming on the guideline.
		out, err := st.Mappings(ctx, id("w:第19条"))
		if err != nil || len(out) != 1 || !out[0].Outgoing || out[0].Other.Ref() != "g:4.1" || out[0].Other.FrameworkTitle != "ガイドライン" || out[0].OtherItems != 2 {
			t.Fatalf("outgoing: %+v %v", out, err)
		}
		in, err := st.Mappings(ctx, id("g:4.1"))
		if err != nil || len(in) != 1 || in[0].Outgoing || in[0].Other.Ref() != "w:第19条" || in[0].Direction() != "← 対応元" {
			t.Fatalf("incoming: %+v %v", in, err)
		}

		cases := []struct {
			name     string
			from, to int64
			note     string
			field    string
			want     string
		}{
			{"same clause", id("w:第22条"), id("w:第22条"), "", "clause", "同じ条項どうし"},
			{"same framework", id("w:第22条"), id("w:第19条"), "", "clause", "同じ枠組み"},
			{"same framework, other edition", id("g:4.3"), mustOld(t, st, "g:4.1"), "", "clause", "同じ枠組み"},
			{"duplicate", id("w:第19条"), id("g:4.1"), "", "clause", "既に登録されています"},
			{"duplicate reversed", id("g:4.1"), id("w:第19条"), "", "clause", "既に登録されています"},
			{"missing clause", id("w:第22条"), 987654, "", "clause", "見つかりません"},
			{"long note", id("w:第22条"), id("g:4.3"), strings.Repeat("長", catalog.MaxMappingNote+1), "note", "500 字以内"},
		}
		before := auditCount(t, db, "catalog.mapping_add")
		for _, tc := range cases {
			_, err := catalog.AddMapping(ctx, db, log, tc.from, tc.to, tc.note, time.Now())
			var me *catalog.MappingError
			if !errors.As(err, &me) || me.Field != tc.field || !strings.Contains(me.Msg, tc.want) {
				t.Errorf("%s: got %v, want %s error containing %q", tc.name, err, tc.field, tc.want)
			}
		}
		if n := auditCount(t, db, "catalog.mapping_add"); n != before {
			t.Fatalf("refused mappings were audited (%d → %d)", before, n)
		}

		mid, err := catalog.AddMapping(ctx, db, log, id("w:第22条"), id("g:4.3"), "  回線の管理全般  ", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		got, _ := st.Mappings(ctx, id("g:4.3"))
		if len(got) != 1 || got[0].ID != mid || got[0].Note != "回線の管理全般" || got[0].Outgoing {
			t.Fatalf("added mapping seen from the target: %+v", got)
		}
		var detail string
		if err := db.QueryRow(ctx, "SELECT detail FROM audit_log WHERE action = 'catalog.mapping_add' AND target = ?", "clause_mapping:"+itoa(mid)).Scan(&detail); err != nil ||
			!strings.Contains(detail, "w:第22条") || !strings.Contains(detail, "g:4.3") || !strings.Contains(detail, "回線の管理全般") {
			t.Fatalf("audit detail %q %v", detail, err)
		}
		if err := catalog.RemoveMapping(ctx, db, log, mid); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.Mappings(ctx, id("g:4.3")); len(got) != 0 {
			t.Fatalf("removed mapping still there: %+v", got)
		}
		if auditCount(t, db, "catalog.mapping_remove") != 1 {
			t.Fatal("removal not audited")
		}
		if err := catalog.RemoveMapping(ctx, db, log, mid); !errors.Is(err, database.ErrNotFound) {
			t.Fatalf("second removal: %v", err)
		}
	})
}

func mustOld(t *testing.T, st *catalog.Store, ref string) int64 {
	t.Helper()
	fws, err := st.Frameworks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fws {
		if f.Code == "g" && f.Version == "v1" {
			mc, err := st.ResolveRef(context.Background(), ref, map[string]int64{"g": f.ID})
			if err != nil || mc.FrameworkID != f.ID {
				t.Fatalf("preferred edition not used: %+v %v", mc, err)
			}
			return mc.ID
		}
	}
	t.Fatal("old edition missing")
	return 0
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestResolveRef(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		_, _ = loadMapped(t, db)
		st := catalog.NewStore(db)
		ctx := context.Background()
		for _, tc := range []struct{ in, want string }{
			{"g:4.1", ""}, {"g：4.1", ""}, {" g 4.1 ", ""}, {"w:第19条", ""},
			{"g4.1", "書き方になっていません"}, {"g:", "書き方になっていません"},
			{"zz:1", "枠組み「zz」は登録されていません"}, {"g:9.9", "条項 g:9.9 は登録されていません"},
		} {
			mc, err := st.ResolveRef(ctx, tc.in, nil)
			if tc.want == "" {
				if err != nil || mc.ID == 0 {
					t.Errorf("%q: %v", tc.in, err)
				}
				continue
			}
			var re *catalog.RefError
			if !errors.As(err, &re) || !strings.Contains(re.Msg, tc.want) {
				t.Errorf("%q: %v, want %q", tc.in, err, tc.want)
			}
		}
		// Without a preference the newest edition answers.
		mc, _ := st.ResolveRef(ctx, "g:4.1", nil)
		if mc.FrameworkVersion != "v2" {
			t.Fatalf("resolved to edition %s", mc.FrameworkVersion)
		}
	})
}

// TestCoverageThroughMappings: the ward policy has no items of its own;
// its articles count as checked through the guideline sections they map
// to, and only those.
func TestCoverageThroughMappings(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		log, id := loadMapped(t, db)
		st := catalog.NewStore(db)
		via := func() map[string][2]int {
			fws, err := st.Frameworks(ctx)
			if err != nil {
				t.Fatal(err)
			}
			m := map[string][2]int{}
			for _, f := range fws {
				m[f.Code+"@"+f.Version] = [2]int{f.Covered, f.ViaMapping}
			}
			return m
		}
		got := via()
		// 第19条 → g:4.1 (v2, checked); 第20条 → g:4.2 (not checked); 第22条 no mapping.
		if got["w@令和6年4月1日施行"] != [2]int{0, 1} {
			t.Fatalf("ward policy direct/via = %v", got["w@令和6年4月1日施行"])
		}
		if got["g@v2"] != [2]int{2, 0} {
			t.Fatalf("guideline direct/via = %v", got["g@v2"])
		}
		// A mapping made in the UI from the guideline side counts the other way too.
		if _, err := catalog.AddMapping(ctx, db, log, id("g:4.3"), id("w:第22条"), "", time.Now()); err != nil {
			t.Fatal(err)
		}
		if got := via(); got["w@令和6年4月1日施行"] != [2]int{0, 2} {
			t.Fatalf("after mapping 4.3 ↔ 第22条: %v", got["w@令和6年4月1日施行"])
		}

		// The content-level stats say the same.
		c, err := catalog.Load(mapped)
		if err != nil {
			t.Fatal(err)
		}
		for _, fs := range c.Stats().Frameworks {
			if fs.Code == "w" && (fs.CoveredClauses != 0 || fs.ViaMappingClauses != 1) {
				t.Fatalf("content stats for w: %+v", fs)
			}
		}
	})
}

func TestPairTable(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		_, id := loadMapped(t, db)
		st := catalog.NewStore(db)
		w, _ := st.MappedClauseByID(ctx, id("w:第19条"))
		g, _ := st.MappedClauseByID(ctx, id("g:4.1"))
		pt, err := st.Pair(ctx, w.FrameworkID, g.FrameworkID)
		if err != nil {
			t.Fatal(err)
		}
		if len(pt.Rows) != 4 || pt.MappedA != 2 || pt.MappingsAB != 2 {
			t.Fatalf("pair: %d rows, %d mapped, %d mappings", len(pt.Rows), pt.MappedA, pt.MappingsAB)
		}
		if r := pt.Rows[3]; r.Clause.Number != "第22条" || len(r.Targets) != 0 {
			t.Fatalf("unmapped article row: %+v", r)
		}
		if r := pt.Rows[1]; r.Clause.Number != "第19条" || len(r.Targets) != 1 || r.Targets[0].Other.Number != "4.1" || !r.Targets[0].Outgoing {
			t.Fatalf("mapped article row: %+v", r)
		}
		var un []string
		for _, c := range pt.UnmappedB {
			un = append(un, c.Number)
		}
		if strings.Join(un, ",") != "4,4.3" {
			t.Fatalf("guideline clauses without a ward article: %v", un)
		}
		// The other way round: the guideline's clauses with the ward's articles.
		back, err := st.Pair(ctx, g.FrameworkID, w.FrameworkID)
		if err != nil || back.MappedA != 2 || len(back.UnmappedB) != 2 || back.Rows[1].Targets[0].Outgoing {
			t.Fatalf("reverse pair: %+v %v", back, err)
		}
		partners, err := st.MappingPartners(ctx, w.FrameworkID)
		if err != nil || len(partners) != 1 || partners[0].Framework.ID != g.FrameworkID || partners[0].Mappings != 2 {
			t.Fatalf("partners: %+v %v", partners, err)
		}
	})
}
