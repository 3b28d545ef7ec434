package app

import (
	"testing"

	"mamori/internal/web"
)

func TestIsPersonName(t *testing.T) {
	depts := map[string]bool{"区長室": true, "総務部": true, "情報政策課": true}
	isDept := func(w string) bool { return depts[w] }
	cases := []struct {
		name string
		want bool
	}{
		{"山田　花子", true},
		{"山田 花子", true},
		{"阿部 一郎", true}, // surnames ending in 部・室・市 are names
		{"長谷部 誠", true},
		{"氷室 京介", true},
		{"古市 憲寿", true},
		{"tanaka", true},
		{"TANAKA Taro", true},
		{"情報政策課 情報セキュリティ係", false},
		{"住民記録係 職員", false},
		{"総務課 内部監査担当", false},
		{"戸籍住民課 庶務担当", false},
		{"支援事業者 担当コンサルタント", false},
		{"委託事業者 ひので情報サービス株式会社", false},
		{"株式会社ひので", false},
		{"CISO（副区長）", false},
		{"総務部長", false},
		{"区長室", false},
		{"総務部", false},
		{"ひので区CSIRT", false},
		{"", false},
	}
	for _, tc := range cases {
		if got := isPersonName(tc.name, isDept); got != tc.want {
			t.Errorf("isPersonName(%q) = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestNewGreeting(t *testing.T) {
	isDept := func(w string) bool { return w == "戸籍住民課" }
	cases := []struct {
		u    web.User
		dept string
		want greeting
	}{
		{web.User{DisplayName: "山田　花子", Role: web.RoleStaff}, "住民記録係", greeting{Name: "山田　花子", Honorific: true, Role: "職員", Department: "住民記録係"}},
		{web.User{DisplayName: "戸籍住民課 庶務担当", Role: web.RoleAuditee}, "戸籍住民課", greeting{Name: "戸籍住民課 庶務担当", Role: "被監査所属"}},
		{web.User{DisplayName: "委託事業者 A株式会社", Role: web.RoleVendor}, "", greeting{Name: "委託事業者 A株式会社"}},
		{web.User{Login: "sato", Role: web.RoleAdmin}, "", greeting{Name: "sato", Honorific: true, Role: "管理者"}},
	}
	for _, tc := range cases {
		if got := newGreeting(&tc.u, tc.dept, isDept); got != tc.want {
			t.Errorf("newGreeting(%q) = %+v, want %+v", tc.u.DisplayName, got, tc.want)
		}
	}
}
