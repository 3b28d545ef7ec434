package jp

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"full-width ASCII", "ＡＢＣ１２３", "ABC123"},
		{"half-width katakana", "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ タロウ"},
		{"ideographic spaces collapse", "山田\u3000\u3000太郎", "山田 太郎"},
		{"trim and collapse mixed white space", " \t氏名 \u3000 (カナ)\n", "氏名 (カナ)"},
		{"full-width brackets", "氏名（カナ）", "氏名(カナ)"},
		{"zero-width characters removed", "\ufeff氏\u200b名", "氏名"},
		{"circled digit", "①", "1"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestKey(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		same bool
	}{
		{"full-width brackets", "氏名（カナ）", "氏名カナ", true},
		{"ASCII brackets and spaces", "氏名 (カナ)", "氏名カナ", true},
		{"corner brackets", "「住所」", "住所", true},
		{"lenticular brackets", "【電話番号】", "電話番号", true},
		{"colons", "生年月日：", "生年月日", true},
		{"middle dot", "郵便・番号", "郵便番号", true},
		{"half-width middle dot", "郵便･番号", "郵便番号", true},
		{"ASCII case and hyphen", "E-Mail", "email", true},
		{"full-width hyphen and letters", "Ｅ－ｍａｉｌ", "email", true},
		{"underscore", "user_id", "USERID", true},
		{"ideographic space", "氏\u3000名", "氏名", true},
		{"prolonged sound mark kept", "メール", "メル", false},
		{"different words", "氏名", "住所", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ka, kb := Key(tt.a), Key(tt.b)
			if (ka == kb) != tt.same {
				t.Errorf("Key(%q) = %q, Key(%q) = %q; same = %v, want %v", tt.a, ka, tt.b, kb, ka == kb, tt.same)
			}
		})
	}
	if got := Key("メールアドレス"); got != "メールアドレス" {
		t.Errorf("Key(メールアドレス) = %q", got)
	}
}

func TestToKatakana(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"hiragana", "やまだ たろう", "ヤマダ タロウ"},
		{"small and voiced", "ぁっゔぢゃ", "ァッヴヂャ"},
		{"iteration marks", "ゝゞ", "ヽヾ"},
		{"half-width with voicing marks", "ｶﾞｯｺｳ ﾊﾟﾝ", "ガッコウ パン"},
		{"half-width prolonged mark", "ｻｰﾋﾞｽ", "サービス"},
		{"ideographic space kept", "やまだ\u3000はなこ", "ヤマダ\u3000ハナコ"},
		{"katakana unchanged", "カタカナー", "カタカナー"},
		{"kanji and ASCII unchanged", "山田 ABC 123", "山田 ABC 123"},
		{"full-width digits unchanged", "１２", "１２"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ToKatakana(tt.in); got != tt.want {
				t.Errorf("ToKatakana(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsKana(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"katakana", "ヤマダ タロウ", true},
		{"hiragana", "やまだ\u3000たろう", true},
		{"prolonged mark and dot", "ジョン・スミス ー", true},
		{"half-width katakana", "ﾔﾏﾀﾞ ﾀﾛｰ", true},
		{"kanji", "山田", false},
		{"latin", "Yamada", false},
		{"digit", "ヤマダ1", false},
		{"empty", "", false},
		{"spaces only", " \u3000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsKana(tt.in); got != tt.want {
				t.Errorf("IsKana(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestDisplayWidth(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"ASCII", "abc", 3},
		{"kanji", "山田太郎", 8},
		{"mixed", "A山b", 4},
		{"half-width katakana", "ｱｲｳ", 3},
		{"full-width digits", "１２", 4},
		{"ideographic space", "\u3000", 2},
		{"emoji", "🍣", 2},
		{"ellipsis is ambiguous", "…", 1},
		{"combining dakuten", "か\u3099", 2},
		{"zero-width space", "a\u200bb", 2},
		{"empty", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DisplayWidth(tt.in); got != tt.want {
				t.Errorf("DisplayWidth(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestTruncateWidth(t *testing.T) {
	tests := []struct {
		name string
		in   string
		w    int
		want string
	}{
		{"fits exactly", "山田太郎", 8, "山田太郎"},
		{"fits with room", "abc", 10, "abc"},
		{"cut kanji", "山田太郎", 7, "山田…"},
		{"cut kanji even", "山田太郎", 6, "山田…"},
		{"cut ASCII", "abcdefgh", 5, "abc…"},
		{"does not split a wide rune", "a山田", 4, "a…"},
		{"only ellipsis", "山田太郎", 2, "…"},
		{"no room for ellipsis", "山田太郎", 1, ""},
		{"no room for ellipsis ASCII", "abc", 1, "a"},
		{"zero", "abc", 0, ""},
		{"negative", "abc", -3, ""},
		{"keeps combining mark with its base", "か\u3099き\u3099く", 5, "か\u3099…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TruncateWidth(tt.in, tt.w)
			if got != tt.want {
				t.Errorf("TruncateWidth(%q, %d) = %q, want %q", tt.in, tt.w, got, tt.want)
			}
		})
	}
}

func TestHasControl(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"plain", "山田 太郎", false},
		{"tab newline CR allowed", "a\tb\r\nc", false},
		{"NUL", "a\x00b", true},
		{"bell", "\a", true},
		{"escape", "\x1b[31m", true},
		{"DEL", "\x7f", true},
		{"C1 NEL", "a\u0085", true},
		{"replacement character", "文字\ufffd化け", true},
		{"invalid UTF-8", "a\xffb", true},
		{"ideographic space is fine", "\u3000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HasControl(tt.in); got != tt.want {
				t.Errorf("HasControl(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanName(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"spaces", "  山田 \u3000 太郎 ", "山田\u3000太郎"},
		{"compatibility ideograph kept", "\uFA11田\u3000\uF929", "\uFA11田\u3000\uF929"},
		{"circled kept", "渡邉　①太", "渡邉\u3000①太"},
		{"half-width kana widened", "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ\u3000タロウ"},
		{"zero width removed", "佐\u200b藤", "佐藤"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := CleanName(c.in); got != c.want {
				t.Fatalf("CleanName(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestSearchFolding(t *testing.T) {
	stored := SearchText("田中 亮", "たなか りょう", "ＵＳＢメモリの持出し", "ﾊﾟｽﾜｰﾄﾞ")
	for _, q := range []string{"田中 亮", "田中　亮", "田中亮", "タナカ", "たなか", "ﾀﾅｶ ﾘｮｳ", "usb", "ＵＳＢ", "パスワード", "ぱすわーど", "ﾊﾟｽﾜｰﾄﾞ"} {
		if !MatchWords(stored, SearchWords(q)) {
			t.Errorf("%q does not match %q", q, stored)
		}
	}
	for _, q := range []string{"田中 誠", "亮田中", "リョウタナカ"} {
		if MatchWords(stored, SearchWords(q)) {
			t.Errorf("%q matches %q", q, stored)
		}
	}
	if w := SearchWords(" 100%_ \\ "); len(w) != 1 || w[0] != "100" {
		t.Errorf("wildcards kept: %q", w)
	}
}
