package survey

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/web"
)

// answerRoutes are the respondent's screens: the list of their
// questionnaires, the questionnaire (signed in, or through a personal
// link for staff without an account) and the acknowledgement.
func (m *Module) answerRoutes(rt *web.Router) {
	rt.Handle("GET /selfcheck", web.SignedIn(), m.home)
	mine := web.SignedIn().On(web.Object{Kind: "survey.invitation", Allow: m.invited})
	rt.Handle("GET /selfcheck/answer/{id}", mine, m.answerPage)
	rt.Handle("POST /selfcheck/answer/{id}", mine, m.answerPost)
	rt.Handle("GET /selfcheck/r/{token}", web.PublicRule(), m.linkPage)
	rt.Handle("POST /selfcheck/r/{token}", web.PublicRule(), m.linkPost)
}

// invited is the object check of the answering screens ({id} is the
// campaign): the signed-in person has an invitation to it.
func (m *Module) invited(ctx context.Context, u *web.User, _ web.Scope, id int64) (bool, error) {
	staff, err := m.staffOf(ctx, u)
	if err != nil || staff == 0 {
		return false, err
	}
	inv, err := m.store.InvitationOf(ctx, id, staff)
	if errors.Is(err, database.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	web.Keep(ctx, keptInvitation{}, inv)
	return true, nil
}

// keptInvitation is the key under which the object check hands the
// invitation it read to the handler.
type keptInvitation struct{}

// homeView is the landing page: the person's questionnaires, and for
// those who run or watch the self-assessment, the links to their screens.
type homeView struct {
	Mine      []Mine
	Reminders []Reminder // reminders of campaigns not answered yet
	NoStaff   bool
	Manager   bool
	Watcher   bool
	Reporter  bool
	Today     string
}

func (m *Module) home(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := web.UserFrom(ctx)
	staff, err := m.staffOf(ctx, u)
	if err != nil {
		return err
	}
	mine, err := m.store.OpenFor(ctx, staff)
	if err != nil {
		return err
	}
	reminders, err := m.store.RemindersFor(ctx, staff)
	if err != nil {
		return err
	}
	v := homeView{Mine: mine, Reminders: reminders, NoStaff: staff == 0, Manager: Managers.HasUser(u), Watcher: Watchers.HasUser(u), Reporter: Reporters.HasUser(u)}
	return web.Render(w, r, http.StatusOK, "survey/survey_home", "自己点検", v)
}

// answerView is the questionnaire page.
type answerView struct {
	Form      Form
	Answers   map[string]string
	Errors    FieldErrors
	Message   string
	Action    string // the form's action (the page itself)
	Accepting bool
	Saved     time.Time // when the draft was saved
	Done      bool      // submitted: the acknowledgement with explanations
	Mine      bool      // Answers are the respondent's own (not shown for an anonymous campaign after reload)
	Missing   []string
	Total     int
	Answered  int
	Body      template.HTML // where the questions go (web.BulkMarker; render)
	Preview   bool          // the editor's preview: nothing can be entered
}

// render writes the questions in Go and the page around them with the
// template: a questionnaire has 40–60 questions of up to five options and
// thousands of staff load it in one morning, and html/template's
// reflection and per-value escaping cost ten times the rest of the
// request there. The questions' own texts are escaped once per bank.
func (v answerView) render(w http.ResponseWriter, r *http.Request, status int) error {
	b := web.GetBuffer()
	defer web.PutBuffer(b)
	for _, sec := range v.Form.Sections {
		b.WriteString("<h2>")
		b.WriteString(html.EscapeString(sec.Label))
		b.WriteString("向けの設問</h2>\n")
		for _, q := range sec.Questions {
			if v.Done {
				v.writeResult(b, q)
			} else {
				v.writeQuestion(b, q)
			}
		}
	}
	v.Body = web.BulkMarker
	return web.RenderBulk(w, r, status, "survey/survey_answer", v.Form.Campaign.Title, v, b.Bytes())
}

// writeQuestion writes one question as a fieldset of radio buttons or
// check boxes (or a text area), with its error.
func (v answerView) writeQuestion(b *bytes.Buffer, q Question) {
	e := q.escaped()
	a := v.Answers[q.Code]
	msg := v.ErrorOf(q.Code)
	missing := v.IsMissing(q.Code)
	b.WriteString(`<fieldset class="sv-q`)
	if msg != "" || missing {
		b.WriteString(" sv-err")
	}
	b.WriteString(`" id="q-`)
	b.WriteString(e.code)
	b.WriteString(`"><legend>`)
	b.WriteString(e.code)
	b.WriteString("</legend>")
	if e.scenario != "" {
		b.WriteString(`<div class="sv-scn">`)
		b.WriteString(e.scenario)
		b.WriteString("</div>")
	}
	b.WriteString("<p>")
	b.WriteString(e.text)
	if q.Multi() {
		b.WriteString("（あてはまるものをすべて選んでください）")
	}
	b.WriteString("</p>")
	switch {
	case msg != "":
		b.WriteString(`<p class="field-error" role="alert">`)
		b.WriteString(html.EscapeString(msg))
		b.WriteString("</p>")
	case missing:
		b.WriteString(`<p class="field-error">まだ回答していません。</p>`)
	}
	disabled := ""
	if !v.Accepting {
		disabled = " disabled"
	}
	if q.Kind == KindText {
		b.WriteString(`<label class="visually-hidden" for="in-`)
		b.WriteString(e.code)
		b.WriteString(`">`)
		b.WriteString(e.code)
		b.WriteString(` の回答</label><textarea id="in-`)
		b.WriteString(e.code)
		b.WriteString(`" name="q_`)
		b.WriteString(e.code)
		b.WriteString(`" maxlength="2000"`)
		b.WriteString(disabled)
		b.WriteString(">")
		b.WriteString(html.EscapeString(a))
		b.WriteString("</textarea>")
	} else {
		typ := "radio"
		if q.Multi() {
			typ = "checkbox"
		}
		picked, _ := parseChoices(a)
		for i, o := range e.choices {
			n := strconv.Itoa(i + 1)
			b.WriteString(`<label class="sv-opt"><input type="`)
			b.WriteString(typ)
			b.WriteString(`" name="q_`)
			b.WriteString(e.code)
			b.WriteString(`" value="`)
			b.WriteString(n)
			b.WriteString(`"`)
			if slices.Contains(picked, i+1) {
				b.WriteString(" checked")
			}
			b.WriteString(disabled)
			b.WriteString(">")
			b.WriteString(o)
			b.WriteString("</label>")
		}
	}
	b.WriteString("</fieldset>\n")
}

// writeResult writes a knowledge question after submission: the
// respondent's result (when known), the right answer and the explanation.
func (v answerView) writeResult(b *bytes.Buffer, q Question) {
	if !q.Scored() {
		return
	}
	e := q.escaped()
	b.WriteString(`<section class="sv-q" aria-labelledby="h-`)
	b.WriteString(e.code)
	b.WriteString(`"><h3 id="h-`)
	b.WriteString(e.code)
	b.WriteString(`" class="sv-meta">`)
	b.WriteString(e.code)
	b.WriteString("　")
	b.WriteString(html.EscapeString(q.DomainLabel()))
	b.WriteString("</h3>")
	if e.scenario != "" {
		b.WriteString(`<div class="sv-scn">`)
		b.WriteString(e.scenario)
		b.WriteString("</div>")
	}
	b.WriteString("<p>")
	b.WriteString(e.text)
	b.WriteString("</p>")
	if v.Mine {
		a := v.Answers[q.Code]
		switch {
		case q.Correct(a):
			b.WriteString(`<p><span class="sv-ok">○ 正解です</span></p>`)
		case a != "":
			b.WriteString(`<p><span class="sv-ng">× 正答と違います</span>`)
			if picked, err := parseChoices(a); err == nil {
				var mine []string
				for _, n := range picked {
					if n >= 1 && n <= len(e.choices) {
						mine = append(mine, e.choices[n-1])
					}
				}
				b.WriteString("<br>あなたの回答：")
				b.WriteString(strings.Join(mine, "／"))
			}
			b.WriteString("</p>")
		default:
			b.WriteString(`<p><span class="muted">未回答</span></p>`)
		}
	}
	b.WriteString("<p>正答：<strong>")
	b.WriteString(e.right)
	b.WriteString(`</strong></p><div class="sv-exp">`)
	b.WriteString(e.explanation)
	b.WriteString("</div></section>\n")
}

// ErrorOf is the message of question code's field.
func (v answerView) ErrorOf(code string) string { return v.Errors["q_"+code] }

// IsMissing reports whether code is unanswered at a refused submission.
func (v answerView) IsMissing(code string) bool { return slices.Contains(v.Missing, code) }

// form reads what a questionnaire page needs for invitation inv.
func (m *Module) form(ctx context.Context, inv Invitation) (Form, error) {
	c, err := m.store.campaignHead(ctx, inv.CampaignID)
	if err != nil {
		return Form{}, err
	}
	return m.store.formOf(ctx, c, inv.Audiences)
}

func (m *Module) invitationOf(r *http.Request) (Invitation, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return Invitation{}, err
	}
	if v, ok := web.Kept(r.Context(), keptInvitation{}); ok && v.(Invitation).CampaignID == id {
		return v.(Invitation), nil
	}
	staff, err := m.staffOf(r.Context(), web.UserFrom(r.Context()))
	if err != nil {
		return Invitation{}, err
	}
	return m.store.InvitationOf(r.Context(), id, staff)
}

func (m *Module) answerPage(w http.ResponseWriter, r *http.Request) error {
	inv, err := m.invitationOf(r)
	if err != nil {
		return err
	}
	return m.show(w, r, inv, r.URL.Path, "")
}

func (m *Module) answerPost(w http.ResponseWriter, r *http.Request) error {
	inv, err := m.invitationOf(r)
	if err != nil {
		return err
	}
	return m.receive(w, r, inv, SourceWeb)
}

// show renders the questionnaire with the saved draft, or, once
// submitted, the acknowledgement with the right answers and explanations.
func (m *Module) show(w http.ResponseWriter, r *http.Request, inv Invitation, action, msg string) error {
	f, err := m.form(r.Context(), inv)
	if err != nil {
		return err
	}
	v := answerView{Form: f, Answers: inv.Draft, Action: action, Accepting: f.Campaign.AcceptsOn(m.store.today()), Message: msg,
		Done: inv.Submitted, Mine: !inv.Submitted, Total: f.Count()}
	if v.Answers == nil {
		v.Answers = map[string]string{}
	}
	if inv.Submitted && !f.Campaign.Anonymous {
		if a, err := m.store.answersOf(r.Context(), f.Campaign.ID, inv.StaffID); err == nil {
			v.Answers, v.Mine = a, true
		}
	}
	v.Answered = answeredCount(f, v.Answers)
	if !inv.DraftAt.IsZero() && !inv.Submitted {
		v.Saved = inv.DraftAt
	}
	return v.render(w, r, http.StatusOK)
}

func answeredCount(f Form, a map[string]string) int {
	n := 0
	for code := range f.Questions {
		if a[code] != "" {
			n++
		}
	}
	return n
}

// receive handles the questionnaire's two buttons: 一時保存 keeps the
// answers so far; 提出 keeps them too and, when every question that needs
// an answer has one, submits. What was typed is never lost: a refused
// submission shows the page again with the answers and the reasons.
func (m *Module) receive(w http.ResponseWriter, r *http.Request, inv Invitation, source string) error {
	ctx := r.Context()
	f, err := m.form(ctx, inv)
	if err != nil {
		return err
	}
	action := r.URL.Path
	if inv.Submitted {
		return m.show(w, r, inv, action, ErrSubmitted.Error())
	}
	answers, fe := f.Check(r.PostForm)
	v := answerView{Form: f, Answers: answers, Errors: fe, Action: action, Accepting: f.Campaign.AcceptsOn(m.store.today()), Mine: true, Total: f.Count()}
	v.Answered = answeredCount(f, answers)
	if !v.Accepting {
		v.Message = ErrClosed.Error()
		if f.Campaign.State == StateDraft || m.store.today().Before(f.Campaign.OpensOn) {
			v.Message = ErrNotOpen.Error()
		}
		return v.render(w, r, http.StatusConflict)
	}
	if fe != nil {
		v.Message = "入力に誤りがあります。赤字の設問を確かめてください（入力した内容は残っています）。"
		return v.render(w, r, http.StatusUnprocessableEntity)
	}
	submit := r.PostFormValue("action") == "submit"
	if !submit {
		if err := m.store.SaveDraft(ctx, inv, answers); err != nil {
			if errors.Is(err, ErrSubmitted) {
				return m.show(w, r, inv, action, ErrSubmitted.Error())
			}
			return err
		}
		return web.Redirect(w, r, action, fmt.Sprintf("一時保存しました（%d / %d 問に回答済み）。続きはいつでもこの画面から入力できます。", v.Answered, v.Total), true)
	}
	if v.Missing = f.Unanswered(answers); len(v.Missing) > 0 {
		if err := m.store.SaveDraft(ctx, inv, answers); err != nil && !errors.Is(err, ErrSubmitted) {
			return err
		}
		v.Message = fmt.Sprintf("まだ回答していない設問が %d 問あります（%s）。回答してから提出してください。ここまでの回答は一時保存しました。",
			len(v.Missing), strings.Join(v.Missing[:min(len(v.Missing), 5)], "、")+map[bool]string{true: " ほか", false: ""}[len(v.Missing) > 5])
		return v.render(w, r, http.StatusUnprocessableEntity)
	}
	actor := auditlog.ActorFrom(ctx)
	err = m.store.Submit(ctx, Submission{Invitation: inv, Campaign: f.Campaign, Answers: answers, Source: source, Actor: actor})
	switch {
	case err == nil, errors.Is(err, ErrSubmitted):
		// A second submission (double click, retry) is answered like the
		// first: the acknowledgement, nothing counted twice.
		v.Done, v.Message = true, ""
		return v.render(w, r, http.StatusOK)
	case errors.Is(err, ErrClosed):
		v.Message = ErrClosed.Error()
		return v.render(w, r, http.StatusConflict)
	}
	return err
}

// linkPage and linkPost are the questionnaire through a personal link.
func (m *Module) linkPage(w http.ResponseWriter, r *http.Request) error {
	inv, err := m.store.InvitationByToken(r.Context(), r.PathValue("token"))
	if errors.Is(err, ErrLink) {
		return &web.Error{Status: http.StatusNotFound, Msg: ErrLink.Error()}
	}
	if err != nil {
		return err
	}
	return m.show(w, r, inv, r.URL.Path, "")
}

func (m *Module) linkPost(w http.ResponseWriter, r *http.Request) error {
	inv, err := m.store.InvitationByToken(r.Context(), r.PathValue("token"))
	if errors.Is(err, ErrLink) {
		return &web.Error{Status: http.StatusNotFound, Msg: ErrLink.Error()}
	}
	if err != nil {
		return err
	}
	return m.receive(w, r, inv, SourceLink)
}

// Stray are the errors of fields that are not questions of the form (a
// question removed since the page was loaded, a forged field).
func (v answerView) Stray() []string {
	var out []string
	for k, msg := range v.Errors {
		if code, ok := strings.CutPrefix(k, "q_"); !ok || v.Form.Questions[code].Code == "" {
			out = append(out, msg)
		}
	}
	slices.Sort(out)
	return out
}
