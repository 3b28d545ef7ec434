package catalog

import (
	"strings"
	"testing"
)

func fw(clauses ...Clause) *Framework { return &Framework{Code: "x", Clauses: clauses} }

func TestDiff(t *testing.T) {
	old := fw(Clause{Number: "1", Title: "組織体制"}, Clause{Number: "2", Title: "情報資産", Children: []Clause{{Number: "2.1", Title: "分類"}, {Number: "2.2", Title: "管理"}}},
		Clause{Number: "3", Title: "廃止される章"})
	nw := fw(Clause{Number: "1", Title: "組織体制"}, Clause{Number: "2", Title: "情報資産の分類と管理", Children: []Clause{{Number: "2.1", Title: "分類"}, {Number: "2.3", Title: "管理"}, {Number: "2.2", Title: "新しい節"}}})
	got := Diff(old, nw)
	var s []string
	for _, c := range got {
		s = append(s, c.String())
	}
	want := []string{"追加 2.2 新しい節", "番号変更 2.2 → 2.3 管理", "名称変更 2 「情報資産」→「情報資産の分類と管理」", "削除 3 廃止される章"}
	if strings.Join(s, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(s, "\n"), strings.Join(want, "\n"))
	}
	if len(Diff(old, old)) != 0 {
		t.Fatal("identical editions differ")
	}
}

func TestDiffRevisedSummary(t *testing.T) {
	old := fw(Clause{Number: "7.3", Title: "侵害時の対応等", Summary: "連絡と報告の体制を定める。"}, Clause{Number: "7.4", Title: "例外措置", Summary: "同じ"})
	nw := fw(Clause{Number: "7.3", Title: "侵害時の対応等", Summary: "連絡と報告の体制に加え、早期復旧と業務継続を定める。"}, Clause{Number: "7.4", Title: "例外措置", Summary: "同じ"})
	got := Diff(old, nw)
	if len(got) != 1 || got[0].Kind != Revised || got[0].NewNumber != "7.3" || got[0].OldSummary != "連絡と報告の体制を定める。" {
		t.Fatalf("got %+v", got)
	}
}
