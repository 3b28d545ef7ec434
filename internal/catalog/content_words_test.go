package catalog_test

import (
	"io/fs"
	"strings"
	"testing"
	"unicode"

	"mamori/content"
)

// modelPhrases are distinctive runs of the national guidelines' model text
// (the 総務省 policy guideline's 例文 for the 基本方針, 対策基準 and the
// contract items of 8.1, and the PPC guideline's wording). They are short
// fingerprints written down as facts for this check, not the model
// sentences themselves: the repository must not hold copied guideline text.
// A shipped text that contains one of them follows the model text too
// closely and must be reworded in our own words. Add a phrase when a
// reviewer finds another borrowed passage.
var modelPhrases = []string{
	// 基本方針の例文
	"情報資産の機密性、完全性及び可用性を維持するため",
	"情報セキュリティ対策について基本的な事項を定めることを目的とする",
	"情報セキュリティの重要性について共通の認識を持ち",
	// 対策基準の例文（管理区域、例外措置）
	"基幹機器及び重要な情報システムを設置し",
	"基幹となる機器及び重要な情報システムのサーバ等を設置し",
	"例外措置を実施することが不可避のとき",
	"事前に許可を得ることができないときは",
	"例外措置の申請書及び審査結果",
	// 業務委託の契約項目の例（8.1）
	"再委託に関する制限事項の遵守",
	"情報資産の返還、廃棄等",
	"業務上知り得た情報の守秘義務",
	"作業者及び作業場所の特定",
	"作業者の所属、作業場所の特定",
	"委託事業者にアクセスを許可する情報の種類と範囲",
	"委託事業者の従業員に対する教育の実施",
	"提供されるサービスレベルの保証",
	"地方公共団体による監査、検査",
	"情報セキュリティインシデント発生時の公表",
	"遵守されなかった場合の規定（損害賠償等）",
}

// normalize folds full-width ASCII (全角数字・括弧) to half width and
// drops spaces and line breaks, so a phrase is found however it was laid
// out.
func normalize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return -1
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		}
		return r
	}, s)
}

// borrowed returns the model phrases text contains.
func borrowed(text string) []string {
	n := normalize(text)
	var out []string
	for _, p := range modelPhrases {
		if strings.Contains(n, normalize(p)) {
			out = append(out, p)
		}
	}
	return out
}

// TestShippedTextIsOwnWords reads every shipped text of the catalogue and
// the demo ward's policy and fails on a long run identical to the
// guidelines' model text (one of modelPhrases).
func TestShippedTextIsOwnWords(t *testing.T) {
	files := 0
	err := fs.WalkDir(content.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasPrefix(path, "catalog/") && !strings.HasPrefix(path, "policy/") {
			return nil
		}
		data, err := fs.ReadFile(content.FS, path)
		if err != nil {
			return err
		}
		files++
		for i, line := range strings.Split(string(data), "\n") {
			for _, p := range borrowed(line) {
				t.Errorf("%s:%d follows the guideline's model text (%q); reword it in our own words", path, i+1, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("only %d content files read", files)
	}
}

// TestBorrowedFindsModelText: the check finds a phrase across width and
// spacing differences, and leaves our own wording alone.
func TestBorrowedFindsModelText(t *testing.T) {
	if got := borrowed("（６）　再委託に関する 制限事項の遵守"); len(got) != 1 {
		t.Errorf("model phrase not found: %v", got)
	}
	if got := borrowed("（6）　再委託は区の書面による承諾がある場合に限ること"); len(got) != 0 {
		t.Errorf("own words flagged: %v", got)
	}
	for _, p := range modelPhrases {
		if len([]rune(p)) < 10 {
			t.Errorf("phrase %q is too short to be distinctive", p)
		}
	}
}
