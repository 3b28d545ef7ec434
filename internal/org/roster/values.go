package roster

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"

	"mamori/internal/jp"
)

// Length limits, in characters, of the values a row may carry.
const (
	maxEmployeeNo = 20
	maxName       = 60
	maxKana       = 120
	maxJobTitle   = 60
	maxEmail      = 254
	maxDeptName   = 200
	maxDeptSeg    = 60 // one department's name, as the department screen allows
)

// tooLong returns an error message when v has more than limit characters.
func tooLong(label, v string, limit int) string {
	if n := utf8.RuneCountInString(v); n > limit {
		return fmt.Sprintf("%s「%s」が長すぎます（%d 文字。上限 %d 文字）", label, show(v), n, limit)
	}
	return ""
}

// show makes a value safe and short enough to quote in a message.
func show(v string) string {
	v = strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7F && r <= 0x9F) || r == utf8.RuneError {
			return '?'
		}
		return r
	}, v)
	return jp.TruncateWidth(v, 40)
}

// personName tidies a name or its kana (see jp.CleanName): trimmed, runs
// of white space made one full-width space as Japanese rosters write it,
// and the characters themselves left as registered (異体字 survive).
func personName(s string) string { return jp.CleanName(s) }

// sameText compares two stored texts ignoring the kind of space, so that
// "山田 太郎" saved from a form and "山田　太郎" from a roster are equal.
func sameText(a, b string) bool { return jp.Normalize(a) == jp.Normalize(b) }

// checkEmail returns an error message unless v (already normalised) is a
// single bare address such as taro@city.example.lg.jp.
func checkEmail(v string) string {
	if msg := tooLong("メールアドレス", v, maxEmail); msg != "" {
		return msg
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Name != "" || a.Address != v || strings.ContainsAny(v, " ,;<>") {
		return fmt.Sprintf("メールアドレス「%s」の形式が正しくありません（1 件のアドレスだけを書いてください）", show(v))
	}
	return ""
}

var (
	flagTrue  = set("○", "〇", "◯", "●", "✓", "✔", "1", "y", "yes", "true", "はい", "有", "あり", "該当", "有り")
	flagFalse = set("", "×", "✕", "✗", "0", "n", "no", "false", "いいえ", "無", "なし", "非該当", "無し", "-")
)

func set(vs ...string) map[string]bool {
	m := make(map[string]bool, len(vs))
	for _, v := range vs {
		m[v] = true
	}
	return m
}

// parseFlag reads a 担当者 flag cell: ○/1/はい … for yes, blank/×/0/いいえ …
// for no.
func parseFlag(label, v string) (bool, string) {
	k := strings.ToLower(jp.Normalize(v))
	switch {
	case flagTrue[k]:
		return true, ""
	case flagFalse[k]:
		return false, ""
	}
	return false, fmt.Sprintf("%sの値「%s」は判別できません（該当なら ○、該当しなければ空欄にしてください）", label, show(v))
}

// parseJobClass reads an explicit 職層 cell; "" means not given.
func parseJobClass(v string) (string, string) {
	v = jp.Normalize(v)
	switch {
	case v == "":
		return "", ""
	case strings.HasPrefix(v, "一般"):
		return JobGeneral, ""
	case strings.HasPrefix(v, "管理"):
		return JobManager, ""
	}
	return "", fmt.Sprintf("職層「%s」は「一般職員」か「管理職」で指定してください", show(v))
}

// managerTitles are the 職名 words that make a post 管理職.
var managerTitles = []string{"部長", "次長", "参事", "課長", "所長", "館長", "室長", "局長", "区長", "センター長", "園長", "校長"}

// inferJobClass infers 管理職 or 一般職員 from a 職名: 部長, 課長, 参事 and
// the like (副参事, 担当課長 and 副区長 included) are managers; 係長, 主査,
// 主任, 主事, 技師 and everything else are not. A 補佐 or 代理 (課長補佐,
// 所長代理) is not a manager either.
func inferJobClass(title string) string {
	if strings.Contains(title, "補佐") || strings.Contains(title, "代理") {
		return JobGeneral
	}
	for _, w := range managerTitles {
		if strings.Contains(title, w) {
			return JobManager
		}
	}
	return JobGeneral
}

var (
	statusPresent = set("在籍", "在職", "現職", "休職", "休業", "育休", "育児休業", "病休", "病気休暇", "産休", "出向", "派遣",
		"兼務", "新規", "採用", "新規採用", "異動", "転入", "復職", "再任用", "任期付")
	statusLeaver = []string{"退職", "離職", "退任", "死亡", "転出", "失職", "免職"}
)

// parseStatus reads a 在籍区分 cell; it reports whether the row is a leaver.
func parseStatus(v string) (bool, string) {
	k := jp.Key(v)
	if k == "" || statusPresent[k] {
		return false, ""
	}
	for _, w := range statusLeaver {
		if strings.Contains(k, w) {
			return true, ""
		}
	}
	return false, fmt.Sprintf("在籍区分「%s」は判別できません（在籍・休職・退職のいずれかにしてください）", show(v))
}
