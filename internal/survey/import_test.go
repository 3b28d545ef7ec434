package survey_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mamori/internal/jp"
	"mamori/internal/survey"
	"mamori/internal/webtest"
)

// impXLSX is a workbook of one sheet holding rows.
func impXLSX(t *testing.T, rows [][]string) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := x.SetSheetRow("Sheet1", cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// impCSV is rows as CSV in encoding enc.
func impCSV(t *testing.T, enc jp.Encoding, rows [][]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := jp.NewCSVWriter(&buf, enc)
	for _, r := range rows {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// impPerson is one invited person of a campaign.
type impPerson struct {
	No, Name string
	Inv      int64
}

// people lists n unanswered people of campaign c in department d's
// sub-tree who were asked the general questionnaire only.
func (e *campEnv) people(t *testing.T, c survey.Campaign, d int64, n int) []impPerson {
	t.Helper()
	rows, err := e.s.DB.Query(e.ctx, `SELECT s.employee_no, s.name, i.id FROM survey_invitations i JOIN staff s ON s.id = i.staff_id
		WHERE i.campaign_id = ? AND i.submitted = FALSE AND i.audiences = 'general' AND i.department_id IN `+inList(e.subtree(t, d))+` ORDER BY i.id`, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []impPerson
	for rows.Next() && len(out) < n {
		var p impPerson
		if err := rows.Scan(&p.No, &p.Name, &p.Inv); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	if len(out) < n {
		t.Fatalf("only %d general-only people", len(out))
	}
	return out
}

var stampRe = regexp.MustCompile(`name="stamp" value="([^"]+)"`)

// impUpload uploads a file and returns the preview's path and page.
func impUpload(t *testing.T, c *webtest.Client, id int64, name string, data []byte) (string, *webtest.Response) {
	t.Helper()
	r := c.Upload(fmt.Sprintf("/selfcheck/campaigns/%d/import", id), nil, "file", name, data).Redirects(fmt.Sprintf("/selfcheck/campaigns/%d/import/", id))
	path := r.Header.Get("Location")
	return path, c.Get(path).Want(http.StatusOK, "取込みの確認")
}

func stampOf(t *testing.T, r *webtest.Response) string {
	t.Helper()
	m := stampRe.FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatalf("no commit form on the preview:\n%s", webtest.Excerpt(r.Body))
	}
	return m[1]
}

// TestImportIdentified: the answer sheet, a preview naming every refused
// row and column, a commit refused while rows are wrong, a commit of the
// good rows only when chosen (in one go, counted as responses), and the
// same file again refused as already answered.
func TestImportIdentified(t *testing.T) {
	e := campStart(t)
	c := e.open(t, e.input("紙の回答の試験", false, []string{"general", "system"}, e.dept))
	admin := e.s.As("admin")
	base := fmt.Sprintf("/selfcheck/campaigns/%d", c.ID)
	admin.Get(base+"/import").Want(http.StatusOK, "紙の回答の取込み", "回答用シート（.xlsx）をダウンロード", "住民記録係（未回答")

	raw := admin.Download(fmt.Sprintf("%s/import/sheet.xlsx?department=%d", base, e.sub), "application/vnd.openxmlformats")
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := x.GetSheetList(); len(got) != 2 || got[0] != "回答" || got[1] != "設問と選択肢" {
		t.Fatalf("sheets %v", got)
	}
	rows, _ := x.GetRows("回答")
	if strings.Join(rows[0], "|") != "職員番号|氏名|所属|C-K-1|C-R-1|C-M-1|C-T-1|C-K-2" || rows[1][0] != "（設問）" || !strings.HasPrefix(rows[1][3], "メールの宛先") {
		t.Fatalf("sheet head %q / %q", rows[0], rows[1])
	}
	if n := len(rows) - 2; n != e.activeStaff(t, e.sub) {
		t.Errorf("%d prefilled rows, want the %d of 住民記録係", n, e.activeStaff(t, e.sub))
	}
	opts, _ := x.GetRows("設問と選択肢")
	if len(opts) != 6 || !strings.Contains(opts[3][4], "1 許可\n2 暗号化") || opts[3][5] != "番号を一つ以上（例: 1,3）" {
		t.Errorf("options sheet %q", opts)
	}
	if n := e.s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", fmt.Sprintf("survey_campaign:%d", c.ID)); n != 1 {
		t.Errorf("%d download entries", n)
	}

	ps := e.people(t, c, e.sub, 6)
	var outsider string
	if err := e.s.DB.QueryRow(e.ctx, "SELECT employee_no FROM staff WHERE active = TRUE AND department_id = ? ORDER BY id LIMIT 1", e.other).Scan(&outsider); err != nil {
		t.Fatal(err)
	}
	file := impXLSX(t, [][]string{
		{"職員番号", "氏名", "C-K-1", "C-R-1", "C-M-1", "C-T-1", "C-K-2"},
		{"（設問）", "", "宛先", "ロック", "持ち出し", "自由記述", "管理者"},
		{ps[0].No, ps[0].Name, "2", "1", "1,2", "紙で回答", ""}, // 3: good
		{ps[1].No, ps[1].Name, "２", "3", "１、３", "", ""},     // 4: good (full-width)
		{ps[2].No, ps[2].Name, "9", "1", "1", "", ""},       // 5: not an option
		{ps[3].No, ps[3].Name, "1,2", "1", "1", "", ""},     // 6: two for a single choice
		{ps[4].No, ps[4].Name, "2", "1", "1", "", "2,3"},    // 7: a system question for a general-only person
		{"999999999", "不明", "2", "1", "1", "", ""},          // 8: unknown number
		{outsider, "", "2", "1", "1", "", ""},               // 9: not invited
		{ps[0].No, ps[0].Name, "1", "1", "1", "", ""},       // 10: twice
		{ps[5].No, ps[5].Name, "", "", "", "", ""},          // 11: nothing answered
	})
	preview, page := impUpload(t, admin, c.ID, "紙の回答.xlsx", file)
	page.Want(http.StatusOK, "取込み予定 <span class=\"big\">2</span>", "エラー <span class=\"big\">6</span>", "回答のない行 1 行",
		"5行目 C列（設問 C-K-1）: 「9」は選択肢の番号ではありません。1～3 の番号で書いてください",
		"6行目 C列（設問 C-K-1）: 「1,2」: この設問は選択肢を一つだけ選びます。",
		"7行目 G列（設問 C-K-2）: この人の調査票（一般職員）にない設問です。",
		"8行目 A列: 職員番号「999999999」は職員名簿にありません。",
		"はこの自己点検の対象者ではありません。",
		"10行目 職員番号 "+ps[0].No+" は 3 行目にもあります。",
		"エラーの行を除いて取り込む（2 行）", "C-M-1=1,3").Lacks(">取り込む</button>")
	if n := e.s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'survey.import_upload' AND target = ?", fmt.Sprintf("survey_campaign:%d", c.ID)); n != 1 {
		t.Errorf("%d upload entries", n)
	}
	stamp := stampOf(t, page)
	admin.Post(preview, url.Values{"stamp": {stamp}}).Want(http.StatusUnprocessableEntity, "エラーの行が 6 行あります")
	if n := e.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ?", c.ID); n != 0 {
		t.Fatalf("%d responses after a refused commit", n)
	}
	r := admin.Post(preview, url.Values{"stamp": {stamp}, "skip_errors": {"1"}}).Redirects(base)
	if msg := flash(r); !strings.Contains(msg, "回答 2 件を取り込みました") || !strings.Contains(msg, "エラーの 6 行は取り込んでいません") {
		t.Errorf("commit said %q", msg)
	}
	if n := e.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ? AND source = 'import' AND staff_id IS NOT NULL", c.ID); n != 2 {
		t.Fatalf("%d imported responses, want 2", n)
	}
	if n := e.s.Count("SELECT COUNT(*) FROM survey_invitations WHERE campaign_id = ? AND submitted = TRUE AND id IN (?, ?)", c.ID, ps[0].Inv, ps[1].Inv); n != 2 {
		t.Errorf("%d invitations marked answered, want 2", n)
	}
	var rawAnswers string
	if err := e.s.DB.QueryRow(e.ctx, "SELECT r.answers FROM survey_responses r JOIN survey_invitations i ON i.staff_id = r.staff_id AND i.campaign_id = r.campaign_id WHERE i.id = ?", ps[1].Inv).Scan(&rawAnswers); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(rawAnswers), &got); err != nil || got["C-K-1"] != "2" || got["C-R-1"] != "3" || got["C-M-1"] != "1,3" || len(got) != 3 {
		t.Errorf("stored answers %s (%v)", rawAnswers, err)
	}
	if n := e.audited(t, "survey.import", c.ID); n != 1 {
		t.Errorf("%d import entries", n)
	}
	if n := e.audited(t, "survey.submit", c.ID); n != 2 {
		t.Errorf("%d submit entries, want 2", n)
	}
	admin.Get(base).Want(http.StatusOK, "（回答 2 人")

	// The same file again: its people have answered.
	preview2, page := impUpload(t, admin, c.ID, "紙の回答.xlsx", file)
	page.Want(http.StatusOK, "取込み予定 <span class=\"big\">0</span>", ps[0].Name+"（職員番号 "+ps[0].No+"）はすでに回答を提出しています", "取り込める行がありません")
	admin.Post(preview2, url.Values{"stamp": {stamp}, "skip_errors": {"1"}}).Want(http.StatusConflict, "プレビューを表示した後に")
	if n := e.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ?", c.ID); n != 2 {
		t.Errorf("%d responses after importing the file twice, want 2", n)
	}
	// Somebody else's upload is not theirs to preview.
	e.s.As("consultant").Get(preview2).Want(http.StatusNotFound)
	e.s.As("auditee").Get(base + "/import").Want(http.StatusForbidden)
}

// TestImportStale: a preview after which the campaign's responses changed
// is refused, and nothing of it is written.
func TestImportStale(t *testing.T) {
	e := campStart(t)
	c := e.open(t, e.input("古い確認画面の試験", false, []string{"general"}, e.sub))
	admin := e.s.As("admin")
	ps := e.people(t, c, e.sub, 2)
	file := impXLSX(t, [][]string{{"職員番号", "C-K-1", "C-R-1", "C-M-1"}, {ps[0].No, "2", "1", "2"}})
	preview, page := impUpload(t, admin, c.ID, "answers.xlsx", file)
	stamp := stampOf(t, page)
	v, err := e.st.Invitation(e.ctx, ps[1].Inv)
	if err != nil {
		t.Fatal(err)
	}
	e.submit(t, c, v)
	page = admin.Post(preview, url.Values{"stamp": {stamp}}).Want(http.StatusConflict, "プレビューを表示した後に、この自己点検の回答が変わりました")
	if n := e.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ? AND source = 'import'", c.ID); n != 0 {
		t.Fatalf("%d imported after a stale preview", n)
	}
	admin.Post(preview, url.Values{"stamp": {stampOf(t, page)}}).Redirects(fmt.Sprintf("/selfcheck/campaigns/%d", c.ID))
	if n := e.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ?", c.ID); n != 2 {
		t.Errorf("%d responses, want 2", n)
	}
}

// TestImportLayout: files whose layout is wrong are refused as a whole,
// naming the row and the column.
func TestImportLayout(t *testing.T) {
	e := campStart(t)
	c := e.open(t, e.input("見出しの試験", false, []string{"general", "system"}, e.sub))
	anon := e.open(t, e.input("匿名の見出しの試験", true, []string{"general"}, e.sub))
	draftID, err := e.st.CreateCampaign(e.ctx, e.input("準備中", false, []string{"general"}, e.sub), "テスト")
	if err != nil {
		t.Fatal(err)
	}
	draft, _ := e.st.Campaign(e.ctx, draftID)
	p := e.people(t, c, e.sub, 1)[0]
	for _, tc := range []struct {
		name string
		c    survey.Campaign
		rows [][]string
		want string
	}{
		{"unknown code", c, [][]string{{"職員番号", "C-K-1", "ZZ-99"}, {p.No, "2", "1"}}, "1行目 C列「ZZ-99」: 設問コード「ZZ-99」は令和13年度の設問にありません。"},
		{"no staff number", c, [][]string{{"氏名", "C-K-1"}, {p.Name, "2"}}, "職員番号の列がありません。"},
		{"no question", c, [][]string{{"職員番号", "氏名"}, {p.No, p.Name}}, "設問コードの列がありません"},
		{"audience not asked", c, [][]string{{"職員番号", "C-K-1", "C-P-1"}, {p.No, "2", "1"}}, "1行目 C列「C-P-1」: 設問 C-P-1 はこの自己点検の対象者（一般職員・システム担当者）に尋ねる設問ではありません。"},
		{"twice the same code", c, [][]string{{"職員番号", "C-K-1", "c-k-1"}, {p.No, "2", "2"}}, "設問 C-K-1 の列が B列にもあります。"},
		{"value without heading", c, [][]string{{"職員番号", "C-K-1"}, {p.No, "2", "3"}}, "2行目 C列: 見出し（設問コード）のない列に値があります。"},
		{"staff number in an anonymous campaign", anon, [][]string{{"職員番号", "所属コード", "調査票", "C-K-1"}, {p.No, "x", "一般職員", "2"}}, "この自己点検は匿名です。"},
		{"anonymous without 調査票", anon, [][]string{{"所属コード", "C-K-1"}, {"x", "2"}}, "調査票の列がありません。"},
		{"draft", draft, [][]string{{"職員番号", "C-K-1"}, {p.No, "2"}}, "まだ回答の受付を始めていません"},
		{"only the header", c, [][]string{{"職員番号", "C-K-1"}}, "取り込む回答の行がありません"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := e.st.PlanImport(e.ctx, tc.c, "x.xlsx", impXLSX(t, tc.rows))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(plan.Problems, "\n"), tc.want) || plan.Good() != 0 {
				t.Errorf("problems %q, want %q", plan.Problems, tc.want)
			}
		})
	}
	admin := e.s.As("admin")
	_, page := impUpload(t, admin, c.ID, "bad.xlsx", impXLSX(t, [][]string{{"職員番号", "Q-99"}, {p.No, "1"}}))
	page.Want(http.StatusOK, "このファイルは取り込めません", "設問コード「Q-99」").Lacks(`name="stamp"`)
	admin.Upload(fmt.Sprintf("/selfcheck/campaigns/%d/import", c.ID), nil, "file", "answers.pdf", []byte("%PDF-1.4 not a sheet")).
		Want(http.StatusBadRequest, "answers.pdf", "Excel（.xlsx）・CSVのファイルではありません")
	_, page = impUpload(t, admin, c.ID, "answers.xlsx", []byte("PK\x03\x04broken"))
	page.Want(http.StatusOK, "このファイルは取り込めません", "Excel ファイルを読み込めません")
}

// TestImportShiftJISCSV: a Shift_JIS CSV is read as such, free text
// included, and stored in the submission's format.
func TestImportShiftJISCSV(t *testing.T) {
	e := campStart(t)
	c := e.open(t, e.input("CSV の試験", false, []string{"general"}, e.sub))
	admin := e.s.As("admin")
	p := e.people(t, c, e.sub, 1)[0]
	file := impCSV(t, jp.ShiftJIS, [][]string{
		{"職員番号", "氏名", "C-K-1", "C-R-1", "C-M-1", "C-T-1"},
		{p.No, p.Name, "2", "4", "1,2", "窓口の端末が古く、画面ロックまで時間がかかります。"},
	})
	if _, enc, err := jp.DecodeText(file); err != nil || enc != jp.ShiftJIS {
		t.Fatalf("fixture is not Shift_JIS: %v %v", enc, err)
	}
	preview, page := impUpload(t, admin, c.ID, "回答.csv", file)
	page.Want(http.StatusOK, "CSV（Shift_JIS", "取込み予定 <span class=\"big\">1</span>", p.Name)
	admin.Post(preview, url.Values{"stamp": {stampOf(t, page)}}).Redirects(fmt.Sprintf("/selfcheck/campaigns/%d", c.ID))
	var raw string
	if err := e.s.DB.QueryRow(e.ctx, "SELECT answers FROM survey_responses WHERE campaign_id = ?", c.ID).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(raw), &got); err != nil || got["C-K-1"] != "2" || got["C-R-1"] != "4" || got["C-M-1"] != "1,2" ||
		got["C-T-1"] != "窓口の端末が古く、画面ロックまで時間がかかります。" {
		t.Errorf("stored %s", raw)
	}
	// A CSV with a bad byte names its line.
	bad := append(impCSV(t, jp.UTF8, [][]string{{"職員番号", "C-K-1"}}), []byte("123,\xff\xfe\n")...)
	_, page = impUpload(t, admin, c.ID, "broken.csv", bad)
	page.Want(http.StatusOK, "このファイルは取り込めません", "2行目")
}

// TestImportAnonymous: an anonymous campaign's sheet names the department
// and the questionnaire, never the person; each row counts against one
// unanswered person of that department and questionnaire, and no more
// rows than there are such people are taken.
func TestImportAnonymous(t *testing.T) {
	e := campStart(t)
	c := e.open(t, e.input("匿名の紙の回答", true, []string{"general"}, e.dept))
	admin := e.s.As("admin")
	var code, otherCode string
	if err := e.s.DB.QueryRow(e.ctx, "SELECT code FROM departments WHERE id = ?", e.sub).Scan(&code); err != nil {
		t.Fatal(err)
	}
	if err := e.s.DB.QueryRow(e.ctx, "SELECT code FROM departments WHERE id = ?", e.other).Scan(&otherCode); err != nil {
		t.Fatal(err)
	}
	raw := admin.Download(fmt.Sprintf("/selfcheck/campaigns/%d/import/sheet.xlsx?department=%d", c.ID, e.sub), "application/vnd.openxmlformats")
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows("回答")
	if strings.Join(rows[0][:3], "|") != "所属コード|所属|調査票" || rows[2][0] != code || rows[2][2] != "一般職員" {
		t.Fatalf("anonymous sheet %q %q", rows[0], rows[2])
	}
	if n := e.s.Count("SELECT COUNT(*) FROM staff WHERE name IN ('" + strings.Join(flatten(rows[2:]), "','") + "')"); n != 0 {
		t.Errorf("the anonymous sheet names %d people", n)
	}

	n := e.activeStaff(t, e.sub)
	sheet := [][]string{{"所属コード", "調査票", "C-K-1", "C-R-1", "C-M-1"}}
	short := strings.TrimLeft(code, "0")
	for i := range n + 1 {
		k := code
		if i == 0 {
			k = short // Excel dropped the leading zero
		}
		sheet = append(sheet, []string{k, "一般職員", "2", "1", "1"})
	}
	sheet = append(sheet, []string{otherCode, "一般", "2", "1", "1"}, []string{code, "管理職", "2", "1", "1"}, []string{code, "システム担当者", "2", "1", "1"})
	preview, page := impUpload(t, admin, c.ID, "anon.csv", impCSV(t, jp.UTF8BOM, sheet))
	page.Want(http.StatusOK, fmt.Sprintf("取込み予定 <span class=\"big\">%d</span>", n), "エラー <span class=\"big\">4</span>",
		fmt.Sprintf("%d行目 所属「区民部 戸籍住民課 住民記録係」で調査票「一般職員」の未回答者が残っていません（対象 %d 人のうち 0 人が回答済み", n+2, n),
		"はこの自己点検の対象ではありません（対象者がいません）",
		"「管理職」は調査票の名前ではありません",
		"この自己点検はシステム担当者を対象にしていません").Lacks("職員番号")
	admin.Post(preview, url.Values{"stamp": {stampOf(t, page)}, "skip_errors": {"1"}}).Redirects(fmt.Sprintf("/selfcheck/campaigns/%d", c.ID))
	if got := e.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ? AND staff_id IS NULL AND department_id = ? AND source = 'import'", c.ID, e.sub); got != n {
		t.Errorf("%d anonymous responses of 住民記録係, want %d", got, n)
	}
	if got := e.s.Count("SELECT COUNT(*) FROM survey_invitations WHERE campaign_id = ? AND submitted = TRUE AND department_id = ?", c.ID, e.sub); got != n {
		t.Errorf("%d invitations of 住民記録係 answered, want %d", got, n)
	}
	if got := e.s.Count("SELECT COUNT(*) FROM survey_responses WHERE campaign_id = ? AND staff_id IS NOT NULL", c.ID); got != 0 {
		t.Errorf("%d anonymous responses name a person", got)
	}
	if got := e.s.Count("SELECT COUNT(*) FROM survey_invitations WHERE campaign_id = ? AND submitted = TRUE", c.ID); got != n {
		t.Errorf("%d invitations answered in all, want %d", got, n)
	}
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		for _, c := range r {
			out = append(out, strings.ReplaceAll(c, "'", ""))
		}
	}
	return out
}
