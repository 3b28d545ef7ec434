package roster

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// buildCSV reads a UTF-8 CSV text and builds its plan against the fixture.
func buildCSV(t *testing.T, text string, opt Options) *Plan {
	t.Helper()
	return Build(mustRead(t, "名簿.csv", []byte(text)), orgFixture(), opt)
}

// defaultOpt is a file of some departments that retires nobody for being
// absent, creating departments it names.
func defaultOpt() Options {
	return Options{FiscalYear: 2026, Scope: ScopeDepartments, CreateDepartments: true}
}

// scopeOf is the scope of the old "partial" switch.
func scopeOf(partial bool) Scope {
	if partial {
		return ScopeDepartments
	}
	return ScopeWard
}

// want is an expected issue: row, column and a substring of the message.
type want struct {
	row int
	col string
	msg string
}

func checkIssues(t *testing.T, kind string, got []Issue, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("%s: got %d, want %d:\n%s", kind, len(got), len(wants), issuesText(got))
	}
	for i, w := range wants {
		g := got[i]
		if g.Row != w.row || g.Column != w.col || !strings.Contains(g.Msg, w.msg) {
			t.Errorf("%s[%d] = %s; want row %d [%s] containing %q", kind, i, g, w.row, w.col, w.msg)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	long := strings.Repeat("長", 61)
	tests := []struct {
		name   string
		csv    string
		opt    func(*Options)
		errors []want
		ok     int // rows that pass
	}{
		{
			name: "one bad row among good ones",
			csv: "職員番号,氏名,所属コード,メールアドレス\n" +
				"1001,山田 太郎,010101,yamada@example.lg.jp\n" +
				"1004,,010101,a@example.lg.jp\n" +
				"1005,田中 三郎,010101,tanaka@@example\n" +
				"1006,伊藤 四郎,010101,ito@example.lg.jp\n",
			errors: []want{
				{3, "氏名", "氏名が空欄です"},
				{4, "メールアドレス", "メールアドレス「tanaka@@example」の形式が正しくありません"},
			},
			ok: 2,
		},
		{
			name: "duplicate employee numbers",
			csv: "職員番号,氏名,所属コード\n" +
				"1001,山田 太郎,010101\n" +
				"1007,木村 五郎,010101\n" +
				"1001,山田 太郎,010101\n" +
				"１００１,山田 太郎,010101\n",
			errors: []want{
				{4, "職員番号", "職員番号 1001 は 2 行目と重複しています"},
				{5, "職員番号", "職員番号 1001 は 2 行目と重複しています"},
			},
			ok: 2,
		},
		{
			name:   "unknown department code",
			csv:    "職員番号,氏名,所属コード\n1001,山田 太郎,0199\n",
			errors: []want{{2, "所属コード", "所属コード 0199 は登録されていません"}},
		},
		{
			name:   "retired department",
			csv:    "職員番号,氏名,所属コード\n1001,山田 太郎,0203\n",
			errors: []want{{2, "所属コード", "所属コード 0203（総務部 電算課）は廃止された所属です"}},
		},
		{
			name: "ambiguous department name",
			csv:  "職員番号,氏名,所属名\n1001,山田 太郎,庶務係\n1002,佐藤 花子,区民部 庶務係\n",
			errors: []want{
				{2, "所属名", "所属「庶務係」が複数あります（区民部 戸籍住民課 庶務係（コード 010102）、区民部 保険年金課 庶務係（コード 010201））。所属コードの列を加えるか"},
				{3, "所属名", "所属「区民部 庶務係」が複数あります"},
			},
		},
		{
			name:   "unknown department not to be created",
			csv:    "職員番号,氏名,所属名\n1001,山田 太郎,区民部 戸籍住民課 窓口係\n",
			opt:    func(o *Options) { o.CreateDepartments = false },
			errors: []want{{2, "所属名", "所属「区民部 戸籍住民課 窓口係」は登録されていません"}},
		},
		{
			// The code is what is wrong: the error names its column, and
			// the registered code of the department the name gives.
			name: "unknown department code not to be created",
			csv: "職員番号,氏名,所属コード,所属名\n" +
				"1001,山田 太郎,099999,区民部 戸籍住民課 住民記録係\n" +
				"1004,田中 三郎,099999,区民部 戸籍住民課 住民記録係\n" +
				"1005,伊藤 四郎,0510,子ども家庭部 保育課\n",
			opt: func(o *Options) { o.CreateDepartments = false },
			errors: []want{
				{2, "所属コード", "所属コード 099999 は登録されていません（所属名「区民部 戸籍住民課 住民記録係」の登録済みのコードは 010101 です）"},
				{3, "所属コード", "所属コード 099999 は登録されていません"},
				{4, "所属コード", "所属コード 0510 は登録されていません（所属名「子ども家庭部 保育課」も登録されていません）"},
			},
		},
		{
			name:   "department under a 係",
			csv:    "職員番号,氏名,所属名\n1001,山田 太郎,戸籍住民課 住民記録係 第一班\n",
			errors: []want{{2, "所属名", "「区民部 戸籍住民課 住民記録係」は係なので、その下に所属「第一班」は作れません"}},
		},
		{
			name:   "over-long name",
			csv:    "職員番号,氏名,所属コード\n1001," + long + ",010101\n",
			errors: []want{{2, "氏名", "氏名「" + string([]rune(long)[:19]) + "…」が長すぎます（61 文字。上限 60 文字）"}},
		},
		{
			name:   "over-long employee number",
			csv:    "職員番号,氏名,所属コード\n123456789012345678901,山田,010101\n",
			errors: []want{{2, "職員番号", "上限 20 文字"}},
		},
		{
			name:   "control character",
			csv:    "職員番号,氏名,所属コード\n1001,山田\x07太郎,010101\n",
			errors: []want{{2, "氏名", "氏名に使えない制御文字が含まれています（「山田?太郎」）"}},
		},
		{
			name:   "kana that is not kana",
			csv:    "職員番号,氏名,フリガナ,所属コード\n1001,山田 太郎,Yamada Taro,010101\n",
			errors: []want{{2, "フリガナ", "フリガナ「Yamada Taro」がカナではありません"}},
		},
		{
			name:   "bad flag value",
			csv:    "職員番号,氏名,所属コード,システム担当者,保護担当者\n1001,山田 太郎,010101,済,○\n",
			errors: []want{{2, "システム担当者", "システム担当者の値「済」は判別できません"}},
		},
		{
			name:   "bad job class",
			csv:    "職員番号,氏名,所属コード,職層\n1001,山田 太郎,010101,係長級\n",
			errors: []want{{2, "職層", "職層「係長級」は「一般職員」か「管理職」で指定してください"}},
		},
		{
			name:   "bad status",
			csv:    "職員番号,氏名,所属コード,在籍区分\n1001,山田 太郎,010101,出張中\n",
			errors: []want{{2, "在籍区分", "在籍区分「出張中」は判別できません"}},
		},
		{
			name:   "missing employee number",
			csv:    "職員番号,氏名,所属コード\n,山田 太郎,010101\n",
			errors: []want{{2, "職員番号", "職員番号が空欄です"}},
		},
		{
			name:   "required columns missing",
			csv:    "氏名,職名\n山田 太郎,主事\n",
			errors: []want{{0, "", "職員番号、所属コードまたは所属名 の列が見つかりません"}},
		},
		{
			name:   "no fiscal year",
			csv:    "職員番号,氏名,所属コード\n1001,山田 太郎,010101\n",
			opt:    func(o *Options) { o.FiscalYear = 0 },
			errors: []want{{0, "", "取り込む年度を指定してください"}},
		},
		{
			name:   "two columns for one field",
			csv:    "職員番号,氏名,職員氏名,所属コード\n1001,山田 太郎,山田 太郎,010101\n",
			errors: []want{{0, "職員氏名", "「氏名」として読む列が 2 つあります（「氏名」と「職員氏名」）"}},
		},
		{
			name:   "My Number cannot be mapped",
			csv:    "職員番号,氏名,所属コード,番号\n1001,山田 太郎,010101,1\n",
			opt:    func(o *Options) { o.Mapping = map[int]Field{3: FieldMyNumber} },
			errors: []want{{0, "番号", "この列には指定できない項目です"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := defaultOpt()
			if tt.opt != nil {
				tt.opt(&opt)
			}
			p := buildCSV(t, tt.csv, opt)
			checkIssues(t, "Errors", p.Errors, tt.errors)
			if p.OK() {
				t.Error("OK() = true with errors")
			}
			if len(p.Changes) != tt.ok {
				t.Errorf("%d changes, want %d", len(p.Changes), tt.ok)
			}
		})
	}
}

func TestBuildChanges(t *testing.T) {
	header := "職員番号,氏名,フリガナ,所属コード,職名,メールアドレス,システム担当者\n"
	rows := map[string]string{
		// Same person, kana with an ASCII space: unchanged.
		"1001": "1001,山田　太郎,ヤマダ タロウ,010101,主事,yamada@example.lg.jp,\n",
		// Moved from 情報政策課 to 総務課.
		"1002": "1002,佐藤 花子,サトウ ハナコ,0201,課長,,○\n",
		// Title changed.
		"1003": "1003,鈴木 一郎,,0201,主任主事,,\n",
		// Registered as inactive: back again.
		"0900": "0900,高橋 次郎,,0201,,,\n",
		// New, with hiragana kana.
		"2001": "2001,新人 一人,しんじん かずと,0102,主事,new@example.lg.jp,\n",
	}
	tests := []struct {
		name    string
		include []string
		partial bool
		want    map[string]Kind
	}{
		{
			name:    "full roster",
			include: []string{"1001", "1002", "1003", "0900", "2001"},
			want:    map[string]Kind{"1001": KindUnchanged, "1002": KindMoved, "1003": KindChanged, "0900": KindReactivated, "2001": KindNew},
		},
		{
			name:    "full roster without 1003: a leaver",
			include: []string{"1001", "1002", "2001"},
			want:    map[string]Kind{"1001": KindUnchanged, "1002": KindMoved, "2001": KindNew, "1003": KindLeaver},
		},
		{
			name:    "partial roster leaves missing staff alone",
			include: []string{"1001", "2001"},
			partial: true,
			want:    map[string]Kind{"1001": KindUnchanged, "2001": KindNew},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := header
			for _, no := range tt.include {
				text += rows[no]
			}
			opt := defaultOpt()
			opt.Scope = scopeOf(tt.partial)
			p := buildCSV(t, text, opt)
			if !p.OK() {
				t.Fatalf("errors:\n%s", issuesText(p.Errors))
			}
			got := map[string]Kind{}
			for _, ch := range p.Changes {
				got[ch.EmployeeNo] = ch.Kind
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("kinds = %v, want %v", got, tt.want)
			}
		})
	}

	p := buildCSV(t, header+rows["1002"]+rows["1003"]+rows["2001"], defaultOpt())
	byNo := map[string]Change{}
	for _, ch := range p.Changes {
		byNo[ch.EmployeeNo] = ch
	}
	if ch := byNo["1002"]; ch.DepartmentID != 9 || ch.Department != "総務部 総務課" || ch.BeforeDepartment != "総務部 情報政策課" ||
		!reflect.DeepEqual(ch.Diffs, []string{"所属"}) || ch.JobClass != JobManager || !ch.JobClassInferred || !ch.IsSystem {
		t.Errorf("moved change = %+v", ch)
	}
	if ch := byNo["1003"]; !reflect.DeepEqual(ch.Diffs, []string{"職名"}) {
		t.Errorf("changed diffs = %v", ch.Diffs)
	}
	if ch := byNo["2001"]; ch.Name != "新人\u3000一人" || ch.Kana != "シンジン\u3000カズト" || ch.Email != "new@example.lg.jp" {
		t.Errorf("new change = %+v", ch)
	}
	checkIssues(t, "Warnings", p.Warnings, []want{
		{0, "職名", "職層の列がないため、職名から職層を推定しました（管理職 1 人、一般職員 2 人）"},
		{2, "メールアドレス", "メールアドレスが空欄です"},
		{3, "メールアドレス", "メールアドレスが空欄です"},
	})
}

func TestBuildLeavers(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		partial bool
		leavers []string
		warns   []want
	}{
		{
			name: "退職 in the status column",
			csv: "職員番号,氏名,所属コード,在籍区分\n" +
				"1001,山田 太郎,010101,在籍\n1002,佐藤 花子,0202,退職\n1003,鈴木 一郎,0201,休職\n" +
				"0900,高橋 次郎,0201,退職\n3000,誰か,0201,定年退職\n",
			partial: true,
			leavers: []string{"1002"},
			warns: []want{
				{0, "", "メールアドレスの列がない"},
				{5, "在籍区分", "職員番号 0900 は既に退職（無効）として登録されています"},
				{6, "在籍区分", "職員番号 3000 は登録されていないため、退職の行は取り込みません"},
			},
		},
		{
			name:    "missing from a full roster",
			csv:     "職員番号,氏名,所属コード\n1001,山田 太郎,010101\n",
			leavers: []string{"1002", "1003"},
			warns: []want{
				{0, "", "メールアドレスの列がない"},
			},
		},
		{
			// A row with an error still counts as present: it must not
			// turn its person into a leaver.
			name:    "a bad row is not a leaver",
			csv:     "職員番号,氏名,所属コード\n1001,山田 太郎,010101\n1002,,0202\n1003,鈴木 一郎,0201\n",
			leavers: nil,
			warns:   []want{{0, "", "メールアドレスの列がない"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := defaultOpt()
			opt.Scope = scopeOf(tt.partial)
			p := buildCSV(t, tt.csv, opt)
			var got []string
			for _, ch := range p.ByKind(KindLeaver) {
				got = append(got, ch.EmployeeNo)
			}
			if !reflect.DeepEqual(got, tt.leavers) {
				t.Errorf("leavers = %v, want %v", got, tt.leavers)
			}
			checkIssues(t, "Warnings", p.Warnings, tt.warns)
		})
	}
}

func TestBuildNameColumns(t *testing.T) {
	p := buildCSV(t, "職員番号,姓,名,セイ,メイ,所属コード\n2001,新人,一人,ｼﾝｼﾞﾝ,かずと,010101\n", defaultOpt())
	if !p.OK() || len(p.Changes) != 1 {
		t.Fatalf("errors:\n%s", issuesText(p.Errors))
	}
	if ch := p.Changes[0]; ch.Name != "新人\u3000一人" || ch.Kana != "シンジン\u3000カズト" {
		t.Errorf("name %q kana %q", ch.Name, ch.Kana)
	}
}

func TestBuildMapping(t *testing.T) {
	text := "EmpNo,FullName,Section,Note\n2001,新人 一人,0201,x\n"
	tb := mustRead(t, "f.csv", []byte(text))
	if tb.HeaderFound {
		t.Fatal("English headers recognised")
	}
	p := Build(tb, orgFixture(), defaultOpt())
	checkIssues(t, "Errors", p.Errors, []want{{0, "", "職員番号、氏名（または姓・名）、所属コードまたは所属名 の列が見つかりません。見出し行を判別できなかったため 1 行目を見出しとみなしました"}})
	if n := len(p.Unmapped()); n != 4 {
		t.Errorf("Unmapped() = %d columns, want 4", n)
	}
	opt := defaultOpt()
	opt.Mapping = map[int]Field{0: FieldEmployeeNo, 1: FieldName, 2: FieldDeptCode}
	p = Build(tb, orgFixture(), opt)
	if !p.OK() || len(p.Changes) != 1 || p.Changes[0].DepartmentID != 9 {
		t.Fatalf("errors:\n%s\nchanges %+v", issuesText(p.Errors), p.Changes)
	}
	if c := p.Columns[0]; !c.Mapped || c.Field != FieldEmployeeNo || c.Letter != "A" {
		t.Errorf("column 0 = %+v", c)
	}
	if u := p.Unmapped(); len(u) != 1 || u[0].Header != "Note" {
		t.Errorf("Unmapped() = %+v", u)
	}
}

func TestBuildNewDepartments(t *testing.T) {
	text := "職員番号,氏名,所属コード,所属名\n" +
		"2001,甲,,区民部 戸籍住民課 窓口係\n" + // new 係 under a registered 課
		"2002,乙,,区民部／戸籍住民課／窓口係\n" + // the same, other separators
		"2003,丙,,子ども家庭部 子育て支援課 保育係\n" + // whole new chain
		"2004,丁,,子ども家庭部 子育て支援課 保育係\n" +
		"2005,戊,0399,子ども家庭部 児童相談所\n" + // given code, proposed parent
		"2006,己,0399,子ども家庭部 児童相談所\n" +
		"2007,庚,,戸籍住民課 住民記録係\n" + // registered, path without the 部
		"2008,辛,,総務課 防災センター\n" // センター under a 課 becomes a 係
	p := buildCSV(t, text, defaultOpt())
	if !p.OK() {
		t.Fatalf("errors:\n%s", issuesText(p.Errors))
	}
	type nd struct {
		Code      string
		Generated bool
		Level     string
		ParentID  int64
		Parent    int
		Path      string
		Rows      []int
	}
	var got []nd
	for _, d := range p.NewDepts {
		got = append(got, nd{d.Code, d.CodeGenerated, d.Level, d.ParentID, d.Parent, d.Path, d.Rows})
	}
	wantDepts := []nd{
		{"010103", true, "係", 2, -1, "区民部 戸籍住民課 窓口係", []int{2, 3}},
		{"03", true, "部", 0, -1, "子ども家庭部", []int{4, 5, 6, 7}},
		{"0301", true, "課", 0, 1, "子ども家庭部 子育て支援課", []int{4, 5}},
		{"030101", true, "係", 0, 2, "子ども家庭部 子育て支援課 保育係", []int{4, 5}},
		{"0399", false, "課", 0, 1, "子ども家庭部 児童相談所", []int{6, 7}},
		{"020101", true, "係", 9, -1, "総務部 総務課 防災センター", []int{9}},
	}
	if !reflect.DeepEqual(got, wantDepts) {
		t.Errorf("NewDepts:\n got %+v\nwant %+v", got, wantDepts)
	}
	deps := map[string]string{}
	for _, ch := range p.Changes {
		deps[ch.EmployeeNo] = fmt.Sprintf("%d/%d/%s", ch.DepartmentID, ch.NewDept, ch.Department)
	}
	if deps["2002"] != "0/0/区民部 戸籍住民課 窓口係" || deps["2006"] != "0/4/子ども家庭部 児童相談所" || deps["2007"] != "3/-1/区民部 戸籍住民課 住民記録係" {
		t.Errorf("departments = %v", deps)
	}
	if c := p.Counts(); c.NewDepts != 6 || c.New != 8 {
		t.Errorf("Counts() = %+v", c)
	}
}

func TestParseFlag(t *testing.T) {
	yes := []string{"○", "〇", "◯", "●", "✓", "✔", "1", "１", "Y", "y", "yes", "YES", "true", "TRUE", "はい", "有", "あり", "該当", " ○ "}
	no := []string{"", " ", "×", "✕", "0", "N", "n", "no", "false", "FALSE", "いいえ", "無", "なし", "非該当", "-"}
	for _, v := range yes {
		if got, msg := parseFlag("保護担当者", v); !got || msg != "" {
			t.Errorf("parseFlag(%q) = %v, %q; want true", v, got, msg)
		}
	}
	for _, v := range no {
		if got, msg := parseFlag("保護担当者", v); got || msg != "" {
			t.Errorf("parseFlag(%q) = %v, %q; want false", v, got, msg)
		}
	}
	for _, v := range []string{"済", "△", "2", "X"} {
		if _, msg := parseFlag("保護担当者", v); !strings.Contains(msg, "「"+v+"」") {
			t.Errorf("parseFlag(%q) message %q does not name the value", v, msg)
		}
	}
}

func TestInferJobClass(t *testing.T) {
	tests := map[string]string{
		"部長": JobManager, "次長": JobManager, "参事": JobManager, "副参事": JobManager, "課長": JobManager,
		"担当課長": JobManager, "所長": JobManager, "館長": JobManager, "室長": JobManager, "局長": JobManager,
		"区長": JobManager, "副区長": JobManager, "センター長": JobManager, "園長": JobManager, "校長": JobManager,
		"戸籍住民課長": JobManager,
		"係長":     JobGeneral, "主査": JobGeneral, "主任": JobGeneral, "主事": JobGeneral, "技師": JobGeneral,
		"課長補佐": JobGeneral, "所長代理": JobGeneral, "": JobGeneral, "会計年度任用職員": JobGeneral,
	}
	for title, want := range tests {
		if got := inferJobClass(title); got != want {
			t.Errorf("inferJobClass(%q) = %s, want %s", title, got, want)
		}
	}
}

func TestParseJobClassAndStatus(t *testing.T) {
	classes := map[string]string{"一般職員": JobGeneral, "一般": JobGeneral, "管理職": JobManager, "管理": JobManager, "": ""}
	for in, want := range classes {
		if got, msg := parseJobClass(in); got != want || msg != "" {
			t.Errorf("parseJobClass(%q) = %q, %q", in, got, msg)
		}
	}
	statuses := map[string]bool{"在籍": false, "休職": false, "": false, "退職": true, "定年退職": true, "退職者": true}
	for in, want := range statuses {
		if got, msg := parseStatus(in); got != want || msg != "" {
			t.Errorf("parseStatus(%q) = %v, %q", in, got, msg)
		}
	}
}

func TestBuildDepartmentWarnings(t *testing.T) {
	text := "職員番号,氏名,所属コード,所属名,メール\n" +
		"職員番号,氏名,所属コード,所属名,メール\n" + // header repeated by a paged export: skipped
		"1001,山田 太郎,010101,住民係,yamada@example.lg.jp\n" + // code wins over a differing name
		"1002,佐藤 花子,010101,住民係,sato@example.lg.jp\n" + // warned once per code and name
		"2001,新人,0299,総務部 総務課,new@example.lg.jp\n" // new code, same name as a registered 課
	p := buildCSV(t, text, defaultOpt())
	if !p.OK() {
		t.Fatalf("errors:\n%s", issuesText(p.Errors))
	}
	checkIssues(t, "Warnings", p.Warnings, []want{
		{3, "所属コード", "所属コード 010101 の名称は「区民部 戸籍住民課 住民記録係」ですが、ファイルでは「住民係」です（コードを優先します）"},
		{5, "所属コード", "所属コード 0299 は未登録ですが、同じ名前の所属「総務部 総務課」（コード 0201）があります。別の所属として作成します"},
	})
	if len(p.Changes) != 3 || p.Changes[0].DepartmentID != 3 || p.Changes[1].DepartmentID != 3 {
		t.Errorf("changes = %+v", p.Changes)
	}
	if len(p.NewDepts) != 1 || p.NewDepts[0].Code != "0299" || p.NewDepts[0].ParentID != 8 || p.NewDepts[0].Level != "課" {
		t.Errorf("NewDepts = %+v", p.NewDepts)
	}
}

func TestBuildUnknownDepartmentsNotCreated(t *testing.T) {
	text := "職員番号,氏名,所属コード,所属名\n2001,甲,099999,区民部 戸籍住民課 窓口係\n2002,乙,,子ども家庭部 保育課\n2003,丙,010101,\n"
	opt := defaultOpt()
	p := buildCSV(t, text, opt)
	if !p.OK() || len(p.NewDepts) != 2+1 || p.UnknownDepts != 0 {
		t.Fatalf("with creation: errors %s, NewDepts %+v", issuesText(p.Errors), p.NewDepts)
	}
	opt.CreateDepartments = false
	p = buildCSV(t, text, opt)
	// Nothing is proposed for creation, and each unknown row is an error
	// on the column that is wrong.
	if len(p.NewDepts) != 0 || p.Counts().NewDepts != 0 || p.UnknownDepts != 2 {
		t.Errorf("without creation: NewDepts %+v, unknown %d", p.NewDepts, p.UnknownDepts)
	}
	checkIssues(t, "Errors", p.Errors, []want{
		{2, "所属コード", "所属コード 099999 は登録されていません（所属名「区民部 戸籍住民課 窓口係」も登録されていません）"},
		{3, "所属名", "所属「子ども家庭部 保育課」は登録されていません"},
	})
}

func TestBuildScope(t *testing.T) {
	// The file lists a newcomer in 住民記録係 (010101) only.
	text := "職員番号,氏名,所属コード\n2001,新人 一人,010101\n"
	tests := []struct {
		name    string
		opt     func(*Options)
		leavers []string
		active  int
		depts   []string
		consent bool
		errors  []want
	}{
		{
			name:    "whole ward: everyone absent retires",
			opt:     func(o *Options) { o.Scope = ScopeWard },
			leavers: []string{"1001", "1002", "1003"}, active: 3, consent: true,
		},
		{
			name:    "a chosen 部 brings its 課",
			opt:     func(o *Options) { o.Departments = []string{"02"} },
			leavers: []string{"1002", "1003"}, active: 2, consent: true,
			depts: []string{"総務部（下位の所属を含む）"},
		},
		{
			name:    "the file's departments only",
			opt:     func(o *Options) { o.FileDepartments = true },
			leavers: []string{"1001"}, active: 1, consent: true,
			depts: []string{"区民部 戸籍住民課 住民記録係"},
		},
		{
			name:    "the file's departments and a chosen 課, full-width code",
			opt:     func(o *Options) { o.FileDepartments, o.Departments = true, []string{"０２０１"} },
			leavers: []string{"1001", "1003"}, active: 2, consent: true,
			depts: []string{"区民部 戸籍住民課 住民記録係", "総務部 総務課（下位の所属を含む）"},
		},
		{
			name:   "some departments, none named: nobody retires for being absent",
			active: 3,
		},
		{
			name:   "an unknown code in the scope",
			opt:    func(o *Options) { o.Departments = []string{"0999"} },
			errors: []want{{0, "", "退職扱いの範囲に指定した所属コード 0999 は登録されていません"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opt := defaultOpt()
			if tt.opt != nil {
				tt.opt(&opt)
			}
			p := buildCSV(t, text, opt)
			checkIssues(t, "Errors", p.Errors, tt.errors)
			if len(tt.errors) > 0 {
				return
			}
			var got []string
			for _, ch := range p.ByKind(KindLeaver) {
				got = append(got, ch.EmployeeNo)
			}
			if !reflect.DeepEqual(got, tt.leavers) || p.Active != tt.active || !reflect.DeepEqual(p.ScopeDepts, tt.depts) || p.NeedsConsent() != tt.consent {
				t.Errorf("leavers %v active %d depts %q consent %v; want %v %d %q %v", got, p.Active, p.ScopeDepts, p.NeedsConsent(),
					tt.leavers, tt.active, tt.depts, tt.consent)
			}
		})
	}
}

func TestRetireLimit(t *testing.T) {
	// A ward of 200 active staff in one 係 (and 50 retired ones, who do
	// not count); the file lists the first n.
	ex := orgFixture()
	ex.Staff = map[string]Staff{}
	for i := range 250 {
		no := fmt.Sprintf("%04d", 5000+i)
		ex.Staff[no] = Staff{ID: int64(500 + i), EmployeeNo: no, Name: "職員", DepartmentID: 3, JobClass: JobGeneral, Active: i < 200}
	}
	file := func(n int) *Table {
		var b strings.Builder
		b.WriteString("職員番号,氏名,所属コード\n")
		for i := range n {
			fmt.Fprintf(&b, "%04d,職員,010101\n", 5000+i)
		}
		return mustRead(t, "名簿.csv", []byte(b.String()))
	}
	tests := []struct {
		listed, limit int
		leavers       int
		consent       bool
		share         string
	}{
		{listed: 200, leavers: 0, share: "0"},
		{listed: 180, leavers: 20, share: "10"},                  // exactly 10 %: no consent needed
		{listed: 179, leavers: 21, consent: true, share: "10.5"}, // above it
		{listed: 5, leavers: 195, consent: true, share: "97.5"},  // a 5-row file against the whole ward
		{listed: 179, limit: 20, leavers: 21, share: "10.5"},     // a higher limit
	}
	for _, tt := range tests {
		p := Build(file(tt.listed), ex, Options{FiscalYear: 2026, RetireLimit: tt.limit})
		if !p.OK() {
			t.Fatalf("errors:\n%s", issuesText(p.Errors))
		}
		if c := p.Counts(); c.Leavers != tt.leavers || p.Active != 200 || p.NeedsConsent() != tt.consent || p.RetireShare() != tt.share {
			t.Errorf("%d listed, limit %d: leavers %d of %d (%s%%), consent %v; want %d (%s%%), %v",
				tt.listed, tt.limit, c.Leavers, p.Active, p.RetireShare(), p.NeedsConsent(), tt.leavers, tt.share, tt.consent)
		}
	}
}
