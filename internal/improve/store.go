package improve

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/auditlog"
	"mamori/internal/blob"
	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/web"
)

// ModuleKey is the register's module key; actions entered on the register
// itself carry it as their source module.
const ModuleKey = "improve"

// Store reads and writes the register. Features build one from their
// module.Deps and call Upsert; every change writes its history event and
// its audit-log entry in the same transaction.
type Store struct {
	db    *database.DB
	log   *auditlog.Log
	blobs *blob.Store
	org   org.Reader
	now   func() time.Time
}

// NewStore returns the register on the app's shared services.
func NewStore(d module.Deps) *Store {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	return &Store{db: d.DB, log: d.Log, blobs: d.Blobs, org: d.Org, now: now}
}

// at returns a copy of the store whose clock stands at t (demo history).
func (s *Store) at(t time.Time) *Store {
	c := *s
	c.now = func() time.Time { return t }
	return &c
}

// Actor is the person changing an action, as the status rules need them.
type Actor struct {
	UserID       int64
	Name         string
	Role         web.Role
	DepartmentID int64
}

// ActorOf is the signed-in user as an Actor.
func ActorOf(u *web.User) Actor {
	if u == nil {
		return Actor{Name: "システム"}
	}
	name := u.DisplayName
	if name == "" {
		name = u.Login
	}
	return Actor{UserID: u.ID, Name: name, Role: u.Role, DepartmentID: u.DepartmentID}
}

// actorIn is whoever acts in ctx: the signed-in user, or the audit-log
// actor (a sub-command), or the system.
func actorIn(ctx context.Context) Actor {
	if u := web.UserFrom(ctx); u != nil {
		return ActorOf(u)
	}
	a := auditlog.ActorFrom(ctx)
	if a.Login != "" && a.Login != "system" {
		return Actor{UserID: a.UserID, Name: a.Login}
	}
	return Actor{UserID: a.UserID, Name: "システム"}
}

// editor reports whether the actor runs the register (管理者・支援事業者).
func (a Actor) editor() bool { return a.Role == web.RoleAdmin || a.Role == web.RoleConsultant }

// denied is the answer to a change the actor's role may not make.
func denied(msg string) error { return &web.Error{Status: http.StatusForbidden, Msg: msg} }

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func target(id int64) string { return fmt.Sprintf("improvement_action:%d", id) }

// excerpt shortens text for the audit log and history notes.
func excerpt(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

const actionCols = `id, fiscal_year, source, source_module, source_ref, source_label, clause, title, detail, risk, owner_department_id,
	due_date, status, progress_note, completed_at, verified_by, verified_by_name, verified_at, verification_note, created_by, created_at, updated_at`

type scanner interface{ Scan(...any) error }

func scanAction(sc scanner) (Action, error) {
	var a Action
	var owner, vby, cby sql.NullInt64
	var due string
	var completed, verified, created, updated database.Time
	err := sc.Scan(&a.ID, &a.FiscalYear, &a.Source, &a.SourceModule, &a.SourceRef, &a.SourceLabel, &a.Clause, &a.Title, &a.Detail, &a.Risk,
		&owner, &due, &a.Status, &a.ProgressNote, &completed, &vby, &a.VerifiedByName, &verified, &a.VerificationNote, &cby, &created, &updated)
	if err != nil {
		return a, err
	}
	a.OwnerDepartmentID, a.VerifiedBy, a.CreatedBy = owner.Int64, vby.Int64, cby.Int64
	a.Due = parseDateKey(due)
	a.CompletedAt, a.VerifiedAt, a.CreatedAt, a.UpdatedAt = completed.Time, verified.Time, created.Time, updated.Time
	return a, nil
}

// departments maps department ids to their paths.
func (s *Store) departments(ctx context.Context) (map[int64]*org.Department, error) {
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return nil, fmt.Errorf("improve: departments: %w", err)
	}
	ds := tree.Flat()
	m := make(map[int64]*org.Department, len(ds))
	for _, d := range ds {
		m[d.ID] = d
	}
	return m, nil
}

func (s *Store) nameOwners(ctx context.Context, as []Action) error {
	if len(as) == 0 {
		return nil
	}
	ds, err := s.departments(ctx)
	if err != nil {
		return err
	}
	for i := range as {
		if d, ok := ds[as[i].OwnerDepartmentID]; ok {
			as[i].Owner = d.Path
		}
	}
	return nil
}

// Get returns one action with its owner's name.
func (s *Store) Get(ctx context.Context, id int64) (Action, error) {
	a, err := scanAction(s.db.QueryRow(ctx, "SELECT "+actionCols+" FROM improvement_actions WHERE id = ?", id))
	if err != nil {
		return a, database.NotFound("improve.Get", err)
	}
	as := []Action{a}
	if err := s.nameOwners(ctx, as); err != nil {
		return a, err
	}
	return as[0], nil
}

// locked reads action id inside the caller's transaction with its row
// locked until the transaction ends. A change reads the action, changes it
// in Go and writes every column back: without the lock two changes at once
// on PostgreSQL both start from the same old action and the later one
// silently undoes the other (an edit putting back the status a progress
// report had just moved).
func (s *Store) locked(ctx context.Context, id int64) (Action, error) {
	if err := s.db.LockRow(ctx, "improvement_actions", id); err != nil {
		return Action{}, fmt.Errorf("improve.Get: %w", err)
	}
	return s.Get(ctx, id)
}

// lockedByRef is ByRef with the action's row locked, as locked.
func (s *Store) lockedByRef(ctx context.Context, sourceModule, sourceRef string) (Action, error) {
	a, err := s.ByRef(ctx, sourceModule, sourceRef)
	if err != nil {
		return a, err
	}
	if err := s.db.LockRow(ctx, "improvement_actions", a.ID); err != nil {
		return a, fmt.Errorf("improve.ByRef: %w", err)
	}
	return s.ByRef(ctx, sourceModule, sourceRef)
}

// ByRef returns the action a feature wrote under its reference.
func (s *Store) ByRef(ctx context.Context, sourceModule, sourceRef string) (Action, error) {
	a, err := scanAction(s.db.QueryRow(ctx, "SELECT "+actionCols+" FROM improvement_actions WHERE source_module = ? AND source_ref = ?",
		sourceModule, sourceRef))
	if err != nil {
		return a, database.NotFound("improve.ByRef", err)
	}
	as := []Action{a}
	if err := s.nameOwners(ctx, as); err != nil {
		return a, err
	}
	return as[0], nil
}

var moduleKeyRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// clean trims the input and checks it, naming each bad field in Japanese.
func (s *Store) clean(ctx context.Context, in *Input) FieldErrors {
	fe := FieldErrors{}
	for _, p := range []*string{&in.SourceModule, &in.SourceRef, &in.SourceLabel, &in.Clause, &in.Title, &in.Detail, &in.Risk} {
		*p = strings.TrimSpace(*p)
	}
	in.Detail = strings.ReplaceAll(in.Detail, "\r\n", "\n")
	if in.FiscalYear < 2000 || in.FiscalYear > 2100 {
		fe["fiscal_year"] = "年度を 令和8年度 か 2026 の形で入力してください。"
	}
	if !in.Source.Valid() {
		fe["source"] = "出典の区分を選んでください。"
	}
	if !moduleKeyRe.MatchString(in.SourceModule) {
		fe["source_module"] = "出典の機能（source_module）は半角英小文字で始まる40文字以内で指定してください。"
	}
	if in.SourceRef == "" || utf8.RuneCountInString(in.SourceRef) > 200 || jp.HasControl(in.SourceRef) {
		fe["source_ref"] = "出典の参照（source_ref）を200文字以内で指定してください。"
	}
	text := func(field, label, v string, max int, required bool) {
		switch {
		case required && v == "":
			fe[field] = label + "を入力してください。"
		case utf8.RuneCountInString(v) > max:
			fe[field] = fmt.Sprintf("%sは%d文字以内で入力してください（%d文字あります）。", label, max, utf8.RuneCountInString(v))
		case field != "detail" && jp.HasControl(v):
			fe[field] = label + "に改行や制御文字は使えません。"
		}
	}
	text("title", "件名", in.Title, 200, true)
	text("detail", "内容", in.Detail, 4000, false)
	text("source_label", "出典の名称", in.SourceLabel, 200, false)
	text("clause", "関係する条項", in.Clause, 200, false)
	if in.Risk == "" {
		in.Risk = "中"
	}
	if !validRisk(in.Risk) {
		fe["risk"] = "リスクは 高・中・低 のいずれかを選んでください。"
	}
	if in.OwnerDepartmentID != 0 {
		ds, err := s.departments(ctx)
		if err != nil {
			fe["owner"] = "担当所属を確認できませんでした。もう一度お試しください。"
		} else if _, ok := ds[in.OwnerDepartmentID]; !ok {
			fe["owner"] = "担当所属が見つかりません。一覧から選び直してください。"
		}
	}
	if !in.Due.IsZero() && (in.Due.Year() < 2000 || in.Due.Year() > 2100) {
		fe["due"] = "期限の日付が正しくありません。"
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

func searchText(a Action) string {
	return jp.SearchText(a.Title, a.Detail, a.SourceLabel, a.Clause, a.ProgressNote, a.VerificationNote)
}

func dueValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return dateKey(t)
}

// Upsert writes the action a feature keeps under (SourceModule, SourceRef):
// it creates it the first time and afterwards refreshes what the source
// says about it (year, source, label, clause, title, detail, risk), and the
// owner and due date while the owner has not started. It never touches the
// owner's progress: status, notes, evidence and verification stay as they
// are. Writing the same input again changes nothing. Call it inside the
// feature's own database.WithTx so the source and its action commit
// together.
func (s *Store) Upsert(ctx context.Context, in Input) (id int64, created bool, err error) {
	if fe := s.clean(ctx, &in); fe != nil {
		return 0, false, fe
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		cur, err := s.lockedByRef(ctx, in.SourceModule, in.SourceRef)
		if errors.Is(err, database.ErrNotFound) {
			id, err = s.insert(ctx, in, actorIn(ctx), "improve.upsert")
			created = true
			return err
		}
		if err != nil {
			return err
		}
		id = cur.ID
		next := cur
		next.FiscalYear, next.Source, next.SourceLabel, next.Clause = in.FiscalYear, in.Source, in.SourceLabel, in.Clause
		next.Title, next.Detail, next.Risk = in.Title, in.Detail, in.Risk
		if cur.Status == StatusOpen {
			next.OwnerDepartmentID, next.Due = in.OwnerDepartmentID, in.Due
		}
		changed := changes(cur, next)
		if len(changed) == 0 {
			return nil
		}
		return s.update(ctx, next, "source_update", "出典からの更新: "+strings.Join(changed, "、"), actorIn(ctx), "improve.upsert")
	})
	if err != nil {
		return 0, false, fmt.Errorf("improve.Upsert %s/%s: %w", in.SourceModule, in.SourceRef, err)
	}
	return id, created, nil
}

// changes names the described fields that differ between a and b.
func changes(a, b Action) []string {
	var out []string
	add := func(diff bool, label string) {
		if diff {
			out = append(out, label)
		}
	}
	add(a.FiscalYear != b.FiscalYear, "年度")
	add(a.Source != b.Source, "出典の区分")
	add(a.SourceLabel != b.SourceLabel, "出典の名称")
	add(a.Clause != b.Clause, "条項")
	add(a.Title != b.Title, "件名")
	add(a.Detail != b.Detail, "内容")
	add(a.Risk != b.Risk, "リスク")
	add(a.OwnerDepartmentID != b.OwnerDepartmentID, "担当所属")
	add(dueValue(a.Due) != dueValue(b.Due), "期限")
	return out
}

func (s *Store) insert(ctx context.Context, in Input, by Actor, auditAction string) (int64, error) {
	now := s.now()
	a := Action{FiscalYear: in.FiscalYear, Source: in.Source, SourceModule: in.SourceModule, SourceRef: in.SourceRef, SourceLabel: in.SourceLabel,
		Clause: in.Clause, Title: in.Title, Detail: in.Detail, Risk: in.Risk, OwnerDepartmentID: in.OwnerDepartmentID, Due: in.Due, Status: StatusOpen}
	id, err := s.db.InsertID(ctx, `INSERT INTO improvement_actions (fiscal_year, source, source_module, source_ref, source_label, clause, title, detail, risk,
		owner_department_id, due_date, status, search_text, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.FiscalYear, string(a.Source), a.SourceModule, a.SourceRef, a.SourceLabel, a.Clause, a.Title, a.Detail, a.Risk, nullID(a.OwnerDepartmentID),
		dueValue(a.Due), string(a.Status), searchText(a), nullID(by.UserID), database.T(now), database.T(now))
	if database.IsUniqueViolation(err) {
		return 0, FieldErrors{"source_ref": "同じ出典の参照を持つ改善措置が同時に登録されました。もう一度お試しください。"}
	}
	if err != nil {
		return 0, err
	}
	if err := s.event(ctx, id, "created", "", StatusOpen, a.SourceLabel, by); err != nil {
		return 0, err
	}
	return id, s.log.Record(ctx, auditAction, target(id), fmt.Sprintf("登録 %s「%s」（%s/%s）", a.Source.Label(), excerpt(a.Title, 60), a.SourceModule, a.SourceRef))
}

// update writes every column of a (but id and the source key) and records
// the event and the audit-log entry.
func (s *Store) update(ctx context.Context, a Action, kind, note string, by Actor, auditAction string) error {
	return s.updateStatus(ctx, a, kind, "", "", note, by, auditAction)
}

func (s *Store) updateStatus(ctx context.Context, a Action, kind string, from, to Status, note string, by Actor, auditAction string) error {
	now := s.now()
	_, err := s.db.Exec(ctx, `UPDATE improvement_actions SET fiscal_year = ?, source = ?, source_label = ?, clause = ?, title = ?, detail = ?, risk = ?,
		owner_department_id = ?, due_date = ?, status = ?, progress_note = ?, completed_at = ?, verified_by = ?, verified_by_name = ?, verified_at = ?,
		verification_note = ?, search_text = ?, updated_at = ? WHERE id = ?`,
		a.FiscalYear, string(a.Source), a.SourceLabel, a.Clause, a.Title, a.Detail, a.Risk, nullID(a.OwnerDepartmentID), dueValue(a.Due),
		string(a.Status), a.ProgressNote, database.T(a.CompletedAt), nullID(a.VerifiedBy), a.VerifiedByName, database.T(a.VerifiedAt),
		a.VerificationNote, searchText(a), database.T(now), a.ID)
	if err != nil {
		return err
	}
	if err := s.event(ctx, a.ID, kind, from, to, note, by); err != nil {
		return err
	}
	detail := fmt.Sprintf("No.%d「%s」%s", a.ID, excerpt(a.Title, 40), excerpt(note, 120))
	if from != to {
		detail = fmt.Sprintf("No.%d「%s」%s→%s %s", a.ID, excerpt(a.Title, 40), from.Label(), to.Label(), excerpt(note, 120))
	}
	return s.log.Record(ctx, auditAction, target(a.ID), strings.TrimSpace(detail))
}

func (s *Store) event(ctx context.Context, id int64, kind string, from, to Status, note string, by Actor) error {
	_, err := s.db.Exec(ctx, `INSERT INTO improvement_action_events (action_id, kind, from_status, to_status, note, user_id, user_name, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, kind, string(from), string(to), note, nullID(by.UserID), by.Name, database.T(s.now()))
	return err
}

// randomRef is the source reference of an action entered on the register.
func randomRef() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "r-" + hex.EncodeToString(b)
}

// Create enters an action on the register itself (管理者・支援事業者). Its
// source module is the register's own key and its reference is generated.
func (s *Store) Create(ctx context.Context, in Input, by Actor) (int64, error) {
	if !by.editor() {
		return 0, denied("改善措置を登録できるのは管理者と支援事業者です。")
	}
	in.SourceModule, in.SourceRef = ModuleKey, randomRef()
	if fe := s.clean(ctx, &in); fe != nil {
		return 0, fe
	}
	var id int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		id, err = s.insert(ctx, in, by, "improve.create")
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("improve.Create: %w", err)
	}
	return id, nil
}

// Update edits what an action says (管理者・支援事業者): year, source,
// label, clause, title, detail, risk, owner and due date. The source key
// and the progress stay. It reports whether anything changed.
func (s *Store) Update(ctx context.Context, id int64, in Input, by Actor) (bool, error) {
	if !by.editor() {
		return false, denied("改善措置を編集できるのは管理者と支援事業者です。")
	}
	changed := false
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		cur, err := s.locked(ctx, id)
		if err != nil {
			return err
		}
		in.SourceModule, in.SourceRef = cur.SourceModule, cur.SourceRef
		if fe := s.clean(ctx, &in); fe != nil {
			return fe
		}
		next := cur
		next.FiscalYear, next.Source, next.SourceLabel, next.Clause = in.FiscalYear, in.Source, in.SourceLabel, in.Clause
		next.Title, next.Detail, next.Risk, next.OwnerDepartmentID, next.Due = in.Title, in.Detail, in.Risk, in.OwnerDepartmentID, in.Due
		diff := changes(cur, next)
		if len(diff) == 0 {
			return nil
		}
		changed = true
		return s.update(ctx, next, "edited", "編集: "+strings.Join(diff, "、"), by, "improve.edit")
	})
	if err != nil {
		return false, fmt.Errorf("improve.Update %d: %w", id, err)
	}
	return changed, nil
}

// CanUpdate reports whether the actor may report progress on the action:
// the register's editors on every action, an auditee on the actions of
// their own department and the departments below it.
func (s *Store) CanUpdate(ctx context.Context, a Action, by Actor) (bool, error) {
	switch {
	case by.editor():
		return true, nil
	case by.Role == web.RoleAuditee && a.OwnerDepartmentID != 0 && by.DepartmentID != 0:
		return s.org.Within(ctx, a.OwnerDepartmentID, by.DepartmentID)
	}
	return false, nil
}

// Next lists the statuses the actor may move the action to, for the forms.
func (s *Store) Next(ctx context.Context, a Action, by Actor) ([]Status, error) {
	ok, err := s.CanUpdate(ctx, a, by)
	if err != nil || !ok {
		return nil, err
	}
	var out []Status
	switch a.Status {
	case StatusOpen:
		out = []Status{StatusInProgress}
	case StatusInProgress:
		out = []Status{StatusDone, StatusOpen}
	case StatusDone:
		out = []Status{StatusInProgress}
	case StatusVerified:
		if by.editor() {
			out = []Status{StatusDone, StatusInProgress}
		}
	}
	return out, nil
}

// SetStatus moves an action to status to, with a note, under the rules of
// the register:
//   - the owner department (and the register's editors) move 未着手 →
//     対応中 → 完了, each step with a note; 完了 needs a note or evidence;
//     a step back (対応中 → 未着手, 完了 → 対応中) needs a reason;
//   - only 管理者 and 支援事業者 set 確認済, and only on a 完了 action;
//   - going back from 確認済 is theirs too, and needs a reason.
func (s *Store) SetStatus(ctx context.Context, id int64, to Status, note string, by Actor) error {
	note = strings.TrimSpace(strings.ReplaceAll(note, "\r\n", "\n"))
	if !to.Valid() {
		return FieldErrors{"status": "変更後の状況を選んでください。"}
	}
	if utf8.RuneCountInString(note) > 4000 {
		return FieldErrors{"note": fmt.Sprintf("メモは4000文字以内で入力してください（%d文字あります）。", utf8.RuneCountInString(note))}
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.updatable(ctx, id, by, "この改善措置の状況を変更する権限がありません。")
		if err != nil {
			return err
		}
		from := a.Status
		if to == from {
			return FieldErrors{"status": "状況が「" + from.Label() + "」のままです。変更後の状況を選んでください。"}
		}
		kind, auditAction := "status", "improve.status"
		switch {
		case from == StatusVerified:
			if !by.editor() {
				return denied("確認済の改善措置を戻せるのは管理者と支援事業者です。")
			}
			if note == "" {
				return FieldErrors{"note": "確認済から戻す理由を入力してください。"}
			}
			kind, auditAction = "reopened", "improve.reopen"
			a.VerifiedBy, a.VerifiedByName, a.VerifiedAt, a.VerificationNote = 0, "", time.Time{}, ""
			if to != StatusDone {
				a.CompletedAt = time.Time{}
			}
		case to == StatusVerified:
			if !by.editor() {
				return denied("確認済にできるのは管理者と支援事業者です。")
			}
			if from != StatusDone {
				return FieldErrors{"status": "確認済にできるのは「完了」の改善措置だけです（いまは「" + from.Label() + "」）。"}
			}
			kind, auditAction = "verified", "improve.verify"
			a.VerifiedBy, a.VerifiedByName, a.VerifiedAt, a.VerificationNote = by.UserID, by.Name, s.now(), note
		case from == StatusOpen && to == StatusInProgress:
			if note == "" {
				return FieldErrors{"note": "対応中にするときは、対応の内容や予定をメモに入力してください。"}
			}
		case from == StatusInProgress && to == StatusDone:
			if note == "" {
				n, err := s.evidenceCount(ctx, id)
				if err != nil {
					return err
				}
				if n == 0 {
					return FieldErrors{"note": "完了にするには、対応結果をメモに入力するか、証跡を登録してください。"}
				}
			}
			a.CompletedAt = s.now()
		case from == StatusInProgress && to == StatusOpen:
			if note == "" {
				return FieldErrors{"note": "未着手に戻す理由を入力してください。"}
			}
		case from == StatusDone && to == StatusInProgress:
			if note == "" {
				return FieldErrors{"note": "完了を取り消す理由を入力してください。"}
			}
			a.CompletedAt = time.Time{}
		case from == StatusOpen && to == StatusDone:
			return FieldErrors{"status": "未着手から完了にはできません。先に「対応中」にして対応の内容を記録してください。"}
		default:
			return FieldErrors{"status": "「" + from.Label() + "」から「" + to.Label() + "」には変更できません。"}
		}
		if note != "" && kind != "verified" && kind != "reopened" {
			a.ProgressNote = note
		}
		a.Status = to
		return s.updateStatus(ctx, a, kind, from, to, note, by, auditAction)
	})
	if err != nil {
		return fmt.Errorf("improve.SetStatus %d: %w", id, err)
	}
	return nil
}

// Verify marks a completed action 確認済 (管理者・支援事業者), with the
// verifier's note.
func (s *Store) Verify(ctx context.Context, id int64, note string, by Actor) error {
	return s.SetStatus(ctx, id, StatusVerified, note, by)
}

func (s *Store) evidenceCount(ctx context.Context, id int64) (int, error) {
	var n int
	err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM improvement_action_evidence WHERE action_id = ?", id).Scan(&n)
	return n, err
}

// EvidenceInput is a file (Data with its name and sniffed type) or a text
// note, or both.
type EvidenceInput struct {
	Filename    string
	ContentType string
	Data        []byte
	Note        string
}

// AddEvidence records evidence for an action: the file goes to the blob
// store. Those who may report progress may add it, until the action is
// 確認済.
func (s *Store) AddEvidence(ctx context.Context, id int64, in EvidenceInput, by Actor) (int64, error) {
	in.Note = strings.TrimSpace(strings.ReplaceAll(in.Note, "\r\n", "\n"))
	if len(in.Data) == 0 && in.Note == "" {
		return 0, FieldErrors{"evidence_note": "証跡のファイルを選ぶか、証跡の内容を入力してください。"}
	}
	if utf8.RuneCountInString(in.Note) > 4000 {
		return 0, FieldErrors{"evidence_note": fmt.Sprintf("証跡の内容は4000文字以内で入力してください（%d文字あります）。", utf8.RuneCountInString(in.Note))}
	}
	var eid int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.updatable(ctx, id, by, "この改善措置に証跡を登録する権限がありません。")
		if err != nil {
			return err
		}
		if a.Status == StatusVerified {
			return FieldErrors{"file": "確認済の改善措置には証跡を追加できません。追加が必要なら、管理者か支援事業者が状況を戻してください。"}
		}
		var blobID int64
		if len(in.Data) > 0 {
			b, err := s.blobs.Put(ctx, in.Filename, in.ContentType, in.Data, by.UserID)
			if err != nil {
				return err
			}
			blobID = b.ID
		}
		eid, err = s.db.InsertID(ctx, `INSERT INTO improvement_action_evidence (action_id, blob_id, filename, content_type, size, note, user_id, user_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, nullID(blobID), in.Filename, in.ContentType, len(in.Data), in.Note, nullID(by.UserID), by.Name, database.T(s.now()))
		if err != nil {
			return err
		}
		what := in.Filename
		if what == "" {
			what = excerpt(in.Note, 80)
		} else if in.Note != "" {
			what += "（" + excerpt(in.Note, 60) + "）"
		}
		if _, err := s.db.Exec(ctx, "UPDATE improvement_actions SET updated_at = ? WHERE id = ?", database.T(s.now()), id); err != nil {
			return err
		}
		if err := s.event(ctx, id, "evidence", "", "", what, by); err != nil {
			return err
		}
		return s.log.Record(ctx, "improve.evidence", target(id), fmt.Sprintf("No.%d 証跡 %d: %s", id, eid, what))
	})
	if err != nil {
		return 0, fmt.Errorf("improve.AddEvidence %d: %w", id, err)
	}
	return eid, nil
}

// Events is an action's history, oldest first.
func (s *Store) Events(ctx context.Context, id int64) ([]Event, error) {
	rows, err := s.db.Query(ctx, `SELECT id, action_id, kind, from_status, to_status, note, user_id, user_name, created_at
		FROM improvement_action_events WHERE action_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("improve.Events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var uid sql.NullInt64
		var at database.Time
		if err := rows.Scan(&e.ID, &e.ActionID, &e.Kind, &e.FromStatus, &e.ToStatus, &e.Note, &uid, &e.UserName, &at); err != nil {
			return nil, fmt.Errorf("improve.Events: %w", err)
		}
		e.UserID, e.At = uid.Int64, at.Time
		out = append(out, e)
	}
	return out, rows.Err()
}

const evidenceCols = "id, action_id, blob_id, filename, content_type, size, note, user_id, user_name, created_at"

func scanEvidence(sc scanner) (Evidence, error) {
	var e Evidence
	var bid, uid sql.NullInt64
	var at database.Time
	if err := sc.Scan(&e.ID, &e.ActionID, &bid, &e.Filename, &e.ContentType, &e.Size, &e.Note, &uid, &e.UserName, &at); err != nil {
		return e, err
	}
	e.BlobID, e.UserID, e.At = bid.Int64, uid.Int64, at.Time
	return e, nil
}

// EvidenceOf lists an action's evidence, oldest first.
func (s *Store) EvidenceOf(ctx context.Context, id int64) ([]Evidence, error) {
	rows, err := s.db.Query(ctx, "SELECT "+evidenceCols+" FROM improvement_action_evidence WHERE action_id = ? ORDER BY id", id)
	if err != nil {
		return nil, fmt.Errorf("improve.EvidenceOf: %w", err)
	}
	defer rows.Close()
	var out []Evidence
	for rows.Next() {
		e, err := scanEvidence(rows)
		if err != nil {
			return nil, fmt.Errorf("improve.EvidenceOf: %w", err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// EvidenceFile returns an evidence file of the action and its content; a
// text note or evidence of another action is not found.
func (s *Store) EvidenceFile(ctx context.Context, actionID, evidenceID int64) (Evidence, []byte, error) {
	e, err := scanEvidence(s.db.QueryRow(ctx, "SELECT "+evidenceCols+" FROM improvement_action_evidence WHERE id = ? AND action_id = ?",
		evidenceID, actionID))
	if err != nil {
		return e, nil, database.NotFound("improve.EvidenceFile", err)
	}
	if e.BlobID == 0 {
		return e, nil, fmt.Errorf("improve.EvidenceFile %d: %w", evidenceID, database.ErrNotFound)
	}
	_, data, err := s.blobs.Get(ctx, e.BlobID)
	if err != nil {
		return e, nil, err
	}
	return e, data, nil
}

// Years lists the fiscal years that have actions, newest first.
func (s *Store) Years(ctx context.Context) ([]int, error) {
	rows, err := s.db.Query(ctx, "SELECT DISTINCT fiscal_year FROM improvement_actions ORDER BY fiscal_year DESC")
	if err != nil {
		return nil, fmt.Errorf("improve.Years: %w", err)
	}
	defer rows.Close()
	var out []int
	for rows.Next() {
		var y int
		if err := rows.Scan(&y); err != nil {
			return nil, err
		}
		out = append(out, y)
	}
	return out, rows.Err()
}

// EvidenceAction returns the action an evidence record belongs to.
func (s *Store) EvidenceAction(ctx context.Context, evidenceID int64) (int64, error) {
	var id int64
	if err := s.db.QueryRow(ctx, "SELECT action_id FROM improvement_action_evidence WHERE id = ?", evidenceID).Scan(&id); err != nil {
		return 0, database.NotFound("improve.EvidenceAction", err)
	}
	return id, nil
}

// updatable loads an action that by may update, or refuses with refusal.
func (s *Store) updatable(ctx context.Context, id int64, by Actor, refusal string) (Action, error) {
	a, err := s.locked(ctx, id)
	if err != nil {
		return a, err
	}
	ok, err := s.CanUpdate(ctx, a, by)
	if err != nil {
		return a, err
	}
	if !ok {
		return a, denied(refusal)
	}
	return a, nil
}
