package gap

import (
	"context"
	"testing"
	"testing/fstest"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/catalog"
	"mamori/internal/database"
)

// A small guideline in two editions and a ward policy that maps to it.
// Between the editions: 2.1 changed its summary, 2.3 became 2.4 (same
// title), 3.2 is new. The ward's 第5条 is mapped to the old edition's 2.3
// (added by SQL below) and 第6条 maps to nothing (独自規定).
var fixture = fstest.MapFS{
	"frameworks/g-r5.yaml": {Data: []byte(`code: g
title: 試験ガイドライン
version: 令和5年3月
clauses:
- {number: B1, title: 目的, summary: 目的を定める。}
- number: "1"
  title: 組織体制
  children:
  - {number: "1.1", title: 最高責任者, summary: 最高責任者を置く。}
  - {number: "1.2", title: 統括責任者, summary: 統括責任者を置く。}
- number: "2"
  title: 物理的対策
  children:
  - {number: "2.1", title: サーバ等の管理, summary: サーバを施錠した部屋に置く。}
  - {number: "2.2", title: 端末の管理, summary: 端末を固定する。}
  - {number: "2.3", title: 通信回線の管理, summary: 回線を文書化する。}
- number: "3"
  title: 業務委託
  children:
  - {number: "3.1", title: 委託先の管理, summary: 委託先を選定し契約する。}
`)},
	"frameworks/g.yaml": {Data: []byte(`code: g
title: 試験ガイドライン
version: 令和7年3月
clauses:
- {number: B1, title: 目的, summary: 目的を定める。}
- number: "1"
  title: 組織体制
  children:
  - {number: "1.1", title: 最高責任者, summary: 最高責任者を置く。}
  - {number: "1.2", title: 統括責任者, summary: 統括責任者を置く。}
- number: "2"
  title: 物理的対策
  children:
  - {number: "2.1", title: サーバ等の管理, summary: サーバを施錠した部屋に置き、冗長化と停電対策を行う。}
  - {number: "2.2", title: 端末の管理, summary: 端末を固定する。}
  - {number: "2.4", title: 通信回線の管理, summary: 回線を文書化する。}
- number: "3"
  title: 業務委託
  children:
  - {number: "3.1", title: 委託先の管理, summary: 委託先を選定し契約する。}
  - {number: "3.2", title: クラウドサービスの利用, summary: クラウドサービスを評価して選ぶ。}
`)},
	"frameworks/w.yaml": {Data: []byte(`code: w
title: 試験区情報セキュリティポリシー
version: 令和6年4月1日施行
clauses:
- {number: 基本方針第1条, title: 目的, summary: 区の目的。, maps_to: ["g:B1"]}
- number: 第1章
  title: 組織体制
  children:
  - {number: 第1条, title: 最高情報セキュリティ責任者, summary: CISOを置く。, maps_to: ["g:1.1"]}
  - {number: 第2条, title: 統括情報セキュリティ責任者, summary: 統括者を置く。, maps_to: ["g:1.2"]}
- number: 第2章
  title: 物理的セキュリティ
  children:
  - {number: 第3条, title: サーバ等の管理, summary: サーバ室に置く。, maps_to: ["g:2.1"]}
  - {number: 第4条, title: 端末の管理, summary: 端末を固定する。, maps_to: ["g:2.2"]}
  - {number: 第5条, title: 通信回線の管理, summary: 回線図を作る。}
  - {number: 第6条, title: 庁舎の警備, summary: 夜間は警備員が巡回する。}
- number: 第3章
  title: 業務委託
  children:
  - {number: 第7条, title: 業務委託, summary: 委託契約に事項を定める。, maps_to: ["g:3.1", "g:B1"]}
`)},
}

// ids of the fixture's editions after import
type fixtureIDs struct{ guide, prev, ward int64 }

func loadFixture(t *testing.T, db *database.DB, log *auditlog.Log) fixtureIDs {
	t.Helper()
	ctx := context.Background()
	c, err := catalog.Load(fixture)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.Import(ctx, db, log, c, time.Now()); err != nil {
		t.Fatal(err)
	}
	var ids fixtureIDs
	for _, q := range []struct {
		code, version string
		id            *int64
	}{{"g", "令和7年3月", &ids.guide}, {"g", "令和5年3月", &ids.prev}, {"w", "令和6年4月1日施行", &ids.ward}} {
		if err := db.QueryRow(ctx, "SELECT id FROM frameworks WHERE code = ? AND version = ?", q.code, q.version).Scan(q.id); err != nil {
			t.Fatal(err)
		}
	}
	// 第5条 was mapped to 2.3 of the previous edition (now 2.4), from the
	// guideline side.
	if _, err := db.Exec(ctx, `INSERT INTO clause_mappings (from_clause_id, to_clause_id, note, created_at)
		SELECT o.id, w.id, '', '2026-01-01T00:00:00.000000Z' FROM clauses o, clauses w
		WHERE o.framework_id = ? AND o.number = '2.3' AND w.framework_id = ? AND w.number = '第5条'`, ids.prev, ids.ward); err != nil {
		t.Fatal(err)
	}
	return ids
}
