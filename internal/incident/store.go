package incident

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/auditlog"
	"mamori/internal/blob"
	"mamori/internal/database"
	"mamori/internal/improve"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/web"
)

// Categories of incidents, in the order forms list them.
var Categories = []string{"誤送付", "誤送信", "誤交付", "紛失", "誤廃棄", "盗難", "誤公開", "不正アクセス", "マルウェア", "委託先事故", "システム障害", "その他"}

// State is where an incident stands.
type State string

// The states, in order (DESIGN.md workstream 7, the handbook's flow).
var States = []State{"received", "containment", "investigation", "recovery", "analysis", "reporting", "effect", "closed"}

var stateLabels = map[State]string{
	"received": "受付", "containment": "初動・封じ込め", "investigation": "調査", "recovery": "復旧",
	"analysis": "原因分析・再発防止策", "reporting": "報告・公表", "effect": "効果確認", "closed": "完了",
}

// Label is the state in Japanese.
func (s State) Label() string { return stateLabels[s] }

// Valid reports whether s is a state.
func (s State) Valid() bool { _, ok := stateLabels[s]; return ok }

// Flag is one fact of an incident the clock rules test (content/incident/clock.yaml facts).
type Flag struct{ Key, Label string }

// Flags are the facts a form sets, in order.
var Flags = []Flag{
	{"personal", "保有個人情報の漏えい等（おそれを含む）"},
	{"sensitive", "要配慮個人情報を含む"},
	{"financial", "不正に利用されると財産的被害が生ずるおそれ"},
	{"wrongdoing", "不正の目的をもって行われたおそれ（不正アクセス・ランサムウェア・内部不正など）"},
	{"mynumber", "特定個人情報の漏えい等（おそれを含む）"},
	{"mynumber_system", "個人番号利用事務等の情報システムで管理される特定個人情報"},
	{"public", "不特定多数の者が閲覧できる状態になった"},
	{"crime", "犯罪の疑い（盗難・不正アクセス・脅迫・不正な持出し等）"},
}

// Incident is one incident of the register.
type Incident struct {
	ID               int64
	Code             string
	FiscalYear       int
	Title            string
	Summary          string
	Category         string
	Severity         int // the handbook's level, 1–3
	State            State
	OccurredAt       time.Time
	AwareAt          time.Time
	ClosedAt         time.Time
	LeadDepartmentID int64
	LeadDepartment   string
	DataItems        string
	Persons          int
	Sent             int
	Recovered        int
	Unopened         int
	Flags            []string
	Outcome          string
	Rev              int64
	CreatedBy        string
	UpdatedAt        time.Time
}

// Has reports whether the incident has fact flag k.
func (i Incident) Has(k string) bool { return slices.Contains(i.Flags, k) }

// Facts are what the clock rules test.
func (i Incident) Facts() Facts {
	f := Facts{Flags: map[string]bool{}, Persons: i.Persons}
	for _, k := range i.Flags {
		f.Flags[k] = true
	}
	f.Flags["level2"] = i.Severity >= 2
	f.Flags["level3"] = i.Severity >= 3
	return f
}

// Closed reports whether the incident is closed (完了).
func (i Incident) Closed() bool { return i.State == "closed" }

// LevelLabel is the handbook's level.
func (i Incident) LevelLabel() string {
	return map[int]string{1: "レベル1（軽微）", 2: "レベル2（中程度）", 3: "レベル3（重大）"}[i.Severity]
}

// Party is a department or contractor involved.
type Party struct {
	ID           int64
	DepartmentID int64
	Department   string
	Contractor   string
	Role         string // 発生課 / 所管課 / 協力 / 委託先
	Actions      string
}

// Name is the party as listed.
func (p Party) Name() string {
	if p.Contractor != "" {
		return p.Contractor
	}
	return p.Department
}

// Roles of parties.
var Roles = []string{"発生課", "所管課", "協力", "委託先"}

// Event is one line of the timeline.
type Event struct {
	ID       int64
	At       time.Time
	Actor    string
	Category string
	Body     string
	InReport bool
	By       string
}

// EventCategories are the timeline's kinds.
var EventCategories = []string{"発生", "認知", "報告", "初動", "封じ込め", "調査", "連絡・通知", "復旧", "公表", "その他"}

// Store reads and writes the register.
type Store struct {
	db    *database.DB
	log   *auditlog.Log
	org   org.Reader
	now   func() time.Time
	reg   *improve.Store // the improvement register: the measures' progress
	blobs *blob.Store
}

// NewStore returns the store on the app's shared services.
func NewStore(d module.Deps) *Store {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	s := &Store{db: d.DB, log: d.Log, org: d.Org, now: now, blobs: d.Blobs}
	if d.DB != nil {
		s.reg = improve.NewStore(d)
	}
	return s
}

// FieldErrors are a form's problems by field (web.FieldErrors).
type FieldErrors = web.FieldErrors

// ErrStale is an edit made on an older copy of the incident.
var ErrStale = errors.New("incident: changed since the form was opened")

const cols = `i.id, i.code, i.fiscal_year, i.title, i.summary, i.category, i.severity, i.state, i.occurred_at, i.aware_at, i.closed_at,
	COALESCE(i.lead_department_id, 0), COALESCE(d.name, ''), i.data_items, i.persons, i.sent, i.recovered, i.unopened, i.flags, i.outcome, i.rev,
	i.created_by_name, i.updated_at`

const from = ` FROM incidents i LEFT JOIN departments d ON d.id = i.lead_department_id`

func scan(sc interface{ Scan(...any) error }) (Incident, error) {
	var i Incident
	var occurred, aware, closed, flags string
	var state string
	var updated database.Time
	err := sc.Scan(&i.ID, &i.Code, &i.FiscalYear, &i.Title, &i.Summary, &i.Category, &i.Severity, &state, &occurred, &aware, &closed,
		&i.LeadDepartmentID, &i.LeadDepartment, &i.DataItems, &i.Persons, &i.Sent, &i.Recovered, &i.Unopened, &flags, &i.Outcome, &i.Rev,
		&i.CreatedBy, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return i, database.ErrNotFound
	}
	i.State, i.UpdatedAt = State(state), updated.Time
	i.OccurredAt, i.AwareAt, i.ClosedAt = stamp(occurred), stamp(aware), stamp(closed)
	if flags != "" {
		i.Flags = strings.Split(flags, ",")
	}
	return i, err
}

func stamp(s string) time.Time { return database.ParseTime(s) }

func stampOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return database.FormatTime(t)
}

// List is fiscal year fy's incidents (0: all), the latest aware first.
func (s *Store) List(ctx context.Context, fy int) ([]Incident, error) {
	q, args := "SELECT "+cols+from, []any{}
	if fy != 0 {
		q += " WHERE i.fiscal_year = ?"
		args = append(args, fy)
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY i.aware_at DESC, i.id DESC", args...)
	if err != nil {
		return nil, fmt.Errorf("incident.List: %w", err)
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		i, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("incident.List: %w", err)
		}
		out = append(out, i)
	}
	return out, rows.Err()
}

// Get is one incident; a missing one is database.ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (Incident, error) {
	return scan(s.db.QueryRow(ctx, "SELECT "+cols+from+" WHERE i.id = ?", id))
}

// Input is the incident form, as typed.
type Input struct {
	Title, Summary, Category  string
	Severity                  int
	State                     State
	Occurred, Aware, Closed   string // yyyy-mm-ddThh:mm (datetime-local) or yyyy-mm-dd hh:mm, JST
	LeadDepartmentID          int64
	DataItems                 string
	Persons, Sent, Recovered  string
	Unopened                  string
	Flags                     []string
	Outcome                   string
	Rev                       int64 // the copy the form was made from (0: new)
	occurred, aware, closed   time.Time
	persons, sent, rec, unope int
}

// ParseDateTime reads a date and time as typed (JST): the browser's
// datetime-local, 「2026-06-03 10:15」, or a date alone (00:00).
func ParseDateTime(s string) (time.Time, error) {
	s = strings.TrimSpace(strings.Replace(s, "T", " ", 1))
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006/01/02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, jp.JST); err == nil {
			return t, nil
		}
	}
	return jp.ParseDate(s)
}

func (s *Store) check(ctx context.Context, in *Input) FieldErrors {
	fe := FieldErrors{}
	in.Title = strings.TrimSpace(in.Title)
	switch {
	case in.Title == "":
		fe["title"] = "件名を入力してください。"
	case utf8.RuneCountInString(in.Title) > 200:
		fe["title"] = "件名は200文字以内にしてください。"
	}
	if utf8.RuneCountInString(in.Summary) > 5000 || utf8.RuneCountInString(in.Outcome) > 5000 || utf8.RuneCountInString(in.DataItems) > 1000 {
		fe["summary"] = "概要・結果は5,000文字以内、対象の情報の項目は1,000文字以内にしてください。"
	}
	if !slices.Contains(Categories, in.Category) {
		fe["category"] = "種類を選んでください。"
	}
	if in.Severity < 1 || in.Severity > 3 {
		fe["severity"] = "レベル（1〜3）を選んでください。"
	}
	if in.State == "" {
		in.State = "received"
	}
	if !in.State.Valid() {
		fe["state"] = "状態を選んでください。"
	}
	var err error
	if in.occurred, err = ParseDateTime(in.Occurred); err != nil {
		fe["occurred"] = "発生日時を「2026-06-03 10:15」の形で入力してください。"
	}
	if in.aware, err = ParseDateTime(in.Aware); err != nil || in.aware.IsZero() {
		fe["aware"] = "認知日時（区の職員等が事態を知った日時）を入力してください。法定の報告期限はこの時から数えます。"
	}
	if in.closed, err = ParseDateTime(in.Closed); err != nil {
		fe["closed"] = "完了日時を「2026-06-30 17:00」の形で入力してください。"
	}
	if !in.occurred.IsZero() && !in.aware.IsZero() && in.aware.Before(in.occurred) {
		fe["aware"] = "認知日時が発生日時より前になっています。発生日時と認知日時を確かめてください。"
	}
	if !in.closed.IsZero() && !in.aware.IsZero() && in.closed.Before(in.aware) {
		fe["closed"] = "完了日時が認知日時より前になっています。"
	}
	if in.State == "closed" && in.closed.IsZero() {
		fe["closed"] = "状態を「完了」にするときは、完了日時を入力してください。"
	}
	if now := s.now(); in.aware.After(now.Add(time.Hour)) || in.occurred.After(now.Add(time.Hour)) {
		fe["aware"] = "発生日時・認知日時に未来の日時は入力できません。"
	}
	count := func(key, label, v string) int {
		v = strings.TrimSpace(strings.ReplaceAll(v, ",", ""))
		if v == "" {
			return 0
		}
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil || fmt.Sprint(n) != v || n < 0 || n > 100_000_000 {
			fe[key] = label + "は 0 以上の整数で入力してください。"
		}
		return n
	}
	in.persons = count("persons", "対象の人数", in.Persons)
	in.sent = count("sent", "送付・送信した数", in.Sent)
	in.rec = count("recovered", "回収した数", in.Recovered)
	in.unope = count("unopened", "未開封で回収した数", in.Unopened)
	if _, bad := fe["recovered"]; !bad && in.rec > in.sent && in.sent > 0 {
		fe["recovered"] = "回収した数が、送付・送信した数を超えています。"
	}
	if _, bad := fe["unopened"]; !bad && in.unope > in.rec {
		fe["unopened"] = "未開封で回収した数が、回収した数を超えています。"
	}
	for _, f := range in.Flags {
		if !slices.ContainsFunc(Flags, func(x Flag) bool { return x.Key == f }) {
			fe["flags"] = "事実の選択が正しくありません。"
		}
	}
	slices.Sort(in.Flags)
	in.Flags = slices.Compact(in.Flags)
	if in.LeadDepartmentID != 0 {
		if _, err := s.org.Department(ctx, in.LeadDepartmentID); err != nil {
			fe["lead"] = "所管課が見つかりません。"
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// Create registers an incident and returns it.
func (s *Store) Create(ctx context.Context, in Input, by string) (Incident, error) {
	if fe := s.check(ctx, &in); fe != nil {
		return Incident{}, fe
	}
	var id int64
	err := s.retryCode(ctx, func(ctx context.Context) error {
		var err error
		id, err = s.insert(ctx, in, by)
		return err
	})
	if err != nil {
		return Incident{}, err
	}
	return s.Get(ctx, id)
}

// retryCode runs fn (the whole transaction that registers an incident)
// again while the new incident's code was taken meanwhile by another
// registration (database.WithTxRetry).
func (s *Store) retryCode(ctx context.Context, fn func(ctx context.Context) error) error {
	err := s.db.WithTxRetry(ctx, 30, fn)
	if database.IsUniqueViolation(err) && !database.InTx(ctx) {
		return FieldErrors{"title": "同時に登録されたインシデントが多く、番号を決められませんでした。もう一度登録してください。"}
	}
	return err
}

// insert stores a checked incident in the caller's transaction and
// returns its id (a unique violation when its code was taken meanwhile).
func (s *Store) insert(ctx context.Context, in Input, by string) (int64, error) {
	fy := jp.FiscalYearOf(in.aware)
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM incidents WHERE fiscal_year = ?", fy).Scan(&n); err != nil {
		return 0, err
	}
	code := fmt.Sprintf("%d-IN-%03d", fy, n+1)
	now := database.T(s.now())
	var lead any
	if in.LeadDepartmentID != 0 {
		lead = in.LeadDepartmentID
	}
	id, err := s.db.InsertID(ctx, `INSERT INTO incidents (code, fiscal_year, title, summary, category, severity, state, occurred_at, aware_at,
		closed_at, lead_department_id, data_items, persons, sent, recovered, unopened, flags, outcome, search_text, created_by_name, created_at,
		updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, code, fy, in.Title, strings.TrimSpace(in.Summary),
		in.Category, in.Severity, string(in.State), stampOf(in.occurred), stampOf(in.aware), stampOf(in.closed), lead,
		strings.TrimSpace(in.DataItems), in.persons, in.sent, in.rec, in.unope, strings.Join(in.Flags, ","), strings.TrimSpace(in.Outcome),
		jp.SearchText(code, in.Title, in.Summary, in.Category), by, now, now)
	if err != nil {
		return 0, err
	}
	return id, s.log.Record(ctx, "incident.create", fmt.Sprintf("incident:%d", id),
		fmt.Sprintf("インシデント %s「%s」を登録（%s、レベル%d、認知 %s）", code, in.Title, in.Category, in.Severity, jp.FormatWarekiDateTime(in.aware)))
}

// Update changes an incident from a form made on revision in.Rev. A closed
// incident is not changed (reopen it first); an older copy is ErrStale.
func (s *Store) Update(ctx context.Context, id int64, in Input, by string) error {
	if fe := s.check(ctx, &in); fe != nil {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		cur, err := s.Get(ctx, id)
		if err != nil {
			return err
		}
		if cur.Closed() {
			return FieldErrors{"state": "完了したインシデントは変更できません。変更が必要なときは「再開する」を使ってください。"}
		}
		if cur.Rev != in.Rev {
			return ErrStale
		}
		var lead any
		if in.LeadDepartmentID != 0 {
			lead = in.LeadDepartmentID
		}
		res, err := s.db.Exec(ctx, `UPDATE incidents SET title = ?, summary = ?, category = ?, severity = ?, state = ?, occurred_at = ?, aware_at = ?,
			closed_at = ?, lead_department_id = ?, data_items = ?, persons = ?, sent = ?, recovered = ?, unopened = ?, flags = ?, outcome = ?,
			search_text = ?, rev = rev + 1, updated_at = ? WHERE id = ? AND rev = ?`, in.Title, strings.TrimSpace(in.Summary), in.Category,
			in.Severity, string(in.State), stampOf(in.occurred), stampOf(in.aware), stampOf(in.closed), lead, strings.TrimSpace(in.DataItems),
			in.persons, in.sent, in.rec, in.unope, strings.Join(in.Flags, ","), strings.TrimSpace(in.Outcome),
			jp.SearchText(cur.Code, in.Title, in.Summary, in.Category), database.T(s.now()), id, in.Rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return ErrStale
		}
		what := fmt.Sprintf("インシデント %s を更新（状態 %s、レベル%d、対象 %d 人）", cur.Code, in.State.Label(), in.Severity, in.persons)
		if in.State != cur.State {
			what = fmt.Sprintf("インシデント %s の状態を %s → %s に変更", cur.Code, cur.State.Label(), in.State.Label())
		}
		return s.log.Record(ctx, "incident.update", fmt.Sprintf("incident:%d", id), what+"（"+by+"）")
	})
}

// Reopen sets a closed incident back to 効果確認 so it can be changed.
func (s *Store) Reopen(ctx context.Context, id int64, reason, by string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return FieldErrors{"reason": "再開する理由を入力してください。"}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		cur, err := s.Get(ctx, id)
		if err != nil {
			return err
		}
		if !cur.Closed() {
			return FieldErrors{"reason": "このインシデントは完了していません。"}
		}
		// Guarded on the state: of two reopenings in flight (on PostgreSQL
		// both read it closed) only one reopens and is audited.
		res, err := s.db.Exec(ctx, "UPDATE incidents SET state = 'effect', closed_at = '', rev = rev + 1, updated_at = ? WHERE id = ? AND state = 'closed'", database.T(s.now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return FieldErrors{"reason": "このインシデントは完了していません。"}
		}
		return s.log.Record(ctx, "incident.reopen", fmt.Sprintf("incident:%d", id), fmt.Sprintf("インシデント %s を再開（理由：%s、%s）", cur.Code, reason, by))
	})
}

// Parties are the departments and contractors involved.
func (s *Store) Parties(ctx context.Context, id int64) ([]Party, error) {
	rows, err := s.db.Query(ctx, `SELECT p.id, COALESCE(p.department_id, 0), COALESCE(d.name, ''), p.contractor, p.role, p.actions
		FROM incident_parties p LEFT JOIN departments d ON d.id = p.department_id WHERE p.incident_id = ? ORDER BY p.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Party
	for rows.Next() {
		var p Party
		if err := rows.Scan(&p.ID, &p.DepartmentID, &p.Department, &p.Contractor, &p.Role, &p.Actions); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// AddParty records a department (or a contractor by name) as involved.
func (s *Store) AddParty(ctx context.Context, i Incident, p Party, by string) error {
	fe := FieldErrors{}
	p.Contractor, p.Actions = strings.TrimSpace(p.Contractor), strings.TrimSpace(p.Actions)
	if !slices.Contains(Roles, p.Role) {
		fe["role"] = "役割を選んでください。"
	}
	switch {
	case p.DepartmentID == 0 && p.Contractor == "":
		fe["party"] = "関係する所属を選ぶか、委託先の名称を入力してください。"
	case p.DepartmentID != 0 && p.Contractor != "":
		fe["party"] = "所属と委託先は、どちらか一方を指定してください。"
	case utf8.RuneCountInString(p.Contractor) > 200 || utf8.RuneCountInString(p.Actions) > 2000:
		fe["party"] = "委託先の名称は200文字、求める対応は2,000文字以内にしてください。"
	}
	if p.DepartmentID != 0 {
		if _, err := s.org.Department(ctx, p.DepartmentID); err != nil {
			fe["party"] = "所属が見つかりません。"
		}
	}
	if i.Closed() {
		fe["party"] = "完了したインシデントは変更できません。"
	}
	if len(fe) > 0 {
		return fe
	}
	var dept any
	if p.DepartmentID != 0 {
		dept = p.DepartmentID
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, "INSERT INTO incident_parties (incident_id, department_id, contractor, role, actions) VALUES (?, ?, ?, ?, ?)",
			i.ID, dept, p.Contractor, p.Role, p.Actions); err != nil {
			return err
		}
		name := p.Contractor
		if name == "" {
			d, _ := s.org.Department(ctx, p.DepartmentID)
			if d != nil {
				name = d.Name
			}
		}
		return s.log.Record(ctx, "incident.party", fmt.Sprintf("incident:%d", i.ID), fmt.Sprintf("インシデント %s の関係先に %s（%s）を追加（%s）", i.Code, name, p.Role, by))
	})
}

// Events are the timeline, in time order.
func (s *Store) Events(ctx context.Context, id int64) ([]Event, error) {
	rows, err := s.db.Query(ctx, "SELECT id, at, actor, category, body, in_report, created_by_name FROM incident_events WHERE incident_id = ? ORDER BY at, id", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at string
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Category, &e.Body, &e.InReport, &e.By); err != nil {
			return nil, err
		}
		e.At = stamp(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// AddEvent adds a line to the timeline (at as typed, JST).
func (s *Store) AddEvent(ctx context.Context, i Incident, at string, e Event, by string) error {
	fe := FieldErrors{}
	t, err := ParseDateTime(at)
	switch {
	case err != nil || t.IsZero():
		fe["at"] = "日時を「2026-06-03 10:15」の形で入力してください。"
	case t.After(s.now().Add(time.Hour)):
		fe["at"] = "未来の日時は入力できません。"
	}
	e.Body, e.Actor = strings.TrimSpace(e.Body), strings.TrimSpace(e.Actor)
	if e.Body == "" || utf8.RuneCountInString(e.Body) > 2000 {
		fe["body"] = "内容を2,000文字以内で入力してください。"
	}
	if utf8.RuneCountInString(e.Actor) > 100 {
		fe["actor"] = "対応者は100文字以内にしてください。"
	}
	if !slices.Contains(EventCategories, e.Category) {
		fe["category"] = "区分を選んでください。"
	}
	if i.Closed() {
		fe["body"] = "完了したインシデントは変更できません。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, `INSERT INTO incident_events (incident_id, at, actor, category, body, in_report, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, i.ID, stampOf(t), e.Actor, e.Category, e.Body, e.InReport, by, database.T(s.now())); err != nil {
			return err
		}
		return s.log.Record(ctx, "incident.event", fmt.Sprintf("incident:%d", i.ID), fmt.Sprintf("インシデント %s の経過を記録（%s %s）", i.Code, jp.FormatWarekiDateTime(t), e.Category))
	})
}

// Notices are the reports of the clock made: rule key → when.
func (s *Store) Notices(ctx context.Context, id int64) (map[string]time.Time, error) {
	rows, err := s.db.Query(ctx, "SELECT rule_key, done_at FROM incident_notices WHERE incident_id = ?", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var k, at string
		if err := rows.Scan(&k, &at); err != nil {
			return nil, err
		}
		out[k] = stamp(at)
	}
	return out, rows.Err()
}

// MarkNotice records that the report of rule key was made at (as typed).
func (s *Store) MarkNotice(ctx context.Context, i Incident, key, at, note, by string) error {
	r, err := LoadRules()
	if err != nil {
		return err
	}
	fe := FieldErrors{}
	idx := slices.IndexFunc(r.Rules, func(x Rule) bool { return x.Key == key })
	if idx < 0 || !r.Rules[idx].When.Applies(i.Facts()) {
		fe["notice"] = "この報告・通知は、このインシデントには当たりません。"
	}
	t, err := ParseDateTime(at)
	switch {
	case err != nil || t.IsZero():
		fe["notice"] = "行った日時を「2026-06-03 10:15」の形で入力してください。"
	case t.Before(i.AwareAt.Add(-24 * time.Hour)):
		fe["notice"] = "行った日時が認知日時より前です。"
	case t.After(s.now().Add(time.Hour)):
		fe["notice"] = "未来の日時は入力できません。"
	}
	if i.Closed() {
		fe["notice"] = "完了したインシデントは変更できません。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, `INSERT INTO incident_notices (incident_id, rule_key, done_at, note, by_name) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (incident_id, rule_key) DO UPDATE SET done_at = excluded.done_at, note = excluded.note, by_name = excluded.by_name`,
			i.ID, key, stampOf(t), strings.TrimSpace(note), by); err != nil {
			return err
		}
		return s.log.Record(ctx, "incident.notice", fmt.Sprintf("incident:%d", i.ID),
			fmt.Sprintf("インシデント %s：%s を %s に実施（%s）", i.Code, r.Rules[idx].Label, jp.FormatWarekiDateTime(t), by))
	})
}

// Deadlines are an incident's reports and notices with their deadlines.
func (s *Store) Deadlines(ctx context.Context, i Incident) ([]Deadline, error) {
	r, err := LoadRules()
	if err != nil {
		return nil, err
	}
	done, err := s.Notices(ctx, i.ID)
	if err != nil {
		return nil, err
	}
	return r.Deadlines(i.Facts(), i.AwareAt, i.ClosedAt, done), nil
}

// Involves reports whether department root's sub-tree is the incident's
// lead department or one of its parties.
func (s *Store) Involves(ctx context.Context, i Incident, root int64) (bool, error) {
	if root == 0 {
		return false, nil
	}
	ids := []int64{i.LeadDepartmentID}
	ps, err := s.Parties(ctx, i.ID)
	if err != nil {
		return false, err
	}
	for _, p := range ps {
		ids = append(ids, p.DepartmentID)
	}
	for _, d := range ids {
		if d == 0 {
			continue
		}
		if ok, err := s.org.Within(ctx, d, root); err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}
