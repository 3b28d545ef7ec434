package incident

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

// A member of staff's own report (第一報 through the form, handbook 第6条
// 第4項): what, when, how many people. The security office triages it
// into a new incident, onto an existing one, or dismisses it with a reason.

// Report is one staff report.
type Report struct {
	ID           int64
	UserID       int64
	Reporter     string
	DepartmentID int64
	Department   string
	What         string
	HappenedAt   time.Time
	Persons      int
	Contact      string
	SubmittedAt  time.Time
	Status       string // new, incident, dismissed
	IncidentID   int64
	IncidentCode string
	TriagedBy    string
	TriagedAt    time.Time
	Note         string
}

// StatusLabel is the report's state in Japanese.
func (r Report) StatusLabel() string {
	switch r.Status {
	case "incident":
		return "インシデントとして対応中"
	case "dismissed":
		return "インシデントに当たらないと判断"
	}
	return "受付待ち"
}

// ReportInput is the staff form as typed.
type ReportInput struct {
	What, Happened, Persons, Contact string
}

const reportCols = `r.id, COALESCE(r.user_id, 0), r.reporter_name, COALESCE(r.department_id, 0), COALESCE(d.name, ''), r.what, r.happened_at, r.persons,
	r.contact, r.submitted_at, r.status, COALESCE(r.incident_id, 0), COALESCE(i.code, ''), r.triaged_by_name, r.triaged_at, r.note`

const reportFrom = ` FROM incident_reports r LEFT JOIN departments d ON d.id = r.department_id LEFT JOIN incidents i ON i.id = r.incident_id`

func scanReport(sc interface{ Scan(...any) error }) (Report, error) {
	var r Report
	var happened, submitted, triaged string
	err := sc.Scan(&r.ID, &r.UserID, &r.Reporter, &r.DepartmentID, &r.Department, &r.What, &happened, &r.Persons, &r.Contact, &submitted,
		&r.Status, &r.IncidentID, &r.IncidentCode, &r.TriagedBy, &triaged, &r.Note)
	if errors.Is(err, sql.ErrNoRows) {
		return r, database.ErrNotFound
	}
	r.HappenedAt, r.SubmittedAt, r.TriagedAt = stamp(happened), stamp(submitted), stamp(triaged)
	return r, err
}

// Submit stores a member of staff's report; user and their department
// come from the sign-in.
func (s *Store) Submit(ctx context.Context, userID int64, name string, dept int64, in ReportInput) (Report, error) {
	fe := FieldErrors{}
	in.What, in.Contact = strings.TrimSpace(in.What), strings.TrimSpace(in.Contact)
	switch {
	case in.What == "":
		fe["what"] = "何が起きたかを入力してください（分かっていることだけで構いません）。"
	case utf8.RuneCountInString(in.What) > 4000:
		fe["what"] = "内容は4,000文字以内にしてください。詳しいことは、受付の後に聞き取ります。"
	}
	happened, err := ParseDateTime(in.Happened)
	switch {
	case err != nil:
		fe["happened"] = "いつ起きたかを「2026-06-03 10:15」の形で入力してください（分からなければ空欄）。"
	case happened.After(s.now().Add(time.Hour)):
		fe["happened"] = "未来の日時は入力できません。"
	}
	persons := 0
	if p := strings.TrimSpace(in.Persons); p != "" {
		if _, err := fmt.Sscan(p, &persons); err != nil || fmt.Sprint(persons) != p || persons < 0 || persons > 100_000_000 {
			fe["persons"] = "関係する人数は 0 以上の整数で入力してください（分からなければ空欄）。"
		}
	}
	if utf8.RuneCountInString(in.Contact) > 200 {
		fe["contact"] = "連絡先は200文字以内にしてください。"
	}
	if len(fe) > 0 {
		return Report{}, fe
	}
	var id int64
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		var u, d any
		if userID != 0 {
			u = userID
		}
		if dept != 0 {
			d = dept
		}
		var err error
		id, err = s.db.InsertID(ctx, `INSERT INTO incident_reports (user_id, reporter_name, department_id, what, happened_at, persons, contact,
			submitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u, name, d, in.What, stampOf(happened), persons, in.Contact, database.T(s.now()))
		if err != nil {
			return err
		}
		return s.log.Record(ctx, "incident.report", fmt.Sprintf("incident_report:%d", id), fmt.Sprintf("職員からのインシデント報告（%s、関係する人数 %d）", name, persons))
	})
	if err != nil {
		return Report{}, err
	}
	return s.Report(ctx, id)
}

// Report is one staff report; a missing one is database.ErrNotFound.
func (s *Store) Report(ctx context.Context, id int64) (Report, error) {
	return scanReport(s.db.QueryRow(ctx, "SELECT "+reportCols+reportFrom+" WHERE r.id = ?", id))
}

// Reports lists staff reports: those of user (0: everyone's), the
// untriaged first, then the latest.
func (s *Store) Reports(ctx context.Context, user int64) ([]Report, error) {
	q, args := "SELECT "+reportCols+reportFrom, []any{}
	if user != 0 {
		q += " WHERE r.user_id = ?"
		args = append(args, user)
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY CASE WHEN r.status = 'new' THEN 0 ELSE 1 END, r.submitted_at DESC", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Triage settles a new report: into incident (an existing one, or in
// when incident is 0: a new one made from the form), or dismissed with a
// note. A report already settled is refused (a replayed request).
func (s *Store) Triage(ctx context.Context, id int64, action string, incident int64, in Input, note, by string) (int64, error) {
	var out int64
	// A new incident's code may be taken by a registration in flight: the
	// whole triage is then run again (retryCode).
	err := s.retryCode(ctx, func(ctx context.Context) error { return s.triage(ctx, id, action, incident, in, note, by, &out) })
	return out, err
}

func (s *Store) triage(ctx context.Context, id int64, action string, incident int64, in Input, note, by string, out *int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		r, err := s.Report(ctx, id)
		if err != nil {
			return err
		}
		if r.Status != "new" {
			return FieldErrors{"action": "この報告は受付済みです（" + r.StatusLabel() + "）。"}
		}
		note = strings.TrimSpace(note)
		switch action {
		case "dismiss":
			if note == "" {
				return FieldErrors{"note": "インシデントに当たらないと判断した理由を入力してください（報告した職員に表示します）。"}
			}
		case "link":
			i, err := s.Get(ctx, incident)
			if err != nil {
				return FieldErrors{"incident": "まとめる先のインシデントが見つかりません。"}
			}
			*out = i.ID
		case "create":
			i, err := s.Create(ctx, in, by)
			if err != nil {
				return err
			}
			*out = i.ID
		default:
			return FieldErrors{"action": "受付の方法を選んでください。"}
		}
		status := "incident"
		var inc any
		if action == "dismiss" {
			status = "dismissed"
		} else {
			inc = *out
		}
		res, err := s.db.Exec(ctx, "UPDATE incident_reports SET status = ?, incident_id = ?, triaged_by_name = ?, triaged_at = ?, note = ? WHERE id = ? AND status = 'new'",
			status, inc, by, database.T(s.now()), note, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return FieldErrors{"action": "この報告は受付済みです。"}
		}
		return s.log.Record(ctx, "incident.triage", fmt.Sprintf("incident_report:%d", id),
			fmt.Sprintf("職員からの報告（%s、%s）を受付：%s", r.Reporter, jp.FormatWarekiDateTime(r.SubmittedAt), Report{Status: status}.StatusLabel()))
	})
}
