package incident

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"mamori/internal/improve"
	"mamori/internal/web"
)

// The incident page's analysis: site visits with photos, the なぜなぜ
// tree, the measures (into the register) and the evidence with its chain
// of custody.

// MaxEvidence is the largest file kept (a photo from a tablet, a scan).
const MaxEvidence = 20 << 20

var evidenceUpload = web.Upload{MaxBytes: MaxEvidence, Types: []web.FileType{web.JPEG, web.PNG, web.PDF, web.XLSX, web.DOCX, web.CSV, web.Text}, Fallback: "evidence"}

func (m *Module) analysisRoutes(rt *web.Router, mobj, obj web.Object) {
	manage := Managers.Rule().On(mobj)
	rt.Handle("POST /incident/{id}/whys", manage, m.addWhy)
	rt.Handle("POST /incident/{id}/measures", manage, m.addMeasure)
	rt.Handle("POST /incident/{id}/visits", manage, m.addVisit)
	rt.Handle("POST /incident/{id}/services", manage, m.addService)
	rt.Handle("POST /incident/{id}/whys/remove", manage, m.removeWhy)
	rt.Handle("POST /incident/{id}/measures/withdraw", manage, m.withdrawMeasure)
	rt.Handle("POST /incident/{id}/events/remove", manage, m.removeEvent)
	rt.Handle("POST /incident/{id}/tasks", manage, m.addTask)
	rt.Handle("POST /incident/{id}/tasks/{task}/done", manage.On(web.Object{Kind: "incident.task", Param: "task",
		Allow: func(ctx context.Context, _ *web.User, _ web.Scope, id int64) (bool, error) {
			var n int
			err := m.store.db.QueryRow(ctx, "SELECT COUNT(*) FROM incident_tasks WHERE id = ?", id).Scan(&n)
			return n > 0, err
		}}), m.doneTask)
	rt.Handle("POST /incident/{id}/evidence", manage.WithUpload().WithBodyLimit(MaxEvidence+1<<20), m.addEvidence)
	ev := web.Object{Kind: "incident.evidence", Param: "evidence", Allow: func(ctx context.Context, _ *web.User, _ web.Scope, id int64) (bool, error) {
		var n int
		err := m.store.db.QueryRow(ctx, "SELECT COUNT(*) FROM incident_evidence WHERE id = ?", id).Scan(&n)
		return n > 0, err
	}}
	rt.Handle("POST /incident/{id}/evidence/{evidence}/custody", manage.On(ev), m.addCustody)
	rt.Handle("GET /incident/{id}/evidence/{evidence}", watch.On(obj).On(ev), m.evidenceFile)
}

func (m *Module) addWhy(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	parent, _ := strconv.ParseInt(r.PostFormValue("parent"), 10, 64)
	err = m.store.AddWhy(r.Context(), i, parent, r.PostFormValue("statement"), r.PostFormValue("viewpoint"), r.PostFormValue("direct") != "",
		r.PostFormValue("root") != "", web.UserFrom(r.Context()).DisplayName)
	if err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d#whys", i.ID), "なぜなぜ分析に追加しました。", true)
}

func (m *Module) addMeasure(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	owner, _ := strconv.ParseInt(r.PostFormValue("owner"), 10, 64)
	why, _ := strconv.ParseInt(r.PostFormValue("why"), 10, 64)
	in := MeasureInput{Title: r.PostFormValue("title"), Detail: r.PostFormValue("detail"), Domain: r.PostFormValue("domain"), Due: r.PostFormValue("due"),
		Indicator: r.PostFormValue("indicator"), CheckOn: r.PostFormValue("check_on"), Owner: owner, WhyID: why}
	for _, s := range r.PostForm["rollout"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			in.Rollout = append(in.Rollout, id)
		} else {
			return m.fail(w, r, i, FieldErrors{"measure": "横展開の所属の指定が正しくありません。"})
		}
	}
	if err := m.store.AddMeasure(r.Context(), i, in, web.UserFrom(r.Context()).DisplayName); err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d#measures", i.ID), "再発防止策を登録し、改善措置台帳に載せました。", true)
}

func (m *Module) addVisit(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	in := VisitInput{VisitedOn: r.PostFormValue("visited_on"), Place: r.PostFormValue("place"), Visitors: r.PostFormValue("visitors"),
		Interviewees: r.PostFormValue("interviewees"), Findings: r.PostFormValue("findings"), Advice: r.PostFormValue("advice")}
	if _, err := m.store.AddVisit(r.Context(), i, in, web.UserFrom(r.Context()).DisplayName); err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d#visits", i.ID), "臨場の記録を登録しました。写真は臨場の記録の下から追加できます。", true)
}

func (m *Module) addEvidence(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	up, err := evidenceUpload.Read(r)
	var we *web.Error
	if errors.As(err, &we) {
		return m.fail(w, r, i, FieldErrors{"evidence": we.Msg})
	} else if err != nil {
		return err
	}
	visit, _ := strconv.ParseInt(r.PostFormValue("visit"), 10, 64)
	kind := "file"
	if visit != 0 {
		kind = "photo"
	}
	u := web.UserFrom(r.Context())
	if _, err := m.store.AddEvidence(r.Context(), i, visit, kind, up.Name, up.ContentType, up.Data, r.PostFormValue("note"), u.DisplayName, u.ID); err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d#evidence", i.ID), fmt.Sprintf("「%s」を暗号化して保管しました。", up.Name), true)
}

func (m *Module) addCustody(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	ev, _ := strconv.ParseInt(r.PathValue("evidence"), 10, 64)
	if err := m.store.AddCustody(r.Context(), i, ev, r.PostFormValue("at"), r.PostFormValue("from"), r.PostFormValue("to"), r.PostFormValue("note"),
		web.UserFrom(r.Context()).DisplayName); err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d#evidence", i.ID), "受け渡しを記録しました。", true)
}

func (m *Module) evidenceFile(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "evidence")
	if err != nil {
		return err
	}
	e, data, err := m.store.EvidenceFile(r.Context(), i.ID, id)
	if errors.Is(err, ErrKeyDestroyed) {
		return &web.Error{Status: http.StatusGone, Msg: "このインシデントの鍵は破棄済み（契約終了時の消去）のため、証拠を開けません。"}
	} else if err != nil {
		return err
	}
	dl := web.Download{Name: e.Filename, ContentType: e.ContentType, Target: fmt.Sprintf("incident:%d", i.ID),
		Detail: fmt.Sprintf("インシデント %s の証拠「%s」", i.Code, e.Filename)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { _, err := out.Write(data); return err })
}

func (m *Module) addService(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	in := ServiceInput{Service: r.PostFormValue("service"), From: r.PostFormValue("from"), To: r.PostFormValue("to"), Fallback: r.PostFormValue("fallback"),
		Residents: r.PostFormValue("residents")}
	if err := m.store.AddService(r.Context(), i, in, web.UserFrom(r.Context()).DisplayName); err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d#services", i.ID), "止まった区民サービスを記録しました。", true)
}

func (m *Module) addTask(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	if err := m.store.AddTask(r.Context(), i, r.PostFormValue("title"), r.PostFormValue("owner"), r.PostFormValue("due"), web.UserFrom(r.Context()).DisplayName); err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d#tasks", i.ID), "作業を登録しました。", true)
}

func (m *Module) doneTask(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	id, err := web.PathID(r, "task")
	if err != nil {
		return err
	}
	if err := m.store.DoneTask(r.Context(), i, id, web.UserFrom(r.Context()).DisplayName); err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d#tasks", i.ID), "作業を完了にしました。", true)
}

// postedID is a form field's id (0 when absent or not a number: the
// store then refuses it as not of the incident).
func postedID(r *http.Request, k string) int64 {
	id, _ := strconv.ParseInt(r.PostFormValue(k), 10, 64)
	return id
}

func (m *Module) removeWhy(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	if err := m.store.RemoveWhy(r.Context(), i, postedID(r, "why"), web.UserFrom(r.Context()).DisplayName); err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d#whys", i.ID), "「なぜ」を削除しました。", true)
}

func (m *Module) withdrawMeasure(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	if err := m.store.WithdrawMeasure(r.Context(), i, postedID(r, "measure"), improve.ActorOf(web.UserFrom(r.Context()))); err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d#measures", i.ID), "再発防止策を取り下げ、改善措置台帳からも削除しました。", true)
}

func (m *Module) removeEvent(w http.ResponseWriter, r *http.Request) error {
	i, err := m.incidentOf(r)
	if err != nil {
		return err
	}
	if err := m.store.RemoveEvent(r.Context(), i, postedID(r, "event"), web.UserFrom(r.Context()).DisplayName); err != nil {
		return m.fail(w, r, i, err)
	}
	return web.Redirect(w, r, fmt.Sprintf("/incident/%d#timeline", i.ID), "経過を削除しました。", true)
}
