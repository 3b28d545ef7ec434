package drill

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// The drill on the day: participants and their links, the clock (start,
// pause, resume, end), injects released on time or on demand, the players'
// responses, the evaluators' observations, advice and decisions.

// Role is a participant's part in the drill.
type Role string

// The participant roles.
const (
	RolePlayer      Role = "player"
	RoleFacilitator Role = "facilitator"
	RoleEvaluator   Role = "evaluator"
	RoleObserver    Role = "observer"
	RoleController  Role = "controller"
)

// Roles lists the roles in form order.
var Roles = []Role{RolePlayer, RoleFacilitator, RoleEvaluator, RoleObserver, RoleController}

var roleLabels = map[Role]string{RolePlayer: "プレイヤー", RoleFacilitator: "進行役", RoleEvaluator: "評価者", RoleObserver: "観察者", RoleController: "統制役"}

// Label is the role in Japanese.
func (r Role) Label() string { return roleLabels[r] }

// Evaluates reports whether the role records observations (評価者, 統制役, 進行役).
func (r Role) Evaluates() bool {
	return r == RoleEvaluator || r == RoleController || r == RoleFacilitator
}

// Participant is one person of a drill.
type Participant struct {
	ID           int64
	DrillID      int64
	Name         string
	DepartmentID int64
	Department   string
	Role         Role
	Team         string
	HasLink      bool
	LinkExpires  time.Time
	CheckedInAt  time.Time
}

const partCols = `p.id, p.drill_id, p.name, COALESCE(p.department_id, 0), COALESCE(d.name, ''), p.role, p.team_key, p.token_hash, p.token_expires, p.checked_in_at`

func scanPart(sc interface{ Scan(...any) error }) (Participant, error) {
	var p Participant
	var role, hash, exp, checked string
	err := sc.Scan(&p.ID, &p.DrillID, &p.Name, &p.DepartmentID, &p.Department, &role, &p.Team, &hash, &exp, &checked)
	if errors.Is(err, sql.ErrNoRows) {
		return p, database.ErrNotFound
	}
	p.Role, p.HasLink, p.LinkExpires, p.CheckedInAt = Role(role), hash != "", stamp(exp), stamp(checked)
	return p, err
}

// Participants are a drill's people, by role and name.
func (s *Store) Participants(ctx context.Context, id int64) ([]Participant, error) {
	rows, err := s.db.Query(ctx, "SELECT "+partCols+" FROM drill_participants p LEFT JOIN departments d ON d.id = p.department_id WHERE p.drill_id = ? ORDER BY p.id", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Participant
	for rows.Next() {
		p, err := scanPart(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	slices.SortStableFunc(out, func(a, b Participant) int {
		return slices.Index(Roles, a.Role) - slices.Index(Roles, b.Role)
	})
	return out, rows.Err()
}

// ParticipantInput is the participant form as typed.
type ParticipantInput struct {
	Name, Role, Team string
	DepartmentID     int64
}

// AddParticipant adds a person to a drill that has not ended.
func (s *Store) AddParticipant(ctx context.Context, d Drill, in ParticipantInput) (int64, error) {
	fe := FieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || runes(in.Name) > 100 {
		fe["name"] = "参加者の名前を100文字以内で入力してください。"
	}
	role := Role(in.Role)
	if role.Label() == "" {
		fe["role"] = "役割を選んでください。"
	}
	if role == RolePlayer {
		ts, err := s.Teams(ctx, d.ID)
		if err != nil {
			return 0, err
		}
		if !slices.ContainsFunc(ts, func(t DrillTeam) bool { return t.Key == in.Team }) {
			fe["team"] = "プレイヤーのチームを選んでください。"
		}
	} else {
		in.Team = ""
	}
	var dept any
	if in.DepartmentID != 0 {
		if _, err := s.org.Department(ctx, in.DepartmentID); err != nil {
			fe["department"] = "所属を選び直してください。"
		}
		dept = in.DepartmentID
	}
	if d.Ended() {
		fe["state"] = "終了した訓練には参加者を追加できません。"
	}
	if len(fe) > 0 {
		return 0, fe
	}
	var id int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		id, err = s.db.InsertID(ctx, "INSERT INTO drill_participants (drill_id, name, department_id, role, team_key, created_at) VALUES (?, ?, ?, ?, ?, ?)",
			d.ID, in.Name, dept, string(role), in.Team, database.T(s.now()))
		if err != nil {
			return err
		}
		return s.log.Record(ctx, "drill.participant", fmt.Sprintf("drill:%d", d.ID), fmt.Sprintf("訓練 %s に参加者を追加（%s、%s）", d.Code, in.Name, role.Label()))
	})
	return id, err
}

// IssuedLink is a participant's new link (the token is shown once).
type IssuedLink struct {
	P     Participant
	Token string
}

// linkExpiry: a link is good until the end of the day after the drill's
// planned day (Japan time), time enough for the hot wash and feedback.
func linkExpiry(d Drill) time.Time {
	t := d.PlannedAt.In(jp.JST)
	return time.Date(t.Year(), t.Month(), t.Day()+2, 0, 0, 0, 0, jp.JST)
}

// IssueLinks makes a new one-time link for each participant of ids (none:
// every participant without a link). An older link of the same person
// stops working.
func (s *Store) IssueLinks(ctx context.Context, d Drill, ids []int64) ([]IssuedLink, error) {
	if d.Ended() {
		return nil, ErrEnded
	}
	var out []IssuedLink
	exp := linkExpiry(d)
	if !exp.After(s.now()) {
		return nil, FieldErrors{"link": "訓練の実施日が過ぎているため、リンクを発行できません。実施日時を変えてから発行してください。"}
	}
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// The participants are read under the drill's lock: two issues in
		// flight (PostgreSQL) would both see the same people without a link
		// and the later would silently void the links the first handed out.
		if err := s.db.LockRow(ctx, "drills", d.ID); err != nil {
			return err
		}
		ps, err := s.Participants(ctx, d.ID)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if len(ids) > 0 && !slices.Contains(ids, p.ID) || len(ids) == 0 && p.HasLink {
				continue
			}
			tok := web.NewToken(24)
			if _, err := s.db.Exec(ctx, "UPDATE drill_participants SET token_hash = ?, token_expires = ? WHERE id = ? AND drill_id = ?",
				tokenHash(tok), stampOf(exp), p.ID, d.ID); err != nil {
				return err
			}
			p.HasLink, p.LinkExpires = true, exp
			out = append(out, IssuedLink{P: p, Token: tok})
		}
		if len(out) == 0 {
			return nil
		}
		return s.log.Record(ctx, "drill.link", fmt.Sprintf("drill:%d", d.ID), fmt.Sprintf("訓練 %s の参加者用リンクを %d 人に発行", d.Code, len(out)))
	})
	return out, err
}

// ByToken finds the participant of a link that is still valid, and marks
// the first use (the communications check).
func (s *Store) ByToken(ctx context.Context, tok string) (Participant, Drill, error) {
	if len(tok) < 16 || len(tok) > 100 {
		return Participant{}, Drill{}, ErrLink
	}
	p, err := scanPart(s.db.QueryRow(ctx, "SELECT "+partCols+" FROM drill_participants p LEFT JOIN departments d ON d.id = p.department_id WHERE p.token_hash = ?", tokenHash(tok)))
	if errors.Is(err, database.ErrNotFound) {
		return p, Drill{}, ErrLink
	}
	if err != nil {
		return p, Drill{}, err
	}
	if !s.now().Before(p.LinkExpires) {
		return p, Drill{}, ErrLink
	}
	d, err := s.Get(ctx, p.DrillID)
	if err != nil {
		return p, d, err
	}
	if p.CheckedInAt.IsZero() {
		now := s.now()
		if _, err := s.db.Exec(ctx, "UPDATE drill_participants SET checked_in_at = ? WHERE id = ? AND checked_in_at = ''", stampOf(now), p.ID); err != nil {
			return p, d, err
		}
		p.CheckedInAt = now
	}
	return p, d, nil
}

// Inject is an inject of a started drill.
type Inject struct {
	ID          int64
	Module      int // 1-based
	Seq         int // 1-based within the module
	Offset      int // minutes
	Persona     string
	From        string
	Team        string
	Channel     string
	Subject     string
	Body        string
	Expected    string
	Objective   string
	ReleasedAt  time.Time
	ReleasedBy  string
	OnDemand    bool
	Attachments []Attachment
}

// Ref is the inject's number, e.g. 2-3.
func (i Inject) Ref() string { return fmt.Sprintf("%d-%d", i.Module, i.Seq) }

// Released reports whether the inject has been given to its team.
func (i Inject) Released() bool { return !i.ReleasedAt.IsZero() }

// Injects are a started drill's injects in order, after releasing those
// whose time has come.
func (s *Store) Injects(ctx context.Context, d Drill) ([]Inject, error) {
	if d.State == StateRunning {
		if err := s.releaseDue(ctx, d); err != nil {
			return nil, err
		}
	}
	rows, err := s.db.Query(ctx, `SELECT id, module_no, seq, offset_min, persona, sender, team_key, channel, subject, body, expected, objective_key,
		released_at, released_by_name, on_demand, attachments FROM drill_injects WHERE drill_id = ? ORDER BY module_no, seq`, d.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Inject
	for rows.Next() {
		var i Inject
		var rel, att string
		if err := rows.Scan(&i.ID, &i.Module, &i.Seq, &i.Offset, &i.Persona, &i.From, &i.Team, &i.Channel, &i.Subject, &i.Body, &i.Expected,
			&i.Objective, &rel, &i.ReleasedBy, &i.OnDemand, &att); err != nil {
			return nil, err
		}
		if att != "" {
			if err := json.Unmarshal([]byte(att), &i.Attachments); err != nil {
				return nil, err
			}
		}
		i.ReleasedAt = stamp(rel)
		out = append(out, i)
	}
	return out, rows.Err()
}

// releaseDue releases the injects of a running drill whose offset the
// clock has passed, each at its scheduled time.
func (s *Store) releaseDue(ctx context.Context, d Drill) error {
	now := s.now()
	mins := int(d.Elapsed(now) / time.Minute)
	rows, err := s.db.Query(ctx, "SELECT id, offset_min FROM drill_injects WHERE drill_id = ? AND released_at = '' AND offset_min <= ?", d.ID, mins)
	if err != nil {
		return err
	}
	type due struct {
		id  int64
		off int
	}
	var ds []due
	for rows.Next() {
		var x due
		if err := rows.Scan(&x.id, &x.off); err != nil {
			rows.Close()
			return err
		}
		ds = append(ds, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ds) == 0 {
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		for _, x := range ds {
			if _, err := s.db.Exec(ctx, "UPDATE drill_injects SET released_at = ?, released_by_name = ? WHERE id = ? AND released_at = ''",
				stampOf(d.ClockAt(x.off, now)), "（予定の時刻）", x.id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Start begins a planned drill: the scenario is copied into the drill
// (later edits of the template do not change it) and its injects are laid
// out from the start.
func (s *Store) Start(ctx context.Context, d Drill, by string) error {
	if d.State != StatePlanned {
		return FieldErrors{"state": "この訓練はすでに始まっています。"}
	}
	sc, err := s.ScenarioOf(ctx, d)
	if err != nil {
		return err
	}
	b, err := json.Marshal(sc)
	if err != nil {
		return err
	}
	now := s.now()
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE drills SET state = 'running', started_at = ?, scenario_json = ?, rev = rev + 1 WHERE id = ? AND state = 'planned'",
			stampOf(now), string(b), d.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return FieldErrors{"state": "この訓練はすでに始まっています。"}
		}
		for mi, m := range sc.Modules {
			for ii, in := range m.Injects {
				att := ""
				if len(in.Attachments) > 0 {
					b, err := json.Marshal(in.Attachments)
					if err != nil {
						return err
					}
					att = string(b)
				}
				if _, err := s.db.Exec(ctx, `INSERT INTO drill_injects (drill_id, module_no, seq, offset_min, persona, sender, team_key, channel, subject, body, expected, objective_key, attachments)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.ID, mi+1, ii+1, in.Offset, in.Persona, in.From, in.Team, in.Channel, in.Subject, in.Body, in.Expected, in.Objective, att); err != nil {
					return err
				}
			}
		}
		return s.log.Record(ctx, "drill.start", fmt.Sprintf("drill:%d", d.ID), fmt.Sprintf("訓練 %s を開始（シナリオ %s を固定）", d.Code, sc.Code))
	})
}

// Pause stops the drill's clock; Resume starts it again.
func (s *Store) Pause(ctx context.Context, d Drill, by string) error {
	now := s.now()
	return s.transition(ctx, d, "UPDATE drills SET state = 'paused', paused_at = ?, rev = rev + 1 WHERE id = ? AND state = 'running'",
		[]any{stampOf(now), d.ID}, "drill.pause", "訓練 %s を一時停止", "実施中の訓練だけを一時停止できます。")
}

// Resume restarts a paused drill's clock.
func (s *Store) Resume(ctx context.Context, d Drill, by string) error {
	now := s.now()
	secs := int64(0)
	if !d.PausedAt.IsZero() {
		secs = int64(now.Sub(d.PausedAt) / time.Second)
	}
	return s.transition(ctx, d, "UPDATE drills SET state = 'running', paused_at = '', paused_secs = paused_secs + ?, rev = rev + 1 WHERE id = ? AND state = 'paused'",
		[]any{secs, d.ID}, "drill.resume", "訓練 %s を再開", "一時停止中の訓練だけを再開できます。")
}

// End ends a drill (running or paused). Injects not yet released stay
// unreleased and are listed as such in the report.
func (s *Store) End(ctx context.Context, d Drill, by string) error {
	now := s.now()
	secs := int64(0)
	if d.State == StatePaused && !d.PausedAt.IsZero() {
		secs = int64(now.Sub(d.PausedAt) / time.Second)
	}
	return s.transition(ctx, d, "UPDATE drills SET state = 'ended', ended_at = ?, paused_at = '', paused_secs = paused_secs + ?, rev = rev + 1 WHERE id = ? AND state IN ('running', 'paused')",
		[]any{stampOf(now), secs, d.ID}, "drill.end", "訓練 %s を終了", "実施中の訓練だけを終了できます。")
}

func (s *Store) transition(ctx context.Context, d Drill, q string, args []any, action, detail, refused string) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return FieldErrors{"state": refused}
		}
		return s.log.Record(ctx, action, fmt.Sprintf("drill:%d", d.ID), fmt.Sprintf(detail, d.Code))
	})
}

// Release gives an inject to its team now ("send now"), ahead of its
// planned time; the plan itself is not changed.
func (s *Store) Release(ctx context.Context, d Drill, injectID int64, by string) (Inject, error) {
	if d.Ended() {
		return Inject{}, ErrEnded
	}
	if !d.Live() {
		return Inject{}, ErrNotLive
	}
	in, err := s.inject(ctx, d, injectID)
	if err != nil {
		return in, err
	}
	if in.Released() {
		return in, nil // a second click: already released
	}
	return in, s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE drill_injects SET released_at = ?, released_by_name = ?, on_demand = TRUE WHERE id = ? AND released_at = ''",
			stampOf(s.now()), by, in.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // released meanwhile (another click, or its time came): as a second click
		}
		return s.log.Record(ctx, "drill.release", fmt.Sprintf("drill:%d", d.ID), fmt.Sprintf("訓練 %s の状況付与 %s を今すぐ付与（%s）", d.Code, in.Ref(), in.Subject))
	})
}

func (s *Store) inject(ctx context.Context, d Drill, id int64) (Inject, error) {
	all, err := s.Injects(ctx, d)
	if err != nil {
		return Inject{}, err
	}
	for _, in := range all {
		if in.ID == id {
			return in, nil
		}
	}
	return Inject{}, ErrNotOurs
}

// Response is a team's answer to an inject.
type Response struct {
	ID       int64
	InjectID int64
	By       string
	Team     string
	Body     string
	At       time.Time
}

// Responses are a drill's responses in time order.
func (s *Store) Responses(ctx context.Context, id int64) ([]Response, error) {
	rows, err := s.db.Query(ctx, `SELECT r.id, r.inject_id, r.by_name, COALESCE(p.team_key, ''), r.body, r.at FROM drill_responses r
		LEFT JOIN drill_participants p ON p.id = r.participant_id WHERE r.drill_id = ? ORDER BY r.at, r.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Response
	for rows.Next() {
		var r Response
		var at string
		if err := rows.Scan(&r.ID, &r.InjectID, &r.By, &r.Team, &r.Body, &at); err != nil {
			return nil, err
		}
		r.At = stamp(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// validKey is a client's form key: a replayed form carries the same one.
func validKey(k string) bool { return len(k) >= 16 && len(k) <= 64 }

// Respond records a player's answer to an inject given to their team. A
// replayed form (the same key) is stored once.
func (s *Store) Respond(ctx context.Context, d Drill, p Participant, injectID int64, body, key string) error {
	body = strings.TrimSpace(body)
	if body == "" || runes(body) > 4000 {
		return FieldErrors{"body": "対応の内容を4,000文字以内で入力してください。"}
	}
	if !validKey(key) {
		return FieldErrors{"body": "画面を読み込み直してから送ってください。"}
	}
	if d.Ended() {
		return ErrEnded
	}
	if !d.Live() {
		return ErrNotLive
	}
	in, err := s.inject(ctx, d, injectID)
	if err != nil {
		return err
	}
	if in.Team != p.Team || !in.Released() {
		return ErrNotTeams
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Exec(ctx, "INSERT INTO drill_responses (drill_id, inject_id, participant_id, by_name, body, at, client_key) VALUES (?, ?, ?, ?, ?, ?, ?)",
			d.ID, in.ID, p.ID, p.Name, body, stampOf(s.now()), key)
		if database.IsUniqueViolation(err) {
			return errReplay
		}
		if err != nil {
			return err
		}
		return s.log.Record(ctx, "drill.response", fmt.Sprintf("drill:%d", d.ID), fmt.Sprintf("訓練 %s の状況付与 %s に %s が対応を記録", d.Code, in.Ref(), p.Name))
	})
}

// errReplay is a form sent twice: the first is kept, the second is a no-op.
var errReplay = errors.New("drill: replayed form")

// IsReplay reports whether err is a replayed form (already stored).
func IsReplay(err error) bool { return errors.Is(err, errReplay) }

// Kinds of observation.
var ObservationKinds = []struct{ Key, Label string }{
	{"observation", "観察"}, {"advice", "助言"}, {"decision", "意思決定"}, {"strength", "良かった点"},
}

// KindLabel is an observation kind in Japanese.
func KindLabel(k string) string {
	for _, x := range ObservationKinds {
		if x.Key == k {
			return x.Label
		}
	}
	return k
}

// Observation is an evaluator's timestamped note.
type Observation struct {
	ID        int64
	InjectID  int64
	Objective string
	Kind      string
	Body      string
	By        string
	At        time.Time
}

// KindLabel is the kind in Japanese.
func (o Observation) KindLabel() string { return KindLabel(o.Kind) }

// Observations are a drill's observations in time order.
func (s *Store) Observations(ctx context.Context, id int64) ([]Observation, error) {
	rows, err := s.db.Query(ctx, "SELECT id, COALESCE(inject_id, 0), objective_key, kind, body, by_name, at FROM drill_observations WHERE drill_id = ? ORDER BY at, id", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Observation
	for rows.Next() {
		var o Observation
		var at string
		if err := rows.Scan(&o.ID, &o.InjectID, &o.Objective, &o.Kind, &o.Body, &o.By, &at); err != nil {
			return nil, err
		}
		o.At = stamp(at)
		out = append(out, o)
	}
	return out, rows.Err()
}

// ObservationInput is the observation form as typed.
type ObservationInput struct {
	InjectID             int64
	Objective, Kind, Key string
	Body                 string
}

// Observe records an observation, advice or decision on a drill that has
// started (evaluators may complete their notes after the end). The inject
// and objective must be the drill's.
func (s *Store) Observe(ctx context.Context, d Drill, in ObservationInput, by string, participant int64) error {
	fe := FieldErrors{}
	in.Body = strings.TrimSpace(in.Body)
	if in.Body == "" || runes(in.Body) > 4000 {
		fe["body"] = "記録の内容を4,000文字以内で入力してください。"
	}
	if KindLabel(in.Kind) == in.Kind {
		fe["kind"] = "記録の種類を選んでください。"
	}
	if !validKey(in.Key) {
		fe["body"] = "画面を読み込み直してから記録してください。"
	}
	if d.State == StatePlanned {
		return ErrNotLive
	}
	sc, err := s.ScenarioOf(ctx, d)
	if err != nil {
		return err
	}
	if in.Objective != "" {
		if _, ok := sc.Objective(in.Objective); !ok {
			fe["objective"] = "訓練目標を選び直してください。"
		}
	}
	if in.InjectID != 0 {
		if _, err := s.inject(ctx, d, in.InjectID); err != nil {
			if errors.Is(err, ErrNotOurs) {
				fe["inject"] = ErrNotOurs.Error()
			} else {
				return err
			}
		}
	}
	if len(fe) > 0 {
		return fe
	}
	var inj, part any
	if in.InjectID != 0 {
		inj = in.InjectID
	}
	if participant != 0 {
		part = participant
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		_, err := s.db.Exec(ctx, "INSERT INTO drill_observations (drill_id, inject_id, objective_key, kind, body, by_name, participant_id, at, client_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			d.ID, inj, in.Objective, in.Kind, in.Body, by, part, stampOf(s.now()), in.Key)
		if database.IsUniqueViolation(err) {
			return errReplay
		}
		if err != nil {
			return err
		}
		return s.log.Record(ctx, "drill.observe", fmt.Sprintf("drill:%d", d.ID), fmt.Sprintf("訓練 %s に%sを記録（%s）", d.Code, KindLabel(in.Kind), by))
	})
}
