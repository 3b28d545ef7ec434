package learning_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"mamori/content"
	"mamori/internal/improve"
	"mamori/internal/learning"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// demoAssignment is the demo member of staff's assignment in the demo's
// 個人情報保護研修.
func demoAssignment(s *webtest.Server) int64 {
	return s.ID(`SELECT a.id FROM learning_assignments a JOIN users u ON u.staff_id = a.staff_id
		JOIN learning_campaigns c ON c.id = a.campaign_id JOIN learning_courses co ON co.id = c.course_id
		WHERE u.login = 'staff' AND co.code = 'PRIV'`)
}

// answerForm is the right (or, when wrong, a wrong) answer to q.
func answerForm(f url.Values, q learning.Question, wrong bool) {
	key := fmt.Sprintf("q%d", q.ID)
	ans := q.Key
	if wrong {
		switch q.Kind {
		case learning.KindTrueFalse:
			ans = []int{1 - q.Key[0]}
		case learning.KindOrder:
			ans = append([]int{q.Key[1], q.Key[0]}, q.Key[2:]...)
		case learning.KindMultiple:
			ans = q.Key[:1]
		default:
			ans = []int{(q.Key[0] + 1) % len(q.Options)}
		}
	}
	if q.Kind == learning.KindOrder {
		for place, opt := range ans {
			f.Set(fmt.Sprintf("%s_%d", key, opt), fmt.Sprint(place+1))
		}
		return
	}
	for _, a := range ans {
		f.Add(key, fmt.Sprint(a))
	}
}

var attemptRe = regexp.MustCompile(`/learning/my/\d+/test/(\d+)`)

// TestLearnerJourney: the demo member of staff reads the remaining
// lessons through their exercises, fails the test, cannot hand the same
// attempt in twice, passes a second one and downloads the certificate;
// forged questions, another person's assignment and a closed period are
// refused with nothing stored.
func TestLearnerJourney(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	ctx := t.Context()
	st := learning.NewStore(s.Deps())
	aid := demoAssignment(s)
	a, err := st.Assignment(ctx, aid)
	if err != nil {
		t.Fatal(err)
	}
	c, err := st.Campaign(ctx, a.CampaignID)
	if err != nil {
		t.Fatal(err)
	}
	lessons, err := st.Lessons(ctx, c.CourseID)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := st.Questions(ctx, c.CourseID)
	if err != nil {
		t.Fatal(err)
	}
	byCode := map[string]learning.Question{}
	for _, q := range qs {
		byCode[q.Code] = q
	}
	staff := s.As("staff")
	staff.Get("/learning").Want(http.StatusOK, "令和8年度 個人情報保護研修（全職員）", "受講中")
	path := fmt.Sprintf("/learning/my/%d", aid)
	staff.Get(path).Want(http.StatusOK, "受講した単元", "確認テストを受ける", "テキスト版を PDF で印刷")
	mine := 0
	for _, l := range lessons {
		if !l.For(a.Variant) {
			continue
		}
		mine++
		lp := fmt.Sprintf("%s/lessons/%d", path, l.ID)
		page := staff.Get(lp).Want(http.StatusOK, l.Title, "演習")
		for _, sec := range l.SectionsFor(a.Variant) {
			if !strings.Contains(page.Body, sec.Heading) {
				t.Errorf("%s lacks its section %q", l.Code, sec.Heading)
			}
		}
		// An unanswered exercise is refused and the lesson stays unread.
		if mine == 4 {
			staff.Post(lp, url.Values{}).Want(http.StatusUnprocessableEntity, "回答を選んでください")
			if s.Count("SELECT COUNT(*) FROM learning_progress WHERE assignment_id = ? AND lesson_id = ? AND done_at <> ''", aid, l.ID) != 0 {
				t.Fatalf("%s marked read without its exercise", l.Code)
			}
		}
		f := url.Values{}
		for _, code := range l.Exercises {
			answerForm(f, byCode[code], false)
		}
		staff.Post(lp, f).Want(http.StatusOK, "この単元を受講済みにしました", "解説", "正解です")
	}
	if got := s.Count("SELECT lessons_done FROM learning_assignments WHERE id = ?", aid); got != mine {
		t.Fatalf("lessons done %d, want %d", got, mine)
	}

	// The first attempt, all wrong.
	r := staff.Post(path+"/test", url.Values{}).Redirects(path + "/test/")
	m := attemptRe.FindStringSubmatch(r.Header.Get("Location"))
	if m == nil {
		t.Fatalf("no attempt in %q", r.Header.Get("Location"))
	}
	first := m[1]
	at, err := st.Attempts(ctx, aid)
	if err != nil || len(at) != 1 {
		t.Fatalf("attempts %v %v", at, err)
	}
	tp := path + "/test/" + first
	staff.Get(tp).Want(http.StatusOK, "確認テスト（1 回目）", "提出する")
	pinned := map[int64]learning.Question{}
	for _, q := range qs {
		pinned[q.ID] = q
	}
	wrong, right := url.Values{}, url.Values{}
	for _, id := range at[0].QuestionIDs {
		answerForm(wrong, pinned[id], true)
		answerForm(right, pinned[id], false)
	}
	// A forged question is refused, nothing stored.
	forged := url.Values{}
	for k, v := range right {
		forged[k] = v
	}
	forged.Set("q99999999", "0")
	staff.Post(tp, forged).Want(http.StatusUnprocessableEntity, "この確認テストにない問題")
	if s.Count("SELECT COUNT(*) FROM learning_attempts WHERE assignment_id = ? AND submitted_at <> ''", aid) != 0 {
		t.Fatal("a forged submission was stored")
	}
	staff.Post(tp, wrong).Want(http.StatusOK, "不合格", "解説")
	// The same attempt again: refused, the first result stands.
	staff.Post(tp, right).Want(http.StatusOK, "すでに提出しています", "不合格")
	if s.Count("SELECT attempts FROM learning_assignments WHERE id = ?", aid) != 1 {
		t.Fatal("a second submission of one attempt counted")
	}
	staff.Get(path + "/certificate").Redirects(path)

	// A second attempt passes and completes the course.
	r = staff.Post(path+"/test", url.Values{}).Redirects(path + "/test/")
	second := attemptRe.FindStringSubmatch(r.Header.Get("Location"))[1]
	if second == first {
		t.Fatal("a submitted attempt was handed out again")
	}
	at, _ = st.Attempts(ctx, aid)
	right = url.Values{}
	for _, id := range at[0].QuestionIDs {
		answerForm(right, pinned[id], false)
	}
	staff.Post(path+"/test/"+second, right).Want(http.StatusOK, "合格", "修了しました")
	if s.Count("SELECT COUNT(*) FROM learning_assignments WHERE id = ? AND completed_at <> '' AND best_percent = 100 AND attempts = 2", aid) != 1 {
		t.Fatal("the pass did not complete the course")
	}
	pdf := testkit.PDFBytesText(t, staff.Download(path+"/certificate", "application/pdf"))
	if flat := strings.Join(strings.Fields(pdf), ""); !strings.Contains(flat, "受講修了証") || !strings.Contains(flat, "個人情報保護研修") {
		t.Errorf("certificate: %s", pdf)
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", fmt.Sprintf("learning_assignment:%d", aid)) != 1 {
		t.Error("certificate download not audited")
	}
	text := testkit.PDFBytesText(t, staff.Download(path+"/text?format=pdf", "application/pdf"))
	if !strings.Contains(strings.Join(strings.Fields(text), ""), strings.Join(strings.Fields(lessons[0].Title), "")) {
		t.Error("the text version lacks the first lesson")
	}

	// Another person's assignment is not theirs to see.
	other := s.ID("SELECT MIN(id) FROM learning_assignments WHERE id <> ?", aid)
	staff.Get(fmt.Sprintf("/learning/my/%d", other)).Want(http.StatusNotFound)
	s.As("auditee").Get(path).Want(http.StatusNotFound)
	staff.Post(fmt.Sprintf("/learning/my/%d/test", other), url.Values{}).Want(http.StatusNotFound)
	// Their own assignment with another's attempt, or a lesson of a course they do not take.
	foreign := s.ID("SELECT MIN(id) FROM learning_attempts WHERE assignment_id <> ?", aid)
	staff.Get(fmt.Sprintf("%s/test/%d", path, foreign)).Want(http.StatusNotFound)
	staff.Post(fmt.Sprintf("%s/test/%d", path, foreign), right).Want(http.StatusNotFound)
	staff.Get(fmt.Sprintf("%s/lessons/%d", path, s.ID("SELECT id FROM learning_lessons WHERE code = 'AUDIT-L01'"))).Want(http.StatusNotFound)

	// After the period, no new test and no submission.
	r = staff.Post(path+"/test", url.Values{}).Redirects(path + "/test/")
	third := attemptRe.FindStringSubmatch(r.Header.Get("Location"))[1]
	at, _ = st.Attempts(ctx, aid)
	right = url.Values{}
	for _, id := range at[0].QuestionIDs {
		answerForm(right, pinned[id], false)
	}
	if _, err := s.DB.Exec(ctx, "UPDATE learning_campaigns SET closes_on = '2026-07-01' WHERE id = ?", c.ID); err != nil {
		t.Fatal(err)
	}
	staff.Post(path+"/test/"+third, right).Want(http.StatusUnprocessableEntity, "受講期間は終わっています")
	staff.Post(path+"/test", url.Values{}).Redirects(path)
	if s.Count("SELECT attempts FROM learning_assignments WHERE id = ?", aid) != 2 {
		t.Fatal("a test after the period counted")
	}
}

// TestCampaignsAndProgress: a manager registers a campaign (bad input
// refused with nothing created), the assignments follow the roster rule,
// a 所属長 sees only their sub-tree's progress and list, the viewer the
// ward's, a member of staff none.
func TestCampaignsAndProgress(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("admin")
	admin.Get("/learning/campaigns/new").Want(http.StatusOK, "研修の実施を登録", "対象の所属")
	before := s.Count("SELECT COUNT(*) FROM learning_campaigns")
	audit := s.ID("SELECT id FROM learning_courses WHERE code = 'AUDIT'")
	admin.Post("/learning/campaigns", url.Values{"course": {fmt.Sprint(audit)}, "title": {""}, "opens": {"2026-12-01"}, "closes": {"2026-11-01"}}).
		Want(http.StatusUnprocessableEntity, "件名を入力してください", "終了日は開始日以後")
	admin.Post("/learning/campaigns", url.Values{"course": {"abc"}, "title": {"x"}, "opens": {"昨日"}, "closes": {"2026-11-01"}}).
		Want(http.StatusUnprocessableEntity, "研修（コース）を選んでください")
	if s.Count("SELECT COUNT(*) FROM learning_campaigns") != before {
		t.Fatal("a refused campaign was created")
	}
	general := s.ID("SELECT id FROM departments WHERE name = '総務部'")
	r := admin.Post("/learning/campaigns", url.Values{"course": {fmt.Sprint(audit)}, "title": {"内部監査人研修（総務部）"}, "opens": {"2026-12-01"},
		"closes": {"令和9年1月29日"}, "department": {fmt.Sprint(general)}}).Redirects("/learning/campaigns/")
	id := s.ID("SELECT MAX(id) FROM learning_campaigns")
	n := s.Count("SELECT COUNT(*) FROM learning_assignments WHERE campaign_id = ?", id)
	if n == 0 || s.Count("SELECT COUNT(*) FROM learning_assignments WHERE campaign_id = ? AND variant <> 'auditor'", id) != 0 {
		t.Fatalf("%d assignments, variants wrong", n)
	}
	_ = r
	admin.Get(fmt.Sprintf("/learning/campaigns/%d", id)).Want(http.StatusOK, "内部監査人研修（総務部）", "総務部", fmt.Sprintf("%d 人", n))

	priv := s.ID("SELECT c.id FROM learning_campaigns c JOIN learning_courses co ON co.id = c.course_id WHERE co.code = 'PRIV'")
	if s.Count("SELECT COUNT(*) FROM learning_assignments a JOIN staff st ON st.id = a.staff_id WHERE a.campaign_id = ? AND st.job_class = '管理職' AND a.variant <> 'manager'", priv) != 0 {
		t.Error("a manager got another variant")
	}
	if s.Count("SELECT COUNT(*) FROM learning_assignments a JOIN staff st ON st.id = a.staff_id WHERE a.campaign_id = ? AND st.job_class <> '管理職' AND st.is_system AND a.variant <> 'system'", priv) != 0 {
		t.Error("a システム担当者 got another variant")
	}
	cp := fmt.Sprintf("/learning/campaigns/%d", priv)
	auditee := s.As("auditee")
	page := auditee.Get(cp).Want(http.StatusOK, "戸籍住民課", "あなたの所属の").Lacks("秘書課", "区長室")
	_ = page
	csv := auditee.Download(cp+"/completion?format=csv-utf8", "text/csv")
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) < 2 {
		t.Fatalf("auditee's list: %q", csv)
	}
	for _, l := range lines[1:] {
		if !strings.Contains(l, "戸籍住民課") {
			t.Errorf("auditee's list holds another department: %s", l)
		}
	}
	auditee.Get(fmt.Sprintf("/learning/campaigns/%d", id)).Want(http.StatusNotFound)
	s.As("viewer").Get(cp).Want(http.StatusOK, "秘書課", "戸籍住民課")
	s.As("staff").Get(cp).Want(http.StatusForbidden)
	s.As("staff").Get("/learning/campaigns").Want(http.StatusForbidden)
	x := admin.Download(cp+"/completion?format=xlsx", "application/vnd.openxmlformats")
	if len(x) < 1000 {
		t.Error("xlsx too small")
	}
	admin.Get(cp+"/completion?format=pdf").Want(http.StatusBadRequest, "出力形式")
}

// TestCoursePages: managers see a course with its lessons, bank and text
// versions, and preview a lesson as each variant reads it.
func TestCoursePages(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("consultant")
	admin.Get("/learning/courses").Want(http.StatusOK, "PRIV", "MYNO", "AUDIT").Lacks("教材を登録する")
	priv := s.ID("SELECT id FROM learning_courses WHERE code = 'PRIV'")
	cp := fmt.Sprintf("/learning/courses/%d", priv)
	admin.Get(cp).Want(http.StatusOK, "一般職員", "システム担当者", "管理職", "問題集", "PRIV-L01", "PRIV-Q001")
	l1 := s.ID("SELECT id FROM learning_lessons WHERE course_id = ? AND code = 'PRIV-L01'", priv)
	admin.Get(fmt.Sprintf("%s/lessons/%d?variant=manager", cp, l1)).Want(http.StatusOK, "プレビュー", "管理職")
	admin.Get(fmt.Sprintf("%s/lessons/%d?variant=nope", cp, l1)).Want(http.StatusBadRequest)
	d := admin.Download(cp+"/text?variant=system&format=docx", "application/vnd.openxmlformats-officedocument.wordprocessingml")
	if len(d) < 5000 {
		t.Error("docx too small")
	}
	admin.Get(cp + "/text?variant=system&format=xlsx").Want(http.StatusBadRequest)
	s.As("staff").Get(cp).Want(http.StatusForbidden)
	// Copied to the next year, once.
	admin.Post(cp+"/copy", url.Values{}).Redirects("/learning/courses/")
	next := s.ID("SELECT id FROM learning_courses WHERE code = 'PRIV' AND fiscal_year = 2027")
	if s.Count("SELECT COUNT(*) FROM learning_lessons WHERE course_id = ?", next) != s.Count("SELECT COUNT(*) FROM learning_lessons WHERE course_id = ?", priv) ||
		s.Count("SELECT COUNT(*) FROM learning_questions WHERE course_id = ?", next) == 0 {
		t.Fatal("the copy lacks lessons or questions")
	}
	admin.Get(fmt.Sprintf("/learning/courses/%d", next)).Want(http.StatusOK, "令和9年度 個人情報保護研修")
	admin.Post(cp+"/copy", url.Values{}).Redirects(cp)
	if s.Count("SELECT COUNT(*) FROM learning_courses WHERE code = 'PRIV'") != 2 {
		t.Fatal("copied twice")
	}
}

// sampleMP4 is a small file that is an MP4 by its first box (ftyp), long
// enough to ask for ranges of it.
func sampleMP4() []byte {
	b := []byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2")
	for i := range 4000 {
		b = append(b, byte(i%251))
	}
	return b
}

// TestLessonVideo: a manager uploads a lesson's MP4 (anything else is
// refused by its content), the learner's browser fetches ranges of it and
// the position is remembered for the next visit.
func TestLessonVideo(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("admin")
	priv := s.ID("SELECT id FROM learning_courses WHERE code = 'PRIV'")
	l1 := s.ID("SELECT id FROM learning_lessons WHERE course_id = ? AND code = 'PRIV-L01'", priv)
	l2 := s.ID("SELECT id FROM learning_lessons WHERE course_id = ? AND code = 'PRIV-L02'", priv)
	up := fmt.Sprintf("/learning/courses/%d/lessons/%d/video", priv, l1)
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	admin.Upload(up, url.Values{}, "file", "lesson.mp4", png).Redirects(fmt.Sprintf("/learning/courses/%d", priv))
	admin.Get(fmt.Sprintf("/learning/courses/%d", priv)).Want(http.StatusOK, "MP4 動画")
	if s.Count("SELECT COUNT(*) FROM learning_lessons WHERE video_blob IS NOT NULL") != 0 {
		t.Fatal("a PNG was stored as a video")
	}
	video := sampleMP4()
	admin.Upload(up, url.Values{}, "file", "第1単元.mp4", video).Redirects(fmt.Sprintf("/learning/courses/%d", priv))
	admin.Get(fmt.Sprintf("/learning/courses/%d", priv)).Want(http.StatusOK, "第1単元.mp4", "差し替える")
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'learning.video_upload'") != 1 {
		t.Error("the upload is not audited")
	}
	s.As("staff").Upload(up, url.Values{}, "file", "x.mp4", video).Want(http.StatusForbidden)

	aid := demoAssignment(s)
	staff := s.As("staff")
	lp := fmt.Sprintf("/learning/my/%d/lessons/%d", aid, l1)
	staff.Get(lp).Want(http.StatusOK, "<video", `data-start="0.0"`, "本文を読むだけでも受講できます")
	req, _ := http.NewRequest(http.MethodGet, staff.Base+lp+"/video", nil)
	req.Header.Set("Range", "bytes=100-199")
	r := staff.Do(req)
	if r.StatusCode != http.StatusPartialContent || len(r.Body) != 100 || r.Body != string(video[100:200]) || r.Header.Get("Content-Type") != "video/mp4" {
		t.Fatalf("range: %d, %d bytes, %s", r.StatusCode, len(r.Body), r.Header.Get("Content-Range"))
	}
	staff.Post(lp+"/position", url.Values{"position": {"12345"}}).Want(http.StatusNoContent)
	staff.Get(lp).Want(http.StatusOK, `data-start="12.3"`)
	staff.Post(lp+"/position", url.Values{"position": {"-5"}}).Want(http.StatusBadRequest)
	staff.Post(fmt.Sprintf("/learning/my/%d/lessons/%d/position", aid, l2), url.Values{"position": {"5"}}).Want(http.StatusNotFound)
	other := s.ID("SELECT MIN(id) FROM learning_assignments WHERE id <> ?", aid)
	staff.Get(fmt.Sprintf("/learning/my/%d/lessons/%d/video", other, l1)).Want(http.StatusNotFound)
	// The manager's preview plays it too.
	admin.Get(fmt.Sprintf("/learning/courses/%d/lessons/%d?variant=general", priv, l1)).Want(http.StatusOK, "<video")
}

// TestCorrectKeyRegrades: correcting a key regrades every submitted
// attempt that drew that version, by a recount from the stored answers;
// a bad key is refused with nothing changed.
func TestCorrectKeyRegrades(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	ctx := t.Context()
	st := learning.NewStore(s.Deps())
	priv, err := st.CourseByCode(ctx, "PRIV", 0)
	if err != nil {
		t.Fatal(err)
	}
	qs, err := st.Questions(ctx, priv.ID)
	if err != nil {
		t.Fatal(err)
	}
	var q learning.Question
	for _, x := range qs {
		if x.Kind == learning.KindScenario && x.Use == learning.UseTest {
			q = x
			break
		}
	}
	path := fmt.Sprintf("/learning/courses/%d/questions/%d", priv.ID, q.ID)
	admin := s.As("admin")
	admin.Get(path).Want(http.StatusOK, q.Code, "正解の訂正")
	admin.Post(path, url.Values{"key": {fmt.Sprint(q.Key[0])}}).Want(http.StatusUnprocessableEntity, "正解が変わっていません")
	admin.Post(path, url.Values{"key": {"0", "1"}}).Want(http.StatusUnprocessableEntity, "一つ選んで")
	admin.Post(path, url.Values{"key": {"9"}}).Want(http.StatusUnprocessableEntity, "選択肢にない")
	before := s.Count("SELECT SUM(score) FROM learning_attempts")
	newKey := (q.Key[0] + 1) % len(q.Options)
	admin.Post(path, url.Values{"key": {fmt.Sprint(newKey)}}).Redirects(path)
	// Recount: every submitted attempt that drew q, scored from its answers.
	rows, err := s.DB.Query(ctx, "SELECT id, questions, answers, score, total FROM learning_attempts WHERE submitted_at <> ''")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	keys := map[int64][]int{}
	kinds := map[int64]learning.Question{}
	for _, x := range qs {
		keys[x.ID], kinds[x.ID] = x.Key, x
	}
	keys[q.ID] = []int{newKey}
	drew := 0
	for rows.Next() {
		var id int64
		var rawQ, rawA string
		var score, total int
		if err := rows.Scan(&id, &rawQ, &rawA, &score, &total); err != nil {
			t.Fatal(err)
		}
		var ids []int64
		var answers map[int64][]int
		if err := json.Unmarshal([]byte(rawQ), &ids); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(rawA), &answers); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(ids, q.ID) {
			continue
		}
		drew++
		want := 0
		for _, qid := range ids {
			x := kinds[qid]
			x.Key = keys[qid]
			if x.Correct(answers[qid]) {
				want++
			}
		}
		if score != want {
			t.Errorf("attempt %d: score %d, recount %d", id, score, want)
		}
	}
	if drew == 0 {
		t.Fatal("no demo attempt drew the question")
	}
	if s.Count("SELECT SUM(score) FROM learning_attempts") == before {
		t.Error("no score changed")
	}
	if s.Count("SELECT COUNT(*) FROM learning_assignments a WHERE a.attempts > 0 AND a.best_percent <> (SELECT MAX(percent) FROM learning_attempts t WHERE t.assignment_id = a.id AND t.submitted_at <> '')") != 0 {
		t.Error("best scores not updated")
	}
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'learning.key_correct'") != 1 {
		t.Error("the correction is not audited")
	}
}

// TestRemindAndDigest: a 所属長 reminds the people of their sub-tree who
// have not finished (nobody else), within the campaign's limits; the
// person sees it; the digest lists them by 課.
func TestRemindAndDigest(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	priv := s.ID("SELECT id FROM learning_campaigns WHERE code = '2026-LC-01'")
	cp := fmt.Sprintf("/learning/campaigns/%d", priv)
	auditee := s.As("auditee")
	dept := s.ID("SELECT department_id FROM users WHERE login = 'auditee'")
	open := s.Count(`SELECT COUNT(*) FROM learning_assignments a WHERE a.campaign_id = ? AND a.completed_at = '' AND a.department_id IN
		(SELECT id FROM departments WHERE id = ? OR parent_id = ?)`, priv, dept, dept)
	auditee.Get(cp).Want(http.StatusOK, "所属の未修了者に催促する", "課ごとの未修了者一覧")
	auditee.Post(cp+"/remind", url.Values{}).Redirects(cp)
	if n := s.Count("SELECT COUNT(*) FROM learning_assignments WHERE campaign_id = ? AND reminders = 1", priv); n != open || n == 0 {
		t.Fatalf("%d reminded, want the %d not finished of the 所属長's sub-tree", n, open)
	}
	// Again at once: the spacing holds everyone back.
	auditee.Post(cp+"/remind", url.Values{}).Redirects(cp)
	if s.Count("SELECT COUNT(*) FROM learning_assignments WHERE campaign_id = ? AND reminders > 1", priv) != 0 {
		t.Fatal("a second reminder within the spacing")
	}
	s.As("staff").Get("/learning").Want(http.StatusOK, "催促がありました")
	s.As("viewer").Post(cp+"/remind", url.Values{}).Want(http.StatusForbidden)
	s.As("staff").Post(cp+"/remind", url.Values{}).Want(http.StatusForbidden)
	pdf := testkit.PDFBytesText(t, auditee.Download(cp+"/digest", "application/pdf"))
	flat := strings.Join(strings.Fields(pdf), "")
	if !strings.Contains(flat, "未修了者一覧") || !strings.Contains(flat, "戸籍住民課") || strings.Contains(flat, "秘書課") {
		t.Errorf("digest:\n%s", pdf)
	}
	// A bad reminder setting is refused.
	course := s.ID("SELECT id FROM learning_courses WHERE code = 'AUDIT'")
	s.As("admin").Post("/learning/campaigns", url.Values{"course": {fmt.Sprint(course)}, "title": {"x"}, "opens": {"2026-12-01"},
		"closes": {"2026-12-20"}, "remind_max": {"11"}, "remind_every": {"0"}}).Want(http.StatusUnprocessableEntity, "0〜10 回", "1〜60 日")
}

// TestPracticeAudit: the practice's references resolve; a trainee saves,
// is refused an incomplete submission, hands in and sees what they found,
// missed and flagged wrongly, by the model answer; the trainer sees every
// trainee (the demo's three included); staff have no access.
func TestPracticeAudit(t *testing.T) {
	p, err := learning.LoadPractice(content.FS, 2026)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Checklist) < 16 || len(p.Planted) < 8 || len(p.Photos) < 5 {
		t.Fatalf("practice: %d items, %d planted, %d photos", len(p.Checklist), len(p.Planted), len(p.Photos))
	}
	s := webtest.Start(t, webtest.Options{Demo: true})
	au := s.As("auditor")
	au.Get("/learning").Want(http.StatusOK, "模擬監査")
	page := au.Get("/learning/practice").Want(http.StatusOK, p.Department.Name, "視察の写真", "ヒアリングの記録", p.Checklist[0].Code, "<img")
	_ = page
	f := url.Values{"action": {"save"}, "j_" + p.Items[0]: {"conform"}}
	au.Post("/learning/practice", f).Redirects("/learning/practice")
	au.Get("/learning/practice").Want(http.StatusOK, "一時保存")
	f.Set("action", "submit")
	au.Post("/learning/practice", f).Want(http.StatusUnprocessableEntity, "判定を選んでください")
	// Everything as the model says, except the first planted problem (missed) and
	// the first fine item (flagged).
	f = url.Values{"action": {"submit"}}
	for _, c := range p.Conform {
		f.Set("j_"+c.Item, "conform")
	}
	for _, x := range p.Planted {
		f.Set("j_"+x.Item, x.Judgement)
		f.Set("f_"+x.Item, "事実と基準と影響と改善の方向。")
	}
	f.Set("j_"+p.Planted[0].Item, "conform")
	f.Set("j_"+p.Conform[0].Item, "nonconform")
	f.Set("f_"+p.Conform[0].Item, "")
	au.Post("/learning/practice", f).Want(http.StatusUnprocessableEntity, "指摘事項を書いてください")
	f.Set("f_"+p.Conform[0].Item, "鍵の管理が不十分。")
	f.Set("j_BOGUS", "conform")
	au.Post("/learning/practice", f).Want(http.StatusUnprocessableEntity, "この模擬監査にない項目")
	f.Del("j_BOGUS")
	r := au.Post("/learning/practice", f).Redirects("/learning/practice/results/")
	res := au.Get(r.Header.Get("Location")).Want(http.StatusOK, "見落とした問題", p.Planted[0].Hint, p.Conform[0].Reason)
	if !strings.Contains(res.Body, fmt.Sprintf("%d / %d", len(p.Planted)-1, len(p.Planted))) {
		t.Errorf("the result does not count %d of %d found", len(p.Planted)-1, len(p.Planted))
	}
	admin := s.As("consultant")
	ov := admin.Get("/learning/practice").Want(http.StatusOK, "受講者の結果", "財政課")
	if strings.Count(ov.Body, "/learning/practice/results/") < 4 {
		t.Error("the trainer does not see the demo's three trainees and the new one")
	}
	other := s.ID("SELECT MIN(id) FROM learning_practice")
	au.Get(fmt.Sprintf("/learning/practice/results/%d", other)).Want(http.StatusNotFound)
	admin.Get(fmt.Sprintf("/learning/practice/results/%d", other)).Want(http.StatusOK, "見つけた問題")
	s.As("staff").Get("/learning/practice").Want(http.StatusForbidden)
}

// TestEditLessonAndQuestion: the security office changes a lesson's text
// (a stale form is refused, as is a section without a heading) and
// rewrites a question as a new version that later tests draw, while the
// version already drawn stays with its attempts.
func TestEditLessonAndQuestion(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("admin")
	priv := s.ID("SELECT id FROM learning_courses WHERE code = 'PRIV'")
	l1 := s.ID("SELECT id FROM learning_lessons WHERE course_id = ? AND code = 'PRIV-L01'", priv)
	edit := fmt.Sprintf("/learning/courses/%d/lessons/%d/edit", priv, l1)
	page := admin.Get(edit).Want(http.StatusOK, "単元の変更", "節を追加")
	base := regexp.MustCompile(`name="base" value="([0-9a-f]+)"`).FindStringSubmatch(page.Body)
	n := regexp.MustCompile(`name="sections" value="(\d+)"`).FindStringSubmatch(page.Body)
	if base == nil || n == nil {
		t.Fatal("the form lacks its base or section count")
	}
	form := url.Values{"base": {base[1]}, "sections": {n[1]}, "title": {"個人情報とは何か（改訂）"}, "minutes": {"6"}}
	count := 0
	fmt.Sscan(n[1], &count)
	for i := range count {
		form.Set(fmt.Sprintf("index_%d", i), fmt.Sprint(i))
		form.Set(fmt.Sprintf("heading_%d", i), fmt.Sprintf("見出し%d", i+1))
		form.Set(fmt.Sprintf("body_%d", i), "本文です。\n\n- 箇条書き")
	}
	form.Set(fmt.Sprintf("index_%d", count-1), "-1")
	form.Set(fmt.Sprintf("heading_%d", count-1), "追加した節")
	form.Set(fmt.Sprintf("body_%d", count-1), "窓口で本人確認書類を複写したときは、目的を終えたら直ちに廃棄します。")
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("heading_0", "")
	admin.Post(edit, bad).Want(http.StatusUnprocessableEntity, "節 1：見出しと本文の両方を入力してください", "個人情報とは何か（改訂）")
	admin.Post(edit, form).Redirects(fmt.Sprintf("/learning/courses/%d", priv))
	admin.Get(fmt.Sprintf("/learning/courses/%d/lessons/%d?variant=general", priv, l1)).Want(http.StatusOK, "個人情報とは何か（改訂）", "追加した節", "直ちに廃棄します")
	// The same form again: it was made from the lesson before the change.
	admin.Post(edit, form).Want(http.StatusConflict, "別の人が変更しました")
	if s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'learning.lesson_edit'") != 1 {
		t.Error("the lesson edit is not audited once")
	}
	s.As("staff").Post(edit, form).Want(http.StatusForbidden)

	// A test question drawn by a submitted attempt of the demo.
	qid := s.ID(`SELECT MIN(q.id) FROM learning_questions q WHERE q.course_id = ? AND q.use_as = 'test' AND q.kind = 'single'`, priv)
	st := learning.NewStore(s.Deps())
	qs, err := st.Questions(t.Context(), priv)
	if err != nil {
		t.Fatal(err)
	}
	var q learning.Question
	for _, x := range qs {
		if x.ID == qid {
			q = x
		}
	}
	rev := fmt.Sprintf("/learning/courses/%d/questions/%d/revise", priv, qid)
	f := url.Values{"text": {"書き直した問題文です。最も適切なものはどれか。"}, "options": {"一つ目\n二つ目\n三つ目"}, "answer": {"9"}, "explanation": {q.Explanation}}
	admin.Post(rev, f).Want(http.StatusUnprocessableEntity, "正解の番号 9 に当たる選択肢がありません（選択肢は 1〜3）")
	f.Set("answer", "2")
	admin.Post(rev, f).Redirects(fmt.Sprintf("/learning/courses/%d/questions/", priv))
	if s.Count("SELECT COUNT(*) FROM learning_questions WHERE course_id = ? AND code = ? AND is_current = ?", priv, q.Code, true) != 1 ||
		s.Count("SELECT version FROM learning_questions WHERE course_id = ? AND code = ? AND is_current = ?", priv, q.Code, true) != q.Version+1 {
		t.Fatal("not exactly one current version, the next")
	}
	if s.Count("SELECT answer = '[1]' FROM learning_questions WHERE course_id = ? AND code = ? AND is_current = ?", priv, q.Code, true) != 1 {
		t.Error("the new key is not the second option")
	}
	// The old version is refused a second rewrite.
	admin.Post(rev, f).Want(http.StatusUnprocessableEntity, "新しい版ができています")
	admin.Get(fmt.Sprintf("/learning/courses/%d/questions/%d", priv, qid)).Want(http.StatusOK, "旧版", "版の履歴")
}

// TestIncidentCasesCited: a recurrence-prevention measure of the ward's
// own incident in the register (as the incident module writes it) is
// cited in the lessons of its risk domain, without department or people,
// for learners and in the course's page.
func TestIncidentCasesCited(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	reg := improve.NewStore(s.Deps())
	dept := s.ID("SELECT id FROM departments WHERE name = '税務課'")
	if _, _, err := reg.Upsert(t.Context(), improve.Input{FiscalYear: 2026, Source: improve.SourceIncidentMeasure, SourceModule: "incident",
		SourceRef: "2026-IN-001/misdelivery/1", SourceLabel: "令和8年度 インシデント 2026-IN-001 税務課 納税通知書の誤送付",
		Title: "封入封緘は二人で照合し、照合記録を残す", Detail: "税務課の山田が封入した", OwnerDepartmentID: dept}); err != nil {
		t.Fatal(err)
	}
	priv := s.ID("SELECT id FROM learning_courses WHERE code = 'PRIV'")
	var lesson, other int64
	// The domains the register's incident measures (the demo's and this
	// one) are filed under: a lesson of none of them cites nothing.
	st := learning.NewStore(s.Deps())
	cited := map[string]bool{}
	acts, _, err := reg.List(t.Context(), improve.Filter{Source: improve.SourceIncidentMeasure})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acts {
		if parts := strings.Split(a.SourceRef, "/"); len(parts) > 1 {
			cited[parts[1]] = true
		}
	}
	ls, err := st.Lessons(t.Context(), priv)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		hit := false
		for _, d := range l.Domains {
			hit = hit || cited[d]
		}
		switch {
		case slices.Contains(l.Domains, "misdelivery") && lesson == 0:
			lesson = l.ID
		case !hit && l.For("general"):
			other = l.ID
		}
	}
	if lesson == 0 || other == 0 {
		t.Fatal("the demo course has no misdelivery lesson or no other")
	}
	admin := s.As("admin")
	admin.Get(fmt.Sprintf("/learning/courses/%d/lessons/%d?variant=general", priv, lesson)).Want(http.StatusOK, "区で起きた事例から", "封入封緘は二人で照合し").
		Lacks("税務課", "山田", "2026-IN-001")
	admin.Get(fmt.Sprintf("/learning/courses/%d/lessons/%d?variant=general", priv, other)).Lacks("区で起きた事例から")
	admin.Get(fmt.Sprintf("/learning/courses/%d", priv)).Want(http.StatusOK, "区の事例（インシデントの再発防止策）", "封入封緘は二人で照合し")
	staff := s.As("staff")
	staff.Get(fmt.Sprintf("/learning/my/%d/lessons/%d", demoAssignment(s), lesson)).Want(http.StatusOK, "区で起きた事例から", "封入封緘は二人で照合し").Lacks("税務課", "山田")
}

// TestAuditorTrainingHints: the auditor training's course page lists the
// witness points the ward's auditors needed help on (the audit module's
// records, through module.Hinter), strongest first; other courses none.
func TestAuditorTrainingHints(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	if s.Count("SELECT COUNT(*) FROM audit_witness WHERE rating IN ('poor', 'fair')") == 0 {
		t.Fatal("the demo has no witness records that needed help")
	}
	admin := s.As("admin")
	page := admin.Get(fmt.Sprintf("/learning/courses/%d", s.ID("SELECT id FROM learning_courses WHERE code = 'AUDIT'"))).
		Want(http.StatusOK, "立会いの記録から（監査人研修の重点）", "内部監査の立会い", "要改善")
	hs, err := s.App.Deps().Hints(t.Context(), 2026)
	if err != nil || len(hs) == 0 {
		t.Fatalf("hints: %v %v", hs, err)
	}
	if !strings.Contains(page.Body, hs[0].Title) {
		t.Errorf("the strongest point %q is not listed", hs[0].Title)
	}
	for i := 1; i < len(hs); i++ {
		if hs[i].Weight > hs[i-1].Weight {
			t.Fatal("hints are not strongest first")
		}
	}
	admin.Get(fmt.Sprintf("/learning/courses/%d", s.ID("SELECT id FROM learning_courses WHERE code = 'PRIV'"))).Lacks("立会いの記録から")
}

// TestDoubleSubmitShowsTheResult: the same test handed in twice at once
// (a double click) is counted once, and both answers show the stored
// result. (The narrow PostgreSQL case — both read the attempt unsubmitted,
// the second waits at the update and must then read the first's row — is
// hit reliably only under load: `mamori bench learning --db postgres://…`
// double-clicks 500 of 5,000 submissions and fails on an empty result.)
func TestDoubleSubmitShowsTheResult(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	aid := demoAssignment(s)
	staff := s.As("staff")
	path := fmt.Sprintf("/learning/my/%d", aid)
	r := staff.Post(path+"/test", url.Values{})
	m := attemptRe.FindStringSubmatch(r.Header.Get("Location"))
	if m == nil {
		t.Fatalf("no attempt page: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	st := learning.NewStore(s.Deps())
	var id int64
	fmt.Sscan(m[1], &id)
	at, err := st.Attempt(t.Context(), aid, id)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := st.Assignment(t.Context(), aid)
	c, _ := st.Campaign(t.Context(), a.CampaignID)
	qs, err := st.Questions(t.Context(), c.CourseID)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[int64]learning.Question{}
	for _, q := range qs {
		byID[q.ID] = q
	}
	f := url.Values{}
	for _, qid := range at.QuestionIDs {
		answerForm(f, byID[qid], false)
	}
	before := s.Count("SELECT attempts FROM learning_assignments WHERE id = ?", aid)
	var wg sync.WaitGroup
	bodies := make([]*webtest.Response, 2)
	for k := range bodies {
		wg.Go(func() { bodies[k] = staff.Post(fmt.Sprintf("%s/test/%d", path, id), f) })
	}
	wg.Wait()
	for k, b := range bodies {
		if b.StatusCode != http.StatusOK || !strings.Contains(b.Body, "問正解（") {
			t.Errorf("submission %d: %d without the result", k+1, b.StatusCode)
		}
	}
	if got := s.Count("SELECT attempts FROM learning_assignments WHERE id = ?", aid); got != before+1 {
		t.Errorf("attempts %d → %d, want one more", before, got)
	}
}
