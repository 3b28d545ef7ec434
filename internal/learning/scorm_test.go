package learning_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"mamori/internal/learning"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// zipOf builds a ZIP of name → content, in the order given.
func zipOf(t *testing.T, files ...string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for i := 0; i+1 < len(files); i += 2 {
		w, err := zw.Create(files[i])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(files[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const manifest12 = `<?xml version="1.0"?>
<manifest identifier="M1" xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
<metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
<organizations default="O"><organization identifier="O"><title>T</title>%s</organization></organizations>
<resources>%s</resources></manifest>`

func manifest(items, resources string) string { return fmt.Sprintf(manifest12, items, resources) }

const oneSCO = `<item identifier="I1" identifierref="R1"><title>one</title></item>`
const oneRes = `<resource identifier="R1" type="webcontent" adlcp:scormtype="sco" href="a/start.html"><file href="a/start.html"/></resource>`
const reporting = `<script>API.LMSSetValue("cmi.core.lesson_status","completed")</script>`

// TestParseSCORM: the sample package and the packages a ward may be sent:
// a 2004 one, a folder zipped by mistake, no manifest, escaping names,
// several SCOs, none, a launch page missing, a package that never reports
// completion or loads from the internet.
func TestParseSCORM(t *testing.T) {
	sample, err := learning.SamplePackage("telework")
	if err != nil {
		t.Fatal(err)
	}
	p, err := learning.ParseSCORM(sample)
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != learning.SCORM12 || p.Launch != "index.html" || p.Mastery != 80 || len(p.Warnings) != 0 || !strings.Contains(p.Title, "テレワーク") {
		t.Fatalf("sample: %+v", p)
	}

	v2004 := strings.NewReplacer("<schemaversion>1.2</schemaversion>", "<schemaversion>2004 4th Edition</schemaversion>",
		`adlcp:scormtype="sco"`, `adlcp:scormType="sco"`).Replace(manifest(`<item identifier="I1" identifierref="R1" parameters="?lang=ja"><title>one</title></item>`, oneRes))
	p, err = learning.ParseSCORM(zipOf(t, "imsmanifest.xml", v2004, "a/start.html", `<script>x.SetValue("cmi.completion_status","completed")</script>`))
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != learning.SCORM2004 || p.Launch != "a/start.html?lang=ja" || len(p.Warnings) != 0 {
		t.Fatalf("2004: %+v", p)
	}

	// What loads from another host, and no completion reported.
	p, err = learning.ParseSCORM(zipOf(t, "imsmanifest.xml", manifest(oneSCO, oneRes),
		"a/start.html", `<script src="https://cdn.example.com/lib.js"></script><a href="https://www.example.org/">link</a><svg xmlns="http://www.w3.org/2000/svg"></svg>`,
		"a/style.css", `body{background:url(//img.example.net/bg.png)}`))
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(p.Warnings, "\n")
	for _, want := range []string{"cdn.example.com", "img.example.net", "修了の報告", "cmi.core.lesson_status"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
	for _, not := range []string{"www.example.org", "w3.org"} {
		if strings.Contains(all, not) {
			t.Errorf("warnings name %q (no load):\n%s", not, all)
		}
	}

	bomb := func() []byte {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create("imsmanifest.xml")
		w.Write([]byte(manifest(oneSCO, oneRes)))
		w, _ = zw.Create("a/start.html")
		w.Write([]byte(reporting))
		h := &zip.FileHeader{Name: "a/huge.bin", Method: zip.Store, UncompressedSize64: 3 << 30, CompressedSize64: 4, CRC32: 0}
		w, _ = zw.CreateRaw(h)
		w.Write([]byte("abcd"))
		zw.Close()
		return buf.Bytes()
	}
	refused := []struct {
		name string
		data []byte
		want string
	}{
		{"not a zip", []byte("PK\x03\x04 this is not a zip at all"), "ZIP ファイルとして読めません"},
		{"no manifest", zipOf(t, "index.html", reporting), "imsmanifest.xml がありません"},
		{"folder zipped", zipOf(t, "course/imsmanifest.xml", manifest(oneSCO, oneRes), "course/a/start.html", reporting), "最上位にありません（course/imsmanifest.xml）"},
		{"traversal", zipOf(t, "imsmanifest.xml", manifest(oneSCO, oneRes), "a/start.html", reporting, "../../etc/cron.d/x", "x"), "安全でない名前"},
		{"absolute", zipOf(t, "imsmanifest.xml", manifest(oneSCO, oneRes), "/etc/passwd", "x"), "安全でない名前"},
		{"backslash", zipOf(t, "imsmanifest.xml", manifest(oneSCO, oneRes), `a\..\..\x`, "x"), "安全でない名前"},
		{"two SCOs", zipOf(t, "imsmanifest.xml", manifest(oneSCO+`<item identifier="I2" identifierref="R2"><title>two</title></item>`,
			oneRes+`<resource identifier="R2" type="webcontent" adlcp:scormtype="sco" href="b.html"/>`), "a/start.html", reporting, "b.html", reporting), "SCO が 2 個"},
		{"assets only", zipOf(t, "imsmanifest.xml", manifest(oneSCO, strings.Replace(oneRes, `"sco"`, `"asset"`, 1)), "a/start.html", reporting), "SCO（学習の状況を記録する教材）がありません"},
		{"launch missing", zipOf(t, "imsmanifest.xml", manifest(oneSCO, oneRes)), "開始ページ a/start.html が ZIP の中にありません"},
		{"launch elsewhere", zipOf(t, "imsmanifest.xml", manifest(oneSCO, strings.Replace(oneRes, `href="a/start.html"`, `href="https://lms.example.com/x"`, 1))), "別のサーバー"},
		{"bad xml", zipOf(t, "imsmanifest.xml", "<manifest><organizations>", "a/start.html", reporting), "正しい XML ではありません"},
		{"no version", zipOf(t, "imsmanifest.xml", `<manifest identifier="x"><organizations/><resources/></manifest>`), "SCORM の版を判別できません"},
		{"unzips too large", bomb(), "展開後の大きさが上限を超えます"},
	}
	for _, c := range refused {
		_, err := learning.ParseSCORM(c.data)
		var se *learning.SCORMError
		if !asSCORM(err, &se) || !strings.Contains(se.Msg, c.want) {
			t.Errorf("%s: got %v, want a SCORMError with %q", c.name, err, c.want)
		}
	}
}

func asSCORM(err error, se **learning.SCORMError) bool {
	e, ok := err.(*learning.SCORMError)
	*se = e
	return ok
}

// TestSCORMRuntime: the server's side of the run-time: vocabularies,
// read-only elements, the mastery score judging 1.2, 2004 completion with
// success, session times added once per session.
func TestSCORMRuntime(t *testing.T) {
	st := learning.NewSCORMState()
	commit := func(v string, mastery int, vals map[string]string, finish bool, session string) (learning.SCORMState, error) {
		return st.Apply(v, mastery, learning.SCORMCommit{Values: vals, Finish: finish, SessionTime: session})
	}
	for _, bad := range []map[string]string{
		{"cmi.core.lesson_status": "done"},
		{"cmi.core.student_id": "someone else"},
		{"cmi.core.total_time": "9999:00:00"},
		{"cmi.core.score.raw": "many"},
		{"cmi.core.session_time": "an hour"},
		{"cmi.core._children": "x"},
		{"adl.nav.request": "exit"},
		{"cmi.suspend_data": strings.Repeat("x", 64001)},
	} {
		if _, err := commit(learning.SCORM12, -1, bad, false, ""); err == nil {
			t.Errorf("accepted %v", bad)
		}
	}
	next, err := commit(learning.SCORM12, 80, map[string]string{"cmi.core.lesson_status": "completed", "cmi.core.score.raw": "60",
		"cmi.core.lesson_location": "3", "cmi.suspend_data": "{}", "cmi.core.exit": "suspend", "cmi.interactions.0.id": "q1"}, true, "0000:12:30")
	if err != nil {
		t.Fatal(err)
	}
	if next.Status != "failed" || next.Completed(learning.SCORM12) || next.ScorePercent != 60 || next.Location != "3" || next.TotalSeconds != 750 ||
		next.Sessions != 1 || next.Exit() != "suspend" || next.Data["cmi.interactions.0.id"] != "q1" {
		t.Fatalf("1.2 below mastery: %+v", next)
	}
	st = next
	next, err = commit(learning.SCORM12, 80, map[string]string{"cmi.core.lesson_status": "passed", "cmi.core.score.raw": "100"}, true, "00:05:00")
	if err != nil || !next.Completed(learning.SCORM12) || next.TotalSeconds != 1050 || next.Sessions != 2 {
		t.Fatalf("1.2 passed: %+v %v", next, err)
	}

	st = learning.NewSCORMState()
	next, err = commit(learning.SCORM2004, -1, map[string]string{"cmi.completion_status": "completed", "cmi.success_status": "failed",
		"cmi.score.scaled": "0.5"}, false, "")
	if err != nil || next.Completed(learning.SCORM2004) || next.ScorePercent != 50 || next.Sessions != 0 {
		t.Fatalf("2004 failed: %+v %v", next, err)
	}
	st = next
	next, err = commit(learning.SCORM2004, -1, map[string]string{"cmi.success_status": "passed", "cmi.score.scaled": "0.9"}, true, "PT1H2M3.5S")
	if err != nil || !next.Completed(learning.SCORM2004) || next.TotalSeconds != 3723 || next.StatusLabel(learning.SCORM2004) != "修了（合格）" {
		t.Fatalf("2004 passed: %+v %v", next, err)
	}
	if _, err := commit(learning.SCORM2004, -1, map[string]string{"cmi.score.scaled": "1.5"}, false, ""); err == nil {
		t.Error("scaled score 1.5 accepted")
	}
}

// TestSCORMCourse: a manager imports a package as a course (a bad one is
// refused with the form kept), the demo's sample course is served from
// Mamori with its own CSP, only to those assigned; the learner's commits
// are recorded, resume where they left off, complete the course and give
// the certificate; forged elements, another person's assignment and
// names escaping the package are refused.
func TestSCORMCourse(t *testing.T) {
	testkit.NoRace(t)
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("admin")
	bad := zipOf(t, "index.html", reporting)
	admin.Upload("/learning/courses/scorm", url.Values{"code": {"VENDOR2"}, "minutes": {"20"}, "pass": {"70"}}, "file", "教材.zip", bad).
		Want(http.StatusUnprocessableEntity, "教材.zip: imsmanifest.xml がありません", `value="VENDOR2"`, `value="70"`)
	admin.Upload("/learning/courses/scorm", url.Values{"code": {"PRIV"}, "minutes": {"20"}, "pass": {"70"}}, "file", "x.zip",
		zipOf(t, "imsmanifest.xml", manifest(oneSCO, oneRes), "a/start.html", `<script src="https://cdn.example.com/x.js"></script>`)).
		Want(http.StatusUnprocessableEntity, "区の教材（単元とテスト）です")
	if s.Count("SELECT COUNT(*) FROM learning_scorm_packages") != 1 {
		t.Fatal("a refused package was stored")
	}
	r := admin.Upload("/learning/courses/scorm", url.Values{"code": {"VENDOR2"}, "minutes": {"20"}, "pass": {"70"}}, "file", "vendor.zip",
		zipOf(t, "imsmanifest.xml", manifest(oneSCO, oneRes), "a/start.html", `<script src="https://cdn.example.com/x.js"></script>`))
	r.Redirects("/learning/courses/")
	vendor := s.ID("SELECT id FROM learning_courses WHERE code = 'VENDOR2'")
	admin.Get(fmt.Sprintf("/learning/courses/%d", vendor)).Want(http.StatusOK, "SCORM 1.2", "a/start.html", "cdn.example.com", "修了の報告", "プレビュー")
	admin.Get(fmt.Sprintf("/learning/courses/%d/scorm", vendor)).Want(http.StatusOK, "プレビューです", `"commit":""`)
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'learning.scorm_import'") != 2 {
		t.Error("the import is not audited")
	}

	// The demo's sample course, assigned to 戸籍住民課.
	aid := s.ID(`SELECT a.id FROM learning_assignments a JOIN users u ON u.staff_id = a.staff_id JOIN learning_campaigns c ON c.id = a.campaign_id
		JOIN learning_courses co ON co.id = c.course_id WHERE u.login = 'staff' AND co.code = 'SAMPLE-TW'`)
	pkg := s.ID("SELECT p.id FROM learning_scorm_packages p JOIN learning_courses c ON c.scorm_package = p.id WHERE c.code = 'SAMPLE-TW'")
	staff := s.As("staff")
	path := fmt.Sprintf("/learning/my/%d", aid)
	staff.Get(path).Want(http.StatusOK, "教材を開く", "未受講")
	page := staff.Get(path+"/scorm").Want(http.StatusOK, "scorm-frame", fmt.Sprintf(`data-src="/learning/scorm/%d/index.html"`, pkg), `"cmi.core.entry":"ab-initio"`)
	if !strings.Contains(page.Body, `"commit":"`+path+`/scorm"`) {
		t.Fatal("the player has no commit address")
	}
	file := staff.Get(fmt.Sprintf("/learning/scorm/%d/index.html", pkg)).Want(http.StatusOK, "確認問題")
	if csp := file.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'self'") || !strings.Contains(csp, "connect-src 'self'") ||
		file.Header.Get("X-Frame-Options") != "SAMEORIGIN" || !strings.HasPrefix(file.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("headers: %v", file.Header)
	}
	staff.Get(fmt.Sprintf("/learning/scorm/%d/sco.js", pkg)).Want(http.StatusOK, "LMSInitialize")
	staff.Get(fmt.Sprintf("/learning/scorm/%d/..%%2fimsmanifest.xml", pkg)).Want(http.StatusNotFound)
	staff.Get(fmt.Sprintf("/learning/scorm/%d/nothing.html", pkg)).Want(http.StatusNotFound)
	// Someone not assigned (the auditor of 総務課) cannot open it.
	s.As("auditor").Get(fmt.Sprintf("/learning/scorm/%d/index.html", pkg)).Want(http.StatusNotFound)

	post := func(c learning.SCORMCommit) *webtest.Response {
		b, _ := json.Marshal(c)
		req, _ := http.NewRequest(http.MethodPost, staff.Base+path+"/scorm", bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-CSRF-Token", staff.CSRF())
		return staff.Do(req)
	}
	// A forged element changes nothing.
	post(learning.SCORMCommit{Values: map[string]string{"cmi.core.lesson_location": "4", "cmi.core.student_id": "X"}}).Want(http.StatusBadRequest, "cmi.core.student_id は読み取り専用です")
	if s.Count("SELECT COUNT(*) FROM learning_scorm_state") != 0 {
		t.Fatal("a refused commit was stored")
	}
	// Without the CSRF header: refused.
	req, _ := http.NewRequest(http.MethodPost, staff.Base+path+"/scorm", strings.NewReader(`{"values":{}}`))
	req.Header.Set("Content-Type", "application/json")
	if r := staff.Do(req); r.StatusCode != http.StatusForbidden {
		t.Fatalf("commit without CSRF: %d", r.StatusCode)
	}
	post(learning.SCORMCommit{Values: map[string]string{"cmi.core.lesson_status": "incomplete", "cmi.core.lesson_location": "4",
		"cmi.suspend_data": `{"q1":"b"}`, "cmi.core.exit": "suspend"}, Finish: true, SessionTime: "0000:03:10"}).Want(http.StatusOK, "受講中")
	staff.Get(path+"/scorm").Want(http.StatusOK, `"cmi.core.entry":"resume"`, `"cmi.core.lesson_location":"4"`, `\"q1\":\"b\"`)
	post(learning.SCORMCommit{Values: map[string]string{"cmi.core.score.raw": "100", "cmi.core.lesson_status": "passed", "cmi.core.exit": ""},
		Finish: true, SessionTime: "0000:02:00"}).Want(http.StatusOK, `"completed":true`)
	staff.Get(path).Want(http.StatusOK, "修了", "受講修了証", "5分（2 回）")
	if s.Count("SELECT best_percent FROM learning_assignments WHERE id = ? AND completed_at <> ''", aid) != 100 {
		t.Fatal("the completion is not on the assignment")
	}
	pdf := staff.Download(path+"/certificate", "application/pdf")
	if len(pdf) < 1000 {
		t.Fatal("no certificate")
	}
	// Another person's assignment.
	other := s.ID("SELECT MIN(a.id) FROM learning_assignments a JOIN learning_campaigns c ON c.id = a.campaign_id JOIN learning_courses co ON co.id = c.course_id WHERE co.code = 'SAMPLE-TW' AND a.id <> ?", aid)
	staff.Get(fmt.Sprintf("/learning/my/%d/scorm", other)).Want(http.StatusNotFound)
	// The 所属長 sees the completion in the campaign's progress.
	camp := s.ID("SELECT c.id FROM learning_campaigns c JOIN learning_courses co ON co.id = c.course_id WHERE co.code = 'SAMPLE-TW'")
	s.As("auditee").Get(fmt.Sprintf("/learning/campaigns/%d", camp)).Want(http.StatusOK, "戸籍住民課")
}

// TestSCORMCommitsInFlightTogether: a SCO commits on every page, so a
// browser can have several commits of one assignment in flight at once.
// Each must fold into the state the one before left: every value sent is
// kept, on both databases (on PostgreSQL two commits read the same old
// state and the later write undid the other, before the assignment's row
// was locked first).
func TestSCORMCommitsInFlightTogether(t *testing.T) {
	testkit.NoRace(t)
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		staff := s.As("staff")
		aid := s.ID(`SELECT a.id FROM learning_assignments a JOIN users u ON u.staff_id = a.staff_id JOIN learning_campaigns c ON c.id = a.campaign_id
			JOIN learning_courses co ON co.id = c.course_id WHERE u.login = 'staff' AND co.code = 'SAMPLE-TW'`)
		path := fmt.Sprintf("/learning/my/%d/scorm", aid)
		staff.Get(path).Want(http.StatusOK, "scorm-frame")
		const n = 12
		var wg sync.WaitGroup
		codes := make([]int, n)
		for i := range n {
			wg.Go(func() {
				b, _ := json.Marshal(learning.SCORMCommit{Values: map[string]string{fmt.Sprintf("cmi.interactions.%d.id", i): fmt.Sprintf("q%d", i)}})
				req, _ := http.NewRequest(http.MethodPost, staff.Base+path, bytes.NewReader(b))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-CSRF-Token", staff.CSRF())
				codes[i] = staff.Do(req).StatusCode
			})
		}
		wg.Wait()
		var data string
		if err := s.DB.QueryRow(t.Context(), "SELECT data FROM learning_scorm_state WHERE assignment_id = ?", aid).Scan(&data); err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if codes[i] != http.StatusOK {
				t.Errorf("commit %d: HTTP %d", i, codes[i])
			}
			if !strings.Contains(data, fmt.Sprintf(`"cmi.interactions.%d.id":"q%d"`, i, i)) {
				t.Errorf("commit %d's value was lost: %s", i, data)
			}
		}
	})
}
