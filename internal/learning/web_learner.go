package learning

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"mamori/internal/database"
	"mamori/internal/docgen/formats"
	"mamori/internal/web"
)

// The learner's screens: their courses, a course's lessons with the
// exercises, the test and its result, the text version and the
// certificate.

func (m *Module) learnerRoutes(rt *web.Router) {
	rt.Handle("GET /learning", web.SignedIn(), m.home)
	// The lesson and the attempt of a path are checked to exist here, and
	// to belong to the path's assignment (its course and variant, its
	// attempts) by the handlers: the assignment is the user's own.
	assignment := web.Object{Kind: "learning.assignment", Allow: m.mayTake}
	mine := web.SignedIn().On(assignment)
	lessonObj := web.AnyObject("learning.lesson", func(ctx context.Context, id int64) error { _, err := m.store.lessonCourse(ctx, id); return err })
	lessonObj.Param = "lesson"
	attemptObj := web.AnyObject("learning.attempt", m.store.attemptExists)
	attemptObj.Param = "attempt"
	lesson, attempt := mine.On(lessonObj), mine.On(attemptObj)
	rt.Handle("GET /learning/my/{id}", mine, m.course)
	rt.Handle("GET /learning/my/{id}/lessons/{lesson}", lesson, m.lesson)
	rt.Handle("POST /learning/my/{id}/lessons/{lesson}", lesson, m.lessonPost)
	rt.Handle("GET /learning/my/{id}/lessons/{lesson}/video", lesson, m.myVideo)
	rt.Handle("POST /learning/my/{id}/lessons/{lesson}/position", lesson, m.videoPosition)
	rt.Handle("GET /learning/my/{id}/text", mine, m.myText)
	rt.Handle("POST /learning/my/{id}/test", mine, m.testStart)
	rt.Handle("GET /learning/my/{id}/test/{attempt}", attempt, m.test)
	rt.Handle("POST /learning/my/{id}/test/{attempt}", attempt, m.testPost)
	rt.Handle("GET /learning/my/{id}/certificate", mine, m.certificate)
}

// mayTake is the object check of an assignment: it is the user's own.
func (m *Module) mayTake(ctx context.Context, u *web.User, _ web.Scope, id int64) (bool, error) {
	staff, err := m.staffOf(ctx, u)
	if err != nil || staff == 0 {
		return false, err
	}
	a, err := m.store.Assignment(ctx, id)
	if err != nil {
		return false, err
	}
	return a.StaffID == staff, nil
}

// taking is one request on the learner's own assignment.
type taking struct {
	A        Assignment
	Campaign Campaign
	Course   Course
	Lessons  []Lesson // the variant's lessons, in order
	Progress map[int64]Progress
	now      time.Time
}

func (m *Module) takingOf(r *http.Request) (*taking, error) { return m.takingWith(r, true) }

// takingWith is takingOf, with the lessons' progress only when asked (the
// test's pages need none).
func (m *Module) takingWith(r *http.Request, progress bool) (*taking, error) {
	ctx := r.Context()
	id, err := web.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	a, err := m.store.Assignment(ctx, id)
	if err != nil {
		return nil, err
	}
	c, err := m.store.campaignHead(ctx, a.CampaignID)
	if err != nil {
		return nil, err
	}
	co, err := m.store.Course(ctx, c.CourseID)
	if err != nil {
		return nil, err
	}
	all, err := m.store.Lessons(ctx, co.ID)
	if err != nil {
		return nil, err
	}
	t := &taking{A: a, Campaign: c, Course: co, now: m.store.now()}
	for _, l := range all {
		if l.For(a.Variant) {
			t.Lessons = append(t.Lessons, l)
		}
	}
	if !progress {
		return t, nil
	}
	if t.Progress, err = m.store.ProgressOf(ctx, a.ID); err != nil {
		return nil, err
	}
	return t, nil
}

// AllRead reports whether every lesson is read.
func (t *taking) AllRead() bool { return t.A.LessonsDone >= len(t.Lessons) }

// Open reports whether the campaign accepts tests today.
func (t *taking) Open() bool { return t.Campaign.OpenOn(t.now) }

// Path is the assignment's page.
func (t *taking) Path() string { return fmt.Sprintf("/learning/my/%d", t.A.ID) }

// Percent is the share of lessons read, rounded down to tens (the bar).
func (t *taking) Percent() int {
	if len(t.Lessons) == 0 {
		return 0
	}
	return min(100, t.A.LessonsDone*100/len(t.Lessons)/10*10)
}

// homeView is /learning.
type homeView struct {
	Mine    []MyCourse
	NoStaff bool
	Manager bool
	Watcher bool
	Trainee bool // an internal auditor: the practice audit
}

func (m *Module) home(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := web.UserFrom(ctx)
	staff, err := m.staffOf(ctx, u)
	if err != nil {
		return err
	}
	v := homeView{NoStaff: staff == 0, Manager: Managers.HasUser(u), Watcher: Watchers.HasUser(u), Trainee: u.Role == web.RoleAuditor}
	if staff != 0 {
		if v.Mine, err = m.store.AssignmentsOf(ctx, staff); err != nil {
			return err
		}
	}
	return web.Render(w, r, http.StatusOK, "learning/learning_home", "研修", v)
}

func (m *Module) course(w http.ResponseWriter, r *http.Request) error {
	t, err := m.takingOf(r)
	if err != nil {
		return err
	}
	attempts, err := m.store.Attempts(r.Context(), t.A.ID)
	if err != nil {
		return err
	}
	v := courseTaking{taking: t, Attempts: attempts}
	if t.Course.SCORM() {
		p, err := m.store.Package(r.Context(), t.Course.Package)
		if err != nil {
			return err
		}
		st, _, err := m.store.SCORMStateOf(r.Context(), t.A.ID, p.ID)
		if err != nil {
			return err
		}
		v.Package, v.SCORM = &p, &st
	}
	return web.Render(w, r, http.StatusOK, "learning/learning_course", t.Course.Title, v)
}

// courseTaking is the learner's course page.
type courseTaking struct {
	*taking
	Attempts []Attempt
	Package  *PackageRow // a SCORM course's package and the learner's state in it
	SCORM    *SCORMState
}

// SCORMStatus is the learner's state in a SCORM course.
func (v courseTaking) SCORMStatus() string { return v.SCORM.StatusLabel(v.Package.Version) }

// SCORMTime is the time spent in a SCORM course.
func (v courseTaking) SCORMTime() string { return DurationLabel(v.SCORM.TotalSeconds) }

// lessonView is a lesson page with its exercises.
type lessonView struct {
	*taking
	L         Lesson
	Sections  []Section
	Exercises []Question
	Answered  bool             // the exercises were just answered
	Given     map[int64][]int  // the answers given
	Errors    map[int64]string // per exercise
	Next      *Lesson
	Index     int
	Preview   bool   // a manager's preview: nothing is recorded
	Cases     []Case // the ward's own incidents of the lesson's domains
}

// Checked reports whether choice c of question q was given.
func (v lessonView) Checked(q int64, c int) bool { return slices.Contains(v.Given[q], c) }

// Place is the place given to option i of order question q (0: none).
func (v lessonView) Place(q int64, i int) int {
	for p, g := range v.Given[q] {
		if g == i {
			return p + 1
		}
	}
	return 0
}

// Shuffled is an order question's options as the page lists them.
func (v lessonView) Shuffled(q Question) []Choice { return shuffled(q, v.A.ID) }

// Body splits a section's body into blocks for the template.
func (lessonView) Body(s string) []BodyBlock { return ParseBody(s) }

func (m *Module) lessonOf(r *http.Request, t *taking) (lessonView, error) {
	id, err := web.PathID(r, "lesson")
	if err != nil {
		return lessonView{}, err
	}
	v := lessonView{taking: t}
	for i, l := range t.Lessons {
		if l.ID == id {
			v.L, v.Index = l, i+1
			if i+1 < len(t.Lessons) {
				v.Next = &t.Lessons[i+1]
			}
		}
	}
	if v.L.ID == 0 {
		return v, web.NotFound()
	}
	v.Sections = v.L.SectionsFor(t.A.Variant)
	cs, err := m.store.casesOf(r.Context(), t.Course.FiscalYear)
	if err != nil {
		return v, err
	}
	v.Cases = casesFor(cs, v.L)
	qs, err := m.store.Questions(r.Context(), t.Course.ID)
	if err != nil {
		return v, err
	}
	for _, code := range v.L.Exercises {
		for _, q := range qs {
			if q.Code == code {
				v.Exercises = append(v.Exercises, q)
			}
		}
	}
	return v, nil
}

// takingLesson is the path's assignment and lesson.
func (m *Module) takingLesson(r *http.Request) (*taking, lessonView, error) {
	t, err := m.takingOf(r)
	if err != nil {
		return nil, lessonView{}, err
	}
	v, err := m.lessonOf(r, t)
	return t, v, err
}

func (m *Module) lesson(w http.ResponseWriter, r *http.Request) error {
	_, v, err := m.takingLesson(r)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "learning/learning_lesson", v.L.Title, v)
}

// lessonPost grades the lesson's exercises (the explanation is shown
// right away) and records the lesson as read.
func (m *Module) lessonPost(w http.ResponseWriter, r *http.Request) error {
	t, v, err := m.takingLesson(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return web.Invalid("送信内容を読み取れません。")
	}
	v.Given, v.Errors = map[int64][]int{}, map[int64]string{}
	for _, q := range v.Exercises {
		ans, msg := parseAnswer(r.PostForm, q)
		if msg == "" {
			msg = checkAnswer(q, ans)
		}
		if msg != "" {
			v.Errors[q.ID] = msg
			continue
		}
		v.Given[q.ID] = ans
	}
	if len(v.Errors) > 0 {
		return web.Render(w, r, http.StatusUnprocessableEntity, "learning/learning_lesson", v.L.Title, v)
	}
	if err := m.store.CompleteLesson(r.Context(), t.A, v.L); err != nil {
		return err
	}
	if t, err = m.takingOf(r); err != nil {
		return err
	}
	v.taking, v.Answered = t, true
	return web.Render(w, r, http.StatusOK, "learning/learning_lesson", v.L.Title, v)
}

// myVideo streams the lesson's video with range requests (seeking).
func (m *Module) myVideo(w http.ResponseWriter, r *http.Request) error {
	_, v, err := m.takingLesson(r)
	if err != nil {
		return err
	}
	return m.serveVideo(w, r, v.L)
}

// videoPosition remembers where the learner is in the video (the page's
// script posts it while it plays); 204, nothing to show.
func (m *Module) videoPosition(w http.ResponseWriter, r *http.Request) error {
	t, v, err := m.takingLesson(r)
	if err != nil {
		return err
	}
	if v.L.VideoBlob == 0 {
		return web.NotFound()
	}
	ms, err := strconv.ParseInt(r.PostFormValue("position"), 10, 64)
	if err != nil {
		return web.Invalid("再生位置が正しくありません。")
	}
	var fe FieldErrors
	if err := m.store.SaveVideoPosition(r.Context(), t.A, v.L, ms); errors.As(err, &fe) {
		return web.Invalid("%s", fe.Error())
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// serveVideo sends lesson l's video, by ranges.
func (m *Module) serveVideo(w http.ResponseWriter, r *http.Request, l Lesson) error {
	if l.VideoBlob == 0 {
		return web.NotFound()
	}
	b, f, err := m.d.Blobs.Open(r.Context(), l.VideoBlob)
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", "video/mp4")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	http.ServeContent(w, r, "", b.CreatedAt, f)
	return nil
}

// VideoStart is where the video starts: the remembered position, in
// seconds.
func (v lessonView) VideoStart() string {
	p := v.Progress[v.L.ID]
	return strconv.FormatFloat(float64(p.VideoMS)/1000, 'f', 1, 64)
}

// parseAnswer reads question q's answer from a form: field q<ID> (one
// value, or several for a multiple choice), and for an order question
// q<ID>_<option> holding each option's place (1…n).
func parseAnswer(f url.Values, q Question) ([]int, string) {
	key := fmt.Sprintf("q%d", q.ID)
	if q.Kind == KindOrder {
		ans := make([]int, len(q.Options))
		for i := range ans {
			ans[i] = -1
		}
		for i := range q.Options {
			v := f.Get(fmt.Sprintf("%s_%d", key, i))
			if v == "" {
				return nil, "すべての項目に順番を付けてください。"
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > len(q.Options) || ans[n-1] != -1 {
				return nil, "すべての項目に、重ならないように順番を付けてください。"
			}
			ans[n-1] = i
		}
		return ans, ""
	}
	var ans []int
	for _, s := range f[key] {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, "選択肢にない回答です。"
		}
		ans = append(ans, n)
	}
	if len(ans) == 0 {
		return nil, "回答を選んでください。"
	}
	return ans, ""
}

// testView is the test or its result.
type testView struct {
	*taking
	T         Attempt
	Questions []TestQuestion
	Errors    FieldErrors
	Message   string
}

// TestQuestion is one question as the test shows it.
type TestQuestion struct {
	N     int
	Q     Question
	Order []Choice // an order question's options, shuffled
	Given []int
	Right bool
	Err   string
}

// Has reports whether choice v is among the answers given.
func (q TestQuestion) Has(v int) bool {
	for _, g := range q.Given {
		if g == v {
			return true
		}
	}
	return false
}

// PlaceOf is the place given to option i of an order question (0: none).
func (q TestQuestion) PlaceOf(i int) int {
	for p, g := range q.Given {
		if g == i {
			return p + 1
		}
	}
	return 0
}

// GivenText is the answer given, in words.
func (q TestQuestion) GivenText() string {
	if len(q.Given) == 0 {
		return "（未回答）"
	}
	c := q.Q
	c.Key = q.Given
	return c.KeyText()
}

// Places are 1…n for an order question's selects.
func (q TestQuestion) Places() []int {
	out := make([]int, len(q.Q.Options))
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func (m *Module) testStart(w http.ResponseWriter, r *http.Request) error {
	t, err := m.takingOf(r)
	if err != nil {
		return err
	}
	at, err := m.store.StartAttempt(r.Context(), t.A, t.Campaign, t.Course)
	if errors.Is(err, ErrClosed) || errors.Is(err, ErrNotOpen) {
		return web.Redirect(w, r, t.Path(), err.Error(), false)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("%s/test/%d", t.Path(), at.ID), "", true)
}

func (m *Module) testView(r *http.Request, t *taking) (testView, error) {
	id, err := web.PathID(r, "attempt")
	if err != nil {
		return testView{}, err
	}
	at, err := m.store.Attempt(r.Context(), t.A.ID, id)
	if err != nil {
		return testView{}, err
	}
	qs, err := m.store.questionsByID(r.Context(), t.Course.ID, at.QuestionIDs)
	if err != nil {
		return testView{}, err
	}
	v := testView{taking: t, T: at}
	for i, q := range qs {
		tq := TestQuestion{N: i + 1, Q: q, Given: at.Answers[q.ID]}
		tq.Right = at.Submitted() && q.Correct(tq.Given)
		if q.Kind == KindOrder {
			tq.Order = shuffled(q, at.ID)
		}
		v.Questions = append(v.Questions, tq)
	}
	return v, nil
}

// shuffled is an order question's options in an order fixed per attempt
// (never the right one when it can be avoided).
func shuffled(q Question, attempt int64) []Choice {
	cs := q.Choices()
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%d", attempt, q.ID)
	seed := h.Sum64()
	for i := len(cs) - 1; i > 0; i-- {
		seed = seed*6364136223846793005 + 1442695040888963407
		j := int(seed>>33) % (i + 1)
		cs[i], cs[j] = cs[j], cs[i]
	}
	if len(cs) > 1 && cs[0].Value == 0 && cs[1].Value == 1 {
		cs[0], cs[1] = cs[1], cs[0]
	}
	return cs
}

func (m *Module) test(w http.ResponseWriter, r *http.Request) error {
	t, err := m.takingWith(r, false)
	if err != nil {
		return err
	}
	v, err := m.testView(r, t)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "learning/learning_test", "確認テスト", v)
}

func (m *Module) testPost(w http.ResponseWriter, r *http.Request) error {
	t, err := m.takingWith(r, false)
	if err != nil {
		return err
	}
	v, err := m.testView(r, t)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return web.Invalid("送信内容を読み取れません。")
	}
	answers := map[int64][]int{}
	perQ := map[int64]string{}
	for k := range r.PostForm {
		// Every answer field must name a question of the attempt.
		var id int64
		if _, err := fmt.Sscanf(k, "q%d", &id); err == nil && !contains(v.T.QuestionIDs, id) {
			answers[id] = []int{0}
		}
	}
	for _, tq := range v.Questions {
		ans, msg := parseAnswer(r.PostForm, tq.Q)
		if msg != "" {
			perQ[tq.Q.ID] = msg
			continue
		}
		answers[tq.Q.ID] = ans
	}
	if len(perQ) == 0 {
		at, err := m.store.SubmitAttempt(r.Context(), t.A, t.Campaign, t.Course, v.T.ID, answers)
		var fe FieldErrors
		switch {
		case err == nil, errors.Is(err, ErrSubmitted):
			if err != nil {
				v.Message = err.Error()
			}
			// The result: the attempt as stored, the assignment as it is now.
			if t.A, err = m.store.Assignment(r.Context(), t.A.ID); err != nil {
				return err
			}
			v.T = at
			for i := range v.Questions {
				q := &v.Questions[i]
				q.Given = at.Answers[q.Q.ID]
				q.Right = q.Q.Correct(q.Given)
			}
			return web.Render(w, r, http.StatusOK, "learning/learning_test", "確認テストの結果", v)
		case errors.Is(err, ErrClosed):
			v.Message = err.Error()
		case errors.As(err, &fe):
			v.Errors = fe
			v.Message = fe["answers"]
			for id, msg := range fe {
				var qid int64
				if _, e := fmt.Sscanf(id, "q%d", &qid); e == nil {
					perQ[qid] = msg
				}
			}
		case errors.Is(err, database.ErrNotFound):
			return web.NotFound()
		default:
			return err
		}
	}
	for i := range v.Questions {
		q := &v.Questions[i]
		q.Err = perQ[q.Q.ID]
		if ans, msg := parseAnswer(r.PostForm, q.Q); msg == "" {
			q.Given = ans
		}
	}
	if v.Message == "" {
		v.Message = "回答していない問題、または正しくない回答があります。提出していません。"
	}
	return web.Render(w, r, http.StatusUnprocessableEntity, "learning/learning_test", "確認テスト", v)
}

func contains(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// myText is the learner's text version (PDF or DOCX) of their variant.
func (m *Module) myText(w http.ResponseWriter, r *http.Request) error {
	t, err := m.takingOf(r)
	if err != nil {
		return err
	}
	f, err := formats.Parse(r.URL.Query().Get("format"), "pdf", "docx")
	if err != nil {
		return web.Invalid("出力形式は pdf か docx を指定してください。")
	}
	return m.sendText(w, r, t.Course, t.A.Variant, f)
}

func (m *Module) certificate(w http.ResponseWriter, r *http.Request) error {
	t, err := m.takingOf(r)
	if err != nil {
		return err
	}
	if !t.A.Done() {
		return web.Redirect(w, r, t.Path(), "修了証は、すべての単元を受講し確認テストに合格すると出力できます。", false)
	}
	name, err := m.nameOf(r.Context(), t.A)
	if err != nil {
		return err
	}
	t.A.Department = m.departmentName(r.Context(), t.A.DepartmentID)
	doc := CertificateDocument(t.Course, t.Campaign, t.A, name, m.d.Org.WardName(r.Context()))
	dl := web.Download{Name: web.JoinFileName("pdf", "受講修了証", t.Course.Code, name), ContentType: formats.PDF.ContentType,
		Target: fmt.Sprintf("learning_assignment:%d", t.A.ID), Detail: fmt.Sprintf("%s 受講修了証（%s）", t.Course.Code, name)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return formats.PDF.Render(out, doc) })
}
