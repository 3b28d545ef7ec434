package program

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// Meeting is one monthly meeting (定例会) with its minutes.
type Meeting struct {
	ID         int64
	FiscalYear int
	Seq        int
	HeldOn     time.Time
	Time       string
	Place      string
	Attendees  []string
	Agenda     []string
	Content    string
	NextOn     time.Time
	NextNote   string
	Rev        int64
	UpdatedBy  string
	UpdatedAt  time.Time
	Items      []Item
}

// Title is 第N回 定例会.
func (m Meeting) Title() string { return fmt.Sprintf("第%d回 定例会", m.Seq) }

// Decisions are the meeting's decisions.
func (m Meeting) Decisions() []Item { return m.kind(ItemDecision) }

// Actions are the meeting's action items.
func (m Meeting) Actions() []Item { return m.kind(ItemAction) }

func (m Meeting) kind(k string) []Item {
	var out []Item
	for _, it := range m.Items {
		if it.Kind == k {
			out = append(out, it)
		}
	}
	return out
}

// Item kinds.
const (
	ItemDecision = "decision" // 決定事項
	ItemAction   = "action"   // 宿題 (owner, due; a task of the schedule)
)

// Item is a decision or an action item of a meeting.
type Item struct {
	ID        int64
	MeetingID int64
	Seq       int // the meeting's number, for the open actions of later meetings
	Kind      string
	Text      string
	Owner     string
	Due       time.Time
	TaskID    int64
	DoneOn    time.Time
	DoneNote  string
}

// Done reports whether an action item is done.
func (it Item) Done() bool { return !it.DoneOn.IsZero() }

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

const meetingCols = "id, fiscal_year, seq, held_on, time_text, place, attendees, agenda, content, next_on, next_note, rev, updated_by_name, updated_at"

func scanMeeting(sc interface{ Scan(...any) error }) (Meeting, error) {
	var m Meeting
	var held, next, att, ag, up string
	err := sc.Scan(&m.ID, &m.FiscalYear, &m.Seq, &held, &m.Time, &m.Place, &att, &ag, &m.Content, &next, &m.NextNote, &m.Rev, &m.UpdatedBy, &up)
	m.HeldOn, m.NextOn, m.UpdatedAt = jp.ParseDateKey(held), jp.ParseDateKey(next), database.ParseTime(up)
	m.Attendees, m.Agenda = lines(att), lines(ag)
	return m, err
}

// Meetings lists fiscal year fy's meetings in order.
func (s *Store) Meetings(ctx context.Context, fy int) ([]Meeting, error) {
	rows, err := s.db.Query(ctx, "SELECT "+meetingCols+" FROM program_meetings WHERE fiscal_year = ? ORDER BY seq", fy)
	if err != nil {
		return nil, fmt.Errorf("program.Meetings: %w", err)
	}
	defer rows.Close()
	var out []Meeting
	for rows.Next() {
		m, err := scanMeeting(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Meeting returns one meeting with its decisions and actions.
func (s *Store) Meeting(ctx context.Context, id int64) (Meeting, error) {
	m, err := scanMeeting(s.db.QueryRow(ctx, "SELECT "+meetingCols+" FROM program_meetings WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, database.ErrNotFound
	}
	if err != nil {
		return m, fmt.Errorf("program.Meeting: %w", err)
	}
	m.Items, err = s.items(ctx, "i.meeting_id = ?", id)
	return m, err
}

func (s *Store) items(ctx context.Context, where string, args ...any) ([]Item, error) {
	rows, err := s.db.Query(ctx, `SELECT i.id, i.meeting_id, m.seq, i.kind, i.text, i.owner, i.due_on, COALESCE(i.task_id, 0), i.done_on, i.done_note
		FROM program_items i JOIN program_meetings m ON m.id = i.meeting_id WHERE `+where+` ORDER BY m.seq, i.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("program.items: %w", err)
	}
	defer rows.Close()
	var out []Item
	for rows.Next() {
		var it Item
		var due, done string
		if err := rows.Scan(&it.ID, &it.MeetingID, &it.Seq, &it.Kind, &it.Text, &it.Owner, &due, &it.TaskID, &done, &it.DoneNote); err != nil {
			return nil, err
		}
		it.Due, it.DoneOn = jp.ParseDateKey(due), jp.ParseDateKey(done)
		out = append(out, it)
	}
	return out, rows.Err()
}

// OpenActions are fiscal year fy's action items not done, from meetings
// before seq (0: all), oldest first: the next meeting's agenda starts with
// them.
func (s *Store) OpenActions(ctx context.Context, fy, before int) ([]Item, error) {
	where := "m.fiscal_year = ? AND i.kind = 'action' AND i.done_on = ''"
	args := []any{fy}
	if before > 0 {
		where += " AND m.seq < ?"
		args = append(args, before)
	}
	return s.items(ctx, where, args...)
}

// MeetingInput is the meeting form as typed.
type MeetingInput struct {
	HeldOn, Time, Place, Attendees, Agenda, Content, NextOn, NextNote string
	Rev                                                               int64
}

func (s *Store) checkMeeting(fy int, in MeetingInput) (Meeting, FieldErrors) {
	fe := FieldErrors{}
	m := Meeting{FiscalYear: fy, Time: strings.TrimSpace(in.Time), Place: strings.TrimSpace(in.Place), Attendees: lines(in.Attendees),
		Agenda: lines(in.Agenda), Content: strings.TrimSpace(strings.ReplaceAll(in.Content, "\r\n", "\n")), NextNote: strings.TrimSpace(in.NextNote)}
	m.HeldOn = parseDay("start", "開催日", in.HeldOn, fe)
	if fe["start"] == "" {
		switch {
		case m.HeldOn.IsZero():
			fe["start"] = "開催日を入力してください。"
		case jp.FiscalYearOf(m.HeldOn) != fy:
			fe["start"] = fmt.Sprintf("開催日は%sの日付にしてください（ほかの年度の議事録は、その年度で作ります）。", jp.FiscalYearLabel(fy))
		}
	}
	m.NextOn = parseDay("end", "次回の開催日", in.NextOn, fe)
	if !m.NextOn.IsZero() && !m.HeldOn.IsZero() && !m.NextOn.After(m.HeldOn) {
		fe["end"] = "次回の開催日は今回より後にしてください。"
	}
	for _, f := range []struct {
		key, label, v string
		max           int
	}{{"owner", "時間", m.Time, 50}, {"owner", "場所", m.Place, 200},
		{"title", "出席者", in.Attendees, 2000}, {"title", "議題", in.Agenda, 2000}, {"note", "内容", m.Content, 20000}, {"note", "次回の予定", m.NextNote, 500}} {
		if n := utf8.RuneCountInString(f.v); n > f.max {
			fe[f.key] = fmt.Sprintf("%sは%d文字以内で入力してください（%d文字あります）。", f.label, f.max, n)
		}
	}
	if len(fe) > 0 {
		return m, fe
	}
	return m, nil
}

// CreateMeeting adds the next meeting of the year; its agenda starts with
// the open actions of earlier meetings and the delays of the schedule
// (proposed is what the caller built from the schedule).
func (s *Store) CreateMeeting(ctx context.Context, fy int, in MeetingInput, by string) (int64, error) {
	m, fe := s.checkMeeting(fy, in)
	if fe != nil {
		return 0, fe
	}
	var id int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var seq int
		if err := s.db.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM program_meetings WHERE fiscal_year = ?", fy).Scan(&seq); err != nil {
			return err
		}
		now := database.T(s.now())
		var err error
		id, err = s.db.InsertID(ctx, `INSERT INTO program_meetings (fiscal_year, seq, held_on, time_text, place, attendees, agenda, content, next_on, next_note,
			rev, updated_by_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
			fy, seq, jp.DateKey(m.HeldOn), m.Time, m.Place, strings.Join(m.Attendees, "\n"), strings.Join(m.Agenda, "\n"), m.Content,
			jp.DateKey(m.NextOn), m.NextNote, by, now, now)
		if database.IsUniqueViolation(err) {
			return ErrStale
		}
		if err != nil {
			return fmt.Errorf("program.CreateMeeting: %w", err)
		}
		return s.log.Record(ctx, "program.meeting_create", fmt.Sprintf("program_meeting:%d", id),
			fmt.Sprintf("%s 第%d回 定例会（%s）を登録", jp.FiscalYearLabel(fy), seq, jp.FormatWareki(m.HeldOn)))
	})
	return id, err
}

// UpdateMeeting saves the minutes.
func (s *Store) UpdateMeeting(ctx context.Context, cur Meeting, in MeetingInput, by string) error {
	m, fe := s.checkMeeting(cur.FiscalYear, in)
	if fe != nil {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, `UPDATE program_meetings SET held_on = ?, time_text = ?, place = ?, attendees = ?, agenda = ?, content = ?, next_on = ?,
			next_note = ?, rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE id = ? AND rev = ?`,
			jp.DateKey(m.HeldOn), m.Time, m.Place, strings.Join(m.Attendees, "\n"), strings.Join(m.Agenda, "\n"), m.Content, jp.DateKey(m.NextOn), m.NextNote,
			by, database.T(s.now()), cur.ID, in.Rev)
		if err != nil {
			return fmt.Errorf("program.UpdateMeeting: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrStale
		}
		return s.log.Record(ctx, "program.meeting_update", fmt.Sprintf("program_meeting:%d", cur.ID), cur.Title()+"の議事録を保存")
	})
}

// ItemInput is a decision or an action as typed.
type ItemInput struct {
	Kind, Text, Owner, Due string
	Workstream             int
}

// AddItem records a decision or an action item; an action becomes a
// milestone of the schedule (宿題：…) under the workstream it concerns,
// done when the action is.
func (s *Store) AddItem(ctx context.Context, m Meeting, in ItemInput, by string) error {
	fe := FieldErrors{}
	in.Text, in.Owner = strings.TrimSpace(in.Text), strings.TrimSpace(in.Owner)
	if in.Kind != ItemDecision && in.Kind != ItemAction {
		fe["title"] = "決定事項か宿題かを選んでください。"
	}
	switch n := utf8.RuneCountInString(in.Text); {
	case n == 0:
		fe["title"] = "内容を入力してください。"
	case n > 1000:
		fe["title"] = fmt.Sprintf("内容は1,000文字以内で入力してください（%d文字あります）。", n)
	}
	var due time.Time
	if in.Kind == ItemAction {
		due = parseDay("end", "期限", in.Due, fe)
		if in.Owner == "" {
			fe["owner"] = "宿題の担当を入力してください。"
		}
		if fe["end"] == "" && (due.IsZero() || due.Before(m.HeldOn)) {
			fe["end"] = "宿題の期限を、定例会の日以降の日付で入力してください。"
		}
		if in.Workstream < 1 || in.Workstream >= len(Workstreams) {
			in.Workstream = 10
		}
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		var task any
		if in.Kind == ItemAction {
			title := "宿題：" + cut(in.Text, 80) + "（" + m.Title() + "）"
			id, err := s.db.InsertID(ctx, `INSERT INTO program_tasks (fiscal_year, workstream, title, owner, milestone, start_on, end_on, baseline_start, baseline_end,
				progress, note, rev, updated_by_name, created_at, updated_at) VALUES (?, ?, ?, ?, TRUE, ?, ?, ?, ?, 0, ?, 1, ?, ?, ?)`,
				m.FiscalYear, in.Workstream, title, in.Owner, jp.DateKey(due), jp.DateKey(due), jp.DateKey(due), jp.DateKey(due), in.Text, by, now, now)
			if err != nil {
				return err
			}
			task = id
		}
		if _, err := s.db.Exec(ctx, `INSERT INTO program_items (meeting_id, kind, text, owner, due_on, task_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			m.ID, in.Kind, in.Text, in.Owner, jp.DateKey(due), task, now); err != nil {
			return fmt.Errorf("program.AddItem: %w", err)
		}
		what := "決定事項"
		if in.Kind == ItemAction {
			what = "宿題（" + in.Owner + "、" + jp.FormatWareki(due) + "まで）"
		}
		return s.log.Record(ctx, "program.item_add", fmt.Sprintf("program_meeting:%d", m.ID), fmt.Sprintf("%sに%sを記録：%s", m.Title(), what, cut(in.Text, 80)))
	})
}

// CompleteAction marks an action item done, and its task with it.
func (s *Store) CompleteAction(ctx context.Context, m Meeting, itemID int64, note, by string) error {
	var it *Item
	for i := range m.Items {
		if m.Items[i].ID == itemID && m.Items[i].Kind == ItemAction {
			it = &m.Items[i]
		}
	}
	if it == nil {
		return database.ErrNotFound
	}
	if it.Done() {
		return ErrStale
	}
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > 1000 {
		return FieldErrors{"note": "完了の記録は1,000文字以内で入力してください。"}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		today := jp.DateKey(s.now())
		res, err := s.db.Exec(ctx, "UPDATE program_items SET done_on = ?, done_note = ? WHERE id = ? AND done_on = ''", today, note, it.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrStale
		}
		if it.TaskID != 0 {
			if _, err := s.db.Exec(ctx, `UPDATE program_tasks SET progress = 100, actual_start = ?, actual_end = ?, rev = rev + 1, updated_by_name = ?,
				updated_at = ? WHERE id = ?`, today, today, by, database.T(s.now()), it.TaskID); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, "program.item_done", fmt.Sprintf("program_meeting:%d", m.ID), fmt.Sprintf("%sの宿題を完了：%s", m.Title(), cut(it.Text, 80)))
	})
}

func cut(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// ProposedAgenda is a new meeting's agenda: the open actions first, then
// the month's progress, the delays, and the next meeting.
func ProposedAgenda(open []Item, sc Schedule) []string {
	out := []string{}
	if len(open) > 0 {
		out = append(out, fmt.Sprintf("前回までの宿題の確認（未完了 %d 件）", len(open)))
	} else {
		out = append(out, "前回までの宿題の確認")
	}
	out = append(out, "各業務の進捗報告")
	if len(sc.Delayed) > 0 {
		late := 0
		for _, r := range sc.Delayed {
			if r.Status == StatusLate {
				late++
			}
		}
		out = append(out, fmt.Sprintf("遅れへの対応（遅延 %d 件・要注意 %d 件）", late, len(sc.Delayed)-late))
	}
	return append(out, "相談事項・その他", "次回の予定")
}
