package auditlog_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/database/dbtest"
	"mamori/internal/jp"
)

// TestFilter: the list's filters on both databases — a person by name with
// or without the space and in either kana, a target kind whose code has
// an underscore (not a LIKE wildcard), search words matching the actions'
// Japanese names, an area of actions, and the orders.
func TestFilter(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *database.DB) {
		ctx := context.Background()
		l := auditlog.New(db, func() time.Time { return time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC) })
		for _, u := range [][2]string{{"yamada", "山田　花子"}, {"tanaka", "たなか たろう"}} {
			if _, err := db.Exec(ctx, "INSERT INTO users (login, display_name, role, created_at, updated_at) VALUES (?, ?, 'admin', '', '')", u[0], u[1]); err != nil {
				t.Fatal(err)
			}
		}
		var yamada, tanaka int64
		if err := db.QueryRow(ctx, "SELECT id FROM users WHERE login = 'yamada'").Scan(&yamada); err != nil {
			t.Fatal(err)
		}
		if err := db.QueryRow(ctx, "SELECT id FROM users WHERE login = 'tanaka'").Scan(&tanaka); err != nil {
			t.Fatal(err)
		}
		as := func(id int64, login string) context.Context {
			return auditlog.WithActor(ctx, auditlog.Actor{UserID: id, Login: login})
		}
		for _, e := range []struct {
			ctx                    context.Context
			action, target, detail string
		}{
			{as(yamada, "yamada"), "login.success", "user:1", ""},                               // 1
			{as(yamada, "yamada"), "improve.edit", "improvement_action:12", "編集: 件名"},           // 2
			{as(tanaka, "tanaka"), "improve.edit", "improvement_action:13", "100%達成"},           // 3
			{as(0, "ghost"), "login.failure", "login:ghost", "パスワード誤り"},                         // 4
			{as(tanaka, "tanaka"), "policy.gap_row_update", "policy_gap_row:5", "ろぐ"},           // 5
			{as(0, "system"), "improve.edit", "improvementXaction:14", "似たコード（_ はワイルドカードではない）"}, // 6
		} {
			if err := l.Record(e.ctx, e.action, e.target, e.detail); err != nil {
				t.Fatal(err)
			}
		}
		cases := []struct {
			name string
			f    auditlog.Filter
			want []int64
		}{
			{"all, newest first", auditlog.Filter{}, []int64{6, 5, 4, 3, 2, 1}},
			{"oldest first", auditlog.Filter{Reverse: true}, []int64{1, 2, 3, 4, 5, 6}},
			{"by user A to Z", auditlog.Filter{Sort: "user"}, []int64{4, 6, 5, 3, 2, 1}},
			{"by action as listed", auditlog.Filter{Sort: "action"}, []int64{1, 4, 6, 3, 2, 5}},
			{"by action reversed", auditlog.Filter{Sort: "action", Reverse: true}, []int64{5, 6, 3, 2, 4, 1}},
			{"name without the space", auditlog.Filter{Who: jp.SearchWords("山田花子")}, []int64{2, 1}},
			{"name with a space", auditlog.Filter{Who: jp.SearchWords("山田 花子")}, []int64{2, 1}},
			{"name in katakana", auditlog.Filter{Who: jp.SearchWords("タナカ")}, []int64{5, 3}},
			{"login", auditlog.Filter{Who: jp.SearchWords("GHOST")}, []int64{4}},
			{"one action", auditlog.Filter{Actions: []string{"improve.edit"}, Who: jp.SearchWords("yamada")}, []int64{2}},
			{"an area", auditlog.Filter{Actions: auditlog.GroupActions("auth")}, []int64{4, 1}},
			{"no actions", auditlog.Filter{Actions: []string{}}, nil},
			{"a kind", auditlog.Filter{Target: auditlog.ParseTargetFilter("改善措置")}, []int64{3, 2}},
			{"kind and number", auditlog.Filter{Target: auditlog.ParseTargetFilter("改善措置 No.12")}, []int64{2}},
			{"kind of gap rows", auditlog.Filter{Target: auditlog.ParseTargetFilter("整合表の行")}, []int64{5}},
			{"a login target", auditlog.Filter{Target: auditlog.ParseTargetFilter("ログインID ghost")}, []int64{4}},
			{"code typed", auditlog.Filter{Target: auditlog.ParseTargetFilter("improvement_action:13")}, []int64{3}},
			{"search by action name in hiragana", auditlog.Filter{Words: jp.SearchWords("ろぐいん")}, []int64{4, 1}},
			{"search two words", auditlog.Filter{Words: jp.SearchWords("ろぐいん 失敗")}, []int64{4}},
			{"search a person's name", auditlog.Filter{Words: jp.SearchWords("花子")}, []int64{2, 1}},
			{"search with a wildcard character", auditlog.Filter{Words: jp.SearchWords("100%")}, []int64{3}},
			{"prefix (as the roster import uses it)", auditlog.Filter{Action: "improve."}, []int64{6, 3, 2}},
			{"text (as the roster import uses it)", auditlog.Filter{Text: "improvement_action:1"}, []int64{3, 2}},
			{"page", auditlog.Filter{Limit: 2, Offset: 2}, []int64{4, 3}},
		}
		for _, c := range cases {
			es, total, err := l.List(ctx, c.f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			var got []int64
			for _, e := range es {
				got = append(got, e.ID)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("%s: entries %v, want %v", c.name, got, c.want)
			}
			if c.f.Limit == 0 && total != len(c.want) {
				t.Errorf("%s: total %d, want %d", c.name, total, len(c.want))
			}
		}
	})
}
