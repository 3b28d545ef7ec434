package org_test

import (
	"bytes"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/japanese"

	"mamori/internal/webtest"
)

func sjis(t *testing.T, lines ...string) []byte {
	b, err := japanese.ShiftJIS.NewEncoder().Bytes([]byte(strings.Join(lines, "\r\n") + "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var jobRe = regexp.MustCompile(`^/jobs/(\d+)$`)

// TestImportThroughTheWeb: the roster import refuses wrong, empty and
// oversized files and a form without a scope, previews a file with a bad
// row and refuses to confirm or apply it, then applies a good file after
// the confirmation as a job that only its owner can see, once.
func TestImportThroughTheWeb(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		c := s.As("admin")
		var code string
		if err := s.DB.QueryRow(t.Context(), "SELECT code FROM departments WHERE name = '住民記録係'").Scan(&code); err != nil {
			t.Fatal(err)
		}
		head := "所属コード,職員番号,氏名,フリガナ,メールアドレス"
		bad := sjis(t, head, code+",900001,髙橋　一郎,タカハシ　イチロウ,a@example.jp", code+",900002,山﨑　花子,ヤマザキ　ハナコ,not-an-address")
		good := sjis(t, head, code+",900001,髙橋　一郎,タカハシ　イチロウ,a@example.jp", code+",900002,山﨑　花子,ヤマザキ　ハナコ,b@example.jp")
		// Some departments' roster that retires nobody for being absent.
		addOnly := url.Values{"scope": {"part"}, "retire": {"none"}}

		// Wrong file type, empty file, no scope chosen: refused on the
		// form, nothing stored.
		blobs := s.Count("SELECT COUNT(*) FROM blobs")
		for name, data := range map[string][]byte{"x.pdf": []byte("%PDF-1.4 ..."), "empty.csv": {}} {
			c.Upload("/staff/import", addOnly, "file", name, data).Want(http.StatusBadRequest, "alert-error")
		}
		big := bytes.Repeat([]byte("000001,山田　太郎\r\n"), 21<<20/20)
		c.Upload("/staff/import", nil, "file", "big.csv", big).Want(http.StatusBadRequest, "ファイルが大きすぎます")
		c.Upload("/staff/import", url.Values{"create": {"1"}}, "file", "名簿.csv", good).
			Want(http.StatusBadRequest, `id="scope-error"`, "取り込みの範囲（全庁の名簿か、一部の所属の名簿か）を選んでください", `name="create" value="1" checked`)
		if n := s.Count("SELECT COUNT(*) FROM blobs") - blobs; n != 0 {
			t.Fatalf("refused files were stored: %d", n)
		}

		r := c.Upload("/staff/import", addOnly, "file", "名簿.csv", bad).Want(http.StatusSeeOther)
		preview := r.Header.Get("Location")
		c.Get(preview).Want(http.StatusOK, "取り込めません", "not-an-address", "E列 「メールアドレス」").Lacks("確認へ進む")
		c.Get(strings.Replace(preview, "/preview", "/confirm", 1)).Want(http.StatusBadRequest, "取り込めません")
		applyPath := strings.Replace(strings.SplitN(preview, "?", 2)[0], "/preview", "/apply", 1)
		q, _ := url.ParseQuery(strings.SplitN(preview, "?", 2)[1])
		c.Post(applyPath, q).Want(http.StatusBadRequest)
		if n := s.Count("SELECT COUNT(*) FROM staff WHERE employee_no LIKE '9000%'"); n != 0 {
			t.Fatalf("bad file wrote %d staff", n)
		}

		preview = c.Upload("/staff/import", addOnly, "file", "名簿.csv", good).Want(http.StatusSeeOther).Header.Get("Location")
		c.Get(preview).Want(http.StatusOK, "エラーはありません", "確認へ進む", "追加と更新だけ").Lacks("新しく作成する所属", "alert-warn")
		// Without a scope (an old link), the preview asks for one first.
		c.Get(strings.SplitN(preview, "?", 2)[0]).Want(http.StatusOK, "取り込みの範囲を選んでから確認してください", `id="scope-error"`).Lacks("確認へ進む", "エラーはありません")
		confirm := c.Get(strings.Replace(preview, "/preview", "/confirm", 1)).Want(http.StatusOK, "取り込みの確認", "取り込む数", "<th scope=\"col\">新規</th>", "2 人")
		form := hiddenValues(confirm.Body, "/apply")
		applyPath = strings.Replace(strings.SplitN(preview, "?", 2)[0], "/preview", "/apply", 1)
		r = c.Post(applyPath, form).Redirects("/jobs/")
		m := jobRe.FindStringSubmatch(r.Header.Get("Location"))
		if m == nil {
			t.Fatalf("apply: %s", r.Header.Get("Location"))
		}
		s.Jobs.Wait()
		c.Get("/jobs/"+m[1]).Want(http.StatusOK, "完了しました", "新規 2 人")
		req, _ := http.NewRequest(http.MethodGet, c.Base+"/jobs/"+m[1], nil)
		req.Header.Set("Accept", "application/json")
		if jr := c.Do(req).Want(http.StatusOK); !strings.HasPrefix(jr.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("job json: %s", jr.Header.Get("Content-Type"))
		}
		c.Get("/staff?q="+url.QueryEscape("山﨑")).Want(http.StatusOK, "山﨑　花子")
		// The confirmation sent again (the back button): refused, nothing
		// more written, one audit entry.
		c.Post(applyPath, form).Want(http.StatusConflict, "取り込み済み", "新規 2 件")
		c.Get(preview).Want(http.StatusConflict, "取り込み済み")
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'staff.import'"); n != 1 {
			t.Errorf("%d import entries, want 1", n)
		}
		// Only the job's owner (or an admin) may see it; to anyone else it
		// does not exist.
		s.As("consultant").Get("/jobs/" + m[1]).Want(http.StatusNotFound)
	})
}

var hiddenRe = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// hiddenValues are the hidden fields of the form whose action ends with
// action, as a browser would send them.
func hiddenValues(body, action string) url.Values {
	i := strings.Index(body, action+`"`)
	if i < 0 {
		return nil
	}
	end := strings.Index(body[i:], "</form>")
	v := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(body[i:i+end], -1) {
		v.Add(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// fiveRows is the file of issue 10: five people in one 係, one of them
// with a department code that does not exist.
func fiveRows(t *testing.T, code string) []byte {
	return sjis(t, "職員番号,氏名,所属コード,所属名",
		"900001,髙橋　一郎,"+code+",住民記録係", "900002,山﨑　花子,"+code+",住民記録係",
		"900003,渡辺　三郎,099999,区民部 戸籍住民課 住民記録係",
		"900004,田中　四郎,"+code+",住民記録係", "900005,伊藤　五郎,"+code+",住民記録係")
}

// TestImportRetireGuard: a five-row file read as the whole ward's roster
// would retire almost everyone. The preview says so as a warning (never
// 「エラーはありません」); the confirmation and the import are refused until
// the number is typed; the numbers confirmed are the numbers written, in
// one job, once. An unknown department code is an error on its column
// unless creating departments was chosen, and the list of departments to
// create appears only then.
func TestImportRetireGuard(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	c := s.As("admin")
	var code string
	var dept int64
	if err := s.DB.QueryRow(t.Context(), "SELECT code, id FROM departments WHERE name = '住民記録係'").Scan(&code, &dept); err != nil {
		t.Fatal(err)
	}
	active := s.Count("SELECT COUNT(*) FROM staff WHERE active = TRUE")
	inDept := s.Count("SELECT COUNT(*) FROM staff WHERE active = TRUE AND department_id = ?", dept)

	// Unknown code, creation off: an error on 所属コード (column C), no
	// list of departments to create, no option named that is not there.
	loc := c.Upload("/staff/import", url.Values{"scope": {"all"}}, "file", "名簿.csv", fiveRows(t, code)).Want(http.StatusSeeOther).Header.Get("Location")
	c.Get(loc).Want(http.StatusOK, "取り込めません", "<td class=\"num\">4</td><td>C列 「所属コード」</td><td>所属コード 099999 は登録されていません",
		"「未登録の所属を作成する」を選んでください", `name="create" value="1">`).
		Lacks("新しく作成する所属", "エラーはありません", "一部の所属のみ", "確認へ進む")
	// Creation on: the department to create is listed, and the retirement
	// warning takes the place of 「エラーはありません」.
	body := c.Get(loc+"&create=1").Want(http.StatusOK, "新しく作成する所属（1）", "099999", "alert-warn", "退職扱いになります").
		Lacks("エラーはありません", "取り込めません").Body
	if !strings.Contains(body, fmt.Sprintf("在籍職員の 100%%（%s 人のうち %s 人）が退職扱いになります", number(active), number(active))) {
		t.Errorf("warning lacks the numbers %d of %d:\n%s", active, active, webtest.Excerpt(body))
	}

	// A file of five good rows, whole ward: 4,000-odd leavers.
	good := sjis(t, "職員番号,氏名,所属コード", "900001,髙橋　一郎,"+code, "900002,山﨑　花子,"+code, "900003,渡辺　三郎,"+code,
		"900004,田中　四郎,"+code, "900005,伊藤　五郎,"+code)
	loc = c.Upload("/staff/import", url.Values{"scope": {"all"}}, "file", "名簿.csv", good).Want(http.StatusSeeOther).Header.Get("Location")
	leavers := active
	c.Get(loc).Want(http.StatusOK, "alert-warn", `data-disable-until-valid`, `id="ack"`, `required pattern=`, number(leavers)+" 人").Lacks("エラーはありません")
	confirm := strings.Replace(loc, "/preview", "/confirm", 1)
	c.Get(confirm).Want(http.StatusBadRequest, `id="ack-error"`, "退職扱いになる人数を入力してから進んでください")
	c.Get(confirm+"&ack=5").Want(http.StatusBadRequest, "入力された人数「5」は、退職扱いになる人数（"+number(leavers)+"）と違います", `value="5"`)
	applyPath := strings.Replace(strings.SplitN(loc, "?", 2)[0], "/preview", "/apply", 1)
	q, _ := url.ParseQuery(strings.SplitN(loc, "?", 2)[1])
	c.Post(applyPath, q).Want(http.StatusBadRequest, "退職扱いになる人数を入力してから進んでください")
	if n := s.Count("SELECT COUNT(*) FROM staff WHERE active = TRUE"); n != active {
		t.Fatalf("refused import changed staff: %d active, want %d", n, active)
	}

	// Some departments instead: only 住民記録係's absent staff are
	// candidates, or the chosen 部 with everything under it.
	part := loc + "&scope=part&retire=file"
	c.Get(strings.Replace(part, "scope=all&", "", 1)).Want(http.StatusOK, "退職扱いの範囲（1 所属、在籍 "+number(inDept)+" 人）", "区民部 戸籍住民課 住民記録係")
	var bu string
	var buID int64
	if err := s.DB.QueryRow(t.Context(), "SELECT p.code, p.id FROM departments d JOIN departments c ON c.id = d.parent_id JOIN departments p ON p.id = c.parent_id WHERE d.id = ?", dept).Scan(&bu, &buID); err != nil {
		t.Fatal(err)
	}
	inBu := s.Count(`SELECT COUNT(*) FROM staff s JOIN departments d ON d.id = s.department_id LEFT JOIN departments c ON c.id = d.parent_id
		WHERE s.active = TRUE AND (d.id = ? OR d.parent_id = ? OR c.parent_id = ?)`, buID, buID, buID)
	c.Get(strings.Replace(loc, "scope=all", "scope=part&retire=list&dept="+bu, 1)).Want(http.StatusOK, "（下位の所属を含む）", "在籍 "+number(inBu)+" 人")
	c.Get(strings.Replace(loc, "scope=all", "scope=part&retire=list", 1)).Want(http.StatusOK, "退職扱いにする所属を 1 つ以上選んでください").Lacks("確認へ進む")

	// The number typed (full width, with a separator): the confirmation
	// states the numbers.
	ack := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r - '0' + '０'
		}
		return r
	}, number(leavers))
	conf := c.Get(confirm+"&ack="+url.QueryEscape(ack)).Want(http.StatusOK, "取り込みの確認", "<th scope=\"col\">退職</th>", number(leavers)+" 人", "5 人", `class="danger"`)
	form := hiddenValues(conf.Body, "/apply")
	if form.Get("ack") != ack || form.Get("fp") == "" || form.Get("scope") != "all" {
		t.Fatalf("confirmation form: %v", form)
	}
	// What was confirmed is what is applied: a change in between asks for
	// a new confirmation.
	if _, err := s.DB.Exec(t.Context(), "UPDATE staff SET updated_at = '2030-01-01T00:00:00Z' WHERE id = (SELECT MIN(id) FROM staff)"); err != nil {
		t.Fatal(err)
	}
	stale := c.Post(applyPath, form).Want(http.StatusConflict, "取り込む内容が変わりました")
	form = hiddenValues(stale.Body, "/apply")

	// Two submits of the confirmation: one import.
	first := c.Post(applyPath, form).Redirects("/jobs/").Header.Get("Location")
	second := c.Post(applyPath, form)
	s.Jobs.Wait()
	if second.StatusCode == http.StatusSeeOther && second.Header.Get("Location") != first {
		t.Errorf("second submit started another job: %s, first %s", second.Header.Get("Location"), first)
	}
	c.Get(first).Want(http.StatusOK, "完了しました", "新規 5 人", fmt.Sprintf("退職 %d 人", leavers))
	c.Post(applyPath, form).Want(http.StatusConflict, "取り込み済み")
	if n := s.Count("SELECT COUNT(*) FROM staff WHERE active = TRUE"); n != 5 {
		t.Errorf("%d active staff after the import, want 5", n)
	}
	if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'staff.import' AND detail LIKE ?",
		fmt.Sprintf("%%全庁%%新規 5 件%%退職 %d 件%%変更なし 0 件%%確認済み%%", leavers)); n != 1 {
		t.Errorf("%d import entries with the numbers, want 1", n)
	}
}

// number formats n as the pages do: 4,295.
func number(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
