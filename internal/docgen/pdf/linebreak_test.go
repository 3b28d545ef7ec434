package pdf

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// fixed measures full-width characters as 1 and ASCII as 0.5.
func fixed(s string) float64 {
	w := 0.0
	for _, r := range s {
		if r < 0x80 {
			w += 0.5
		} else {
			w += 1
		}
	}
	return w
}

func TestBreakLines(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		width float64
		want  []string
	}{
		{"fits", "監査を行う。", 10, []string{"監査を行う。"}},
		{"plain", "あいうえおかきくけこ", 4, []string{"あいうえ", "おかきく", "けこ"}},
		{"period pushed", "あいう。えお", 3, []string{"あい", "う。え", "お"}},
		{"comma not first", "あいう、えお", 3, []string{"あい", "う、え", "お"}},
		{"closing bracket", "「あい」です", 3, []string{"「あ", "い」で", "す"}},
		{"opening bracket not last", "あい「うえ」", 3, []string{"あい", "「う", "え」"}},
		{"small kana", "きゃっかんてき", 3, []string{"きゃっ", "かんて", "き"}},
		{"small kana pushes", "ちょっきゃっ", 4, []string{"ちょっ", "きゃっ"}},
		{"prolonged mark", "データベース", 2, []string{"デー", "タ", "ベー", "ス"}},
		{"latin words whole", "English words here", 4, []string{"English", "words", "here"}},
		{"number whole", "件数は2,048件です", 4, []string{"件数は", "2,048件", "です"}},
		{"long word broken", "Supercalifragilistic", 4, []string{"Supercal", "ifragili", "stic"}},
		{"mixed", "USBメモリを使う。", 4, []string{"USBメモ", "リを使", "う。"}},
		{"two-char column", "監査結果、良好。", 2, []string{"監査", "結", "果、", "良", "好。"}},
		{"newline", "一行目\n二行目", 10, []string{"一行目", "二行目"}},
		{"empty", "", 10, []string{""}},
		{"narrower than a char", "あい", 0.5, []string{"あ", "い"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := BreakLines(tt.text, tt.width, fixed)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("BreakLines(%q, %v) = %q, want %q", tt.text, tt.width, got, tt.want)
			}
		})
	}
}

const longText = "この規程は、ひので区（以下「区」という。）が保有する情報資産の機密性、完全性及び可用性を維持するため、" +
	"情報セキュリティ対策の基本的な事項を定めるものとする。職員は、「情報セキュリティポリシー」に従い、" +
	"USB メモリ等の外部記録媒体を使用するときは、あらかじめ情報セキュリティ管理者の許可を得なければならない。" +
	"ただし、緊急やむを得ない場合（災害時など）は、事後速やかに報告すること！パスワードは、英数字・記号を組み合わせた12文字以上とし、" +
	"定期的に変更する……ことが望ましい。ファイアウォール、ウィルス対策ソフトウェア及びログ管理システム（SIEM）を導入し、" +
	"サーバー室への入退室は、ICカードで記録する。『個人情報保護法』第23条、【重要】〔参考〕〈注〉《別紙》人々が時々ちょっとしたキャッシュやシャッター、ウォッチ、3ヶ月、いすゞ、ファイル、ぎゅっと、ヴァージョンの扱いも確かめる。"

func TestBreakLinesKinsokuProperty(t *testing.T) {
	for _, width := range []float64{4, 5, 6, 7, 8, 9.5, 13, 20, 37} {
		lines := BreakLines(longText, width, fixed)
		if got := strings.Join(lines, ""); strings.ReplaceAll(got, " ", "") != strings.ReplaceAll(longText, " ", "") {
			t.Fatalf("width %v: text changed:\n%s", width, got)
		}
		for i, l := range lines {
			if l == "" {
				t.Errorf("width %v line %d empty", width, i)
				continue
			}
			if w := fixed(l); w > width+1e-9 {
				t.Errorf("width %v line %d %q is %v wide", width, i, l, w)
			}
			first, _ := utf8.DecodeRuneInString(l)
			last, _ := utf8.DecodeLastRuneInString(l)
			if i > 0 && isNoStart(first) {
				t.Errorf("width %v line %d starts with %q: %q", width, i, first, l)
			}
			if i < len(lines)-1 && isNoEnd(last) {
				t.Errorf("width %v line %d ends with %q: %q", width, i, last, l)
			}
			for _, w := range []string{"USB", "SIEM", "IC", "12"} {
				if strings.HasSuffix(l, w[:1]) && i < len(lines)-1 && strings.HasPrefix(lines[i+1], w[1:]) && strings.Contains(longText, l[len(l)-1:]+lines[i+1][:len(w)-1]) {
					t.Errorf("width %v: %q split across lines %d–%d", width, w, i, i+1)
				}
			}
		}
	}
}
