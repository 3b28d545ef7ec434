package drill

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"image/png"
	"io"
	"net/http"
	"strconv"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"

	"mamori/internal/docgen/formats"
	"mamori/internal/web"
)

// The participants' pages, opened from a one-time link without an
// account. A player sees the injects released to their own team and
// answers them; an evaluator (評価者・統制役・進行役) sees every released
// inject with its expected action and records observations. Nothing of the
// controller's material (expected actions, controller notes, other teams'
// injects) ever reaches a player's page.

func (m *Module) playRoutes(rt *web.Router) {
	rt.Handle("GET /drill/play/{token}", web.PublicRule(), m.play)
	rt.Handle("GET /drill/play/{token}/pulse", web.PublicRule(), m.playPulse)
	rt.Handle("POST /drill/play/{token}/responses", web.PublicRule(), m.playRespond)
	rt.Handle("POST /drill/play/{token}/observations", web.PublicRule(), m.playObserve)
	rt.Handle("POST /drill/play/{token}/feedback", web.PublicRule(), m.playFeedback)
	rt.Handle("GET /drill/play/{token}/handbook", web.PublicRule(), m.playHandbook)
}

// QR is a link as a QR code image (data URI).
func QR(link string) (template.URL, error) {
	c, err := qr.Encode(link, qr.M, qr.Auto)
	if err != nil {
		return "", err
	}
	c, err = barcode.Scale(c, 160, 160)
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := png.Encode(&b, c); err != nil {
		return "", err
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes())), nil
}

// QR is an issued link's QR code.
func (v showView) QR(l IssuedLink) (template.URL, error) { return QR(v.URL(l)) }

// URL is an issued link's address.
func (v showView) URL(l IssuedLink) string { return v.Base + "/drill/play/" + l.Token }

type playView struct {
	consoleView
	P        Participant
	Token    string
	Team     DrillTeam
	Mine     []Inject
	Modules  []ScenarioModule // the modules that have begun for the team
	Typed    ObservationInput
	Feedback bool // sent
	Body     string
	InjectID int64
}

func (m *Module) byToken(r *http.Request) (Participant, Drill, error) {
	p, d, err := m.store.ByToken(r.Context(), r.PathValue("token"))
	if errors.Is(err, ErrLink) {
		return p, d, &web.Error{Status: http.StatusNotFound, Msg: ErrLink.Error()}
	}
	return p, d, err
}

func (m *Module) playOf(r *http.Request, p Participant, d Drill) (playView, error) {
	cv, err := m.consoleOf(r, d)
	if err != nil {
		return playView{}, err
	}
	v := playView{consoleView: cv, P: p, Token: r.PathValue("token")}
	v.Post = "/drill/play/" + v.Token + "/observations"
	v.Evaluator = &v.P
	for _, t := range cv.Teams {
		if t.Key == p.Team {
			v.Team = t
		}
	}
	begun := map[int]bool{}
	for _, i := range cv.Injects {
		if i.Released() && i.Team == p.Team {
			v.Mine = append(v.Mine, i)
			begun[i.Module] = true
		}
	}
	for n, mo := range cv.S.Modules {
		if begun[n+1] {
			v.Modules = append(v.Modules, mo)
		}
	}
	if !p.Role.Evaluates() {
		// A player's view holds nothing else of the console's.
		v.consoleView = consoleView{D: d, S: &Scenario{Title: cv.S.Title, Summary: cv.S.Summary}, Teams: cv.Teams, Now: cv.Now,
			Elapsed: cv.Elapsed, ElapsedSecs: cv.ElapsedSecs, Key: cv.Key, Responses: map[int64][]Response{}}
		for _, i := range v.Mine {
			v.Responses[i.ID] = cv.Responses[i.ID]
		}
		for k := range v.Mine {
			v.Mine[k].Expected = ""
		}
		v.Evaluator = nil
	}
	return v, nil
}

func (m *Module) play(w http.ResponseWriter, r *http.Request) error {
	p, d, err := m.byToken(r)
	if err != nil {
		return err
	}
	v, err := m.playOf(r, p, d)
	if err != nil {
		return err
	}
	w.Header().Set("Referrer-Policy", "no-referrer")
	return web.Render(w, r, http.StatusOK, "drill/drill_play", d.Title, v)
}

func (m *Module) playPulse(w http.ResponseWriter, r *http.Request) error {
	p, d, err := m.byToken(r)
	if err != nil {
		return err
	}
	team := p.Team
	if p.Role.Evaluates() {
		team = ""
	}
	out, err := m.pulseOf(r, d, team)
	if err != nil {
		return err
	}
	if !p.Role.Evaluates() {
		out = map[string]any{"state": out["state"], "released": out["released"], "elapsed": out["elapsed"]}
	}
	return writeJSON(w, out)
}

func (m *Module) playRespond(w http.ResponseWriter, r *http.Request) error {
	p, d, err := m.byToken(r)
	if err != nil {
		return err
	}
	if p.Role != RolePlayer {
		return web.Forbidden()
	}
	iid, _ := strconv.ParseInt(r.PostFormValue("inject"), 10, 64)
	body := r.PostFormValue("body")
	err = m.store.Respond(r.Context(), d, p, iid, body, r.PostFormValue("key"))
	var fe FieldErrors
	switch {
	case errors.As(err, &fe), errors.Is(err, ErrEnded), errors.Is(err, ErrNotLive), errors.Is(err, ErrNotTeams), errors.Is(err, ErrNotOurs):
		v, err2 := m.playOf(r, p, d)
		if err2 != nil {
			return err2
		}
		v.Errors = FieldErrors{"body": err.Error()}
		v.Body, v.InjectID = body, iid
		return web.Render(w, r, http.StatusUnprocessableEntity, "drill/drill_play", d.Title, v)
	case err != nil && !IsReplay(err):
		return err
	}
	return web.Redirect(w, r, "/drill/play/"+r.PathValue("token")+"#inject-"+strconv.FormatInt(iid, 10), "対応を送信しました。", true)
}

func (m *Module) playObserve(w http.ResponseWriter, r *http.Request) error {
	p, d, err := m.byToken(r)
	if err != nil {
		return err
	}
	if !p.Role.Evaluates() {
		return web.Forbidden()
	}
	in := observationInput(r)
	err = m.store.Observe(r.Context(), d, in, p.Name, p.ID)
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		v, err := m.playOf(r, p, d)
		if err != nil {
			return err
		}
		v.Errors, v.Typed = fe, in
		return web.Render(w, r, http.StatusUnprocessableEntity, "drill/drill_play", d.Title, v)
	case errors.Is(err, ErrNotLive):
		return &web.Error{Status: http.StatusConflict, Msg: err.Error()}
	case err != nil && !IsReplay(err):
		return err
	}
	return web.Redirect(w, r, "/drill/play/"+r.PathValue("token")+"#observe", "記録しました。", true)
}

func (m *Module) playFeedback(w http.ResponseWriter, r *http.Request) error {
	p, d, err := m.byToken(r)
	if err != nil {
		return err
	}
	body := r.PostFormValue("feedback")
	err = m.store.GiveFeedback(r.Context(), d, p, body, r.PostFormValue("key"))
	var fe FieldErrors
	switch {
	case errors.As(err, &fe), errors.Is(err, ErrNotLive):
		v, err2 := m.playOf(r, p, d)
		if err2 != nil {
			return err2
		}
		v.Errors = FieldErrors{"feedback": err.Error()}
		v.Body = body
		return web.Render(w, r, http.StatusUnprocessableEntity, "drill/drill_play", d.Title, v)
	case err != nil && !IsReplay(err):
		return err
	}
	return web.Redirect(w, r, "/drill/play/"+r.PathValue("token")+"#feedback", "感想を送信しました。ご協力ありがとうございました。", true)
}

// playHandbook is the player handbook (訓練資料) through a link: the
// player's material only, never the controller handbook.
func (m *Module) playHandbook(w http.ResponseWriter, r *http.Request) error {
	p, d, err := m.byToken(r)
	if err != nil {
		return err
	}
	f, err := formats.Parse(r.URL.Query().Get("format"), "pdf", "docx")
	if err != nil {
		return web.Invalid("出力形式は pdf か docx を指定してください。")
	}
	rec, err := m.store.RecordOf(r.Context(), d)
	if err != nil {
		return err
	}
	doc := rec.PlayerHandbook(m.d.Org.WardName(r.Context()), m.store.now())
	dl := web.Download{Name: web.JoinFileName(f.Name, "訓練資料", d.Code), ContentType: f.ContentType, Target: fmt.Sprintf("drill:%d", d.ID),
		Detail: fmt.Sprintf("訓練 %s の訓練資料（%s、参加者用リンク：%s）", d.Code, f.Label, p.Name)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
}
