package drill

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
	"mamori/internal/improve"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/web"
)

// Store reads and writes the registry, the scenarios, the annual plan and
// the drills.
type Store struct {
	db   *database.DB
	log  *auditlog.Log
	org  org.Reader
	now  func() time.Time
	reg  *improve.Store
	seed sync.Once
	err  error
	// parsed keeps each template's parse by id with the text it was parsed
	// from: the list is read on most pages, the YAML rarely changes.
	mu     sync.Mutex
	parsed map[int64]parsedScenario
}

type parsedScenario struct {
	body string
	s    *Scenario
}

// NewStore returns the store on the app's shared services.
func NewStore(d module.Deps) *Store {
	now := d.Now
	if now == nil {
		now = time.Now
	}
	s := &Store{db: d.DB, log: d.Log, org: d.Org, now: now}
	if d.DB != nil {
		s.reg = improve.NewStore(d)
	}
	return s
}

// FieldErrors are a form's problems by field (web.FieldErrors).
type FieldErrors = web.FieldErrors

// Errors a person can act on.
var (
	ErrLink     = errors.New("このリンクは無効か、有効期限が過ぎています。訓練の統制役に新しいリンクを依頼してください。")
	ErrEnded    = errors.New("訓練は終了しています。状況付与・回答はできません。")
	ErrNotLive  = errors.New("訓練はまだ始まっていません。")
	ErrNotOurs  = errors.New("この状況付与は、この訓練のものではありません。")
	ErrStale    = errors.New("ほかの人が先に訓練を変更しました。画面を読み込み直してください。")
	ErrNotTeams = errors.New("この状況付与は、あなたのチームあてではありません。")
)

func stamp(s string) time.Time { return database.ParseTime(s) }

func stampOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return database.FormatTime(t)
}

func tokenHash(tok string) string {
	h := sha256.Sum256([]byte("drill-link:" + tok))
	return hex.EncodeToString(h[:])
}

func runes(s string) int { return utf8.RuneCountInString(s) }

// seedContent fills an empty registry and scenario list from content/drill
// (once per process; a registry or scenario already stored is kept).
func (s *Store) seedContent(ctx context.Context) error {
	s.seed.Do(func() { s.err = s.seedNow(ctx) })
	return s.err
}

func (s *Store) seedNow(ctx context.Context) error {
	reg, err := BuiltinRegistry()
	if err != nil {
		return err
	}
	scs, err := BuiltinScenarios()
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		var n int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM drill_systems").Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			for _, x := range reg.Systems {
				if _, err := s.db.Exec(ctx, "INSERT INTO drill_systems (code, name, segment, owner, note) VALUES (?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING",
					x.Code, x.Name, x.Segment, x.Owner, x.Note); err != nil {
					return err
				}
			}
			for _, x := range reg.Services {
				if err := s.putService(ctx, x); err != nil {
					return err
				}
			}
		}
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM drill_scenarios").Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		for _, name := range slices.Sorted(func(yield func(string) bool) {
			for k := range scs {
				if !yield(k) {
					return
				}
			}
		}) {
			sc, err := ParseScenario(scs[name], reg)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if _, err := s.db.Exec(ctx, "INSERT INTO drill_scenarios (code, title, threat, body, updated_by_name, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING",
				sc.Code, sc.Title, sc.Threat, string(scs[name]), "Mamori（既定のシナリオ）", database.T(s.now())); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *Store) putService(ctx context.Context, x Service) error {
	counters, _ := json.Marshal(x.Counters)
	_, err := s.db.Exec(ctx, `INSERT INTO drill_services (code, name, systems, counters, residents, daily, fallback, steps, notice, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name, systems = excluded.systems, counters = excluded.counters,
		residents = excluded.residents, daily = excluded.daily, fallback = excluded.fallback, steps = excluded.steps, notice = excluded.notice, updated_at = excluded.updated_at`,
		x.Code, x.Name, strings.Join(x.Systems, ","), string(counters), x.Residents, x.Daily, x.Fallback, strings.Join(x.Steps, "\n"), x.Notice, database.T(s.now()))
	return err
}

// Registry is the citizen-service impact model as stored.
func (s *Store) Registry(ctx context.Context) (*Registry, error) {
	if err := s.seedContent(ctx); err != nil {
		return nil, err
	}
	r := &Registry{}
	rows, err := s.db.Query(ctx, "SELECT id, code, name, segment, owner, note FROM drill_systems ORDER BY id")
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var x System
		if err := rows.Scan(&x.ID, &x.Code, &x.Name, &x.Segment, &x.Owner, &x.Note); err != nil {
			rows.Close()
			return nil, err
		}
		r.Systems = append(r.Systems, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.db.Query(ctx, "SELECT id, code, name, systems, counters, residents, daily, fallback, steps, notice FROM drill_services ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var x Service
		var systems, counters, steps string
		if err := rows.Scan(&x.ID, &x.Code, &x.Name, &systems, &counters, &x.Residents, &x.Daily, &x.Fallback, &steps, &x.Notice); err != nil {
			return nil, err
		}
		if systems != "" {
			x.Systems = strings.Split(systems, ",")
		}
		if steps != "" {
			x.Steps = strings.Split(steps, "\n")
		}
		_ = json.Unmarshal([]byte(counters), &x.Counters)
		r.Services = append(r.Services, x)
	}
	return r, rows.Err()
}

// ServiceInput is the registry's service form as typed.
type ServiceInput struct {
	Code, Name, Residents, Daily, Fallback, Steps, Notice, Counters string
	Systems                                                         []string
}

// SaveService adds or changes a citizen service of the registry. Counters
// are typed one a line as 「課の名前：場所」.
func (s *Store) SaveService(ctx context.Context, in ServiceInput, by string) (Service, error) {
	reg, err := s.Registry(ctx)
	if err != nil {
		return Service{}, err
	}
	fe := FieldErrors{}
	x := Service{Code: strings.ToUpper(strings.TrimSpace(in.Code)), Name: strings.TrimSpace(in.Name), Residents: strings.TrimSpace(in.Residents),
		Fallback: strings.TrimSpace(in.Fallback), Notice: strings.TrimSpace(in.Notice)}
	if !keyRe.MatchString(x.Code) {
		fe["code"] = "コードは英数字と _ の20文字以内で入力してください（例：JUMINHYO）。"
	}
	if x.Name == "" || runes(x.Name) > 100 {
		fe["name"] = "サービスの名前を100文字以内で入力してください。"
	}
	if runes(x.Residents) > 500 || runes(x.Fallback) > 200 || runes(x.Notice) > 1000 || runes(in.Steps) > 3000 || runes(in.Counters) > 2000 {
		fe["text"] = "入力が長すぎます（影響を受ける区民 500字、代替手段 200字、手順 3,000字、掲示文 1,000字、窓口 2,000字まで）。"
	}
	if d := strings.TrimSpace(in.Daily); d != "" {
		if _, err := fmt.Sscan(d, &x.Daily); err != nil || fmt.Sprint(x.Daily) != d || x.Daily < 0 || x.Daily > 1000000 {
			fe["daily"] = "1日あたりの件数は 0 以上の整数で入力してください。"
		}
	}
	for _, c := range in.Systems {
		if _, ok := reg.System(c); !ok {
			fe["systems"] = fmt.Sprintf("システム「%s」は登録されていません。", c)
		} else if !slices.Contains(x.Systems, c) {
			x.Systems = append(x.Systems, c)
		}
	}
	if len(x.Systems) == 0 && fe["systems"] == "" {
		fe["systems"] = "このサービスが使うシステムを一つ以上選んでください。"
	}
	for i, line := range strings.Split(strings.ReplaceAll(in.Counters, "\r", ""), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		dept, place, ok := strings.Cut(strings.Replace(line, ":", "：", 1), "：")
		if !ok || strings.TrimSpace(dept) == "" {
			fe["counters"] = fmt.Sprintf("窓口の %d 行目：「課の名前：場所」の形で入力してください。", i+1)
			continue
		}
		x.Counters = append(x.Counters, Counter{Department: strings.TrimSpace(dept), Place: strings.TrimSpace(place)})
	}
	for _, st := range strings.Split(strings.ReplaceAll(in.Steps, "\r", ""), "\n") {
		if st = strings.TrimSpace(st); st != "" {
			x.Steps = append(x.Steps, st)
		}
	}
	if len(fe) > 0 {
		return x, fe
	}
	return x, s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.putService(ctx, x); err != nil {
			return err
		}
		return s.log.Record(ctx, "drill.service", "drill_registry", fmt.Sprintf("区民サービス影響モデルのサービス「%s」（%s）を保存", x.Name, x.Code))
	})
}

// ScenarioRow is a stored scenario template.
type ScenarioRow struct {
	ID        int64
	Code      string
	Title     string
	Threat    string
	Body      string
	UpdatedBy string
	UpdatedAt time.Time
	S         *Scenario
}

// Scenarios are the templates, by code.
func (s *Store) Scenarios(ctx context.Context) ([]ScenarioRow, error) {
	if err := s.seedContent(ctx); err != nil {
		return nil, err
	}
	rows, err := s.db.Query(ctx, "SELECT id, code, title, threat, body, updated_by_name, updated_at FROM drill_scenarios ORDER BY code")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ScenarioRow
	for rows.Next() {
		var x ScenarioRow
		var at database.Time
		if err := rows.Scan(&x.ID, &x.Code, &x.Title, &x.Threat, &x.Body, &x.UpdatedBy, &at); err != nil {
			return nil, err
		}
		x.UpdatedAt = at.Time
		if x.S, err = s.parse(x); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// parse is a stored template's scenario, parsed once per text.
func (s *Store) parse(x ScenarioRow) (*Scenario, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.parsed[x.ID]; ok && p.body == x.Body {
		return p.s, nil
	}
	sc, err := ParseScenario([]byte(x.Body), nil)
	if sc == nil {
		return nil, fmt.Errorf("scenario %s: %w", x.Code, err)
	}
	if s.parsed == nil {
		s.parsed = map[int64]parsedScenario{}
	}
	s.parsed[x.ID] = parsedScenario{body: x.Body, s: sc}
	return sc, nil
}

// Scenario is one template.
func (s *Store) Scenario(ctx context.Context, code string) (ScenarioRow, error) {
	all, err := s.Scenarios(ctx)
	if err != nil {
		return ScenarioRow{}, err
	}
	for _, x := range all {
		if x.Code == code {
			return x, nil
		}
	}
	return ScenarioRow{}, database.ErrNotFound
}

// ScenarioByID is one template by its id.
func (s *Store) ScenarioByID(ctx context.Context, id int64) (ScenarioRow, error) {
	all, err := s.Scenarios(ctx)
	if err != nil {
		return ScenarioRow{}, err
	}
	for _, x := range all {
		if x.ID == id {
			return x, nil
		}
	}
	return ScenarioRow{}, database.ErrNotFound
}

// SaveScenario stores a template typed as YAML. oldCode is the template
// being edited ("" for a new one); its code cannot change. Nothing is
// stored unless the whole text is right.
func (s *Store) SaveScenario(ctx context.Context, oldCode, text, by string) (*Scenario, error) {
	reg, err := s.Registry(ctx)
	if err != nil {
		return nil, err
	}
	sc, err := ParseScenario([]byte(text), reg)
	if err != nil {
		return sc, err
	}
	if oldCode != "" && sc.Code != oldCode {
		return sc, ScenarioErrors{fmt.Sprintf("code は変えられません（「%s」のまま保存してください。別のシナリオにするときは「シナリオを追加」から）。", oldCode)}
	}
	return sc, s.db.WithTx(ctx, func(ctx context.Context) error {
		now := database.T(s.now())
		if oldCode == "" {
			_, err := s.db.Exec(ctx, "INSERT INTO drill_scenarios (code, title, threat, body, updated_by_name, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
				sc.Code, sc.Title, sc.Threat, text, by, now)
			if database.IsUniqueViolation(err) {
				return ScenarioErrors{fmt.Sprintf("code「%s」のシナリオはすでにあります。", sc.Code)}
			}
			if err != nil {
				return err
			}
		} else {
			res, err := s.db.Exec(ctx, "UPDATE drill_scenarios SET title = ?, threat = ?, body = ?, updated_by_name = ?, updated_at = ? WHERE code = ?",
				sc.Title, sc.Threat, text, by, now, oldCode)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return database.ErrNotFound
			}
		}
		return s.log.Record(ctx, "drill.scenario", "drill_scenarios", fmt.Sprintf("訓練シナリオ %s「%s」を保存", sc.Code, sc.Title))
	})
}

// State is where a drill stands.
type State string

// The drill states.
const (
	StatePlanned State = "planned"
	StateRunning State = "running"
	StatePaused  State = "paused"
	StateEnded   State = "ended"
)

var stateLabels = map[State]string{StatePlanned: "予定", StateRunning: "実施中", StatePaused: "一時停止中", StateEnded: "終了"}

// Label is the state in Japanese.
func (s State) Label() string { return stateLabels[s] }

// Drill is one drill.
type Drill struct {
	ID           int64
	Code         string
	FiscalYear   int
	Title        string
	ScenarioCode string
	DepartmentID int64
	Department   string
	State        State
	PlannedAt    time.Time
	Location     string
	StartedAt    time.Time
	PausedAt     time.Time
	PausedSecs   int64
	EndedAt      time.Time
	Strengths    []string
	Hotwash      string
	Rev          int64
	CreatedBy    string
	frozen       string
}

// Live reports whether the drill is being conducted (running or paused).
func (d Drill) Live() bool { return d.State == StateRunning || d.State == StatePaused }

// Ended reports whether the drill is over.
func (d Drill) Ended() bool { return d.State == StateEnded }

// Elapsed is the drill's clock: time since the start, pauses excluded.
func (d Drill) Elapsed(now time.Time) time.Duration {
	if d.StartedAt.IsZero() {
		return 0
	}
	end := now
	switch {
	case d.State == StateEnded && !d.EndedAt.IsZero():
		end = d.EndedAt
	case d.State == StatePaused && !d.PausedAt.IsZero():
		end = d.PausedAt
	}
	return max(end.Sub(d.StartedAt)-time.Duration(d.PausedSecs)*time.Second, 0)
}

// ClockAt is the wall-clock time of offset minutes into the drill: from
// the planned start before the drill starts, from the actual start and the
// pauses so far after.
func (d Drill) ClockAt(offset int, now time.Time) time.Time {
	off := time.Duration(offset) * time.Minute
	if d.StartedAt.IsZero() {
		return d.PlannedAt.Add(off)
	}
	t := d.StartedAt.Add(off + time.Duration(d.PausedSecs)*time.Second)
	if d.State == StatePaused && !d.PausedAt.IsZero() {
		t = t.Add(now.Sub(d.PausedAt))
	}
	return t
}

const drillCols = `x.id, x.code, x.fiscal_year, x.title, x.scenario_code, x.scenario_json, x.department_id, COALESCE(d.name, ''), x.state, x.planned_at,
	x.location, x.started_at, x.paused_at, x.paused_secs, x.ended_at, x.strengths, x.hotwash, x.rev, x.created_by_name`

const drillFrom = ` FROM drills x LEFT JOIN departments d ON d.id = x.department_id`

func scanDrill(sc interface{ Scan(...any) error }) (Drill, error) {
	var x Drill
	var state, planned, started, paused, ended, strengths string
	err := sc.Scan(&x.ID, &x.Code, &x.FiscalYear, &x.Title, &x.ScenarioCode, &x.frozen, &x.DepartmentID, &x.Department, &state, &planned,
		&x.Location, &started, &paused, &x.PausedSecs, &ended, &strengths, &x.Hotwash, &x.Rev, &x.CreatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return x, database.ErrNotFound
	}
	x.State = State(state)
	x.PlannedAt, x.StartedAt, x.PausedAt, x.EndedAt = stamp(planned), stamp(started), stamp(paused), stamp(ended)
	if strengths != "" {
		x.Strengths = strings.Split(strengths, "\n")
	}
	return x, err
}

// Drills are fiscal year fy's drills (0: all), by planned start.
func (s *Store) Drills(ctx context.Context, fy int) ([]Drill, error) {
	q := "SELECT " + drillCols + drillFrom
	var args []any
	if fy != 0 {
		q += " WHERE x.fiscal_year = ?"
		args = append(args, fy)
	}
	rows, err := s.db.Query(ctx, q+" ORDER BY x.planned_at, x.id", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Drill
	for rows.Next() {
		x, err := scanDrill(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// Get is one drill.
func (s *Store) Get(ctx context.Context, id int64) (Drill, error) {
	return scanDrill(s.db.QueryRow(ctx, "SELECT "+drillCols+drillFrom+" WHERE x.id = ?", id))
}

// ByCode is the drill of code.
func (s *Store) ByCode(ctx context.Context, code string) (Drill, error) {
	return scanDrill(s.db.QueryRow(ctx, "SELECT "+drillCols+drillFrom+" WHERE x.code = ?", code))
}

// ScenarioOf is the drill's scenario: the copy frozen when it started, or
// the template while it is planned.
func (s *Store) ScenarioOf(ctx context.Context, d Drill) (*Scenario, error) {
	if d.frozen != "" {
		var sc Scenario
		if err := json.Unmarshal([]byte(d.frozen), &sc); err != nil {
			return nil, err
		}
		return &sc, nil
	}
	row, err := s.Scenario(ctx, d.ScenarioCode)
	if err != nil {
		return nil, fmt.Errorf("drill %s: scenario %s: %w", d.Code, d.ScenarioCode, err)
	}
	return row.S, nil
}

// DrillInput is the drill form as typed.
type DrillInput struct {
	Title, Scenario, Planned, Location string
	DepartmentID                       int64
	Rev                                int64
}

// ParseLocal reads a datetime-local field (Japan time).
func ParseLocal(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, jp.JST); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("datetime %q", s)
}

func (s *Store) checkInput(ctx context.Context, in *DrillInput) (FieldErrors, time.Time) {
	fe := FieldErrors{}
	in.Title, in.Location = strings.TrimSpace(in.Title), strings.TrimSpace(in.Location)
	if in.Title == "" || runes(in.Title) > 200 {
		fe["title"] = "訓練の名前を200文字以内で入力してください。"
	}
	if runes(in.Location) > 200 {
		fe["location"] = "場所は200文字以内で入力してください。"
	}
	at, err := ParseLocal(in.Planned)
	if err != nil {
		fe["planned"] = "実施日時を入力してください（例：2027-01-18 09:30）。"
	}
	if _, err := s.org.Department(ctx, in.DepartmentID); err != nil {
		fe["department"] = "対象の所属を選んでください。"
	}
	return fe, at
}

// Create plans a drill of a scenario for a department; its teams are the
// scenario's, each given the department named as the team's default (the
// drill's department for 所管課).
func (s *Store) Create(ctx context.Context, in DrillInput, by string) (Drill, error) {
	fe, at := s.checkInput(ctx, &in)
	sc, err := s.Scenario(ctx, in.Scenario)
	if errors.Is(err, database.ErrNotFound) {
		fe["scenario"] = "シナリオを選んでください。"
	} else if err != nil {
		return Drill{}, err
	}
	if len(fe) > 0 {
		return Drill{}, fe
	}
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return Drill{}, err
	}
	fy := jp.FiscalYearOf(at)
	var id int64
	// On PostgreSQL two drills planned at once can pick the same free code
	// (the later insert fails on drills.code): the later one runs again and
	// picks the next.
	err = s.db.WithTxRetry(ctx, 30, func(ctx context.Context) error {
		var err error
		id, err = s.insert(ctx, in, sc, tree, fy, at, by)
		return err
	})
	if database.IsUniqueViolation(err) && !database.InTx(ctx) {
		err = FieldErrors{"title": "同時に計画された訓練が多く、番号を決められませんでした。もう一度登録してください。"}
	}
	if err != nil {
		return Drill{}, err
	}
	return s.Get(ctx, id)
}

// insert stores a checked drill with its teams in the caller's
// transaction (a unique violation when its code was taken meanwhile).
func (s *Store) insert(ctx context.Context, in DrillInput, sc ScenarioRow, tree *org.Tree, fy int, at time.Time, by string) (int64, error) {
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM drills WHERE fiscal_year = ?", fy).Scan(&n); err != nil {
		return 0, err
	}
	code := ""
	for k := n + 1; ; k++ {
		code = fmt.Sprintf("DR-R%d-%02d", fy-2018, k)
		var c int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM drills WHERE code = ?", code).Scan(&c); err != nil {
			return 0, err
		}
		if c == 0 {
			break
		}
	}
	id, err := s.db.InsertID(ctx, `INSERT INTO drills (code, fiscal_year, title, scenario_code, department_id, state, planned_at, location, created_by_name, created_at)
		VALUES (?, ?, ?, ?, ?, 'planned', ?, ?, ?, ?)`, code, fy, in.Title, sc.Code, in.DepartmentID, stampOf(at), in.Location, by, database.T(s.now()))
	if err != nil {
		return 0, err
	}
	for _, t := range sc.S.Teams {
		var dept any
		if t.Default == "" || t.Key == "lead" {
			dept = in.DepartmentID
		} else if d := findDept(tree, t.Default); d != nil {
			dept = d.ID
		}
		if _, err := s.db.Exec(ctx, "INSERT INTO drill_teams (drill_id, team_key, label, department_id) VALUES (?, ?, ?, ?)", id, t.Key, t.Label, dept); err != nil {
			return 0, err
		}
	}
	if _, err := s.db.Exec(ctx, "UPDATE drill_plan_cells SET drill_id = ? WHERE fiscal_year = ? AND department_id = ? AND drill_id IS NULL", id, fy, in.DepartmentID); err != nil {
		return 0, err
	}
	return id, s.log.Record(ctx, "drill.create", fmt.Sprintf("drill:%d", id), fmt.Sprintf("訓練 %s「%s」を計画（シナリオ %s、%s）", code, in.Title, sc.Code, jp.FormatWarekiDateTime(at)))
}

func findDept(t *org.Tree, name string) *org.Department {
	for _, d := range t.Flat() {
		if d.Name == name && d.Active {
			return d
		}
	}
	return nil
}

// Update changes a planned drill's name, place and time (moving the drill
// moves every inject with it: they are offsets).
func (s *Store) Update(ctx context.Context, d Drill, in DrillInput, by string) error {
	in.DepartmentID = d.DepartmentID
	fe, at := s.checkInput(ctx, &in)
	if d.State != StatePlanned {
		fe["state"] = "始まった訓練の日時は変えられません。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE drills SET title = ?, location = ?, planned_at = ?, rev = rev + 1 WHERE id = ? AND rev = ? AND state = 'planned'",
			in.Title, in.Location, stampOf(at), d.ID, in.Rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrStale
		}
		// The links issued so far follow the drill's new day.
		d.PlannedAt = at
		if _, err := s.db.Exec(ctx, "UPDATE drill_participants SET token_expires = ? WHERE drill_id = ? AND token_hash <> ''", stampOf(linkExpiry(d)), d.ID); err != nil {
			return err
		}
		detail := fmt.Sprintf("訓練 %s の名前・場所・日時を変更", d.Code)
		if !at.Equal(d.PlannedAt) {
			detail += fmt.Sprintf("（%s → %s）", jp.FormatWarekiDateTime(d.PlannedAt), jp.FormatWarekiDateTime(at))
		}
		return s.log.Record(ctx, "drill.update", fmt.Sprintf("drill:%d", d.ID), detail)
	})
}

// DrillTeam is a team of one drill with its department.
type DrillTeam struct {
	Key          string
	Label        string
	DepartmentID int64
	Department   string
}

// Name is the team as shown: its department, or its label.
func (t DrillTeam) Name() string {
	if t.Department != "" && !strings.Contains(t.Label, t.Department) {
		return t.Label + "（" + t.Department + "）"
	}
	return t.Label
}

// Teams are a drill's teams.
func (s *Store) Teams(ctx context.Context, id int64) ([]DrillTeam, error) {
	rows, err := s.db.Query(ctx, `SELECT t.team_key, t.label, COALESCE(t.department_id, 0), COALESCE(d.name, '') FROM drill_teams t
		LEFT JOIN departments d ON d.id = t.department_id WHERE t.drill_id = ? ORDER BY CASE WHEN t.team_key = 'lead' THEN 0 ELSE 1 END, t.team_key`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DrillTeam
	for rows.Next() {
		var t DrillTeam
		if err := rows.Scan(&t.Key, &t.Label, &t.DepartmentID, &t.Department); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// SetTeamDepartment assigns a department to a team of a planned drill.
func (s *Store) SetTeamDepartment(ctx context.Context, d Drill, key string, dept int64) error {
	if d.State != StatePlanned {
		return FieldErrors{"team": "始まった訓練のチームは変えられません。"}
	}
	dd, err := s.org.Department(ctx, dept)
	if err != nil {
		return FieldErrors{"team": "所属を選んでください。"}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, "UPDATE drill_teams SET department_id = ? WHERE drill_id = ? AND team_key = ?", dept, d.ID, key)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return FieldErrors{"team": "そのチームはこの訓練にありません。"}
		}
		return s.log.Record(ctx, "drill.team", fmt.Sprintf("drill:%d", d.ID), fmt.Sprintf("訓練 %s のチーム %s に %s を割り当て", d.Code, key, dd.Name))
	})
}

// Involves reports whether department dept (or one below it) takes part
// in the drill: its department or a team's.
func (s *Store) Involves(ctx context.Context, d Drill, dept int64) (bool, error) {
	ids := []int64{d.DepartmentID}
	ts, err := s.Teams(ctx, d.ID)
	if err != nil {
		return false, err
	}
	for _, t := range ts {
		if t.DepartmentID != 0 {
			ids = append(ids, t.DepartmentID)
		}
	}
	for _, id := range ids {
		ok, err := s.org.Within(ctx, id, dept)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}
