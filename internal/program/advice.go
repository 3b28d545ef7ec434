package program

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// Channels are how a consultation came in.
var Channels = []string{"電話", "メール", "来訪", "定例会"}

// Advice is one consultation and the advice given (相談・助言記録).
type Advice struct {
	ID         int64
	FiscalYear int
	AskedOn    time.Time
	Department string
	Channel    string
	Question   string
	Answer     string
	Clauses    []string
	By         string
}

// AdviceList lists fiscal year fy's consultations, newest first; words
// narrow them (department, question, answer).
func (s *Store) AdviceList(ctx context.Context, fy int, words string) ([]Advice, error) {
	where := []string{"fiscal_year = ?"}
	args := []any{fy}
	for _, w := range strings.Fields(words) {
		if len(where) > 6 {
			break
		}
		like := "%" + strings.NewReplacer("%", "", "_", "").Replace(w) + "%"
		where = append(where, "(department LIKE ? OR question LIKE ? OR answer LIKE ?)")
		args = append(args, like, like, like)
	}
	rows, err := s.db.Query(ctx, `SELECT id, fiscal_year, asked_on, department, channel, question, answer, clauses, created_by_name FROM program_advice
		WHERE `+strings.Join(where, " AND ")+` ORDER BY asked_on DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("program.AdviceList: %w", err)
	}
	defer rows.Close()
	var out []Advice
	for rows.Next() {
		var a Advice
		var asked, clauses string
		if err := rows.Scan(&a.ID, &a.FiscalYear, &asked, &a.Department, &a.Channel, &a.Question, &a.Answer, &clauses, &a.By); err != nil {
			return nil, err
		}
		a.AskedOn, a.Clauses = jp.ParseDateKey(asked), strings.Fields(clauses)
		out = append(out, a)
	}
	return out, rows.Err()
}

// AdviceInput is the advice form as typed.
type AdviceInput struct {
	AskedOn, Department, Channel, Question, Answer, Clauses string
}

// AddAdvice records a consultation of fiscal year fy.
func (s *Store) AddAdvice(ctx context.Context, fy int, in AdviceInput, by string) error {
	fe := FieldErrors{}
	a := Advice{Department: strings.TrimSpace(in.Department), Channel: strings.TrimSpace(in.Channel), Question: strings.TrimSpace(in.Question),
		Answer: strings.TrimSpace(in.Answer), Clauses: strings.FieldsFunc(in.Clauses, func(r rune) bool { return r == ',' || r == '、' || r == ' ' || r == '　' })}
	a.AskedOn = parseDay("start", "相談の日", in.AskedOn, fe)
	if fe["start"] == "" && (a.AskedOn.IsZero() || jp.FiscalYearOf(a.AskedOn) != fy) {
		fe["start"] = fmt.Sprintf("相談の日を%sの日付で入力してください。", jp.FiscalYearLabel(fy))
	}
	valid := false
	for _, c := range Channels {
		valid = valid || c == a.Channel
	}
	if !valid {
		fe["owner"] = "相談の方法を選んでください。"
	}
	if a.Question == "" {
		fe["title"] = "相談の内容を入力してください。"
	}
	for _, f := range []struct{ label, v string }{{"所属", a.Department}, {"相談の内容", a.Question}, {"助言", a.Answer}} {
		if n := utf8.RuneCountInString(f.v); n > 4000 {
			fe["note"] = fmt.Sprintf("%sは4,000文字以内で入力してください（%d文字あります）。", f.label, n)
		}
	}
	if len(a.Clauses) > 10 {
		fe["note"] = "関係する条項は10までにしてください。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		id, err := s.db.InsertID(ctx, `INSERT INTO program_advice (fiscal_year, asked_on, department, channel, question, answer, clauses, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, fy, jp.DateKey(a.AskedOn), a.Department, a.Channel, a.Question, a.Answer, strings.Join(a.Clauses, " "), by, database.T(s.now()))
		if err != nil {
			return fmt.Errorf("program.AddAdvice: %w", err)
		}
		return s.log.Record(ctx, "program.advice", fmt.Sprintf("program_advice:%d", id),
			fmt.Sprintf("相談・助言を記録（%s、%s）：%s", jp.FormatWareki(a.AskedOn), or(a.Department, "所属なし"), cut(a.Question, 60)))
	})
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
