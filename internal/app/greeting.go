package app

import (
	"strings"
	"unicode"

	"mamori/internal/web"
)

// greeting is how the home page addresses the person signed in: by name and
// role, as a person writes it. An account named after an office, a company
// or a post (「情報政策課 情報セキュリティ係」「… 株式会社」「CISO（副区長）」)
// is not a person's name and gets no さん.
type greeting struct {
	Name       string
	Honorific  bool   // the name is a person's: 「… さん」
	Role       string // the role's Japanese name; "" when the name already says it
	Department string // the account's department, "" when none
}

// newGreeting builds the greeting of u; isDepartment reports whether a
// word is the name of one of the ward's departments.
func newGreeting(u *web.User, department string, isDepartment func(string) bool) greeting {
	name := strings.TrimSpace(u.DisplayName)
	if name == "" {
		name = u.Login
	}
	g := greeting{Name: name, Honorific: isPersonName(name, isDepartment), Role: u.Role.Label(), Department: department}
	if strings.Contains(name, g.Role) {
		g.Role = ""
	}
	if strings.Contains(name, department) {
		g.Department = "" // 「戸籍住民課 庶務担当」 already says where
	}
	return g
}

// orgSuffixes end a word that names an organisation or a unit, never a
// person (surnames such as 阿部・氷室・古市 end in 部・室・市, so those
// are left to the department list).
var orgSuffixes = []string{"課", "係", "局", "班", "担当", "センター", "事務所", "出張所", "研究所", "本部", "委員会", "グループ", "チーム", "会社", "法人", "協会", "組合", "事業者", "事業所", "区役所", "役所", "役場"}

// orgWords anywhere in a word mark a company or a post.
var orgWords = []string{"株式会社", "有限会社", "合同会社", "合資会社", "法人", "事業者", "コンサルタント", "職員", "責任者", "管理者", "担当者", "監査人"}

// titles are posts a person is addressed by instead of さん.
var titles = []string{"区長", "副区長", "市長", "副市長", "局長", "部長", "課長", "係長", "室長", "所長", "参事", "副参事", "主幹", "担当課長", "担当部長"}

// isPersonName reports whether name reads as a person's name: no word of
// it is a department of the ward, an organisation or a post.
func isPersonName(name string, isDepartment func(string) bool) bool {
	words := strings.FieldsFunc(name, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("（）()「」【】[]・/／,、", r)
	})
	if len(words) == 0 {
		return false
	}
	for _, w := range words {
		if isDepartment != nil && isDepartment(w) {
			return false
		}
		for _, s := range orgSuffixes {
			if strings.HasSuffix(w, s) {
				return false
			}
		}
		for _, s := range orgWords {
			if strings.Contains(w, s) {
				return false
			}
		}
		for _, s := range titles {
			if strings.HasSuffix(w, s) { // 副区長, 総務部長
				return false
			}
		}
		for _, a := range acronyms {
			if strings.Contains(w, a) {
				return false
			}
		}
	}
	return true
}

// acronyms name posts and teams (a romanised name such as 「TANAKA Taro」
// is in capitals too, so only these are known).
var acronyms = []string{"CISO", "CIO", "CSIRT", "SIRT", "SOC"}
