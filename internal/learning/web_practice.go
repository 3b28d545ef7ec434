package learning

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"mamori/content"
	"mamori/internal/database"
	"mamori/internal/web"
)

// The practice audit's screens: the material and the work form for a
// trainee (an internal auditor, or the trainers trying it), the result
// against the model answer, and the trainers' overview.

// Trainers see every trainee's result; trainees their own.
var (
	Trainers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant)
	Trainees = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleAuditor)
)

func (m *Module) practiceRoutes(rt *web.Router) error {
	p, err := LoadPractice(content.FS, demoFiscalYear)
	if err != nil {
		return err
	}
	m.practice = p
	for code, svg := range p.PhotoSVG {
		rt.Renderer().Static().Add("learning/practice-"+strings.ToLower(code)+".svg", svg)
	}
	rule := Trainees.Rule()
	rt.Handle("GET /learning/practice", rule, m.practicePage)
	rt.Handle("POST /learning/practice", rule, m.practicePost)
	rt.Handle("GET /learning/practice/results/{id}", rule.On(web.Object{Kind: "learning.practice", Allow: m.mayReview}), m.practiceResult)
	return nil
}

// mayReview: a trainee their own work, the trainers everyone's.
func (m *Module) mayReview(ctx context.Context, u *web.User, _ web.Scope, id int64) (bool, error) {
	ws, err := m.store.PracticeWorks(ctx, m.practice.Code)
	if err != nil {
		return false, err
	}
	for _, w := range ws {
		if w.ID == id {
			return Trainers.HasUser(u) || w.UserID == u.ID, nil
		}
	}
	return false, database.ErrNotFound
}

type practiceView struct {
	P        *Practice
	Work     PracticeWork
	Errors   FieldErrors
	Saved    bool
	Trainer  bool
	Overview []practiceRow
	Labels   []struct{ Code, Label, Mark string }
}

type practiceRow struct {
	W PracticeWork
	R PracticeResult
}

// Get is the judgement given to an item.
func (v practiceView) Get(item string) string { return v.Work.Judgements[item] }

// Finding is the finding written for an item.
func (v practiceView) Finding(item string) string { return v.Work.Findings[item] }

// Err is the error of an item's judgement or finding.
func (v practiceView) Err(k string) string { return v.Errors[k] }

// Photo is a photo's asset name.
func (v practiceView) Photo(code string) string {
	return "learning/practice-" + strings.ToLower(code) + ".svg"
}

// Body splits a document's text into blocks.
func (v practiceView) Body(s string) []BodyBlock { return ParseBody(s) }

func (m *Module) practiceView(r *http.Request) (practiceView, error) {
	ctx := r.Context()
	u := web.UserFrom(ctx)
	v := practiceView{P: m.practice, Trainer: Trainers.HasUser(u), Labels: practiceJudgements,
		Work: PracticeWork{Judgements: map[string]string{}, Findings: map[string]string{}}}
	w, err := m.store.PracticeOf(ctx, m.practice.Code, u.ID)
	if err == nil && !w.Submitted() {
		v.Work = w
	} else if err != nil && !errors.Is(err, database.ErrNotFound) {
		return v, err
	}
	if v.Trainer {
		ws, err := m.store.PracticeWorks(ctx, m.practice.Code)
		if err != nil {
			return v, err
		}
		for _, w := range ws {
			if w.Submitted() {
				v.Overview = append(v.Overview, practiceRow{W: w, R: Compare(m.practice, w)})
			}
		}
	} else if err == nil && w.Submitted() {
		v.Overview = append(v.Overview, practiceRow{W: w, R: Compare(m.practice, w)})
	}
	return v, nil
}

func (m *Module) practicePage(w http.ResponseWriter, r *http.Request) error {
	v, err := m.practiceView(r)
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "learning/learning_practice", m.practice.Title, v)
}

func (m *Module) practicePost(w http.ResponseWriter, r *http.Request) error {
	v, err := m.practiceView(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return web.Invalid("送信内容を読み取れません。")
	}
	js, fs := map[string]string{}, map[string]string{}
	for k, vals := range r.PostForm {
		switch {
		case strings.HasPrefix(k, "j_"):
			js[strings.TrimPrefix(k, "j_")] = vals[0]
		case strings.HasPrefix(k, "f_"):
			fs[strings.TrimPrefix(k, "f_")] = strings.TrimSpace(strings.ReplaceAll(vals[0], "\r\n", "\n"))
		}
	}
	u := web.UserFrom(r.Context())
	submit := r.PostForm.Get("action") == "submit"
	saved, err := m.store.SavePractice(r.Context(), m.practice, u.ID, u.DisplayName, js, fs, submit)
	var fe FieldErrors
	if errors.As(err, &fe) {
		v.Errors, v.Work.Judgements, v.Work.Findings = fe, js, fs
		return web.Render(w, r, http.StatusUnprocessableEntity, "learning/learning_practice", m.practice.Title, v)
	}
	if err != nil {
		return err
	}
	if submit {
		return web.Redirect(w, r, fmt.Sprintf("/learning/practice/results/%d", saved.ID), "提出しました。模範解答と比べた結果です。", true)
	}
	return web.Redirect(w, r, "/learning/practice#work", "一時保存しました。", true)
}

func (m *Module) practiceResult(w http.ResponseWriter, r *http.Request) error {
	id, err := web.PathID(r, "id")
	if err != nil {
		return err
	}
	ws, err := m.store.PracticeWorks(r.Context(), m.practice.Code)
	if err != nil {
		return err
	}
	for _, x := range ws {
		if x.ID == id {
			return web.Render(w, r, http.StatusOK, "learning/learning_practice_result", "模擬監査の結果", struct {
				P *Practice
				W PracticeWork
				R PracticeResult
			}{m.practice, x, Compare(m.practice, x)})
		}
	}
	return web.NotFound()
}
