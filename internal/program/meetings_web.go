package program

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/web"
)

func (m *Module) meetingRoutes(rt *web.Router) {
	read, manage := readers.Rule(), Managers.Rule()
	meeting := web.AnyObject("program.meeting", func(ctx context.Context, id int64) error {
		_, err := m.store.Meeting(ctx, id)
		return err
	})
	rt.Handle("GET /program/meetings", read, m.meetings)
	rt.Handle("POST /program/meetings", manage, m.meetingCreate)
	rt.Handle("GET /program/meetings/{id}", read.On(meeting), m.meetingShow)
	rt.Handle("POST /program/meetings/{id}", manage.On(meeting), m.meetingUpdate)
	rt.Handle("POST /program/meetings/{id}/items", manage.On(meeting), m.itemAdd)
	rt.Handle("POST /program/meetings/{id}/done", manage.On(meeting), m.itemDone)
	rt.Handle("GET /program/meetings/{id}/minutes", read.On(meeting), m.minutes)
	rt.Handle("GET /program/advice", read, m.advice)
	rt.Handle("POST /program/advice", manage, m.adviceAdd)
}

type meetingsView struct {
	FiscalYear int
	Years      []int
	Meetings   []Meeting
	Open       []Item
	Manage     bool
	In         MeetingInput
	Errors     FieldErrors
}

func (m *Module) meetings(w http.ResponseWriter, r *http.Request) error {
	fy := m.yearOf(r)
	return m.renderMeetings(w, r, fy, nil, nil, http.StatusOK)
}

func (m *Module) renderMeetings(w http.ResponseWriter, r *http.Request, fy int, in *MeetingInput, fe FieldErrors, status int) error {
	ctx := r.Context()
	ms, err := m.store.Meetings(ctx, fy)
	if err != nil {
		return err
	}
	open, err := m.store.OpenActions(ctx, fy, 0)
	if err != nil {
		return err
	}
	v := meetingsView{FiscalYear: fy, Years: []int{fy + 1, fy, fy - 1}, Meetings: ms, Open: open, Manage: Managers.HasUser(web.UserFrom(ctx)), Errors: fe}
	if in != nil {
		v.In = *in
	} else {
		sc, err := m.store.ScheduleOf(ctx, fy, m.d.YearProgress)
		if err != nil {
			return err
		}
		v.In = MeetingInput{HeldOn: jp.DateKey(m.store.now()), Time: "14:00〜15:00", Agenda: strings.Join(ProposedAgenda(open, sc), "\n")}
		if n := len(ms); n > 0 {
			last := ms[n-1]
			v.In.Place, v.In.Attendees = last.Place, strings.Join(last.Attendees, "\n")
			if !last.NextOn.IsZero() {
				v.In.HeldOn = jp.DateKey(last.NextOn)
			}
		}
	}
	return web.Render(w, r, status, "program/program_meetings", jp.FiscalYearLabel(fy)+"の定例会", v)
}

func meetingInput(r *http.Request) MeetingInput {
	rev, _ := strconv.ParseInt(r.PostFormValue("rev"), 10, 64)
	return MeetingInput{HeldOn: r.PostFormValue("held_on"), Time: r.PostFormValue("time"), Place: r.PostFormValue("place"), Attendees: r.PostFormValue("attendees"),
		Agenda: r.PostFormValue("agenda"), Content: r.PostFormValue("content"), NextOn: r.PostFormValue("next_on"), NextNote: r.PostFormValue("next_note"), Rev: rev}
}

func (m *Module) meetingCreate(w http.ResponseWriter, r *http.Request) error {
	fy, err := jp.ParseFiscalYear(r.PostFormValue("year"))
	if err != nil || fy < 2000 || fy > 2100 {
		fy = m.d.Org.CurrentFiscalYear(r.Context())
	}
	in := meetingInput(r)
	id, err := m.store.CreateMeeting(r.Context(), fy, in, userName(r))
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		return m.renderMeetings(w, r, fy, &in, fe, http.StatusUnprocessableEntity)
	case errors.Is(err, ErrStale):
		return m.renderMeetings(w, r, fy, &in, FieldErrors{"title": ErrStale.Error()}, http.StatusConflict)
	case err != nil:
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/program/meetings/%d", id), "定例会を登録しました。議事録を書いてください。", true)
}

type meetingView struct {
	M           Meeting
	Open        []Item // earlier meetings' open actions
	In          MeetingInput
	Errors      FieldErrors
	Manage      bool
	Workstreams []string
}

func (m *Module) meetingOf(r *http.Request) (Meeting, error) {
	id, err := web.PathID(r, "id")
	if err != nil {
		return Meeting{}, err
	}
	return m.store.Meeting(r.Context(), id)
}

func (m *Module) meetingShow(w http.ResponseWriter, r *http.Request) error {
	mt, err := m.meetingOf(r)
	if err != nil {
		return err
	}
	return m.renderMeeting(w, r, mt, nil, nil, http.StatusOK)
}

func (m *Module) renderMeeting(w http.ResponseWriter, r *http.Request, mt Meeting, in *MeetingInput, fe FieldErrors, status int) error {
	open, err := m.store.OpenActions(r.Context(), mt.FiscalYear, mt.Seq)
	if err != nil {
		return err
	}
	v := meetingView{M: mt, Open: open, Errors: fe, Manage: Managers.HasUser(web.UserFrom(r.Context())), Workstreams: Workstreams}
	if in != nil {
		v.In = *in
	} else {
		v.In = MeetingInput{HeldOn: jp.DateKey(mt.HeldOn), Time: mt.Time, Place: mt.Place, Attendees: strings.Join(mt.Attendees, "\n"),
			Agenda: strings.Join(mt.Agenda, "\n"), Content: mt.Content, NextOn: jp.DateKey(mt.NextOn), NextNote: mt.NextNote, Rev: mt.Rev}
	}
	return web.Render(w, r, status, "program/program_meeting", mt.Title(), v)
}

func (m *Module) meetingUpdate(w http.ResponseWriter, r *http.Request) error {
	mt, err := m.meetingOf(r)
	if err != nil {
		return err
	}
	in := meetingInput(r)
	err = m.store.UpdateMeeting(r.Context(), mt, in, userName(r))
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		return m.renderMeeting(w, r, mt, &in, fe, http.StatusUnprocessableEntity)
	case errors.Is(err, ErrStale):
		return m.renderMeeting(w, r, mt, &in, FieldErrors{"title": ErrStale.Error()}, http.StatusConflict)
	case err != nil:
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/program/meetings/%d", mt.ID), "議事録を保存しました。", true)
}

func (m *Module) itemAdd(w http.ResponseWriter, r *http.Request) error {
	mt, err := m.meetingOf(r)
	if err != nil {
		return err
	}
	ws, _ := strconv.Atoi(r.PostFormValue("workstream"))
	in := ItemInput{Kind: r.PostFormValue("kind"), Text: r.PostFormValue("text"), Owner: r.PostFormValue("owner"), Due: r.PostFormValue("due"), Workstream: ws}
	err = m.store.AddItem(r.Context(), mt, in, userName(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderMeeting(w, r, mt, nil, fe, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	msg := "決定事項を記録しました。"
	if in.Kind == ItemAction {
		msg = "宿題を記録しました。工程表に節目として入ります。"
	}
	return web.Redirect(w, r, fmt.Sprintf("/program/meetings/%d#items", mt.ID), msg, true)
}

// itemDone completes an action of this meeting or of an earlier one (the
// page lists those still open).
func (m *Module) itemDone(w http.ResponseWriter, r *http.Request) error {
	mt, err := m.meetingOf(r)
	if err != nil {
		return err
	}
	item, _ := strconv.ParseInt(r.PostFormValue("item"), 10, 64)
	owner := mt
	if !hasItem(mt, item) {
		// An open action of an earlier meeting of the same year.
		var mid int64
		err := m.d.DB.QueryRow(r.Context(), `SELECT i.meeting_id FROM program_items i JOIN program_meetings p ON p.id = i.meeting_id
			WHERE i.id = ? AND p.fiscal_year = ? AND p.seq < ?`, item, mt.FiscalYear, mt.Seq).Scan(&mid)
		if err != nil {
			return web.NotFound()
		}
		if owner, err = m.store.Meeting(r.Context(), mid); err != nil {
			return err
		}
	}
	err = m.store.CompleteAction(r.Context(), owner, item, r.PostFormValue("note"), userName(r))
	var fe FieldErrors
	switch {
	case errors.As(err, &fe):
		return m.renderMeeting(w, r, mt, nil, fe, http.StatusUnprocessableEntity)
	case errors.Is(err, ErrStale):
		return m.renderMeeting(w, r, mt, nil, FieldErrors{"title": "この宿題は既に完了しています。"}, http.StatusConflict)
	case errors.Is(err, database.ErrNotFound):
		return web.NotFound()
	case err != nil:
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/program/meetings/%d#items", mt.ID), "宿題を完了にしました。", true)
}

func hasItem(m Meeting, id int64) bool {
	for _, it := range m.Items {
		if it.ID == id {
			return true
		}
	}
	return false
}

// MinutesDocument is the 議事録 in the usual municipal form: 日時, 場所,
// 出席者, 議題, 内容, 決定事項, 宿題, 次回.
func MinutesDocument(mt Meeting, ward string) *docgen.Document {
	when := jp.FormatWareki(mt.HeldOn)
	if mt.Time != "" {
		when += "　" + mt.Time
	}
	next := "未定"
	if !mt.NextOn.IsZero() {
		next = jp.FormatWareki(mt.NextOn)
	}
	if mt.NextNote != "" {
		next += "　" + mt.NextNote
	}
	b := []docgen.Block{docgen.FactsTable([2]string{"日時", when}, [2]string{"場所", dash(mt.Place)}, [2]string{"出席者", dash(strings.Join(mt.Attendees, "、"))})}
	b = append(b, docgen.Heading{Level: 1, Text: "1 議題"})
	var agenda []docgen.ListItem
	for _, a := range mt.Agenda {
		agenda = append(agenda, docgen.ListItem{Runs: []docgen.Run{docgen.T(a)}})
	}
	if len(agenda) > 0 {
		b = append(b, docgen.List{Ordered: true, Items: agenda})
	}
	b = append(b, docgen.Heading{Level: 1, Text: "2 内容"})
	for _, p := range lines(mt.Content) {
		b = append(b, docgen.P(p))
	}
	if mt.Content == "" {
		b = append(b, docgen.P("（記載なし）"))
	}
	b = append(b, docgen.Heading{Level: 1, Text: "3 決定事項"})
	if ds := mt.Decisions(); len(ds) > 0 {
		var items []docgen.ListItem
		for _, d := range ds {
			items = append(items, docgen.ListItem{Runs: []docgen.Run{docgen.T(d.Text)}})
		}
		b = append(b, docgen.List{Ordered: true, Items: items})
	} else {
		b = append(b, docgen.P("なし"))
	}
	b = append(b, docgen.Heading{Level: 1, Text: "4 宿題"})
	if as := mt.Actions(); len(as) > 0 {
		t := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 4.2}, {Width: 1.6}, {Width: 1.5}, {Width: 1.4}},
			Rows: []docgen.Row{docgen.HeadRow("内容", "担当", "期限", "状況")}}
		for _, a := range as {
			state := "未完了"
			if a.Done() {
				state = jp.FormatWareki(a.DoneOn) + " 完了"
			}
			t.Rows = append(t.Rows, docgen.TextRow(a.Text, a.Owner, jp.FormatWareki(a.Due), state))
		}
		b = append(b, t)
	} else {
		b = append(b, docgen.P("なし"))
	}
	b = append(b, docgen.Heading{Level: 1, Text: "5 次回"}, docgen.P(next), docgen.Paragraph{Runs: []docgen.Run{docgen.T("以上")}, Align: docgen.AlignRight})
	return &docgen.Document{Meta: docgen.Meta{Title: "議事録", Subtitle: jp.FiscalYearLabel(mt.FiscalYear) + " " + mt.Title(), Ward: ward, FiscalYear: mt.FiscalYear,
		Date: mt.HeldOn, Author: "支援事業者", Classification: "取扱注意", PageNumbers: docgen.PageDash}, Sections: []docgen.Section{{Blocks: b}}}
}

func (m *Module) minutes(w http.ResponseWriter, r *http.Request) error {
	mt, err := m.meetingOf(r)
	if err != nil {
		return err
	}
	f, err := formats.Parse(r.URL.Query().Get("format"), "pdf", "docx")
	if err != nil {
		return web.Invalid("出力形式は pdf か docx を指定してください。")
	}
	doc := MinutesDocument(mt, m.d.Org.WardName(r.Context()))
	dl := web.Download{Name: web.JoinFileName(f.Name, "議事録", jp.FiscalYearLabel(mt.FiscalYear), mt.Title()), ContentType: f.ContentType,
		Target: fmt.Sprintf("program_meeting:%d", mt.ID), Detail: fmt.Sprintf("%s %sの議事録（%s）", jp.FiscalYearLabel(mt.FiscalYear), mt.Title(), f.Label)}
	return web.Send(w, r, m.d.Log, dl, func(out io.Writer) error { return f.Render(out, doc) })
}

type adviceView struct {
	FiscalYear int
	Years      []int
	List       []Advice
	Words      string
	Manage     bool
	In         AdviceInput
	Errors     FieldErrors
	Channels   []string
}

func (m *Module) advice(w http.ResponseWriter, r *http.Request) error {
	return m.renderAdvice(w, r, m.yearOf(r), nil, nil, http.StatusOK)
}

func (m *Module) renderAdvice(w http.ResponseWriter, r *http.Request, fy int, in *AdviceInput, fe FieldErrors, status int) error {
	words := r.URL.Query().Get("q")
	list, err := m.store.AdviceList(r.Context(), fy, words)
	if err != nil {
		return err
	}
	v := adviceView{FiscalYear: fy, Years: []int{fy + 1, fy, fy - 1}, List: list, Words: words, Manage: Managers.HasUser(web.UserFrom(r.Context())),
		Errors: fe, Channels: Channels, In: AdviceInput{AskedOn: jp.DateKey(m.store.now()), Channel: "電話"}}
	if in != nil {
		v.In = *in
	}
	return web.Render(w, r, status, "program/program_advice", jp.FiscalYearLabel(fy)+"の相談・助言記録", v)
}

func (m *Module) adviceAdd(w http.ResponseWriter, r *http.Request) error {
	fy, err := jp.ParseFiscalYear(r.PostFormValue("year"))
	if err != nil || fy < 2000 || fy > 2100 {
		fy = m.d.Org.CurrentFiscalYear(r.Context())
	}
	in := AdviceInput{AskedOn: r.PostFormValue("asked_on"), Department: r.PostFormValue("department"), Channel: r.PostFormValue("channel"),
		Question: r.PostFormValue("question"), Answer: r.PostFormValue("answer"), Clauses: r.PostFormValue("clauses")}
	err = m.store.AddAdvice(r.Context(), fy, in, userName(r))
	var fe FieldErrors
	if errors.As(err, &fe) {
		return m.renderAdvice(w, r, fy, &in, fe, http.StatusUnprocessableEntity)
	}
	if err != nil {
		return err
	}
	return web.Redirect(w, r, fmt.Sprintf("/program/advice?year=%d", fy), "相談・助言を記録しました。", true)
}
