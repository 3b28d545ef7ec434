package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// Interviews (聞き取り) and site-inspection rounds (視察) of fieldwork: one
// record per person interviewed, or per round of the premises with the
// 視察 items ticked off as they are seen. Saved as typed, with rev, like
// the items.

// Interview kinds.
const (
	InterviewPerson     = "interview"  // 聞き取り
	InterviewInspection = "inspection" // 視察
)

// InterviewKindLabel names an interview kind.
func InterviewKindLabel(kind string) string {
	if kind == InterviewInspection {
		return "視察"
	}
	return "聞き取り"
}

// Interview is one interview or inspection round of an engagement.
type Interview struct {
	ID           int64
	EngagementID int64
	Kind         string
	Person       string // who was interviewed; on a round, who showed the auditors round
	Position     string // their position (職名)
	Place        string // where (a round: 執務室, サーバ室, 書庫 …)
	DepartmentID int64
	Department   string
	HeldAt       string // YYYY-MM-DD or YYYY-MM-DD HH:MM (Japan time), or ""
	ItemCodes    []string
	Notes        string
	Rev          int64
	CreatedBy    string
	UpdatedBy    string
	UpdatedAt    time.Time
}

// KindLabel is the interview's kind in Japanese.
func (iv Interview) KindLabel() string { return InterviewKindLabel(iv.Kind) }

// Inspection reports whether the record is a site-inspection round.
func (iv Interview) Inspection() bool { return iv.Kind == InterviewInspection }

// Title is how lists name the record: 「視察：サーバ室」, 「聞き取り：係長 山田」.
func (iv Interview) Title() string {
	if iv.Inspection() {
		return "視察：" + orNone(iv.Place)
	}
	return "聞き取り：" + strings.TrimSpace(iv.Position+" "+iv.Person)
}

// HeldLabel is when it took place, in 和暦 ("" when unknown).
func (iv Interview) HeldLabel() string { return heldLabel(iv.HeldAt) }

// HeldInput is the time as a datetime-local field shows it.
func (iv Interview) HeldInput() string { return strings.Replace(iv.HeldAt, " ", "T", 1) }

// Names reports whether the record names an item code.
func (iv Interview) Names(code string) bool { return slices.Contains(iv.ItemCodes, code) }

func heldLabel(s string) string {
	if s == "" {
		return ""
	}
	d := jp.ParseDateKey(s[:min(len(s), 10)])
	if d.IsZero() {
		return s
	}
	if len(s) > 10 {
		return jp.FormatWareki(d) + " " + s[11:]
	}
	return jp.FormatWareki(d)
}

// InterviewInput is an interview record as entered.
type InterviewInput struct {
	Kind         string
	Person       string
	Position     string
	Place        string
	DepartmentID int64
	HeldAt       string // as typed: 2026-09-08T13:30, 2026-09-08 13:30, 令和8年9月8日 …
	ItemCodes    string // comma list of item codes, as typed
	Notes        string
}

// InputOf is a record's values as the form shows them.
func InputOf(iv Interview) InterviewInput {
	return InterviewInput{Kind: iv.Kind, Person: iv.Person, Position: iv.Position, Place: iv.Place, DepartmentID: iv.DepartmentID,
		HeldAt: iv.HeldInput(), ItemCodes: strings.Join(iv.ItemCodes, ", "), Notes: iv.Notes}
}

// cleaned is a checked input in stored form.
type cleanedInterview struct {
	InterviewInput
	held  string
	codes []string
}

// checkInterview validates an input against the engagement (its item codes
// and audited departments).
func (s *Store) checkInterview(ctx context.Context, e Engagement, in InterviewInput) (cleanedInterview, FieldErrors, error) {
	c := cleanedInterview{InterviewInput: in}
	fe := FieldErrors{}
	switch c.Kind {
	case "":
		c.Kind = InterviewPerson
	case InterviewPerson, InterviewInspection:
	default:
		fe["kind"] = "記録の種類は「聞き取り」か「視察」です。"
	}
	c.Person, c.Position, c.Place = jp.CleanName(cleanText(c.Person)), cleanText(c.Position), cleanText(c.Place)
	if c.Kind == InterviewPerson && c.Person == "" && c.Position == "" {
		fe["person"] = "聞き取りの相手（氏名か職名）を入力してください。"
	}
	if c.Kind == InterviewInspection && c.Place == "" {
		fe["place"] = "視察した場所を入力してください（例：執務室、サーバ室、書庫）。"
	}
	for _, f := range []struct{ key, val, label string }{{"person", c.Person, "氏名"}, {"position", c.Position, "職名"}, {"place", c.Place, "場所"}} {
		if utf8.RuneCountInString(f.val) > 100 {
			fe[f.key] = f.label + "は100文字以内で入力してください。"
		}
	}
	held, msg := parseHeld(c.HeldAt)
	if msg != "" {
		fe["held_at"] = msg
	}
	c.held = held
	if c.DepartmentID != 0 {
		ok, err := s.auditedDept(ctx, e, c.DepartmentID)
		if err != nil {
			return c, nil, err
		}
		if !ok {
			fe["department"] = "所属は、この監査の対象の所属（またはその配下）から選んでください。"
		}
	}
	codes := fwSplitCodes(c.ItemCodes)
	if len(codes) > 0 {
		known, err := s.itemCodes(ctx, e.ID)
		if err != nil {
			return c, nil, err
		}
		var unknown []string
		for _, code := range codes {
			if !known[code] {
				unknown = append(unknown, code)
			} else if !slices.Contains(c.codes, code) {
				c.codes = append(c.codes, code)
			}
		}
		if len(unknown) > 0 {
			fe["items"] = fmt.Sprintf("項目番号 %s はこの監査のチェックリストにありません。", strings.Join(unknown, "、"))
		}
	}
	c.Notes = cleanNotes(c.Notes)
	if n := utf8.RuneCountInString(c.Notes); n > MaxNotes {
		fe["notes"] = fmt.Sprintf("記録は%d文字以内で入力してください（現在 %d 文字）。", MaxNotes, n)
	}
	if len(fe) > 0 {
		return c, fe, nil
	}
	return c, nil, nil
}

// parseHeld reads the time of an interview: a datetime-local value
// (2026-09-08T13:30), a date and time, or a date alone written any way
// jp.ParseDate reads. It returns the stored form.
func parseHeld(s string) (string, string) {
	s = strings.TrimSpace(jp.Normalize(s))
	if s == "" {
		return "", ""
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05", "2006/1/2 15:04"} {
		if t, err := time.ParseInLocation(layout, s, jp.JST); err == nil {
			return t.Format("2006-01-02 15:04"), ""
		}
	}
	if t, err := jp.ParseDate(s); err == nil {
		return jp.DateKey(t), ""
	}
	return "", "日時「" + s + "」が読めません。2026-09-08 13:30 や 令和8年9月8日 の形で入力してください。"
}

// auditedDept reports whether dept is one of the engagement's audited
// departments or below one.
func (s *Store) auditedDept(ctx context.Context, e Engagement, dept int64) (bool, error) {
	for _, t := range e.Targets {
		ok, err := s.org.Within(ctx, dept, t.DepartmentID)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// itemCodes are the codes of the engagement's checklist (dropped items
// excluded).
func (s *Store) itemCodes(ctx context.Context, engagementID int64) (map[string]bool, error) {
	rows, err := s.db.Query(ctx, "SELECT code FROM audit_items WHERE engagement_id = ? AND NOT dropped", engagementID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out[c] = true
	}
	return out, rows.Err()
}

// CreateInterview records a new interview or inspection round, audited,
// and returns its id.
func (s *Store) CreateInterview(ctx context.Context, e Engagement, in InterviewInput, by Actor) (int64, error) {
	c, fe, err := s.checkInterview(ctx, e, in)
	if err != nil {
		return 0, fmt.Errorf("audit.CreateInterview: %w", err)
	}
	if fe != nil {
		return 0, fe
	}
	var id int64
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		code, err := s.fieldworkCode(ctx, e.ID)
		if err != nil {
			return err
		}
		id, err = s.db.InsertID(ctx, `INSERT INTO audit_interviews (engagement_id, kind, person, position, place, department_id, held_at, item_codes, notes,
			rev, created_by_name, updated_by_name, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
			e.ID, c.Kind, c.Person, c.Position, c.Place, nullID(c.DepartmentID), c.held, strings.Join(c.codes, ","), c.Notes, by.Name, by.Name, database.T(s.now()))
		if err != nil {
			return err
		}
		iv := Interview{Kind: c.Kind, Person: c.Person, Position: c.Position, Place: c.Place}
		return s.log.Record(ctx, "audit.interview_create", fmt.Sprintf("audit_interview:%d", id), fmt.Sprintf("%s %s を記録", code, iv.Title()))
	})
	if err != nil {
		if errors.Is(err, ErrFieldworkClosed) || errors.Is(err, database.ErrNotFound) {
			return 0, err
		}
		return 0, fmt.Errorf("audit.CreateInterview: %w", err)
	}
	return id, nil
}

// SaveInterview changes an interview record if rev is still the stored
// one (ErrConflict otherwise, unless it already holds exactly what is
// sent), audited, and returns it as saved. A record of another engagement
// is database.ErrNotFound.
func (s *Store) SaveInterview(ctx context.Context, e Engagement, id, rev int64, in InterviewInput, by Actor) (Interview, error) {
	c, fe, err := s.checkInterview(ctx, e, in)
	if err != nil {
		return Interview{}, fmt.Errorf("audit.SaveInterview: %w", err)
	}
	if fe != nil {
		return Interview{}, fe
	}
	var out Interview
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		code, err := s.fieldworkCode(ctx, e.ID)
		if err != nil {
			return err
		}
		cur, err := s.Interview(ctx, e.ID, id)
		if err != nil {
			return err
		}
		out = cur
		if cur.Kind == c.Kind && cur.Person == c.Person && cur.Position == c.Position && cur.Place == c.Place && cur.DepartmentID == c.DepartmentID &&
			cur.HeldAt == c.held && slices.Equal(cur.ItemCodes, c.codes) && cur.Notes == c.Notes {
			return nil
		}
		if cur.Rev != rev {
			return ErrConflict
		}
		now := s.now()
		res, err := s.db.Exec(ctx, `UPDATE audit_interviews SET kind = ?, person = ?, position = ?, place = ?, department_id = ?, held_at = ?, item_codes = ?,
			notes = ?, rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE id = ? AND engagement_id = ? AND rev = ?`,
			c.Kind, c.Person, c.Position, c.Place, nullID(c.DepartmentID), c.held, strings.Join(c.codes, ","), c.Notes, by.Name, database.T(now), id, e.ID, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		out.Kind, out.Person, out.Position, out.Place, out.DepartmentID = c.Kind, c.Person, c.Position, c.Place, c.DepartmentID
		out.HeldAt, out.ItemCodes, out.Notes, out.Rev, out.UpdatedBy, out.UpdatedAt = c.held, c.codes, c.Notes, rev+1, by.Name, database.T(now).Time
		out.Department = s.departmentName(ctx, c.DepartmentID)
		detail := fmt.Sprintf("%s %s を更新（記録 %d 文字、項目 %d）", code, out.Title(), utf8.RuneCountInString(c.Notes), len(c.codes))
		return s.log.Record(ctx, "audit.interview_save", fmt.Sprintf("audit_interview:%d", id), detail)
	})
	if err != nil {
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrFieldworkClosed) || errors.Is(err, database.ErrNotFound) {
			return out, err
		}
		return out, fmt.Errorf("audit.SaveInterview: %w", err)
	}
	return out, nil
}

// DeleteInterview removes an interview record entered by mistake, if rev
// is still the stored one, audited.
func (s *Store) DeleteInterview(ctx context.Context, engagementID, id, rev int64, by Actor) error {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		code, err := s.fieldworkCode(ctx, engagementID)
		if err != nil {
			return err
		}
		cur, err := s.Interview(ctx, engagementID, id)
		if err != nil {
			return err
		}
		res, err := s.db.Exec(ctx, "DELETE FROM audit_interviews WHERE id = ? AND engagement_id = ? AND rev = ?", id, engagementID, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		return s.log.Record(ctx, "audit.interview_delete", fmt.Sprintf("audit_interview:%d", id),
			fmt.Sprintf("%s %s（%s）を削除", code, cur.Title(), orNone(cur.HeldLabel())))
	})
	if err != nil && !errors.Is(err, ErrConflict) && !errors.Is(err, ErrFieldworkClosed) && !errors.Is(err, database.ErrNotFound) {
		return fmt.Errorf("audit.DeleteInterview: %w", err)
	}
	return err
}

const interviewCols = `id, engagement_id, kind, person, position, place, COALESCE(department_id, 0), held_at, item_codes, notes, rev,
	created_by_name, updated_by_name, updated_at`

func scanInterview(sc interface{ Scan(...any) error }) (Interview, error) {
	var iv Interview
	var codes string
	var at database.Time
	err := sc.Scan(&iv.ID, &iv.EngagementID, &iv.Kind, &iv.Person, &iv.Position, &iv.Place, &iv.DepartmentID, &iv.HeldAt, &codes, &iv.Notes,
		&iv.Rev, &iv.CreatedBy, &iv.UpdatedBy, &at)
	iv.ItemCodes, iv.UpdatedAt = splitList(codes), at.Time
	return iv, err
}

// Interview is one interview record of an engagement; one of another
// engagement is database.ErrNotFound.
func (s *Store) Interview(ctx context.Context, engagementID, id int64) (Interview, error) {
	iv, err := scanInterview(s.db.QueryRow(ctx, "SELECT "+interviewCols+" FROM audit_interviews WHERE id = ? AND engagement_id = ?", id, engagementID))
	if errors.Is(err, sql.ErrNoRows) {
		return iv, database.ErrNotFound
	}
	if err != nil {
		return iv, fmt.Errorf("audit.Interview: %w", err)
	}
	iv.Department = s.departmentName(ctx, iv.DepartmentID)
	return iv, nil
}

// Interviews lists an engagement's interviews and inspection rounds, by
// time (those without one last) and entry.
func (s *Store) Interviews(ctx context.Context, engagementID int64) ([]Interview, error) {
	rows, err := s.db.Query(ctx, "SELECT "+interviewCols+" FROM audit_interviews WHERE engagement_id = ? ORDER BY CASE WHEN held_at = '' THEN 1 ELSE 0 END, held_at, id", engagementID)
	if err != nil {
		return nil, fmt.Errorf("audit.Interviews: %w", err)
	}
	defer rows.Close()
	var out []Interview
	for rows.Next() {
		iv, err := scanInterview(rows)
		if err != nil {
			return nil, fmt.Errorf("audit.Interviews: %w", err)
		}
		out = append(out, iv)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if d := tree.ByID[out[i].DepartmentID]; d != nil {
			out[i].Department = d.Name
		}
	}
	return out, nil
}

// departmentName is a department's name ("" for none or unknown).
func (s *Store) departmentName(ctx context.Context, id int64) string {
	if id == 0 {
		return ""
	}
	d, err := s.org.Department(ctx, id)
	if err != nil {
		return ""
	}
	return d.Name
}
