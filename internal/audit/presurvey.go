package audit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/database"
	"mamori/internal/jp"
)

// This file is the pre-audit questionnaire (事前調査票): the engagement's
// items marked for it, answered by the audited department in its own
// login, and the questionnaire's delegation state (audit_presurveys):
//
//	draft → in_progress (first answer saved) → submitted (auditee)
//	      → changes_requested (auditor, with a comment) → in_progress / submitted
//	      → closed (auditor)
//
// Answers are locked while the questionnaire is submitted or closed. The
// questionnaire's rev counts every change of its answers and of its state,
// so that an Excel file exported at one rev cannot be imported after
// another change (presurvey_xlsx.go). Each answer also carries its own
// token (AnswerToken) for the forms: a save over an answer somebody else
// changed since the form was read is a conflict, never a silent overwrite.

// Questionnaire states.
const (
	PresurveyDraft            = "draft"
	PresurveyInProgress       = "in_progress"
	PresurveySubmitted        = "submitted"
	PresurveyChangesRequested = "changes_requested"
	PresurveyClosed           = "closed"
)

// PresurveyStates names the questionnaire's states in order.
var PresurveyStates = []struct{ Code, Label string }{
	{PresurveyDraft, "未回答"}, {PresurveyInProgress, "回答中"}, {PresurveySubmitted, "提出済み"},
	{PresurveyChangesRequested, "修正依頼中"}, {PresurveyClosed, "確認済み"},
}

// PresurveyStateLabel names a questionnaire state.
func PresurveyStateLabel(code string) string {
	for _, s := range PresurveyStates {
		if s.Code == code {
			return s.Label
		}
	}
	return code
}

// Limits of what an answer may hold.
const (
	maxAnswer  = 2000 // characters of an answer's text
	maxComment = 2000 // characters of the auditor's comment
)

// ErrPresurveyLocked is a change of the answers while the questionnaire is
// submitted or closed (a replayed form, an Excel file imported late).
var ErrPresurveyLocked = errors.New("事前調査票は提出済み（または確認済み）のため、回答を変更できません。変更が必要な場合は、監査人に修正の依頼を求めてください。")

// Presurvey is an engagement's questionnaire state.
type Presurvey struct {
	EngagementID int64
	State        string
	Comment      string // the auditor's comment when asking for changes
	Due          time.Time
	OwnDue       bool // Due is the questionnaire's own, not the 事前調査 step's
	SubmittedBy  string
	SubmittedAt  time.Time
	Rev          int64
	UpdatedAt    time.Time
}

// StateLabel is the state in Japanese.
func (p Presurvey) StateLabel() string { return PresurveyStateLabel(p.State) }

// Locked reports whether the answers may not change (submitted or closed).
func (p Presurvey) Locked() bool { return p.State == PresurveySubmitted || p.State == PresurveyClosed }

// DueWareki is the due date in 和暦 ("" when none).
func (p Presurvey) DueWareki() string { return wareki(p.Due) }

// Overdue reports whether the answers are still due after the due date.
func (p Presurvey) Overdue(now time.Time) bool {
	return !p.Due.IsZero() && !p.Locked() && jp.DateKey(p.Due) < jp.DateKey(now)
}

// ensurePresurvey makes sure the engagement has its questionnaire row (the
// engagement store creates it; older rows or hand-made ones may lack it).
func (s *Store) ensurePresurvey(ctx context.Context, engagementID int64) error {
	_, err := s.db.Exec(ctx, `INSERT INTO audit_presurveys (engagement_id, updated_at) VALUES (?, ?)
		ON CONFLICT (engagement_id) DO NOTHING`, engagementID, database.T(s.now()))
	return err
}

// Presurvey returns an engagement's questionnaire state (draft when it
// has none yet). The due date, when none is set, is the due date of the
// engagement's 事前調査 step.
func (s *Store) Presurvey(ctx context.Context, engagementID int64) (Presurvey, error) {
	p := Presurvey{EngagementID: engagementID, State: PresurveyDraft}
	var due string
	var submitted, updated database.Time
	err := s.db.QueryRow(ctx, `SELECT state, comment, due_date, submitted_by_name, submitted_at, rev, updated_at
		FROM audit_presurveys WHERE engagement_id = ?`, engagementID).Scan(&p.State, &p.Comment, &due, &p.SubmittedBy, &submitted, &p.Rev, &updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return p, fmt.Errorf("audit.Presurvey: %w", err)
	}
	p.Due, p.SubmittedAt, p.UpdatedAt = jp.ParseDateKey(due), submitted.Time, updated.Time
	p.OwnDue = !p.Due.IsZero()
	if p.Due.IsZero() {
		var stepDue string
		err := s.db.QueryRow(ctx, "SELECT due_date FROM audit_engagement_steps WHERE engagement_id = ? AND phase = ?", engagementID, string(PhasePresurvey)).Scan(&stepDue)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return p, fmt.Errorf("audit.Presurvey: %w", err)
		}
		p.Due = jp.ParseDateKey(stepDue)
	}
	return p, nil
}

// PresurveyItems lists the questionnaire's items in checklist order: the
// engagement's items marked for the pre-audit questionnaire and not
// dropped.
func (s *Store) PresurveyItems(ctx context.Context, engagementID int64) ([]Item, error) {
	return s.Items(ctx, engagementID, ItemFilter{Presurvey: true})
}

// AnswerToken is an item's answer as it stands (choice, text, when): a
// form carries the token it read, and a save whose token no longer
// matches would overwrite somebody else's answer.
func AnswerToken(it Item) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%d", it.AnswerChoice, it.Answer, it.AnsweredBy, it.AnsweredAt.UnixMicro())
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// ValidAnswerChoice reports whether code is an answer choice (or none).
func ValidAnswerChoice(code string) bool {
	if code == "" {
		return true
	}
	for _, a := range AnswerChoices {
		if a.Code == code {
			return true
		}
	}
	return false
}

// cleanAnswer tidies a multi-line text as typed or read from a cell:
// Windows line ends, control characters (other than line feeds and tabs)
// and trailing spaces removed.
func cleanAnswer(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f || r >= 0x80 && r <= 0x9f || r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
	ls := strings.Split(s, "\n")
	for i, l := range ls {
		ls[i] = strings.TrimRight(l, " \t\u3000")
	}
	return strings.Trim(strings.Join(ls, "\n"), "\n ")
}

// AnswerInput is one item's answer as the auditee typed it.
type AnswerInput struct {
	ItemID int64
	Choice string // yes, partly, no, na; "" leaves the item unanswered
	Text   string
	// Base is the AnswerToken the form read; "" skips the check (the
	// Excel import checks the questionnaire's rev instead).
	Base string
}

// AnswerConflict is a save over answers somebody else changed after the
// form was read; nothing was saved. It is ErrConflict (errors.Is).
type AnswerConflict struct {
	Items []int64
	Codes []string
}

func (c *AnswerConflict) Error() string {
	return fmt.Sprintf("他の人が先に回答を更新した項目があります（%s）。その項目の今の回答を確かめてから、もう一度保存してください。", codeList(c.Codes, 10))
}

// Is makes an AnswerConflict an ErrConflict.
func (c *AnswerConflict) Is(target error) bool { return target == ErrConflict }

// codeList joins codes for a message, at most n of them.
func codeList(codes []string, n int) string {
	if len(codes) <= n {
		return strings.Join(codes, "、")
	}
	return strings.Join(codes[:n], "、") + fmt.Sprintf(" ほか %d 項目", len(codes)-n)
}

// AnswerField is the FieldErrors key of one item's answer.
func AnswerField(itemID int64) string { return "item:" + strconv.FormatInt(itemID, 10) }

// SaveAnswers stores the auditee's answers (only those that differ from
// the stored ones) and, with submit, submits the questionnaire, which then
// needs every item answered. Everything is checked first, and nothing is
// saved when anything is wrong: FieldErrors (by AnswerField, or "submit"),
// *AnswerConflict, or ErrPresurveyLocked. It returns how many answers
// changed.
func (s *Store) SaveAnswers(ctx context.Context, engagementID int64, in []AnswerInput, submit bool, by Actor) (int, error) {
	var n int
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		n, err = s.writeAnswers(ctx, engagementID, in, by, "")
		if err != nil {
			return err
		}
		if submit {
			return s.submit(ctx, engagementID, by)
		}
		return nil
	})
	if err != nil {
		var fe FieldErrors
		var ac *AnswerConflict
		if errors.As(err, &fe) || errors.As(err, &ac) || errors.Is(err, ErrPresurveyLocked) {
			return 0, err
		}
		return 0, fmt.Errorf("audit.SaveAnswers: %w", err)
	}
	return n, nil
}

// writeAnswers checks and writes answers inside the caller's transaction,
// moves the questionnaire to in_progress when something changed, and
// records the change (via: how the answers came, for the log).
func (s *Store) writeAnswers(ctx context.Context, engagementID int64, in []AnswerInput, by Actor, via string) (int, error) {
	if err := s.ensurePresurvey(ctx, engagementID); err != nil {
		return 0, err
	}
	p, err := s.Presurvey(ctx, engagementID)
	if err != nil {
		return 0, err
	}
	items, err := s.PresurveyItems(ctx, engagementID)
	if err != nil {
		return 0, err
	}
	byID := map[int64]Item{}
	for _, it := range items {
		byID[it.ID] = it
	}
	fe := FieldErrors{}
	conflict := &AnswerConflict{}
	type change struct {
		it           Item
		choice, text string
	}
	var changes []change
	seen := map[int64]bool{}
	for _, a := range in {
		it, ok := byID[a.ItemID]
		if !ok {
			fe["form"] = fmt.Sprintf("この事前調査票にない項目（番号 %d）への回答は保存できません。画面を読み込み直してください。", a.ItemID)
			continue
		}
		if seen[a.ItemID] {
			fe[AnswerField(a.ItemID)] = fmt.Sprintf("%s: 同じ項目への回答が2つ送られました。", it.Code)
			continue
		}
		seen[a.ItemID] = true
		a.Choice = strings.TrimSpace(a.Choice)
		text := cleanAnswer(a.Text)
		switch {
		case !ValidAnswerChoice(a.Choice):
			fe[AnswerField(a.ItemID)] = fmt.Sprintf("%s: 回答を「%s」から選んでください。", it.Code, answerLabels())
			continue
		case utf8.RuneCountInString(text) > maxAnswer:
			fe[AnswerField(a.ItemID)] = fmt.Sprintf("%s: 回答内容は%d文字以内で入力してください（%d文字あります）。", it.Code, maxAnswer, utf8.RuneCountInString(text))
			continue
		}
		if a.Choice == it.AnswerChoice && text == it.Answer {
			continue
		}
		if a.Base != "" && a.Base != AnswerToken(it) {
			conflict.Items, conflict.Codes = append(conflict.Items, it.ID), append(conflict.Codes, it.Code)
			continue
		}
		changes = append(changes, change{it, a.Choice, text})
	}
	if p.Locked() && (len(changes) > 0 || len(conflict.Items) > 0 || len(fe) > 0) {
		return 0, ErrPresurveyLocked
	}
	if len(fe) > 0 {
		return 0, fe
	}
	if len(conflict.Items) > 0 {
		return 0, conflict
	}
	if len(changes) == 0 {
		return 0, nil
	}
	now := database.T(s.now())
	var codes []string
	for _, c := range changes {
		res, err := s.db.Exec(ctx, `UPDATE audit_items SET answer_choice = ?, answer = ?, answered_by_name = ?, answered_at = ?
			WHERE id = ? AND engagement_id = ? AND answer_choice = ? AND answer = ?`,
			c.choice, c.text, by.Name, now, c.it.ID, engagementID, c.it.AnswerChoice, c.it.Answer)
		if err != nil {
			return 0, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, &AnswerConflict{Items: []int64{c.it.ID}, Codes: []string{c.it.Code}}
		}
		codes = append(codes, c.it.Code)
	}
	// The answers' own guards above keep two people's saves apart; the
	// questionnaire only must not have been submitted or closed meanwhile.
	res, err := s.db.Exec(ctx, `UPDATE audit_presurveys SET state = CASE WHEN state IN (?, ?) THEN ? ELSE state END, rev = rev + 1, updated_at = ?
		WHERE engagement_id = ? AND state NOT IN (?, ?)`, PresurveyDraft, PresurveyChangesRequested, PresurveyInProgress, now,
		engagementID, PresurveySubmitted, PresurveyClosed)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, ErrPresurveyLocked
	}
	detail := fmt.Sprintf("事前調査票の回答を保存（%d 項目：%s）", len(codes), codeList(codes, 10))
	if via != "" {
		detail = fmt.Sprintf("事前調査票の回答を%s（%d 項目：%s）", via, len(codes), codeList(codes, 10))
	}
	if err := s.log.Record(ctx, "audit.presurvey_answer", fmt.Sprintf("audit_engagement:%d", engagementID), detail); err != nil {
		return 0, err
	}
	return len(changes), nil
}

// answerLabels lists the answer choices for messages.
func answerLabels() string {
	var ls []string
	for _, a := range AnswerChoices {
		ls = append(ls, a.Label)
	}
	return strings.Join(ls, "・")
}

// submit hands the questionnaire in (inside the caller's transaction):
// every item must be answered, and it must not be submitted or closed.
func (s *Store) submit(ctx context.Context, engagementID int64, by Actor) error {
	p, err := s.Presurvey(ctx, engagementID)
	if err != nil {
		return err
	}
	if p.Locked() {
		return ErrPresurveyLocked
	}
	items, err := s.PresurveyItems(ctx, engagementID)
	if err != nil {
		return err
	}
	if len(items) == 0 {
		return FieldErrors{"submit": "この監査には事前調査票の項目がありません。"}
	}
	var missing []string
	for _, it := range items {
		if it.AnswerChoice == "" {
			missing = append(missing, it.Code)
		}
	}
	if len(missing) > 0 {
		return FieldErrors{"submit": fmt.Sprintf("まだ回答を選んでいない項目が %d 件あります（%s）。全ての項目に回答してから提出してください。", len(missing), codeList(missing, 10))}
	}
	now := database.T(s.now())
	res, err := s.db.Exec(ctx, `UPDATE audit_presurveys SET state = ?, comment = '', submitted_by_name = ?, submitted_at = ?, rev = rev + 1, updated_at = ?
		WHERE engagement_id = ? AND rev = ? AND state NOT IN (?, ?)`, PresurveySubmitted, by.Name, now, now, engagementID, p.Rev, PresurveySubmitted, PresurveyClosed)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrConflict
	}
	return s.log.Record(ctx, "audit.presurvey_submit", fmt.Sprintf("audit_engagement:%d", engagementID),
		fmt.Sprintf("事前調査票を提出（%d 項目）", len(items)))
}

// SubmitPresurvey submits the questionnaire as it stands (see SaveAnswers
// for saving and submitting at once).
func (s *Store) SubmitPresurvey(ctx context.Context, engagementID int64, by Actor) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error { return s.submit(ctx, engagementID, by) })
}

// RequestPresurveyChanges returns a submitted (or closed) questionnaire to
// the auditee with the auditor's comment, which is required; rev is the
// questionnaire's rev the auditor read.
func (s *Store) RequestPresurveyChanges(ctx context.Context, engagementID, rev int64, comment string, by Actor) error {
	comment = cleanAnswer(comment)
	switch {
	case comment == "":
		return FieldErrors{"comment": "修正を依頼する内容（どの項目をどう直してほしいか）を入力してください。"}
	case utf8.RuneCountInString(comment) > maxComment:
		return FieldErrors{"comment": fmt.Sprintf("修正依頼の内容は%d文字以内で入力してください。", maxComment)}
	}
	return s.setState(ctx, engagementID, rev, func(p Presurvey) (string, string, error) {
		if p.State != PresurveySubmitted && p.State != PresurveyClosed {
			return "", "", FieldErrors{"state": fmt.Sprintf("事前調査票は「%s」のため、修正を依頼できません（提出された後に依頼できます）。", p.StateLabel())}
		}
		return PresurveyChangesRequested, fmt.Sprintf("事前調査票の修正を依頼：%s", comment), nil
	}, comment)
}

// ClosePresurvey marks the questionnaire as checked by the auditors
// (確認済み): the answers are locked for good.
func (s *Store) ClosePresurvey(ctx context.Context, engagementID, rev int64, by Actor) error {
	return s.setState(ctx, engagementID, rev, func(p Presurvey) (string, string, error) {
		if p.State == PresurveyClosed {
			return "", "", FieldErrors{"state": "事前調査票はすでに確認済みです。"}
		}
		return PresurveyClosed, fmt.Sprintf("事前調査票を確認済みにしました（%sから）", p.StateLabel()), nil
	}, "")
}

// setState moves the questionnaire to the state decide returns, if rev
// is still the stored one, and records it.
func (s *Store) setState(ctx context.Context, engagementID, rev int64, decide func(Presurvey) (string, string, error), comment string) error {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.ensurePresurvey(ctx, engagementID); err != nil {
			return err
		}
		p, err := s.Presurvey(ctx, engagementID)
		if err != nil {
			return err
		}
		if p.Rev != rev {
			return ErrConflict
		}
		to, detail, err := decide(p)
		if err != nil {
			return err
		}
		res, err := s.db.Exec(ctx, "UPDATE audit_presurveys SET state = ?, comment = ?, rev = rev + 1, updated_at = ? WHERE engagement_id = ? AND rev = ?",
			to, comment, database.T(s.now()), engagementID, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		return s.log.Record(ctx, "audit.presurvey_state", fmt.Sprintf("audit_engagement:%d", engagementID), detail)
	})
	var fe FieldErrors
	if err != nil && !errors.As(err, &fe) && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("audit.setState: %w", err)
	}
	return err
}

// SetPresurveyDue sets the answers' due date (zero: the 事前調査 step's).
// The date is not part of the answers, so it leaves the rev alone.
func (s *Store) SetPresurveyDue(ctx context.Context, engagementID int64, due time.Time, by Actor) error {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.ensurePresurvey(ctx, engagementID); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "UPDATE audit_presurveys SET due_date = ?, updated_at = ? WHERE engagement_id = ?",
			jp.DateKey(due), database.T(s.now()), engagementID); err != nil {
			return err
		}
		detail := "事前調査票の回答期限を" + wareki(due) + "に設定"
		if due.IsZero() {
			detail = "事前調査票の回答期限を取り消し（事前調査の工程の期限を使います）"
		}
		return s.log.Record(ctx, "audit.presurvey_due", fmt.Sprintf("audit_engagement:%d", engagementID), detail)
	})
	if err != nil {
		return fmt.Errorf("audit.SetPresurveyDue: %w", err)
	}
	return nil
}

// SetFocus marks an item of the checklist to be looked at closely during
// the visit (重点確認), or clears the mark; rev is the item's rev as read.
func (s *Store) SetFocus(ctx context.Context, engagementID, itemID, rev int64, on bool, by Actor) error {
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		it, err := s.Item(ctx, engagementID, itemID)
		if err != nil {
			return err
		}
		if it.Dropped {
			return FieldErrors{"item": it.Code + " はチェックリストから除外されています。"}
		}
		if it.Focus == on {
			return nil
		}
		res, err := s.db.Exec(ctx, "UPDATE audit_items SET focus = ?, rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE id = ? AND engagement_id = ? AND rev = ?",
			on, by.Name, database.T(s.now()), itemID, engagementID, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		detail := it.Code + " を重点確認に指定"
		if !on {
			detail = it.Code + " の重点確認を解除"
		}
		return s.log.Record(ctx, "audit.item_focus", fmt.Sprintf("audit_item:%d", itemID), detail)
	})
	var fe FieldErrors
	if err != nil && !errors.As(err, &fe) && !errors.Is(err, ErrConflict) && !errors.Is(err, database.ErrNotFound) {
		return fmt.Errorf("audit.SetFocus: %w", err)
	}
	return err
}

// PresurveyGaps is what is still missing before the visit: items without
// an answer and requested documents without a file.
type PresurveyGaps struct {
	Items      int    // questionnaire items
	Unanswered []Item // items without an answer choice
	Requests   int
	Missing    []DocRequest // requests without any file
}

// Answered is the number of answered items.
func (g PresurveyGaps) Answered() int { return g.Items - len(g.Unanswered) }

// MissingBeforeVisit lists what the auditors still wait for before the
// visit: unanswered items and requested documents without a file.
func (s *Store) MissingBeforeVisit(ctx context.Context, engagementID int64) (PresurveyGaps, error) {
	var g PresurveyGaps
	items, err := s.PresurveyItems(ctx, engagementID)
	if err != nil {
		return g, err
	}
	g.Items = len(items)
	for _, it := range items {
		if it.AnswerChoice == "" {
			g.Unanswered = append(g.Unanswered, it)
		}
	}
	reqs, err := s.Requests(ctx, engagementID)
	if err != nil {
		return g, err
	}
	g.Requests = len(reqs)
	for _, r := range reqs {
		if len(r.Files) == 0 {
			g.Missing = append(g.Missing, r)
		}
	}
	return g, nil
}
