package incident

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/blob"
	"mamori/internal/database"
	"mamori/internal/improve"
	"mamori/internal/jp"
)

// Cause analysis (なぜなぜ), recurrence-prevention measures through the
// improvement register, site visits (臨場) and evidence with its chain of
// custody.

// Viewpoint is the kind of cause a なぜなぜ node states.
type Viewpoint struct{ Key, Label string }

// Viewpoints of the analysis (DESIGN.md workstream 7).
var Viewpoints = []Viewpoint{
	{"no_rule", "ルールがない"},
	{"unknown", "ルールを守れない（知らない）"},
	{"ignored", "ルールを守れない（知っていたが守らない）"},
	{"insufficient", "ルールを守れない（守ったが防げない）"},
	{"contractor", "委託先"},
	{"other", "その他"},
}

// ViewpointLabel is a viewpoint's label.
func ViewpointLabel(k string) string {
	for _, v := range Viewpoints {
		if v.Key == k {
			return v.Label
		}
	}
	return k
}

// Why is one node of the なぜなぜ tree.
type Why struct {
	ID        int64
	ParentID  int64
	Statement string
	Viewpoint string
	Direct    bool
	Root      bool
	Children  []*Why
	Depth     int
}

// ViewpointLabel is the node's viewpoint in Japanese.
func (w *Why) ViewpointLabel() string { return ViewpointLabel(w.Viewpoint) }

// Whys are the incident's analysis as a tree (roots first, in order) and
// flat in tree order with depths.
func (s *Store) Whys(ctx context.Context, id int64) ([]*Why, []*Why, error) {
	rows, err := s.db.Query(ctx, "SELECT id, COALESCE(parent_id, 0), statement, viewpoint, is_direct, is_root FROM incident_whys WHERE incident_id = ? ORDER BY id", id)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	byID := map[int64]*Why{}
	var all []*Why
	for rows.Next() {
		w := &Why{}
		if err := rows.Scan(&w.ID, &w.ParentID, &w.Statement, &w.Viewpoint, &w.Direct, &w.Root); err != nil {
			return nil, nil, err
		}
		byID[w.ID] = w
		all = append(all, w)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	var roots []*Why
	for _, w := range all {
		if p := byID[w.ParentID]; p != nil {
			p.Children = append(p.Children, w)
		} else {
			roots = append(roots, w)
		}
	}
	var flat []*Why
	var walk func([]*Why, int)
	walk = func(ws []*Why, d int) {
		for _, w := range ws {
			w.Depth = d
			flat = append(flat, w)
			walk(w.Children, d+1)
		}
	}
	walk(roots, 0)
	return roots, flat, nil
}

// AddWhy adds a node under parent (0: a first "why" of the incident); the
// parent must be a node of the same incident.
func (s *Store) AddWhy(ctx context.Context, i Incident, parent int64, statement, viewpoint string, direct, root bool, by string) error {
	fe := FieldErrors{}
	statement = strings.TrimSpace(statement)
	if statement == "" || utf8.RuneCountInString(statement) > 500 {
		fe["why"] = "なぜ起きたか（原因）を500文字以内で入力してください。"
	}
	if !slices.ContainsFunc(Viewpoints, func(v Viewpoint) bool { return v.Key == viewpoint }) {
		fe["why"] = "観点を選んでください。"
	}
	if i.Closed() {
		fe["why"] = "完了したインシデントは変更できません。"
	}
	if parent != 0 {
		var owner int64
		err := s.db.QueryRow(ctx, "SELECT incident_id FROM incident_whys WHERE id = ?", parent).Scan(&owner)
		if err != nil || owner != i.ID {
			fe["why"] = "つなぐ先の「なぜ」がこのインシデントにありません。画面を開き直してください。"
		}
	}
	var depth int
	if parent != 0 && len(fe) == 0 {
		_, flat, err := s.Whys(ctx, i.ID)
		if err != nil {
			return err
		}
		for _, w := range flat {
			if w.ID == parent {
				depth = w.Depth + 1
			}
		}
		if depth >= 7 {
			fe["why"] = "「なぜ」は7段までです。根本原因として印を付けてください。"
		}
	}
	if len(fe) > 0 {
		return fe
	}
	var p any
	if parent != 0 {
		p = parent
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, `INSERT INTO incident_whys (incident_id, parent_id, statement, viewpoint, is_direct, is_root, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, i.ID, p, statement, viewpoint, direct, root, by, database.T(s.now())); err != nil {
			return err
		}
		return s.log.Record(ctx, "incident.why", fmt.Sprintf("incident:%d", i.ID), fmt.Sprintf("インシデント %s のなぜなぜ分析に追加（%s）", i.Code, ViewpointLabel(viewpoint)))
	})
}

// domainOf is the self-assessment's risk domain an incident category
// belongs to (the measures' register entries carry it, so that the
// e-learning cites the incident in the lessons of that domain).
func domainOf(category string) string {
	switch category {
	case "誤送付", "誤送信", "誤交付":
		return "misdelivery"
	case "紛失", "盗難", "誤廃棄":
		return "removable"
	case "誤公開":
		return "sns"
	case "不正アクセス":
		return "password"
	case "マルウェア":
		return "phishing"
	case "委託先事故":
		return "outsourcing"
	case "システム障害":
		return "system_ops"
	}
	return "incident"
}

// Domains are the risk domains a measure may be filed under.
var Domains = []struct{ Key, Label string }{
	{"misdelivery", "誤送付・誤送信・誤交付"}, {"removable", "持出し・紛失・記録媒体"}, {"phishing", "標的型メール・不審メール"},
	{"password", "パスワード・認証"}, {"sns", "SNS・情報発信"}, {"outsourcing", "委託先管理"}, {"mynumber", "特定個人情報"},
	{"cloud_ai", "クラウド・生成AI"}, {"incident", "インシデント報告"}, {"physical", "物理的セキュリティ・執務室"},
	{"classification", "情報の分類と取扱い"}, {"system_ops", "システムの運用管理"},
}

// Measure is a recurrence-prevention measure, with its register action.
type Measure struct {
	ID              int64
	Seq             int
	Title           string
	Detail          string
	Domain          string
	OwnerDepartment int64
	Owner           string
	Due             time.Time
	Indicator       string
	CheckOn         time.Time
	Rollout         []int64
	RolloutNames    []string
	WhyID           int64
	Action          *improve.Action  // the register's row (status, progress)
	RolloutActions  []improve.Action // the 横展開 rows
}

// Ref is the measure's register reference.
func (m Measure) Ref(code string) string { return fmt.Sprintf("%s/%s/%d", code, m.Domain, m.Seq) }

// MeasureInput is the measure form as typed.
type MeasureInput struct {
	Title, Detail, Domain, Due, Indicator, CheckOn string
	Owner                                          int64
	Rollout                                        []int64
	WhyID                                          int64
}

// Measures are the incident's measures with their register rows.
func (s *Store) Measures(ctx context.Context, i Incident) ([]Measure, error) {
	rows, err := s.db.Query(ctx, `SELECT m.id, m.seq, m.title, m.detail, m.domain, COALESCE(m.owner_department_id, 0), COALESCE(d.name, ''), m.due_on,
		m.indicator, m.check_on, m.rollout, COALESCE(m.why_id, 0) FROM incident_measures m LEFT JOIN departments d ON d.id = m.owner_department_id
		WHERE m.incident_id = ? ORDER BY m.seq`, i.ID)
	if err != nil {
		return nil, err
	}
	var out []Measure
	for rows.Next() {
		var m Measure
		var due, check, rollout string
		if err := rows.Scan(&m.ID, &m.Seq, &m.Title, &m.Detail, &m.Domain, &m.OwnerDepartment, &m.Owner, &due, &m.Indicator, &check, &rollout, &m.WhyID); err != nil {
			rows.Close()
			return nil, err
		}
		m.Due, m.CheckOn = jp.ParseDateKey(due), jp.ParseDateKey(check)
		for _, x := range strings.Split(rollout, ",") {
			if id, err := strconv.ParseInt(x, 10, 64); err == nil {
				m.Rollout = append(m.Rollout, id)
			}
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if s.reg == nil {
		return out, nil
	}
	for k := range out {
		m := &out[k]
		refs := []string{m.Ref(i.Code)}
		for _, d := range m.Rollout {
			refs = append(refs, fmt.Sprintf("%s/%d", m.Ref(i.Code), d))
			if dep, err := s.org.Department(ctx, d); err == nil {
				m.RolloutNames = append(m.RolloutNames, dep.Name)
			}
		}
		as, err := s.reg.BySource(ctx, ModuleKey, refs)
		if err != nil {
			return nil, err
		}
		if a, ok := as[refs[0]]; ok {
			m.Action = &a
		}
		for _, r := range refs[1:] {
			if a, ok := as[r]; ok {
				m.RolloutActions = append(m.RolloutActions, a)
			}
		}
	}
	return out, nil
}

// AddMeasure records a measure and writes it (and one action per 横展開
// department) into the improvement register, in one transaction.
func (s *Store) AddMeasure(ctx context.Context, i Incident, in MeasureInput, by string) error {
	fe := FieldErrors{}
	in.Title, in.Detail, in.Indicator = strings.TrimSpace(in.Title), strings.TrimSpace(in.Detail), strings.TrimSpace(in.Indicator)
	if in.Title == "" || utf8.RuneCountInString(in.Title) > 200 {
		fe["measure"] = "再発防止策を200文字以内で入力してください。"
	}
	if utf8.RuneCountInString(in.Detail) > 2000 || utf8.RuneCountInString(in.Indicator) > 500 {
		fe["measure"] = "内容は2,000文字、指標は500文字以内にしてください。"
	}
	if in.Domain == "" {
		in.Domain = domainOf(i.Category)
	}
	if !slices.ContainsFunc(Domains, func(d struct{ Key, Label string }) bool { return d.Key == in.Domain }) {
		fe["measure"] = "分野を選んでください。"
	}
	var due time.Time
	var err error
	if strings.TrimSpace(in.Due) != "" {
		due, err = jp.ParseDate(in.Due)
	}
	if err != nil || due.IsZero() {
		fe["measure"] = "期限を入力してください。"
	}
	var check time.Time
	if strings.TrimSpace(in.CheckOn) != "" {
		check, err = jp.ParseDate(in.CheckOn)
	} else {
		err = nil
	}
	switch {
	case err != nil:
		fe["measure"] = "効果確認の日付が正しくありません。"
	case !check.IsZero() && !due.IsZero() && check.Before(due):
		fe["measure"] = "効果確認の日は、期限より後にしてください。"
	}
	if in.Owner == 0 {
		fe["measure"] = "担当の所属を選んでください。"
	} else if _, err := s.org.Department(ctx, in.Owner); err != nil {
		fe["measure"] = "担当の所属が見つかりません。"
	}
	for _, d := range in.Rollout {
		if _, err := s.org.Department(ctx, d); err != nil || d == in.Owner {
			fe["measure"] = "横展開の所属の指定が正しくありません（担当の所属は除きます）。"
		}
	}
	if in.WhyID != 0 {
		var owner int64
		if err := s.db.QueryRow(ctx, "SELECT incident_id FROM incident_whys WHERE id = ?", in.WhyID).Scan(&owner); err != nil || owner != i.ID {
			fe["measure"] = "対応する原因がこのインシデントにありません。"
		}
	}
	if i.Closed() {
		fe["measure"] = "完了したインシデントは変更できません。"
	}
	if len(fe) > 0 {
		return fe
	}
	slices.Sort(in.Rollout)
	in.Rollout = slices.Compact(in.Rollout)
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		// The incident's row is locked first: on PostgreSQL two measures
		// added at once would read the same MAX(seq) and the later insert
		// would fail on (incident_id, seq).
		if err := s.db.LockRow(ctx, "incidents", i.ID); err != nil {
			return err
		}
		var seq int
		if err := s.db.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM incident_measures WHERE incident_id = ?", i.ID).Scan(&seq); err != nil {
			return err
		}
		var ids []string
		for _, d := range in.Rollout {
			ids = append(ids, strconv.FormatInt(d, 10))
		}
		var why any
		if in.WhyID != 0 {
			why = in.WhyID
		}
		if _, err := s.db.Exec(ctx, `INSERT INTO incident_measures (incident_id, seq, title, detail, domain, owner_department_id, due_on, indicator, check_on,
			rollout, why_id, created_by_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, i.ID, seq, in.Title, in.Detail, in.Domain,
			in.Owner, jp.DateKey(due), in.Indicator, dateKeyOrEmpty(check), strings.Join(ids, ","), why, by, database.T(s.now())); err != nil {
			return err
		}
		m := Measure{Seq: seq, Domain: in.Domain}
		label := fmt.Sprintf("%s インシデント %s 再発防止策%d", jp.FiscalYearLabel(i.FiscalYear), i.Code, seq)
		if s.reg != nil {
			detail := strings.TrimSpace(in.Detail + "\n指標：" + in.Indicator)
			if _, _, err := s.reg.Upsert(ctx, improve.Input{FiscalYear: i.FiscalYear, Source: improve.SourceIncidentMeasure, SourceModule: ModuleKey,
				SourceRef: m.Ref(i.Code), SourceLabel: label, Title: in.Title, Detail: detail, Risk: riskOf(i), OwnerDepartmentID: in.Owner, Due: due}); err != nil {
				return err
			}
			for _, d := range in.Rollout {
				if _, _, err := s.reg.Upsert(ctx, improve.Input{FiscalYear: i.FiscalYear, Source: improve.SourceIncidentMeasure, SourceModule: ModuleKey,
					SourceRef: fmt.Sprintf("%s/%d", m.Ref(i.Code), d), SourceLabel: label + "（横展開）", Title: "（横展開）" + in.Title, Detail: detail,
					Risk: riskOf(i), OwnerDepartmentID: d, Due: due}); err != nil {
					return err
				}
			}
		}
		return s.log.Record(ctx, "incident.measure", fmt.Sprintf("incident:%d", i.ID),
			fmt.Sprintf("インシデント %s の再発防止策%d「%s」を登録（横展開 %d 所属、改善措置台帳へ）", i.Code, seq, in.Title, len(in.Rollout)))
	})
}

func dateKeyOrEmpty(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return jp.DateKey(t)
}

// riskOf is the register's risk of an incident's measures: its level.
func riskOf(i Incident) string {
	switch i.Severity {
	case 3:
		return "高"
	case 1:
		return "低"
	}
	return "中"
}

// Visit is one site visit (臨場).
type Visit struct {
	ID           int64
	VisitedOn    time.Time
	Place        string
	Visitors     string
	Interviewees string
	Findings     string
	Advice       string
	Photos       []Evidence
}

// VisitInput is the visit form as typed.
type VisitInput struct{ VisitedOn, Place, Visitors, Interviewees, Findings, Advice string }

// Visits are the incident's site visits with their photos.
func (s *Store) Visits(ctx context.Context, id int64) ([]Visit, error) {
	rows, err := s.db.Query(ctx, "SELECT id, visited_on, place, visitors, interviewees, findings, advice FROM incident_visits WHERE incident_id = ? ORDER BY visited_on, id", id)
	if err != nil {
		return nil, err
	}
	var out []Visit
	for rows.Next() {
		var v Visit
		var on string
		if err := rows.Scan(&v.ID, &on, &v.Place, &v.Visitors, &v.Interviewees, &v.Findings, &v.Advice); err != nil {
			rows.Close()
			return nil, err
		}
		v.VisitedOn = stamp(on)
		out = append(out, v)
	}
	rows.Close()
	ev, err := s.EvidenceList(ctx, id)
	if err != nil {
		return nil, err
	}
	for k := range out {
		for _, e := range ev {
			if e.VisitID == out[k].ID {
				out[k].Photos = append(out[k].Photos, e)
			}
		}
	}
	return out, rows.Err()
}

// AddVisit records a site visit and returns its id.
func (s *Store) AddVisit(ctx context.Context, i Incident, in VisitInput, by string) (int64, error) {
	fe := FieldErrors{}
	on, err := ParseDateTime(in.VisitedOn)
	switch {
	case err != nil || on.IsZero():
		fe["visit"] = "臨場の日時を入力してください。"
	case on.Before(i.AwareAt.Add(-24*time.Hour)) || on.After(s.now().Add(time.Hour)):
		fe["visit"] = "臨場の日時は、認知日時より後で、未来でない日時にしてください。"
	}
	for _, f := range []*string{&in.Place, &in.Visitors, &in.Interviewees, &in.Findings, &in.Advice} {
		*f = strings.TrimSpace(*f)
		if utf8.RuneCountInString(*f) > 4000 {
			fe["visit"] = "各欄は4,000文字以内にしてください。"
		}
	}
	if in.Visitors == "" {
		fe["visit"] = "臨場した者を入力してください。"
	}
	if in.Findings == "" && in.Advice == "" {
		fe["visit"] = "確認したこと（所見）か、行った助言を入力してください。"
	}
	if i.Closed() {
		fe["visit"] = "完了したインシデントは変更できません。"
	}
	if len(fe) > 0 {
		return 0, fe
	}
	var id int64
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		var err error
		id, err = s.db.InsertID(ctx, `INSERT INTO incident_visits (incident_id, visited_on, place, visitors, interviewees, findings, advice, created_by_name,
			created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, i.ID, stampOf(on), in.Place, in.Visitors, in.Interviewees, in.Findings, in.Advice, by, database.T(s.now()))
		if err != nil {
			return err
		}
		return s.log.Record(ctx, "incident.visit", fmt.Sprintf("incident:%d", i.ID), fmt.Sprintf("インシデント %s の臨場を記録（%s、%s）", i.Code, jp.FormatWarekiDateTime(on), in.Visitors))
	})
	return id, err
}

// Evidence is a file kept for an incident (a site photo, a record).
type Evidence struct {
	ID          int64
	VisitID     int64
	Kind        string
	Filename    string
	ContentType string
	Size        int64
	SHA256      string
	Note        string
	CollectedBy string
	CollectedAt time.Time
	Custody     []Custody
}

// Custody is one hand-over of a piece of evidence.
type Custody struct {
	At       time.Time
	From, To string
	Note     string
}

// ErrKeyDestroyed is a file of an incident whose key was destroyed.
var ErrKeyDestroyed = errors.New("incident: the incident's key was destroyed")

func (s *Store) incidentKey(ctx context.Context, id int64, create bool) ([]byte, error) {
	return blob.ObjectKey(ctx, s.db, "incident_keys", "incident_id", id, create, s.now(), ErrKeyDestroyed)
}

// AddEvidence encrypts a file with the incident's key, stores it and
// records it with the plain file's SHA-256 and who collected it.
func (s *Store) AddEvidence(ctx context.Context, i Incident, visit int64, kind, name, ctype string, data []byte, note, by string, userID int64) (int64, error) {
	if len(data) == 0 {
		return 0, FieldErrors{"evidence": "ファイルを選んでください。"}
	}
	if i.Closed() {
		return 0, FieldErrors{"evidence": "完了したインシデントは変更できません。"}
	}
	if utf8.RuneCountInString(note) > 500 {
		return 0, FieldErrors{"evidence": "説明は500文字以内にしてください。"}
	}
	if visit != 0 {
		var owner int64
		if err := s.db.QueryRow(ctx, "SELECT incident_id FROM incident_visits WHERE id = ?", visit).Scan(&owner); err != nil || owner != i.ID {
			return 0, FieldErrors{"evidence": "臨場の記録がこのインシデントにありません。"}
		}
	}
	sum := sha256.Sum256(data)
	var id int64
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// The incident's row is locked first: the first two files of an
		// incident in flight on PostgreSQL would both find no key and both
		// insert one (the later failing on incident_keys' key).
		if err := s.db.LockRow(ctx, "incidents", i.ID); err != nil {
			return err
		}
		key, err := s.incidentKey(ctx, i.ID, true)
		if err != nil {
			return err
		}
		sealed, err := blob.Seal(key, data)
		if err != nil {
			return err
		}
		b, err := s.blobs.Put(ctx, "incident-evidence", "application/octet-stream", sealed, userID)
		if err != nil {
			return err
		}
		var v any
		if visit != 0 {
			v = visit
		}
		if id, err = s.db.InsertID(ctx, `INSERT INTO incident_evidence (incident_id, visit_id, kind, filename, content_type, size, sha256, blob_id, note,
			collected_by_name, collected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, i.ID, v, kind, name, ctype, len(data), hex.EncodeToString(sum[:]),
			b.ID, strings.TrimSpace(note), by, database.T(s.now())); err != nil {
			return err
		}
		return s.log.Record(ctx, "incident.evidence", fmt.Sprintf("incident:%d", i.ID),
			fmt.Sprintf("インシデント %s の証拠を保管：%s（%d バイト、SHA-256 %s…）", i.Code, name, len(data), hex.EncodeToString(sum[:])[:16]))
	})
	return id, err
}

// EvidenceList is the incident's evidence with the chain of custody.
func (s *Store) EvidenceList(ctx context.Context, id int64) ([]Evidence, error) {
	rows, err := s.db.Query(ctx, `SELECT id, COALESCE(visit_id, 0), kind, filename, content_type, size, sha256, note, collected_by_name, collected_at
		FROM incident_evidence WHERE incident_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	var out []Evidence
	for rows.Next() {
		var e Evidence
		var at string
		if err := rows.Scan(&e.ID, &e.VisitID, &e.Kind, &e.Filename, &e.ContentType, &e.Size, &e.SHA256, &e.Note, &e.CollectedBy, &at); err != nil {
			rows.Close()
			return nil, err
		}
		e.CollectedAt = stamp(at)
		out = append(out, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for k := range out {
		cs, err := s.db.Query(ctx, "SELECT at, from_name, to_name, note FROM incident_custody WHERE evidence_id = ? ORDER BY at, id", out[k].ID)
		if err != nil {
			return nil, err
		}
		for cs.Next() {
			var c Custody
			var at string
			if err := cs.Scan(&at, &c.From, &c.To, &c.Note); err != nil {
				cs.Close()
				return nil, err
			}
			c.At = stamp(at)
			out[k].Custody = append(out[k].Custody, c)
		}
		cs.Close()
	}
	return out, nil
}

// EvidenceFile is one piece of evidence of incident id, decrypted and
// checked against its SHA-256.
func (s *Store) EvidenceFile(ctx context.Context, incident, id int64) (Evidence, []byte, error) {
	var e Evidence
	var blobID int64
	err := s.db.QueryRow(ctx, "SELECT id, filename, content_type, sha256, blob_id FROM incident_evidence WHERE id = ? AND incident_id = ?", id, incident).
		Scan(&e.ID, &e.Filename, &e.ContentType, &e.SHA256, &blobID)
	if errors.Is(err, sql.ErrNoRows) {
		return e, nil, database.ErrNotFound
	}
	if err != nil {
		return e, nil, err
	}
	key, err := s.incidentKey(ctx, incident, false)
	if err != nil {
		return e, nil, err
	}
	_, sealed, err := s.blobs.Get(ctx, blobID)
	if err != nil {
		return e, nil, err
	}
	plain, err := blob.Unseal(key, sealed)
	if err != nil {
		return e, nil, err
	}
	if sum := sha256.Sum256(plain); hex.EncodeToString(sum[:]) != e.SHA256 {
		return e, nil, fmt.Errorf("incident: evidence %d does not match its SHA-256", id)
	}
	return e, plain, nil
}

// AddCustody records a hand-over of evidence id of incident i.
func (s *Store) AddCustody(ctx context.Context, i Incident, evidence int64, at, from, to, note, by string) error {
	fe := FieldErrors{}
	t, err := ParseDateTime(at)
	if err != nil || t.IsZero() || t.After(s.now().Add(time.Hour)) {
		fe["custody"] = "受け渡しの日時を入力してください（未来の日時は入力できません）。"
	}
	from, to, note = strings.TrimSpace(from), strings.TrimSpace(to), strings.TrimSpace(note)
	if from == "" || to == "" || utf8.RuneCountInString(from+to) > 200 || utf8.RuneCountInString(note) > 500 {
		fe["custody"] = "渡した者と受け取った者を入力してください（各100文字以内）。"
	}
	var owner int64
	if err := s.db.QueryRow(ctx, "SELECT incident_id FROM incident_evidence WHERE id = ?", evidence).Scan(&owner); err != nil || owner != i.ID {
		fe["custody"] = "証拠がこのインシデントにありません。"
	}
	if len(fe) > 0 {
		return fe
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		if _, err := s.db.Exec(ctx, "INSERT INTO incident_custody (evidence_id, at, from_name, to_name, note, recorded_by_name) VALUES (?, ?, ?, ?, ?, ?)",
			evidence, stampOf(t), from, to, note, by); err != nil {
			return err
		}
		return s.log.Record(ctx, "incident.custody", fmt.Sprintf("incident:%d", i.ID), fmt.Sprintf("インシデント %s の証拠 %d の受け渡し（%s → %s）", i.Code, evidence, from, to))
	})
}
