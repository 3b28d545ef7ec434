package survey

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/mail"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/web"
)

// Store reads and writes questions, campaigns, invitations and responses.
type Store struct {
	db    *database.DB
	log   *auditlog.Log
	org   org.Reader
	now   func() time.Time
	sub   *committer
	cache bankCache
	heads sync.Map     // campaign id → cachedHead
	mail  *mail.Outbox // reminders by mail too (unconfigured: on the page only)
}

// NewStore returns the store on the app's shared services.
func NewStore(d module.Deps) *Store {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	s := &Store{db: d.DB, log: d.Log, org: d.Org, now: now, mail: d.Mail}
	s.sub = newCommitter(s)
	return s
}

// Errors of answering, each with the message the respondent reads.
var (
	ErrClosed    = errors.New("この自己点検の回答期間は終わっています。回答は受け付けられませんでした。")
	ErrNotOpen   = errors.New("この自己点検はまだ回答を受け付けていません。")
	ErrSubmitted = errors.New("この自己点検にはすでに回答を提出しています。")
	ErrLink      = errors.New("このリンクは無効か、有効期限が切れています。所属の庶務担当か情報セキュリティ担当にお問い合わせください。")
	ErrConflict  = errors.New("ほかの人が先に更新しました。画面を読み込み直してから、もう一度操作してください。")
)

// today is the ward's calendar date (Japan time) as UTC midnight.
func (s *Store) today() time.Time {
	t := s.now().In(jp.JST)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func dateKey(t time.Time) string { return t.Format(time.DateOnly) }

func parseDate(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// CampaignInput is what the campaign form sets.
type CampaignInput struct {
	FiscalYear  int
	Title       string
	Audiences   []string
	Anonymous   bool
	OpensOn     time.Time
	ClosesOn    time.Time
	Note        string
	Departments []int64
}

func (s *Store) checkCampaign(ctx context.Context, in *CampaignInput) FieldErrors {
	fe := FieldErrors{}
	in.Title = strings.TrimSpace(in.Title)
	if in.Title == "" || utf8.RuneCountInString(in.Title) > 200 || jp.HasControl(in.Title) {
		fe["title"] = "件名を 200 文字以内で入れてください。"
	}
	var auds []string
	for _, a := range AudienceOrder {
		if slices.Contains(in.Audiences, a) {
			auds = append(auds, a)
		}
	}
	if len(auds) == 0 {
		fe["audiences"] = "対象者を一つ以上選んでください。"
	}
	in.Audiences = auds
	if in.OpensOn.IsZero() {
		fe["opens_on"] = "回答開始日を入れてください。"
	}
	if in.ClosesOn.IsZero() {
		fe["closes_on"] = "締切日を入れてください。"
	} else if !in.OpensOn.IsZero() && in.ClosesOn.Before(in.OpensOn) {
		fe["closes_on"] = "締切日は回答開始日以降にしてください。"
	}
	if in.FiscalYear < 2000 || in.FiscalYear > 2100 {
		fe["fiscal_year"] = "年度を選んでください。"
	}
	if utf8.RuneCountInString(in.Note) > 4000 {
		fe["note"] = "案内文は 4000 文字以内にしてください。"
	}
	tree, err := s.org.Departments(ctx)
	if err == nil {
		for _, d := range in.Departments {
			if tree.ByID[d] == nil {
				fe["departments"] = "対象の所属を一覧から選んでください。"
			}
		}
	}
	in.Departments = slices.Compact(slices.Sorted(slices.Values(in.Departments)))
	return fe.orNil()
}

// CreateCampaign adds a campaign in 準備中 and returns its id. Its code is
// YEAR-SC-NN.
func (s *Store) CreateCampaign(ctx context.Context, in CampaignInput, by string) (int64, error) {
	if fe := s.checkCampaign(ctx, &in); fe != nil {
		return 0, fe
	}
	var id int64
	create := func(ctx context.Context) error {
		var n int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM survey_campaigns WHERE fiscal_year = ?", in.FiscalYear).Scan(&n); err != nil {
			return err
		}
		code := fmt.Sprintf("%d-SC-%02d", in.FiscalYear, n+1)
		now := database.T(s.now())
		var err error
		id, err = s.db.InsertID(ctx, `INSERT INTO survey_campaigns (code, fiscal_year, title, audiences, anonymous, opens_on, closes_on, state, note, rev, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'draft', ?, 1, ?, ?)`, code, in.FiscalYear, in.Title, strings.Join(in.Audiences, ","), in.Anonymous,
			dateKey(in.OpensOn), dateKey(in.ClosesOn), in.Note, now, now)
		if err != nil {
			return err
		}
		for _, d := range in.Departments {
			if _, err := s.db.Exec(ctx, "INSERT INTO survey_campaign_departments (campaign_id, department_id) VALUES (?, ?)", id, d); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, "survey.campaign_create", fmt.Sprintf("survey_campaign:%d", id), code+" "+in.Title)
	}
	// Two campaigns created at once (PostgreSQL) count the same campaigns
	// and pick the same code: the later one counts again.
	err := s.db.WithTxRetry(ctx, 10, create)
	if database.IsUniqueViolation(err) {
		return 0, ErrConflict
	}
	return id, err
}

// UpdateCampaign changes a campaign's settings (rev: the version the form
// was read at). Audiences, anonymity and targets are fixed once it opened.
func (s *Store) UpdateCampaign(ctx context.Context, id, rev int64, in CampaignInput, by string) error {
	if fe := s.checkCampaign(ctx, &in); fe != nil {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.Campaign(ctx, id)
		if err != nil {
			return err
		}
		if c.Rev != rev {
			return ErrConflict
		}
		if c.State != StateDraft && (!slices.Equal(c.Audiences, in.Audiences) || c.Anonymous != in.Anonymous || !slices.Equal(c.Departments, in.Departments)) {
			return FieldErrors{"audiences": "回答の受付を始めた後は、対象者・対象所属・匿名かどうかは変えられません（変えると回答率と集計が成り立たなくなります）。"}
		}
		res, err := s.db.Exec(ctx, `UPDATE survey_campaigns SET title = ?, audiences = ?, anonymous = ?, opens_on = ?, closes_on = ?, note = ?,
			rev = rev + 1, updated_at = ? WHERE id = ? AND rev = ?`, in.Title, strings.Join(in.Audiences, ","), in.Anonymous, dateKey(in.OpensOn),
			dateKey(in.ClosesOn), in.Note, database.T(s.now()), id, rev)
		if err != nil {
			return err
		}
		// The rev read above may have changed since (an edit or the open
		// committed in between on PostgreSQL): then nothing was updated and
		// the targets below must not be replaced either.
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		if _, err := s.db.Exec(ctx, "DELETE FROM survey_campaign_departments WHERE campaign_id = ?", id); err != nil {
			return err
		}
		for _, d := range in.Departments {
			if _, err := s.db.Exec(ctx, "INSERT INTO survey_campaign_departments (campaign_id, department_id) VALUES (?, ?)", id, d); err != nil {
				return err
			}
		}
		return s.log.Record(ctx, "survey.campaign_update", fmt.Sprintf("survey_campaign:%d", id), c.Code+" "+in.Title)
	})
}

const campaignCols = `c.id, c.code, c.fiscal_year, c.title, c.audiences, c.anonymous, c.opens_on, c.closes_on, c.state, c.note, c.rev,
	(SELECT COUNT(*) FROM survey_invitations i WHERE i.campaign_id = c.id),
	(SELECT COUNT(*) FROM survey_invitations i WHERE i.campaign_id = c.id AND i.submitted = TRUE)`

func scanCampaign(sc interface{ Scan(...any) error }) (Campaign, error) {
	var c Campaign
	var auds, opens, closes string
	err := sc.Scan(&c.ID, &c.Code, &c.FiscalYear, &c.Title, &auds, &c.Anonymous, &opens, &closes, &c.State, &c.Note, &c.Rev, &c.Invited, &c.Answered)
	c.Audiences = split(auds, ",")
	c.OpensOn, c.ClosesOn = parseDate(opens), parseDate(closes)
	return c, err
}

// Campaign reads one campaign with its targets and counts.
func (s *Store) Campaign(ctx context.Context, id int64) (Campaign, error) {
	c, err := scanCampaign(s.db.QueryRow(ctx, "SELECT "+campaignCols+" FROM survey_campaigns c WHERE c.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, database.ErrNotFound
	}
	if err != nil {
		return c, err
	}
	rows, err := s.db.Query(ctx, "SELECT department_id FROM survey_campaign_departments WHERE campaign_id = ? ORDER BY department_id", id)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			return c, err
		}
		c.Departments = append(c.Departments, d)
	}
	return c, rows.Err()
}

// campaignHead reads a campaign's settings without its targets and counts:
// what answering needs, on every request of thousands of respondents. It
// is kept for headRecheck: a change (a new closing date, the close) shows
// on the questionnaire within that time, and a submission is checked
// against the stored campaign when it commits anyway.
func (s *Store) campaignHead(ctx context.Context, id int64) (Campaign, error) {
	now := time.Now()
	if v, ok := s.heads.Load(id); ok && now.Sub(v.(cachedHead).at) < headRecheck {
		return v.(cachedHead).c, nil
	}
	c, err := s.readCampaignHead(ctx, id)
	if err == nil {
		s.heads.Store(id, cachedHead{c, now})
	}
	return c, err
}

type cachedHead struct {
	c  Campaign
	at time.Time
}

// headRecheck is how long a campaign's settings are used without reading them.
const headRecheck = time.Second

func (s *Store) readCampaignHead(ctx context.Context, id int64) (Campaign, error) {
	var c Campaign
	var auds, opens, closes string
	err := s.db.QueryRow(ctx, `SELECT id, code, fiscal_year, title, audiences, anonymous, opens_on, closes_on, state, note, rev
		FROM survey_campaigns WHERE id = ?`, id).Scan(&c.ID, &c.Code, &c.FiscalYear, &c.Title, &auds, &c.Anonymous, &opens, &closes, &c.State, &c.Note, &c.Rev)
	if errors.Is(err, sql.ErrNoRows) {
		return c, database.ErrNotFound
	}
	c.Audiences = split(auds, ",")
	c.OpensOn, c.ClosesOn = parseDate(opens), parseDate(closes)
	return c, err
}

// CampaignByCode reads a campaign by its code.
func (s *Store) CampaignByCode(ctx context.Context, code string) (Campaign, error) {
	var id int64
	err := s.db.QueryRow(ctx, "SELECT id FROM survey_campaigns WHERE code = ?", strings.TrimSpace(code)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Campaign{}, database.ErrNotFound
	}
	if err != nil {
		return Campaign{}, err
	}
	return s.Campaign(ctx, id)
}

// Campaigns lists the campaigns of fiscal year fy (0: every year), newest first.
func (s *Store) Campaigns(ctx context.Context, fy int) ([]Campaign, error) {
	q := "SELECT " + campaignCols + " FROM survey_campaigns c"
	var args []any
	if fy != 0 {
		q += " WHERE c.fiscal_year = ?"
		args = append(args, fy)
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY c.fiscal_year DESC, c.code DESC", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Campaign
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// OpenCampaign starts accepting answers: the invitations are made from the
// roster of that moment (active staff of the target departments whose
// duties call for one of the campaign's audiences). The year's questions
// must exist for every audience.
func (s *Store) OpenCampaign(ctx context.Context, id int64, by string) (int, error) {
	n := 0
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// Locked first so that a second open at the same time (PostgreSQL)
		// waits and then sees the campaign open, instead of inviting the
		// same people again.
		if err := s.db.LockRow(ctx, "survey_campaigns", id); err != nil {
			return err
		}
		c, err := s.Campaign(ctx, id)
		if err != nil {
			return err
		}
		if c.State != StateDraft {
			return FieldErrors{"state": "この自己点検はすでに回答の受付を始めています。"}
		}
		qs, err := s.Questions(ctx, c.FiscalYear, false)
		if err != nil {
			return err
		}
		for _, a := range c.Audiences {
			if !slices.ContainsFunc(qs, func(q Question) bool { return q.For(a) }) {
				return FieldErrors{"audiences": fmt.Sprintf("%d 年度の%s向けの設問がありません。先に設問を登録してください。", c.FiscalYear, AudienceLabel(a))}
			}
		}
		tree, err := s.org.Departments(ctx)
		if err != nil {
			return err
		}
		var depts []int64
		if len(c.Departments) == 0 {
			for _, d := range tree.Flat() {
				depts = append(depts, d.ID)
			}
		} else {
			for _, d := range c.Departments {
				depts = append(depts, tree.Subtree(d)...)
			}
			depts = slices.Compact(slices.Sorted(slices.Values(depts)))
		}
		var batch []any
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			rows := len(batch) / 4
			q := "INSERT INTO survey_invitations (campaign_id, staff_id, department_id, audiences) VALUES " +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?), ", rows), ", ")
			_, err := s.db.Exec(ctx, q, batch...)
			batch = batch[:0]
			return err
		}
		for _, d := range depts {
			staff, err := s.org.StaffInDepartment(ctx, d)
			if err != nil {
				return err
			}
			for _, p := range staff {
				if !p.Active {
					continue
				}
				var auds []string
				for _, a := range AudiencesOf(p.IsSystem, p.IsProtection || p.IsMyNumber) {
					if slices.Contains(c.Audiences, a) {
						auds = append(auds, a)
					}
				}
				if len(auds) == 0 {
					continue
				}
				batch = append(batch, id, p.ID, d, strings.Join(auds, ","))
				n++
				if len(batch) >= 4*200 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		if err := flush(); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "UPDATE survey_campaigns SET state = 'open', rev = rev + 1, updated_at = ? WHERE id = ?", database.T(s.now()), id); err != nil {
			return err
		}
		return s.log.Record(ctx, "survey.campaign_open", fmt.Sprintf("survey_campaign:%d", id), fmt.Sprintf("%s 回答受付を開始（対象 %d 人）", c.Code, n))
	})
	return n, err
}

// CloseCampaign stops accepting answers.
func (s *Store) CloseCampaign(ctx context.Context, id int64, by string) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		// Locked first: a second close at the same time waits and is then
		// refused, instead of closing (and logging) the campaign twice.
		if err := s.db.LockRow(ctx, "survey_campaigns", id); err != nil {
			return err
		}
		c, err := s.Campaign(ctx, id)
		if err != nil {
			return err
		}
		if c.State != StateOpen {
			return FieldErrors{"state": "回答受付中の自己点検だけを締め切れます。"}
		}
		if _, err := s.db.Exec(ctx, "UPDATE survey_campaigns SET state = 'closed', rev = rev + 1, updated_at = ? WHERE id = ?", database.T(s.now()), id); err != nil {
			return err
		}
		return s.log.Record(ctx, "survey.campaign_close", fmt.Sprintf("survey_campaign:%d", id), fmt.Sprintf("%s 締切（回答 %d / %d 人）", c.Code, c.Answered, c.Invited))
	})
}

const invitationCols = "id, campaign_id, staff_id, COALESCE(department_id, 0), audiences, draft, draft_at, submitted, token_expires"

func scanInvitation(sc interface{ Scan(...any) error }) (Invitation, error) {
	var v Invitation
	var auds, draft, draftAt, expires string
	err := sc.Scan(&v.ID, &v.CampaignID, &v.StaffID, &v.DepartmentID, &auds, &draft, &draftAt, &v.Submitted, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return v, database.ErrNotFound
	}
	v.Audiences = split(auds, ",")
	if draft != "" {
		_ = json.Unmarshal([]byte(draft), &v.Draft)
	}
	if draftAt != "" {
		v.DraftAt, _ = time.Parse(time.RFC3339, draftAt)
	}
	if expires != "" {
		v.TokenExpires, _ = time.Parse(time.RFC3339, expires)
	}
	return v, err
}

// InvitationOf is staffID's invitation to campaign id.
func (s *Store) InvitationOf(ctx context.Context, campaignID, staffID int64) (Invitation, error) {
	return scanInvitation(s.db.QueryRow(ctx, "SELECT "+invitationCols+" FROM survey_invitations WHERE campaign_id = ? AND staff_id = ?", campaignID, staffID))
}

// Invitation reads one invitation.
func (s *Store) Invitation(ctx context.Context, id int64) (Invitation, error) {
	return scanInvitation(s.db.QueryRow(ctx, "SELECT "+invitationCols+" FROM survey_invitations WHERE id = ?", id))
}

// Mine is one open campaign a person is asked to answer.
type Mine struct {
	Campaign   Campaign
	Invitation Invitation
}

// OpenFor lists the campaigns staffID is invited to that are open, and
// those already answered or closed this year, newest first.
func (s *Store) OpenFor(ctx context.Context, staffID int64) ([]Mine, error) {
	if staffID == 0 {
		return nil, nil
	}
	rows, err := s.db.Query(ctx, "SELECT "+invitationCols+" FROM survey_invitations WHERE staff_id = ? ORDER BY campaign_id DESC", staffID)
	if err != nil {
		return nil, err
	}
	var invs []Invitation
	for rows.Next() {
		v, err := scanInvitation(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		invs = append(invs, v)
	}
	rows.Close()
	var out []Mine
	for _, v := range invs {
		c, err := s.Campaign(ctx, v.CampaignID)
		if err != nil {
			return nil, err
		}
		if c.State == StateDraft {
			continue
		}
		out = append(out, Mine{c, v})
	}
	return out, nil
}

// tokenHash is how a personal link's token is stored.
func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// IssueLink makes a personal link for one invitation, valid until the
// end of the campaign's closing day (Japan time), and returns the token
// (shown once; only its hash is kept). A new link replaces the old one.
func (s *Store) IssueLink(ctx context.Context, invitationID int64) (string, error) {
	tok := web.NewToken(24)
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		v, err := s.Invitation(ctx, invitationID)
		if err != nil {
			return err
		}
		if v.Submitted {
			return ErrSubmitted
		}
		c, err := s.Campaign(ctx, v.CampaignID)
		if err != nil {
			return err
		}
		if c.State == StateClosed {
			return ErrClosed
		}
		end := time.Date(c.ClosesOn.Year(), c.ClosesOn.Month(), c.ClosesOn.Day()+1, 0, 0, 0, 0, jp.JST)
		// submitted = FALSE again: the person may have submitted since it
		// was read above, and then no new link is made.
		res, err := s.db.Exec(ctx, "UPDATE survey_invitations SET token_hash = ?, token_expires = ? WHERE id = ? AND submitted = FALSE",
			tokenHash(tok), end.UTC().Format(time.RFC3339), invitationID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrSubmitted
		}
		return s.log.Record(ctx, "survey.link_issue", fmt.Sprintf("survey_campaign:%d", c.ID), fmt.Sprintf("%s 個人用リンクを発行（回答依頼 %d）", c.Code, invitationID))
	})
	return tok, err
}

// InvitationByToken finds the invitation of a personal link that is still
// valid (not expired). A link that was used to submit still opens the
// acknowledgement, never the questionnaire again.
func (s *Store) InvitationByToken(ctx context.Context, tok string) (Invitation, error) {
	if len(tok) < 16 || len(tok) > 100 {
		return Invitation{}, ErrLink
	}
	v, err := scanInvitation(s.db.QueryRow(ctx, "SELECT "+invitationCols+" FROM survey_invitations WHERE token_hash = ?", tokenHash(tok)))
	if errors.Is(err, database.ErrNotFound) {
		return v, ErrLink
	}
	if err != nil {
		return v, err
	}
	if !v.Submitted && (v.TokenExpires.IsZero() || !s.now().Before(v.TokenExpires)) {
		return v, ErrLink
	}
	return v, nil
}

// SaveDraft keeps a respondent's answers so far (already checked) for
// later; a submitted invitation keeps no draft.
func (s *Store) SaveDraft(ctx context.Context, v Invitation, answers map[string]string) error {
	b, err := json.Marshal(answers)
	if err != nil {
		return err
	}
	res, err := s.db.Exec(ctx, "UPDATE survey_invitations SET draft = ?, draft_at = ? WHERE id = ? AND submitted = FALSE",
		string(b), s.now().UTC().Format(time.RFC3339), v.ID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrSubmitted
	}
	return nil
}

// Form is the questions one invitation asks, by audience.
type Form struct {
	Campaign  Campaign
	Sections  []Section
	Questions map[string]Question // by code
}

// Section is one audience's part of a form.
type Section struct {
	Audience  string
	Label     string
	Questions []Question
}

// FormFor builds the questionnaire of audiences auds from the year's
// questions: each question once, in the first section that asks it.
func FormFor(c Campaign, qs []Question, auds []string) Form {
	f := Form{Campaign: c, Questions: map[string]Question{}}
	for _, a := range AudienceOrder {
		if !slices.Contains(auds, a) {
			continue
		}
		sec := Section{Audience: a, Label: AudienceLabel(a)}
		for _, q := range qs {
			if q.For(a) && f.Questions[q.Code].Code == "" {
				f.Questions[q.Code] = q
				sec.Questions = append(sec.Questions, q)
			}
		}
		if len(sec.Questions) > 0 {
			f.Sections = append(f.Sections, sec)
		}
	}
	return f
}

// Count is the number of questions of the form.
func (f Form) Count() int { return len(f.Questions) }

// Check reads a form's answers from values (field "q_CODE", one value or
// several), checking each against its question; it returns the answers
// by code and the errors by field. A code not in the form is an error.
func (f Form) Check(values map[string][]string) (map[string]string, FieldErrors) {
	out := map[string]string{}
	fe := FieldErrors{}
	for k, vs := range values {
		code, ok := strings.CutPrefix(k, "q_")
		if !ok {
			continue
		}
		q, ok := f.Questions[code]
		if !ok {
			fe[k] = fmt.Sprintf("設問 %s はこの調査票にありません。画面を読み込み直してください。", code)
			continue
		}
		a, err := q.Check(vs)
		if err != nil {
			fe[k] = fmt.Sprintf("設問 %s: %s", code, err.Error())
			continue
		}
		if a != "" {
			out[code] = a
		}
	}
	return out, fe.orNil()
}

// Unanswered lists the codes of the form's questions without an answer.
func (f Form) Unanswered(answers map[string]string) []string {
	var out []string
	for _, sec := range f.Sections {
		for _, q := range sec.Questions {
			if answers[q.Code] == "" && q.Kind != KindText {
				out = append(out, q.Code)
			}
		}
	}
	return out
}

// answersOf is the answers of staffID's response to campaign id (an
// identified campaign's; an anonymous one's cannot be found this way).
func (s *Store) answersOf(ctx context.Context, campaignID, staffID int64) (map[string]string, error) {
	var raw string
	err := s.db.QueryRow(ctx, "SELECT answers FROM survey_responses WHERE campaign_id = ? AND staff_id = ?", campaignID, staffID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, database.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	return out, json.Unmarshal([]byte(raw), &out)
}
