package learning

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"mamori/internal/database"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/tabular"
	"mamori/internal/web"
)

// The screens that run the training: courses (with the text version and a
// lesson preview), campaigns with the progress by department, and the
// completion list.

// watchRule lets managers and the viewer see every campaign and a 所属長
// (the auditee role) the progress of their own sub-tree.
func watchRule() web.Rule {
	return web.Allow(web.RoleAdmin, web.RoleConsultant, web.RoleViewer).Scoped(web.RoleAuditee)
}

func (m *Module) manageRoutes(rt *web.Router) {
	manage, watch := Managers.Rule(), watchRule()
	course := manage.On(web.Object{Kind: "learning.course", Allow: m.courseExists})
	rt.Handle("GET /learning/courses", manage, m.courseList)
	rt.Handle("POST /learning/courses/import", manage, m.courseImport)
	rt.Handle("GET /learning/courses/{id}", course, m.courseShow)
	rt.Handle("GET /learning/courses/{id}/text", course, m.courseText)
	rt.Handle("POST /learning/courses/{id}/copy", course, m.courseCopy)
	preview := course.On(web.AnyObject("learning.course_lesson", func(ctx context.Context, id int64) error {
		_, err := m.store.lessonCourse(ctx, id)
		return err
	}))
	preview.Objects[len(preview.Objects)-1].Param = "lesson"
	rt.Handle("GET /learning/courses/{id}/lessons/{lesson}", preview, m.coursePreview)
	question := course.On(web.Object{Kind: "learning.question", Param: "question", Allow: func(ctx context.Context, _ *web.User, _ web.Scope, id int64) (bool, error) {
		return true, m.store.questionExists(ctx, id)
	}})
	m.editRoutes(rt, preview, question)
	rt.Handle("GET /learning/courses/{id}/questions/{question}", question, m.questionShow)
	rt.Handle("POST /learning/courses/{id}/questions/{question}", question, m.questionKey)
	rt.Handle("GET /learning/courses/{id}/lessons/{lesson}/video", preview, m.previewVideo)
	rt.Handle("POST /learning/courses/{id}/lessons/{lesson}/video", preview.WithUpload().WithBodyLimit(VideoMaxBytes+1<<20), m.videoUpload)
	camp := web.Object{Kind: "learning.campaign", Allow: m.mayWatch}
	rt.Handle("GET /learning/campaigns", watch, m.campaignList)
	rt.Handle("GET /learning/campaigns/new", manage, m.campaignNew)
	rt.Handle("POST /learning/campaigns", manage, m.campaignCreate)
	rt.Handle("GET /learning/campaigns/{id}", watch.On(camp), m.campaignShow)
	rt.Handle("GET /learning/campaigns/{id}/completion", watch.On(camp), m.campaignCompletion)
	rt.Handle("GET /learning/campaigns/{id}/digest", watch.On(camp), m.campaignDigest)
	remind := web.Allow(web.RoleAdmin, web.RoleConsultant).Scoped(web.RoleAuditee)
	rt.Handle("POST /learning/campaigns/{id}/remind", remind.On(camp), m.campaignRemind)
}

func (m *Module) courseExists(ctx context.Context, _ *web.User, _ web.Scope, id int64) (bool, error) {
	_, err := m.store.Course(ctx, id)
	return err == nil, err
}

// mayWatch is the object check of a campaign: managers and the viewer
// reach every one; a 所属長 one that has assignments in their sub-tree.
func (m *Module) mayWatch(ctx context.Context, u *web.User, scope web.Scope, id int64) (bool, error) {
	if _, err := m.store.campaignHead(ctx, id); err != nil {
		return false, err
	}
	if scope != web.ScopeOwnDepartment {
		return true, nil
	}
	if u.DepartmentID == 0 {
		return false, nil
	}
	_, total, err := m.store.ProgressByDepartment(ctx, id, u.DepartmentID)
	return total.Assigned > 0, err
}

// watchRoot is the department whose sub-tree a reader's figures cover (0:
// the ward).
func watchRoot(r *http.Request) int64 {
	if web.ScopeFrom(r.Context()) != web.ScopeOwnDepartment {
		return 0
	}
	return web.UserFrom(r.Context()).DepartmentID
}

// ---- courses ----

type courseListView struct {
	Courses   []Course
	Year      int
	Available []string // this year's content files not imported yet
	Campaigns []Campaign
	SCORM     *scormForm // the SCORM import form as typed
}

func (m *Module) courseList(w http.ResponseWriter, r *http.Request) error {
	return m.renderCourseList(w, r, http.StatusOK, &scormForm{Minutes: "30", Pass: "80"})
}

// renderCourseList is the course list with the SCORM import form f.
func (m *Module) renderCourseList(w http.ResponseWriter, r *http.Request, status int, f *scormForm) error {
	ctx := r.Context()
	fy := m.d.Org.CurrentFiscalYear(ctx)
	cs, err := m.store.Courses(ctx, 0)
	if err != nil {
		return err
	}
	v := courseListView{Courses: cs, Year: fy, SCORM: f}
	specs, err := LoadCourses(contentFS(), fy)
	if err != nil {
		return err
	}
	for _, sp := range specs {
		found := false
		for _, c := range cs {
			found = found || c.Code == sp.Code && c.FiscalYear == fy
		}
		if !found {
			v.Available = append(v.Available, sp.Code+" "+sp.Title)
		}
	}
	return web.Render(w, r, status, "learning/learning_courses", "研修の教材", v)
}

func (m *Module) courseImport(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	fy := m.d.Org.CurrentFiscalYear(ctx)
	added, err := m.ImportContent(ctx, fy, web.UserFrom(ctx).DisplayName)
	if err != nil {
		return err
	}
	if len(added) == 0 {
		return web.Redirect(w, r, "/learning/courses", jp.FiscalYearLabel(fy)+"の教材はすべて登録済みです。", true)
	}
	return web.Redirect(w, r, "/learning/courses", fmt.Sprintf("%sの教材を登録しました（%s）。", jp.FiscalYearLabel(fy), strings.Join(added, "・")), true)
}

type courseView struct {
	C         Course
	Lessons   []Lesson
	Questions []Question
	Counts    []variantCount
	Emphasis  []Emphasis
	Packages  []PackageRow // a SCORM course's packages, the latest first
	Cases     []caseLessons
	Hints     []module.Hint // for the auditor training: the witness records' weak points
}

// hintsFor are what the other workstreams' records of the course's year
// and the year before say a training for the course's audience should
// stress (the auditor training: the witness points auditors needed help on).
func (m *Module) hintsFor(ctx context.Context, c Course) ([]module.Hint, error) {
	if m.d.Hints == nil || !slices.ContainsFunc(c.Variants, func(p Pair) bool { return p.Key == module.AudienceAuditor }) {
		return nil, nil
	}
	var out []module.Hint
	for _, fy := range []int{c.FiscalYear, c.FiscalYear - 1} {
		hs, err := m.d.Hints(ctx, fy)
		if err != nil {
			return nil, err
		}
		for _, h := range hs {
			if h.Audience == module.AudienceAuditor {
				out = append(out, h)
			}
		}
	}
	return out, nil
}

// caseLessons is one of the ward's incident measures with the lessons
// that cite it.
type caseLessons struct {
	Case
	Lessons []string
}

type variantCount struct {
	Key, Label              string
	Lessons, Minutes, Tests int
	Exercises, PerAttempt   int
}

func (m *Module) courseOf(r *http.Request) (courseView, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return courseView{}, err
	}
	c, err := m.store.Course(r.Context(), id)
	if err != nil {
		return courseView{}, err
	}
	v := courseView{C: c}
	if v.Lessons, err = m.store.Lessons(r.Context(), id); err != nil {
		return v, err
	}
	if v.Questions, err = m.store.Questions(r.Context(), id); err != nil {
		return v, err
	}
	for _, p := range c.Variants {
		vc := variantCount{Key: p.Key, Label: p.Label}
		for _, l := range v.Lessons {
			if l.For(p.Key) {
				vc.Lessons++
				vc.Minutes += l.Minutes
			}
		}
		for _, q := range v.Questions {
			if contains2(q.Variants, p.Key) {
				if q.Use == UseTest {
					vc.Tests++
				} else {
					vc.Exercises++
				}
			}
		}
		for _, s := range c.Tests[p.Key] {
			if s.Question != "" {
				vc.PerAttempt++
			} else {
				vc.PerAttempt += s.Draw
			}
		}
		v.Counts = append(v.Counts, vc)
	}
	return v, nil
}

func contains2(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (m *Module) courseShow(w http.ResponseWriter, r *http.Request) error {
	v, err := m.courseOf(r)
	if err != nil {
		return err
	}
	if v.Emphasis, err = m.store.emphasisOf(r.Context(), v.C.FiscalYear, v.Lessons); err != nil {
		return err
	}
	if v.C.SCORM() {
		if v.Packages, err = m.store.Packages(r.Context(), v.C.ID); err != nil {
			return err
		}
	}
	if v.Hints, err = m.hintsFor(r.Context(), v.C); err != nil {
		return err
	}
	cs, err := m.store.casesOf(r.Context(), v.C.FiscalYear)
	if err != nil {
		return err
	}
	for _, c := range cs {
		cl := caseLessons{Case: c}
		for _, l := range v.Lessons {
			if len(casesFor([]Case{c}, l)) > 0 {
				cl.Lessons = append(cl.Lessons, l.Code)
			}
		}
		v.Cases = append(v.Cases, cl)
	}
	return web.Render(w, r, http.StatusOK, "learning/learning_course_show", v.C.Title, v)
}

func (m *Module) courseText(w http.ResponseWriter, r *http.Request) error {
	v, err := m.courseOf(r)
	if err != nil {
		return err
	}
	variant := r.URL.Query().Get("variant")
	if !contains2(variantKeys(v.C), variant) {
		return web.Invalid("受講者の区分（variant）を指定してください。")
	}
	f, err := formats.Parse(r.URL.Query().Get("format"), "pdf", "docx")
	if err != nil {
		return web.Invalid("出力形式は pdf か docx を指定してください。")
	}
	return m.sendText(w, r, v.C, variant, f)
}

func variantKeys(c Course) []string {
	var out []string
	for _, p := range c.Variants {
		out = append(out, p.Key)
	}
	return out
}

// sendText sends course c's text version for variant v.
func (m *Module) sendText(w http.ResponseWriter, r *http.Request, c Course, v string, f formats.Format) error {
	ctx := r.Context()
	ls, err := m.store.Lessons(ctx, c.ID)
	if err != nil {
		return err
	}
	qs, err := m.store.Questions(ctx, c.ID)
	if err != nil {
		return err
	}
	doc := TextDocument(c, ls, qs, v, m.d.Org.WardName(ctx), m.store.now())
	dl := web.Download{Name: web.JoinFileName(f.Name, c.Title, "テキスト版", c.VariantLabel(v)), ContentType: f.ContentType,
		Target: fmt.Sprintf("learning_course:%d", c.ID), Detail: fmt.Sprintf("%s テキスト版（%s、%s）", c.Code, c.VariantLabel(v), f.Label)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
}

// coursePreview shows a lesson as a learner of a variant reads it.
func (m *Module) coursePreview(w http.ResponseWriter, r *http.Request) error {
	cv, err := m.courseOf(r)
	if err != nil {
		return err
	}
	variant := r.URL.Query().Get("variant")
	if variant == "" {
		variant = cv.C.Variants[0].Key
	}
	if !contains2(variantKeys(cv.C), variant) {
		return web.Invalid("受講者の区分（variant）の指定が正しくありません。")
	}
	lid, err := web.PathID(r, "lesson")
	if err != nil {
		return err
	}
	t := &taking{A: Assignment{Variant: variant}, Course: cv.C, now: m.store.now()}
	for _, l := range cv.Lessons {
		if l.For(variant) {
			t.Lessons = append(t.Lessons, l)
		}
	}
	v := lessonView{taking: t}
	for i, l := range t.Lessons {
		if l.ID == lid {
			v.L, v.Index = l, i+1
		}
	}
	if v.L.ID == 0 {
		return web.NotFound()
	}
	v.Sections = v.L.SectionsFor(variant)
	for _, code := range v.L.Exercises {
		for _, q := range cv.Questions {
			if q.Code == code {
				v.Exercises = append(v.Exercises, q)
			}
		}
	}
	v.Preview = true
	cs, err := m.store.casesOf(r.Context(), cv.C.FiscalYear)
	if err != nil {
		return err
	}
	v.Cases = casesFor(cs, v.L)
	return web.Render(w, r, http.StatusOK, "learning/learning_lesson", v.L.Title, v)
}

// VideoMaxBytes is the largest video a lesson takes (about 25 minutes at
// 1.5 Mbit/s, five times a lesson's length).
const VideoMaxBytes = 300 << 20

var videoUpload = web.Upload{MaxBytes: VideoMaxBytes, Types: []web.FileType{web.MP4}, Fallback: "lesson.mp4"}

// lessonOfCourse is the path's lesson, which must be of the path's course.
func (m *Module) lessonOfCourse(r *http.Request) (Course, Lesson, error) {
	cv, err := m.courseOf(r)
	if err != nil {
		return Course{}, Lesson{}, err
	}
	lid, err := web.PathID(r, "lesson")
	if err != nil {
		return cv.C, Lesson{}, err
	}
	for _, l := range cv.Lessons {
		if l.ID == lid {
			return cv.C, l, nil
		}
	}
	return cv.C, Lesson{}, web.NotFound()
}

func (m *Module) previewVideo(w http.ResponseWriter, r *http.Request) error {
	_, l, err := m.lessonOfCourse(r)
	if err != nil {
		return err
	}
	return m.serveVideo(w, r, l)
}

// videoUpload stores a lesson's video (MP4, checked by content), replacing
// the one before; the learners' positions start again.
func (m *Module) videoUpload(w http.ResponseWriter, r *http.Request) error {
	c, l, err := m.lessonOfCourse(r)
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/learning/courses/%d#lesson-%d", c.ID, l.ID)
	up, err := videoUpload.Read(r)
	var we *web.Error
	if errors.As(err, &we) {
		return web.Redirect(w, r, back, we.Msg, false)
	}
	if err != nil {
		return err
	}
	u := web.UserFrom(r.Context())
	if err := m.d.DB.WithTx(r.Context(), func(ctx context.Context) error {
		b, err := m.d.Blobs.Put(ctx, up.Name, up.ContentType, up.Data, u.ID)
		if err != nil {
			return err
		}
		return m.store.SetVideo(ctx, l, b.ID, up.Name, len(up.Data))
	}); err != nil {
		return err
	}
	return web.Redirect(w, r, back, fmt.Sprintf("単元 %s の動画「%s」を登録しました。", l.Code, up.Name), true)
}

// questionView is one question of the bank with the form to correct its key.
type questionView struct {
	C       Course
	Q       Question
	Drawn   int // submitted attempts that drew this version
	Errors  FieldErrors
	Checked map[int]bool
	// The rewrite form, its problems, and every version of the question.
	Edit       QuestionEdit
	EditErrors FieldErrors
	Versions   []Question
}

func (m *Module) questionOf(r *http.Request) (questionView, error) {
	cv, err := m.courseOf(r)
	if err != nil {
		return questionView{}, err
	}
	qid, err := web.PathID(r, "question")
	if err != nil {
		return questionView{}, err
	}
	qs, err := m.store.questionsByID(r.Context(), cv.C.ID, []int64{qid})
	if err != nil {
		return questionView{}, web.NotFound()
	}
	v := questionView{C: cv.C, Q: qs[0], Checked: map[int]bool{}, Edit: editOf(qs[0])}
	for _, k := range v.Q.Key {
		v.Checked[k] = true
	}
	if v.Drawn, err = m.store.attemptsDrawing(r.Context(), qid); err != nil {
		return v, err
	}
	return v, m.questionVersions(r, &v)
}

func (m *Module) questionShow(w http.ResponseWriter, r *http.Request) error {
	v, err := m.questionOf(r)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "learning/learning_question", v.Q.Code, v)
}

// questionKey corrects a question's key and regrades the attempts.
func (m *Module) questionKey(w http.ResponseWriter, r *http.Request) error {
	v, err := m.questionOf(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return web.Invalid("送信内容を読み取れません。")
	}
	var key []int
	v.Checked = map[int]bool{}
	for _, s := range r.PostForm["key"] {
		k, err := strconv.Atoi(s)
		if err != nil {
			return web.Invalid("正解の指定が正しくありません。")
		}
		key = append(key, k)
		v.Checked[k] = true
	}
	n, err := m.store.CorrectKey(r.Context(), v.C.ID, v.Q.ID, key, web.UserFrom(r.Context()).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		v.Errors = fe
		return web.Render(w, r, http.StatusUnprocessableEntity, "learning/learning_question", v.Q.Code, v)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/learning/courses/%d/questions/%d", v.C.ID, v.Q.ID),
		fmt.Sprintf("正解を訂正し、この問題を出題した確認テスト %d 件を採点し直しました。", n), true)
}

// ---- campaigns ----

type campaignListView struct {
	Campaigns []Campaign
	Courses   map[int64]Course
	Manager   bool
	Scoped    bool
}

func (m *Module) campaignList(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	cs, err := m.store.Campaigns(ctx, 0)
	if err != nil {
		return err
	}
	v := campaignListView{Courses: map[int64]Course{}, Manager: Managers.HasUser(web.UserFrom(ctx))}
	root := watchRoot(r)
	v.Scoped = web.ScopeFrom(ctx) == web.ScopeOwnDepartment
	for _, c := range cs {
		if v.Scoped {
			if root == 0 {
				continue
			}
			_, total, err := m.store.ProgressByDepartment(ctx, c.ID, root)
			if err != nil {
				return err
			}
			if total.Assigned == 0 {
				continue
			}
			c.Assigned, c.Started, c.Completed = total.Assigned, total.Started, total.Completed
		}
		v.Campaigns = append(v.Campaigns, c)
		if _, ok := v.Courses[c.CourseID]; !ok {
			co, err := m.store.Course(ctx, c.CourseID)
			if err != nil {
				return err
			}
			v.Courses[c.CourseID] = co
		}
	}
	return web.Render(w, r, http.StatusOK, "learning/learning_campaigns", "研修の実施と受講状況", v)
}

type campaignFormView struct {
	Courses []Course
	Depts   []web.ListOption
	Values  map[string]string
	Picked  map[string]bool
	Errors  FieldErrors
}

// Get is a form value.
func (v campaignFormView) Get(k string) string { return v.Values[k] }

// Err is a field's error.
func (v campaignFormView) Err(k string) string { return v.Errors[k] }

func (m *Module) campaignForm(w http.ResponseWriter, r *http.Request, status int, v campaignFormView) error {
	ctx := r.Context()
	var err error
	if v.Courses, err = m.store.Courses(ctx, 0); err != nil {
		return err
	}
	tree, err := m.d.Org.Departments(ctx)
	if err != nil {
		return err
	}
	for _, d := range tree.Flat() {
		if d.Active && d.Depth <= 1 {
			v.Depts = append(v.Depts, web.ListOption{Value: strconv.FormatInt(d.ID, 10), Label: d.Path})
		}
	}
	return web.Render(w, r, status, "learning/learning_campaign_form", "研修の実施を登録", v)
}

func (m *Module) campaignNew(w http.ResponseWriter, r *http.Request) error {
	fy := m.d.Org.CurrentFiscalYear(r.Context())
	return m.campaignForm(w, r, http.StatusOK, campaignFormView{Values: map[string]string{
		"opens": jp.DateKey(m.store.now()), "closes": jp.DateKey(jp.FiscalYearEnd(fy)), "remind_max": "3", "remind_every": "7"}})
}

func (m *Module) campaignCreate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return web.Invalid("送信内容を読み取れません。")
	}
	f := r.PostForm
	in := CampaignInput{Title: f.Get("title"), Opens: f.Get("opens"), Closes: f.Get("closes")}
	v := campaignFormView{Values: map[string]string{"title": in.Title, "opens": in.Opens, "closes": in.Closes, "course": f.Get("course"),
		"remind_max": f.Get("remind_max"), "remind_every": f.Get("remind_every")}, Picked: map[string]bool{}, Errors: FieldErrors{}}
	// Left empty: the defaults.
	in.RemindMax, in.RemindEvery = 3, 7
	var err1, err2 error
	if x := strings.TrimSpace(f.Get("remind_max")); x != "" {
		in.RemindMax, err1 = strconv.Atoi(x)
	}
	if x := strings.TrimSpace(f.Get("remind_every")); x != "" {
		in.RemindEvery, err2 = strconv.Atoi(x)
	}
	if err1 != nil {
		v.Errors["remind_max"] = "催促の回数を数字で入力してください。"
	}
	if err2 != nil {
		v.Errors["remind_every"] = "催促の間隔（日数）を数字で入力してください。"
	}
	var err error
	if in.CourseID, err = strconv.ParseInt(f.Get("course"), 10, 64); err != nil {
		v.Errors["course"] = "研修（コース）を選んでください。"
	}
	for _, s := range f["department"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			v.Errors["departments"] = "対象の所属の指定が正しくありません。"
			continue
		}
		in.Departments = append(in.Departments, id)
		v.Picked[s] = true
	}
	if len(v.Errors) > 0 {
		return m.campaignForm(w, r, http.StatusUnprocessableEntity, v)
	}
	id, n, err := m.store.CreateCampaign(r.Context(), in, web.UserFrom(r.Context()).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		v.Errors = fe
		return m.campaignForm(w, r, http.StatusUnprocessableEntity, v)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/learning/campaigns/%d", id), fmt.Sprintf("研修の実施を登録しました。対象は %d 人です。", n), true)
}

type campaignView struct {
	C         Campaign
	Course    Course
	Rows      []DeptProgress
	Total     DeptProgress
	Scoped    bool
	Formats   []tabular.Format
	CanRemind bool
	Open      bool
}

func (m *Module) campaignShow(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, co, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	id := c.ID
	u := web.UserFrom(ctx)
	v := campaignView{C: c, Course: co, Scoped: web.ScopeFrom(ctx) == web.ScopeOwnDepartment, Formats: tabular.Formats,
		CanRemind: Managers.HasUser(u) || u.Role == web.RoleAuditee, Open: c.OpenOn(m.store.now())}
	if v.Rows, v.Total, err = m.store.ProgressByDepartment(ctx, id, watchRoot(r)); err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "learning/learning_campaign_show", c.Title, v)
}

func (m *Module) campaignCompletion(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	f, err := tabular.ParseFormat(r.URL.Query().Get("format"))
	if err != nil {
		return web.Invalid("%s", err.Error())
	}
	c, err := m.store.campaignHead(ctx, id)
	if err != nil {
		return err
	}
	co, err := m.store.Course(ctx, c.CourseID)
	if err != nil {
		return err
	}
	roster, err := m.store.Roster(ctx, id, watchRoot(r))
	if err != nil {
		return err
	}
	ls, err := m.store.Lessons(ctx, co.ID)
	if err != nil {
		return err
	}
	per := lessonsPerVariant(ls)
	t := CompletionTable(co, c, roster, per)
	dl := web.Download{Name: web.JoinFileName(strings.TrimPrefix(f.Ext, "."), c.Code, "受講状況"), ContentType: f.ContentType,
		Target: fmt.Sprintf("learning_campaign:%d", c.ID), Detail: fmt.Sprintf("%s 受講状況（%s、%d 人）", c.Code, f.Label, len(t.Rows))}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return tabular.Write(out, f, t) })
}

// campaignOf is the path's campaign (without counts) and its course.
func (m *Module) campaignOf(r *http.Request) (Campaign, Course, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return Campaign{}, Course{}, err
	}
	c, err := m.store.campaignHead(r.Context(), id)
	if err != nil {
		return c, Course{}, err
	}
	co, err := m.store.Course(r.Context(), c.CourseID)
	return c, co, err
}

// nameOf is the name of an assignment's person from the roster: their
// department's staff first, else anywhere in the ward.
func (m *Module) nameOf(ctx context.Context, a Assignment) (string, error) {
	p, err := m.staffOfAssignment(ctx, a)
	return p.Name, err
}

// staffOfAssignment is the roster entry of an assignment's person: in the
// department they were assigned in, or (moved since) wherever they are now.
func (m *Module) staffOfAssignment(ctx context.Context, a Assignment) (org.Staff, error) {
	staff, err := m.d.Org.StaffInDepartment(ctx, a.DepartmentID)
	if err != nil && !errors.Is(err, database.ErrNotFound) {
		return org.Staff{}, err
	}
	for _, p := range staff {
		if p.ID == a.StaffID {
			return p, nil
		}
	}
	tree, err := m.d.Org.Departments(ctx)
	if err != nil {
		return org.Staff{}, err
	}
	for _, d := range tree.Flat() {
		staff, err := m.d.Org.StaffInDepartment(ctx, d.ID)
		if err != nil {
			return org.Staff{}, err
		}
		for _, p := range staff {
			if p.ID == a.StaffID {
				return p, nil
			}
		}
	}
	return org.Staff{}, web.NotFound()
}

// departmentName is a department's path ("" when unknown).
func (m *Module) departmentName(ctx context.Context, id int64) string {
	d, err := m.d.Org.Department(ctx, id)
	if err != nil {
		return ""
	}
	return d.Path
}

// campaignRemind reminds the people not finished (the 所属長 their own
// sub-tree).
func (m *Module) campaignRemind(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	back := fmt.Sprintf("/learning/campaigns/%d", id)
	n, held, err := m.store.Remind(r.Context(), id, watchRoot(r), web.UserFrom(r.Context()).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Redirect(w, r, back, fe.Error(), false)
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("未修了の %d 人に催促しました（各自の「研修」の画面とホームに表示されます。メールの設定がないため、メールは送っていません）。", n)
	if held > 0 {
		msg += fmt.Sprintf("催促の回数・間隔の上限に達した %d 人には送っていません。", held)
	}
	return web.Redirect(w, r, back, msg, true)
}

// campaignDigest is the 課ごとの未修了者一覧 (PDF) for the 所属長 to hand out:
// one section per 課 of the reader's scope, the people not finished with
// their 係, variant and progress.
func (m *Module) campaignDigest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, co, err := m.campaignOf(r)
	if err != nil {
		return err
	}
	id := c.ID
	roster, err := m.store.Roster(ctx, id, watchRoot(r))
	if err != nil {
		return err
	}
	tree, err := m.d.Org.Departments(ctx)
	if err != nil {
		return err
	}
	ls, err := m.store.Lessons(ctx, co.ID)
	if err != nil {
		return err
	}
	per := lessonsPerVariant(ls)
	doc := DigestDocument(co, c, roster, tree, per, m.d.Org.WardName(ctx), m.store.now())
	dl := web.Download{Name: web.JoinFileName("pdf", c.Code, "未修了者一覧"), ContentType: formats.PDF.ContentType,
		Target: fmt.Sprintf("learning_campaign:%d", c.ID), Detail: fmt.Sprintf("%s 課ごとの未修了者一覧（PDF）", c.Code)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return formats.PDF.Render(out, doc) })
}

// courseCopy copies a course to the next fiscal year.
func (m *Module) courseCopy(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	to, err := m.store.CopyCourse(r.Context(), id, web.UserFrom(r.Context()).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		return web.Redirect(w, r, fmt.Sprintf("/learning/courses/%d", id), fe.Error(), false)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/learning/courses/%d", to), "翌年度へ複写しました。単元・問題を見直し、動画を差し替えてください。", true)
}
