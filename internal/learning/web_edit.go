package learning

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"mamori/internal/web"
)

// The editor's screens: a lesson's text and a question's new version.

func (m *Module) editRoutes(rt *web.Router, lesson, question web.Rule) {
	rt.Handle("GET /learning/courses/{id}/lessons/{lesson}/edit", lesson, m.lessonEdit)
	rt.Handle("POST /learning/courses/{id}/lessons/{lesson}/edit", lesson, m.lessonSave)
	rt.Handle("POST /learning/courses/{id}/questions/{question}/revise", question, m.questionRevise)
}

// lessonForm is the lesson editor.
type lessonForm struct {
	C        Course
	L        Lesson
	Title    string
	Minutes  string
	Sections []SectionEdit
	Base     string
	Errors   FieldErrors
}

// Only is the variants a section of the form is shown to (empty: all).
func (f lessonForm) Only(s SectionEdit) string {
	if s.Index < 0 || s.Index >= len(f.L.Sections) {
		return ""
	}
	var out []string
	for _, v := range f.L.Sections[s.Index].Only {
		out = append(out, f.C.VariantLabel(v))
	}
	return strings.Join(out, "・")
}

// HasFigure reports whether a section of the form has a figure (kept).
func (f lessonForm) HasFigure(s SectionEdit) bool {
	return s.Index >= 0 && s.Index < len(f.L.Sections) && f.L.Sections[s.Index].Figure != nil
}

// Err is the message of field k.
func (f lessonForm) Err(k string) string { return f.Errors[k] }

func (m *Module) lessonEdit(w http.ResponseWriter, r *http.Request) error {
	c, l, err := m.lessonOfCourse(r)
	if err != nil {
		return err
	}
	f := lessonForm{C: c, L: l, Title: l.Title, Minutes: strconv.Itoa(l.Minutes), Base: l.Hash()}
	for i, s := range l.Sections {
		f.Sections = append(f.Sections, SectionEdit{Index: i, Heading: s.Heading, Body: s.Body})
	}
	f.Sections = append(f.Sections, SectionEdit{Index: -1})
	return web.Render(w, r, http.StatusOK, "learning/learning_lesson_edit", l.Title+"の変更", f)
}

func (m *Module) lessonSave(w http.ResponseWriter, r *http.Request) error {
	c, l, err := m.lessonOfCourse(r)
	if err != nil {
		return err
	}
	f := lessonForm{C: c, L: l, Title: r.PostFormValue("title"), Minutes: r.PostFormValue("minutes"), Base: r.PostFormValue("base")}
	n, err := strconv.Atoi(r.PostFormValue("sections"))
	if err != nil || n < 0 || n > 100 {
		return web.Invalid("送信内容を読み取れません。画面を開き直してください。")
	}
	for i := range n {
		idx, err := strconv.Atoi(r.PostFormValue(fmt.Sprintf("index_%d", i)))
		if err != nil || idx < -1 {
			return web.Invalid("送信内容を読み取れません。画面を開き直してください。")
		}
		f.Sections = append(f.Sections, SectionEdit{Index: idx, Heading: r.PostFormValue(fmt.Sprintf("heading_%d", i)),
			Body: r.PostFormValue(fmt.Sprintf("body_%d", i)), Delete: r.PostFormValue(fmt.Sprintf("delete_%d", i)) != ""})
	}
	e := LessonEdit{Title: f.Title, Sections: f.Sections, Base: f.Base}
	minutes, err := strconv.Atoi(strings.TrimSpace(f.Minutes))
	if err != nil {
		minutes = -1
	}
	e.Minutes = minutes
	err = m.store.EditLesson(r.Context(), l, e, web.UserFrom(r.Context()).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		f.Errors = fe
		status := http.StatusUnprocessableEntity
		if _, stale := fe["base"]; stale {
			status = http.StatusConflict
		}
		return web.Render(w, r, status, "learning/learning_lesson_edit", l.Title+"の変更", f)
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/learning/courses/%d#lesson-%d", c.ID, l.ID), fmt.Sprintf("単元 %s を変更しました。", l.Code), true)
}

// questionRevise stores a question's new version.
func (m *Module) questionRevise(w http.ResponseWriter, r *http.Request) error {
	v, err := m.questionOf(r)
	if err != nil {
		return err
	}
	v.Edit = QuestionEdit{Scenario: r.PostFormValue("scenario"), Text: r.PostFormValue("text"), Options: r.PostFormValue("options"),
		Answer: r.PostFormValue("answer"), Explanation: r.PostFormValue("explanation")}
	id, err := m.store.ReviseQuestion(r.Context(), v.Q, v.Edit, web.UserFrom(r.Context()).DisplayName)
	var fe FieldErrors
	if errors.As(err, &fe) {
		v.EditErrors = fe
		if err := m.questionVersions(r, &v); err != nil {
			return err
		}
		return web.Render(w, r, http.StatusUnprocessableEntity, "learning/learning_question", v.Q.Code, v)
	} else if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/learning/courses/%d/questions/%d", v.C.ID, id),
		fmt.Sprintf("問題 %s の第 %d 版を作りました。これから始まる確認テストと演習は新しい版を使います。", v.Q.Code, v.Q.Version+1), true)
}

// questionVersions fills the versions list of the question page.
func (m *Module) questionVersions(r *http.Request, v *questionView) error {
	vs, err := m.store.questionVersions(r.Context(), v.C.ID, v.Q.Code)
	v.Versions = vs
	return err
}

// editOf is the form of a question as it stands (the editor's start).
func editOf(q Question) QuestionEdit {
	e := QuestionEdit{Scenario: q.Scenario, Text: q.Text, Options: strings.Join(q.Options, "\n"), Explanation: q.Explanation}
	switch q.Kind {
	case KindTrueFalse:
		e.Answer = "false"
		if len(q.Key) == 1 && q.Key[0] == 1 {
			e.Answer = "true"
		}
	case KindOrder:
	default:
		var ns []string
		for _, k := range q.Key {
			ns = append(ns, strconv.Itoa(k+1))
		}
		e.Answer = strings.Join(ns, ",")
	}
	return e
}
