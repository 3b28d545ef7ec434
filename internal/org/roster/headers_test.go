package roster

import "testing"

func TestRecognise(t *testing.T) {
	tests := []struct {
		header string
		want   Field
	}{
		{"職員番号", FieldEmployeeNo},
		{"職員ｺｰﾄﾞ", FieldEmployeeNo},
		{"職員Ｎｏ．", FieldEmployeeNo},
		{"職員 ID", FieldEmployeeNo},
		{"社員番号", FieldEmployeeNo},
		{"個人コード", FieldEmployeeNo},
		{"職員番号（6桁）", FieldEmployeeNo},
		{"氏名", FieldName},
		{"氏名（漢字）", FieldName},
		{"漢字氏名", FieldName},
		{"名前", FieldName},
		{"姓", FieldFamilyName},
		{"名", FieldGivenName},
		{"氏名（カナ）", FieldKana},
		{"氏名 カナ", FieldKana},
		{"フリガナ", FieldKana},
		{"ふりがな", FieldKana},
		{"カナ氏名", FieldKana},
		{"セイ", FieldFamilyKana},
		{"メイ", FieldGivenKana},
		{"所属コード", FieldDeptCode},
		{"所属CD", FieldDeptCode},
		{"課コード", FieldDeptCode},
		{"組織コード", FieldDeptCode},
		{"所属", FieldDeptName},
		{"所属名", FieldDeptName},
		{"部署名", FieldDeptName},
		{"課名", FieldDeptName},
		{"所属（課）", FieldDeptName},
		{"職名", FieldJobTitle},
		{"役職", FieldJobTitle},
		{"職位", FieldJobTitle},
		{"職層", FieldJobClass},
		{"職級", FieldJobClass},
		{"職種区分", FieldJobClass},
		{"メールアドレス", FieldEmail},
		{"E-mail", FieldEmail},
		{"EMAIL", FieldEmail},
		{"ｍａｉｌ", FieldEmail},
		{"システム担当者", FieldSystem},
		{"情報システム担当", FieldSystem},
		{"保護担当者", FieldProtection},
		{"個人情報保護担当者", FieldProtection},
		{"個人番号事務取扱担当者", FieldMyNumberDuty},
		{"個人番号事務担当者", FieldMyNumberDuty},
		{"マイナンバー事務取扱担当者", FieldMyNumberDuty},
		{"特定個人情報取扱担当者", FieldMyNumberDuty},
		{"個人番号取扱者", FieldMyNumberDuty},
		{"在籍区分", FieldStatus},
		{"状態", FieldStatus},
		{"個人番号", FieldMyNumber},
		{"マイナンバー", FieldMyNumber},
		{"個人番号（12桁）", FieldMyNumber},
		{"職員の個人番号", FieldMyNumber},
		{"備考", FieldNone},
		{"生年月日", FieldNone},
		{"", FieldNone},
		{"No.", FieldNone},
	}
	headers := make([]string, len(tests))
	for i, tt := range tests {
		headers[i] = tt.header
	}
	got := Recognise(headers)
	for i, tt := range tests {
		if got[i] != tt.want {
			t.Errorf("Recognise(%q) = %v, want %v", tt.header, got[i], tt.want)
		}
	}
}

func TestParseField(t *testing.T) {
	tests := []struct {
		in      string
		want    Field
		wantErr bool
	}{
		{"employee_no", FieldEmployeeNo, false},
		{"none", FieldNone, false},
		{"メールアドレス", FieldEmail, false},
		{"（取り込まない）", FieldNone, false},
		{"E-mail", FieldEmail, false},
		{"my_number", FieldNone, true},
		{"個人番号", FieldNone, true},
		{"bogus", FieldNone, true},
	}
	for _, tt := range tests {
		got, err := ParseField(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseField(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	for _, f := range Fields() {
		if f == FieldMyNumber {
			t.Error("Fields() offers 個人番号")
		}
		if g, err := ParseField(f.String()); err != nil || g != f {
			t.Errorf("ParseField(%q) = %v, %v", f.String(), g, err)
		}
		if f.Label() == "" {
			t.Errorf("%v has no label", f)
		}
	}
}
