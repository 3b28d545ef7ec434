package roster

import (
	"fmt"
	"regexp"
	"strings"

	"mamori/internal/jp"
)

// Field is what a roster column holds.
type Field int

// The fields a column can be mapped to.
const (
	FieldNone         Field = iota // not imported
	FieldEmployeeNo                // 職員番号
	FieldName                      // 氏名
	FieldFamilyName                // 姓
	FieldGivenName                 // 名
	FieldKana                      // フリガナ
	FieldFamilyKana                // セイ
	FieldGivenKana                 // メイ
	FieldDeptCode                  // 所属コード
	FieldDeptName                  // 所属名 (may be a path: 区民部 戸籍住民課)
	FieldJobTitle                  // 職名
	FieldJobClass                  // 職層
	FieldEmail                     // メールアドレス
	FieldSystem                    // システム担当者 flag
	FieldProtection                // 保護担当者 flag
	FieldMyNumberDuty              // 個人番号事務取扱担当者 flag
	FieldStatus                    // 在籍区分 (在籍/休職/退職)
	// FieldMyNumber is a 個人番号 (My Number) column. It is recognised only
	// so that such a file can be refused: My Numbers must never enter
	// Mamori.
	FieldMyNumber
	numFields
)

var fieldInfo = [numFields]struct{ id, label string }{
	FieldNone:         {"none", "（取り込まない）"},
	FieldEmployeeNo:   {"employee_no", "職員番号"},
	FieldName:         {"name", "氏名"},
	FieldFamilyName:   {"family_name", "姓"},
	FieldGivenName:    {"given_name", "名"},
	FieldKana:         {"kana", "フリガナ"},
	FieldFamilyKana:   {"family_kana", "セイ"},
	FieldGivenKana:    {"given_kana", "メイ"},
	FieldDeptCode:     {"dept_code", "所属コード"},
	FieldDeptName:     {"dept_name", "所属名"},
	FieldJobTitle:     {"job_title", "職名"},
	FieldJobClass:     {"job_class", "職層"},
	FieldEmail:        {"email", "メールアドレス"},
	FieldSystem:       {"is_system", "システム担当者"},
	FieldProtection:   {"is_protection", "保護担当者"},
	FieldMyNumberDuty: {"is_mynumber", "個人番号事務取扱担当者"},
	FieldStatus:       {"status", "在籍区分"},
	FieldMyNumber:     {"my_number", "個人番号（取り込み不可）"},
}

// Label is the Japanese name shown in the column-mapping dropdown.
func (f Field) Label() string {
	if f < 0 || f >= numFields {
		return fmt.Sprintf("Field(%d)", int(f))
	}
	return fieldInfo[f].label
}

// String is the field's stable ASCII id, used as the dropdown's form value.
func (f Field) String() string {
	if f < 0 || f >= numFields {
		return fmt.Sprintf("Field(%d)", int(f))
	}
	return fieldInfo[f].id
}

// Fields lists the fields a user may assign to a column, in dropdown
// order, starting with FieldNone ("do not import"). FieldMyNumber is not
// among them.
func Fields() []Field {
	out := make([]Field, 0, numFields-1)
	for f := FieldNone; f < FieldMyNumber; f++ {
		out = append(out, f)
	}
	return out
}

// ParseField parses a dropdown value: a field's String id, its Label, or
// any header synonym. A 個人番号 field cannot be chosen.
func ParseField(s string) (Field, error) {
	s = strings.TrimSpace(s)
	for f := FieldNone; f < FieldMyNumber; f++ {
		if s == fieldInfo[f].id || s == fieldInfo[f].label {
			return f, nil
		}
	}
	if f := recognise(s); f != FieldNone && f != FieldMyNumber {
		return f, nil
	}
	return FieldNone, fmt.Errorf("roster.ParseField: 項目「%s」はありません", s)
}

// synonyms maps jp.Key of a header to its field. Keys are exact; see
// recognise for the fallbacks.
var synonyms = map[string]Field{}

func init() {
	add := func(f Field, names ...string) {
		for _, n := range names {
			synonyms[jp.Key(n)] = f
		}
	}
	add(FieldEmployeeNo, "職員番号", "職員コード", "職員No", "職員No.", "職員ID", "職員CD", "社員番号", "個人コード", "職番")
	add(FieldName, "氏名", "職員氏名", "名前", "氏名（漢字）", "漢字氏名", "職員名")
	add(FieldFamilyName, "姓", "氏", "姓（漢字）")
	add(FieldGivenName, "名", "名（漢字）")
	add(FieldKana, "フリガナ", "ふりがな", "氏名カナ", "カナ氏名", "氏名（カナ）", "氏名フリガナ", "氏名（フリガナ）",
		"氏名ふりがな", "カナ", "ヨミ", "よみがな", "職員氏名カナ")
	add(FieldFamilyKana, "セイ", "姓カナ", "姓（カナ）", "姓フリガナ", "せい")
	add(FieldGivenKana, "メイ", "名カナ", "名（カナ）", "名フリガナ", "めい")
	add(FieldDeptCode, "所属コード", "所属CD", "課コード", "部署コード", "組織コード", "所属番号")
	add(FieldDeptName, "所属名", "所属", "所属課", "部署", "部署名", "課名", "組織名", "所属組織")
	add(FieldJobTitle, "職名", "役職", "職位", "役職名")
	add(FieldJobClass, "職層", "職級", "職種区分")
	add(FieldEmail, "メールアドレス", "メール", "E-mail", "Email", "mail", "Eメール", "電子メール", "メールアドレス（庁内）", "mail address")
	add(FieldSystem, "システム担当者", "システム担当", "情報システム担当", "情報システム担当者")
	add(FieldProtection, "保護担当者", "個人情報保護担当者", "情報保護担当者", "個人情報保護担当")
	add(FieldMyNumberDuty, "個人番号事務取扱担当者", "個人番号事務担当者", "個人番号取扱担当者", "マイナンバー事務取扱担当者",
		"マイナンバー事務担当者", "特定個人情報取扱担当者", "特定個人情報事務取扱担当者")
	add(FieldStatus, "在籍区分", "状態", "在籍状況", "在職区分", "在籍")
	add(FieldMyNumber, "個人番号", "マイナンバー", "個人番号（マイナンバー）", "マイナンバー（個人番号）")
}

// trailingNote matches a bracketed note at the end of a header, as in
// 職員番号（6桁） or 所属(課).
var trailingNote = regexp.MustCompile(`\s*[(（【\[][^()（）【】\[\]]*[)）】\]]\s*$`)

// Recognise maps each header to its field (FieldNone when unknown) by its
// jp.Key, so that full-width/half-width, spaces and brackets do not matter.
// Headers that hold a 個人番号 itself map to FieldMyNumber; the 個人番号事務
// 取扱担当者 flag and its variants are told apart from it.
func Recognise(headers []string) []Field {
	out := make([]Field, len(headers))
	for i, h := range headers {
		out[i] = recognise(h)
	}
	return out
}

func recognise(h string) Field {
	k := jp.Key(h)
	if k == "" {
		return FieldNone
	}
	if f, ok := synonyms[k]; ok {
		return f
	}
	if s := jp.Key(trailingNote.ReplaceAllString(jp.Normalize(h), "")); s != k && s != "" {
		if f, ok := synonyms[s]; ok {
			return f
		}
	}
	// Anything else that mentions a 個人番号 is either a duty flag worded
	// differently (担当, 事務, 取扱) or the number itself, which is refused.
	if strings.Contains(k, "個人番号") || strings.Contains(k, "マイナンバー") || strings.Contains(k, "特定個人情報") {
		for _, w := range []string{"担当", "事務", "取扱"} {
			if strings.Contains(k, w) {
				return FieldMyNumberDuty
			}
		}
		if strings.Contains(k, "特定個人情報") {
			return FieldNone
		}
		return FieldMyNumber
	}
	return FieldNone
}
