package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/improve"
	"mamori/internal/jp"
	"mamori/internal/web"
)

// FieldErrors are validation messages in Japanese by form field; a store
// method returns them when nothing was changed because of bad input.
type FieldErrors map[string]string

func (fe FieldErrors) Error() string {
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fe[k])
	}
	return strings.Join(parts, " ")
}

// Actor is who makes a change (the register's notion, shared so that an
// audit finding and its register action name the same person).
type Actor = improve.Actor

// ActorOf is the signed-in user as an Actor.
var ActorOf = improve.ActorOf

// ErrConflict is a change based on an older state of the row than the
// stored one: someone else saved in between.
var ErrConflict = errors.New("他の人が先に更新しました。画面を読み込み直して内容を確かめてから、もう一度保存してください。")

// kindCodes are the engagement code's kind letters (codes are ASCII so
// that scripts can pass them: 2026-IA-01).
var kindCodes = map[Kind]string{KindInternal: "IA", KindExternalMyNumber: "EM", KindExternalAssets: "EA", KindSystem: "SA"}

// TargetInput is one audited department with its visit, as entered.
type TargetInput struct {
	DepartmentID int64
	VisitDate    time.Time
	VisitTime    string
}

// MemberInput is one team member as entered.
type MemberInput struct {
	UserID int64
	Role   string
}

// EngagementInput is what the programme form and the demo give to create
// or change an engagement.
type EngagementInput struct {
	FiscalYear int
	Kind       Kind
	Title      string
	System     string
	Hosting    string
	Vendors    string
	Business   string
	MyNumber   bool
	Targets    []TargetInput
	Members    []MemberInput
	Dues       map[Phase]time.Time
	// Checklist (creation only): the template (0: the newest of the kind),
	// the characteristics (nil: from the departments' profiles) and the
	// priority threats.
	TemplateID int64
	Scope      []string
	Threats    []string
}

const maxTitle = 200

// check validates and cleans the input; it needs the database for the
// departments and the team.
func (s *Store) check(ctx context.Context, in *EngagementInput) (FieldErrors, error) {
	fe := FieldErrors{}
	in.Title, in.System, in.Business = cleanText(in.Title), cleanText(in.System), cleanText(in.Business)
	in.Vendors = strings.TrimSpace(strings.ReplaceAll(in.Vendors, "\r\n", "\n"))
	if in.FiscalYear < 2000 || in.FiscalYear > 2100 {
		fe["fiscal_year"] = "年度を選んでください。"
	}
	if !in.Kind.Valid() {
		fe["kind"] = "監査の種類を選んでください。"
	}
	if in.Title == "" {
		fe["title"] = "監査の名称を入力してください。"
	} else if utf8.RuneCountInString(in.Title) > maxTitle {
		fe["title"] = fmt.Sprintf("名称は%d文字以内で入力してください。", maxTitle)
	}
	if utf8.RuneCountInString(in.System) > 100 {
		fe["system"] = "システム名は100文字以内で入力してください。"
	}
	if utf8.RuneCountInString(in.Business) > 100 {
		fe["business"] = "事務の名称は100文字以内で入力してください。"
	}
	if utf8.RuneCountInString(in.Vendors) > 1000 {
		fe["vendors"] = "事業者は1000文字以内で入力してください。"
	}
	if in.Hosting != "" && HostingLabel(in.Hosting) == "" {
		fe["hosting"] = "設置形態を選び直してください。"
	}
	if in.Kind == KindSystem && in.System == "" {
		fe["system"] = "情報システム監査では、対象のシステム名を入力してください。"
	}
	if len(in.Targets) == 0 {
		fe["targets"] = "監査する所属（システム監査では所管課）を1つ以上選んでください。"
	}
	if len(in.Targets) > 30 {
		fe["targets"] = "監査する所属は30までにしてください。"
	}
	seen := map[int64]bool{}
	for i, t := range in.Targets {
		d, err := s.org.Department(ctx, t.DepartmentID)
		if errors.Is(err, database.ErrNotFound) || err == nil && !d.Active {
			fe["targets"] = fmt.Sprintf("%d番目の所属は登録されていないか、廃止されています。", i+1)
			continue
		}
		if err != nil {
			return nil, err
		}
		if seen[t.DepartmentID] {
			fe["targets"] = fmt.Sprintf("所属「%s」が2回選ばれています。", d.Name)
		}
		seen[t.DepartmentID] = true
		in.Targets[i].VisitTime = cleanText(t.VisitTime)
		if utf8.RuneCountInString(in.Targets[i].VisitTime) > 40 {
			fe["targets"] = fmt.Sprintf("所属「%s」の時間帯は40文字以内で入力してください。", d.Name)
		}
	}
	accounts, err := s.org.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int64]int{}
	for i, a := range accounts {
		byID[a.ID] = i
	}
	members := map[int64]bool{}
	leads := 0
	for i, m := range in.Members {
		ai, ok := byID[m.UserID]
		if !ok || accounts[ai].Disabled {
			fe["members"] = fmt.Sprintf("%d番目の担当者は利用者として登録されていないか、無効です。", i+1)
			continue
		}
		a := accounts[ai]
		if members[m.UserID] {
			fe["members"] = fmt.Sprintf("「%s」が2回選ばれています。", a.DisplayName)
		}
		members[m.UserID] = true
		switch m.Role {
		case MemberLead:
			leads++
		case MemberAuditor, MemberWitness:
		default:
			fe["members"] = fmt.Sprintf("「%s」の役割を選んでください。", a.DisplayName)
			continue
		}
		switch a.Role {
		case web.RoleAdmin, web.RoleConsultant, web.RoleAuditor:
		default:
			fe["members"] = fmt.Sprintf("「%s」は監査人の役割を持たない利用者です（%s）。", a.DisplayName, a.Role)
			continue
		}
		if m.Role == MemberWitness && a.Role != web.RoleConsultant {
			fe["members"] = fmt.Sprintf("立会いは支援事業者の利用者にしてください（「%s」は支援事業者ではありません）。", a.DisplayName)
		}
		// Independence: an internal auditor never audits their own department.
		if in.Kind == KindInternal && a.DepartmentID != 0 {
			for _, t := range in.Targets {
				if inside, err := s.org.Within(ctx, t.DepartmentID, a.DepartmentID); err == nil && inside {
					fe["members"] = fmt.Sprintf("「%s」は監査対象の所属の職員のため、この監査の担当にはできません（独立性）。", a.DisplayName)
				}
			}
		}
	}
	if leads > 1 {
		fe["members"] = "監査責任者は1人にしてください。"
	}
	for _, c := range in.Scope {
		if catalog.Applicability[c] == "" {
			fe["scope"] = fmt.Sprintf("特性「%s」は定義されていません。", c)
		}
	}
	for _, t := range in.Threats {
		if catalog.Threats[t] == "" {
			fe["threats"] = fmt.Sprintf("脅威「%s」は定義されていません。", t)
		}
	}
	for p := range in.Dues {
		if !p.Valid() {
			fe["dues"] = "工程の期限の指定が正しくありません。"
		}
	}
	if len(fe) == 0 {
		return nil, nil
	}
	return fe, nil
}

// CreateEngagement adds an engagement to the year's programme with its
// checklist built from the catalogue (frozen: the items are copied), an
// empty pre-audit questionnaire and report, and the plan's first version
// from the standard wording; audited. It returns the new id.
func (s *Store) CreateEngagement(ctx context.Context, in EngagementInput, by Actor) (int64, error) {
	fe, err := s.check(ctx, &in)
	if err != nil {
		return 0, fmt.Errorf("audit.CreateEngagement: %w", err)
	}
	if fe != nil {
		return 0, fe
	}
	var id int64
	// Two creations of one year and kind at once both take the same next
	// code (PostgreSQL): the later one takes the next free code.
	err = s.db.WithTxRetry(ctx, 10, func(ctx context.Context) error { return s.createEngagement(ctx, in, by, &id) })
	if err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) {
			return 0, fe
		}
		return 0, fmt.Errorf("audit.CreateEngagement: %w", err)
	}
	return id, nil
}

// createEngagement is one attempt of CreateEngagement's transaction.
func (s *Store) createEngagement(ctx context.Context, in EngagementInput, by Actor, out *int64) error {
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		code, err := s.nextCode(ctx, in.FiscalYear, in.Kind)
		if err != nil {
			return err
		}
		res, fe, err := s.buildFor(ctx, in)
		if err != nil {
			return err
		}
		if fe != nil {
			return fe
		}
		now := database.T(s.now())
		id, err := s.db.InsertID(ctx, `INSERT INTO audit_engagements (code, fiscal_year, kind, title, system_name, hosting, vendors, business, phase,
			template_id, template_title, template_version, characteristics, threats, mynumber, search_text, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			code, in.FiscalYear, string(in.Kind), in.Title, in.System, in.Hosting, in.Vendors, in.Business, string(PhasePlan),
			res.Template.ID, res.Template.Title, res.Template.Version, strings.Join(res.Request.Scope, ","), strings.Join(in.Threats, ","),
			in.MyNumber, "", nullID(by.UserID), now, now)
		if err != nil {
			return err
		}
		if err := s.writeParts(ctx, id, in); err != nil {
			return err
		}
		if err := s.insertItems(ctx, id, res.Included); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "INSERT INTO audit_presurveys (engagement_id, updated_at) VALUES (?, ?)", id, now); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "INSERT INTO audit_reports (engagement_id, updated_at) VALUES (?, ?)", id, now); err != nil {
			return err
		}
		if err := s.refreshSearch(ctx, id); err != nil {
			return err
		}
		*out = id
		return s.log.Record(ctx, "audit.engagement_create", fmt.Sprintf("audit_engagement:%d", id),
			fmt.Sprintf("%s「%s」（%s）を登録（%s %s版から %d 項目）", in.Kind.Label(), in.Title, code,
				catalog.Kinds[res.Template.Kind], jp.FiscalYearLabel(res.Template.Version), len(res.Included)))
	})
}

// buildFor builds the checklist of a new engagement with the checklist
// builder: the newest template of the kind (or the one named) and the
// characteristics of the audited departments' profiles.
func (s *Store) buildFor(ctx context.Context, in EngagementInput) (*BuildResult, FieldErrors, error) {
	tid := in.TemplateID
	if tid == 0 {
		ts, err := s.cat.Templates(ctx)
		if err != nil {
			return nil, nil, err
		}
		for _, t := range ts {
			if t.Kind == in.Kind.Template() && (tid == 0 || t.Version > versionOf(ts, tid)) {
				tid = t.ID
			}
		}
		if tid == 0 {
			return nil, FieldErrors{"template": "この種類の監査のチェックリスト（カタログのテンプレート）が登録されていません。"}, nil
		}
	}
	scope := in.Scope
	if scope == nil {
		set := map[string]bool{}
		for _, t := range in.Targets {
			p, err := s.ProfileOf(ctx, t.DepartmentID)
			if err != nil {
				return nil, nil, err
			}
			d, err := s.org.Department(ctx, t.DepartmentID)
			if err != nil {
				return nil, nil, err
			}
			for _, c := range p.Codes(d.HasCounter) {
				set[c] = true
			}
		}
		if in.MyNumber {
			set["mynumber"] = true
		}
		if in.System != "" {
			set["system_owner"] = true
		}
		if in.Hosting == "cloud" {
			set["cloud_user"] = true
		}
		for _, c := range catalog.ApplicabilityOrder {
			if set[c] {
				scope = append(scope, c)
			}
		}
	}
	req := BuildRequest{TemplateID: tid, System: in.System, Scope: scope, Threats: in.Threats, IncludeRecommended: true}
	if len(in.Targets) > 0 {
		req.DepartmentID = in.Targets[0].DepartmentID
	}
	res, ps, err := s.Build(ctx, req)
	if err != nil {
		return nil, nil, err
	}
	if len(ps) > 0 {
		return nil, FieldErrors{ps[0].Field: ps[0].Msg + "。"}, nil
	}
	if res.Template.Kind != in.Kind.Template() {
		return nil, FieldErrors{"template": fmt.Sprintf("選んだチェックリストは「%s」用です。%s用のものを選んでください。",
			catalog.Kinds[res.Template.Kind], in.Kind.Label())}, nil
	}
	return res, nil, nil
}

func versionOf(ts []catalog.StoredTemplate, id int64) int {
	for _, t := range ts {
		if t.ID == id {
			return t.Version
		}
	}
	return 0
}

// insertItems copies the built items into the engagement's checklist.
func (s *Store) insertItems(ctx context.Context, id int64, items []BuiltItem) error {
	for i, b := range items {
		if err := s.insertItem(ctx, id, i+1, b.Item, b.Reason(), false); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) insertItem(ctx context.Context, id int64, order int, it catalog.StoredItem, reason string, added bool) error {
	var clauses []string
	for _, c := range it.Clauses {
		clauses = append(clauses, clauseLabel(c))
	}
	_, err := s.db.Exec(ctx, `INSERT INTO audit_items (engagement_id, code, sort_order, category, question, criteria_conform, criteria_partial,
		criteria_nonconform, evidence, techniques, clauses, threats, priority, site_inspection, presurvey, reason, added)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, it.Code, order, it.Category, it.Question, it.Criteria.Conform, it.Criteria.Partial, it.Criteria.Nonconform,
		strings.Join(it.Evidence, "\n"), strings.Join(it.Techniques, ","), strings.Join(clauses, "\n"), strings.Join(it.Threats, ","),
		it.Priority, it.SiteInspection, it.PreSurvey, reason, added)
	return err
}

// clauseLabel prints a catalogue clause as a checklist cites it
// (e.g. 「ガイドライン 2.1.(1)」).
func clauseLabel(c catalog.StoredClause) string { return c.Ref() }

// writeParts replaces the engagement's targets, team and due dates.
func (s *Store) writeParts(ctx context.Context, id int64, in EngagementInput) error {
	for _, q := range []string{"DELETE FROM audit_engagement_departments WHERE engagement_id = ?",
		"DELETE FROM audit_engagement_members WHERE engagement_id = ?"} {
		if _, err := s.db.Exec(ctx, q, id); err != nil {
			return err
		}
	}
	for i, t := range in.Targets {
		if _, err := s.db.Exec(ctx, "INSERT INTO audit_engagement_departments (engagement_id, department_id, sort_order, visit_date, visit_time) VALUES (?, ?, ?, ?, ?)",
			id, t.DepartmentID, i+1, jp.DateKey(t.VisitDate), t.VisitTime); err != nil {
			return err
		}
	}
	for _, m := range in.Members {
		if _, err := s.db.Exec(ctx, "INSERT INTO audit_engagement_members (engagement_id, user_id, role) VALUES (?, ?, ?)", id, m.UserID, m.Role); err != nil {
			return err
		}
	}
	for _, p := range Phases {
		due, ok := in.Dues[p]
		if !ok {
			continue
		}
		_, err := s.db.Exec(ctx, `INSERT INTO audit_engagement_steps (engagement_id, phase, due_date) VALUES (?, ?, ?)
			ON CONFLICT (engagement_id, phase) DO UPDATE SET due_date = excluded.due_date`, id, string(p), jp.DateKey(due))
		if err != nil {
			return err
		}
	}
	return nil
}

// nextCode is the next free code of the year and kind: 2026-IA-01.
func (s *Store) nextCode(ctx context.Context, fy int, k Kind) (string, error) {
	prefix := fmt.Sprintf("%d-%s-", fy, kindCodes[k])
	rows, err := s.db.Query(ctx, "SELECT code FROM audit_engagements WHERE code LIKE ?", prefix+"%")
	if err != nil {
		return "", err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return "", err
		}
		var k int
		if _, err := fmt.Sscanf(strings.TrimPrefix(c, prefix), "%d", &k); err == nil && k > n {
			n = k
		}
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s%02d", prefix, n+1), nil
}

// refreshSearch stores the engagement's folded search text (code, title,
// system, business and the audited departments' names).
func (s *Store) refreshSearch(ctx context.Context, id int64) error {
	e, err := s.Engagement(ctx, id)
	if err != nil {
		return err
	}
	fields := []string{e.Code, e.Title, e.System, e.Business, e.Kind.Label()}
	for _, t := range e.Targets {
		fields = append(fields, t.Path)
	}
	_, err = s.db.Exec(ctx, "UPDATE audit_engagements SET search_text = ? WHERE id = ?", jp.SearchText(fields...), id)
	return err
}

// UpdateEngagement changes an engagement's programme fields, targets, team
// and due dates (never its checklist), if rev is still the stored one.
func (s *Store) UpdateEngagement(ctx context.Context, id, rev int64, in EngagementInput, by Actor) error {
	cur, err := s.Engagement(ctx, id)
	if err != nil {
		return fmt.Errorf("audit.UpdateEngagement: %w", err)
	}
	in.Kind, in.FiscalYear = cur.Kind, cur.FiscalYear
	fe, err := s.check(ctx, &in)
	if err != nil {
		return fmt.Errorf("audit.UpdateEngagement: %w", err)
	}
	if fe != nil {
		return fe
	}
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		res, err := s.db.Exec(ctx, `UPDATE audit_engagements SET title = ?, system_name = ?, hosting = ?, vendors = ?, business = ?, mynumber = ?,
			rev = rev + 1, updated_at = ? WHERE id = ? AND rev = ?`,
			in.Title, in.System, in.Hosting, in.Vendors, in.Business, in.MyNumber, database.T(s.now()), id, rev)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		if err := s.writeParts(ctx, id, in); err != nil {
			return err
		}
		if err := s.refreshSearch(ctx, id); err != nil {
			return err
		}
		return s.log.Record(ctx, "audit.engagement_update", fmt.Sprintf("audit_engagement:%d", id),
			fmt.Sprintf("%s「%s」の対象・体制・日程を更新", cur.Code, in.Title))
	})
	if err != nil && !errors.Is(err, ErrConflict) {
		return fmt.Errorf("audit.UpdateEngagement: %w", err)
	}
	return err
}

// SetPhase moves an engagement to another phase; the phases passed are
// marked finished today, and going back reopens the later ones.
func (s *Store) SetPhase(ctx context.Context, id int64, to Phase, by Actor) error {
	if !to.Valid() {
		return FieldErrors{"phase": "移す工程を選んでください。"}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		// The phase is read, then the steps written from it: on PostgreSQL
		// two moves at once would both start from the same phase.
		if err := s.db.LockRow(ctx, "audit_engagements", id); err != nil {
			return err
		}
		e, err := s.Engagement(ctx, id)
		if err != nil {
			return err
		}
		if e.Phase == to {
			return FieldErrors{"phase": "すでに「" + to.Label() + "」です。"}
		}
		today := jp.DateKey(s.now())
		for _, p := range Phases {
			var done string
			switch {
			case p.Index() < to.Index() && e.Step(p).Done.IsZero():
				done = today
			case p.Index() < to.Index():
				done = jp.DateKey(e.Step(p).Done)
			}
			_, err := s.db.Exec(ctx, `INSERT INTO audit_engagement_steps (engagement_id, phase, done_at) VALUES (?, ?, ?)
				ON CONFLICT (engagement_id, phase) DO UPDATE SET done_at = excluded.done_at`, id, string(p), done)
			if err != nil {
				return err
			}
		}
		if _, err := s.db.Exec(ctx, "UPDATE audit_engagements SET phase = ?, rev = rev + 1, updated_at = ? WHERE id = ?",
			string(to), database.T(s.now()), id); err != nil {
			return err
		}
		return s.log.Record(ctx, "audit.engagement_phase", fmt.Sprintf("audit_engagement:%d", id),
			fmt.Sprintf("%s の工程を「%s」から「%s」へ", e.Code, e.Phase.Label(), to.Label()))
	})
}

const engagementCols = `e.id, e.code, e.fiscal_year, e.kind, e.title, e.system_name, e.hosting, e.vendors, e.business, e.phase,
	COALESCE(e.template_id, 0), e.template_title, e.template_version, e.characteristics, e.threats, e.mynumber, COALESCE(e.copied_from, 0),
	e.rev, e.created_at, e.updated_at,
	(SELECT COUNT(*) FROM audit_items i WHERE i.engagement_id = e.id AND NOT i.dropped),
	(SELECT COUNT(*) FROM audit_items i WHERE i.engagement_id = e.id AND NOT i.dropped AND i.judgement NOT IN ('', 'unverified')),
	(SELECT COUNT(*) FROM audit_findings f WHERE f.engagement_id = e.id),
	(SELECT COUNT(*) FROM audit_findings f WHERE f.engagement_id = e.id AND f.type IN ('finding', 'recommendation') AND f.followup_verdict <> 'improved')`

func scanEngagement(sc interface{ Scan(...any) error }) (Engagement, error) {
	var e Engagement
	var kind, phase, scope, threats string
	var created, updated database.Time
	err := sc.Scan(&e.ID, &e.Code, &e.FiscalYear, &kind, &e.Title, &e.System, &e.Hosting, &e.Vendors, &e.Business, &phase,
		&e.TemplateID, &e.TemplateTitle, &e.TemplateVersion, &scope, &threats, &e.MyNumber, &e.CopiedFrom, &e.Rev, &created, &updated,
		&e.Items, &e.Judged, &e.Findings, &e.OpenFollowups)
	e.Kind, e.Phase, e.Scope, e.Threats = Kind(kind), Phase(phase), splitList(scope), splitList(threats)
	e.CreatedAt, e.UpdatedAt = created.Time, updated.Time
	return e, err
}

// Engagement returns one engagement with its targets, team and steps; a
// missing one is database.ErrNotFound.
func (s *Store) Engagement(ctx context.Context, id int64) (Engagement, error) {
	e, err := scanEngagement(s.db.QueryRow(ctx, "SELECT "+engagementCols+" FROM audit_engagements e WHERE e.id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return e, database.ErrNotFound
	}
	if err != nil {
		return e, fmt.Errorf("audit.Engagement: %w", err)
	}
	es := []Engagement{e}
	if err := s.fillParts(ctx, es); err != nil {
		return e, err
	}
	return es[0], nil
}

// EngagementByCode returns the engagement with the code.
func (s *Store) EngagementByCode(ctx context.Context, code string) (Engagement, error) {
	var id int64
	err := s.db.QueryRow(ctx, "SELECT id FROM audit_engagements WHERE code = ?", strings.TrimSpace(code)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Engagement{}, database.ErrNotFound
	}
	if err != nil {
		return Engagement{}, fmt.Errorf("audit.EngagementByCode: %w", err)
	}
	return s.Engagement(ctx, id)
}

// fillParts loads the targets, teams and steps of engagements.
func (s *Store) fillParts(ctx context.Context, es []Engagement) error {
	if len(es) == 0 {
		return nil
	}
	idx := map[int64]int{}
	ids := make([]any, len(es))
	for i, e := range es {
		idx[e.ID] = i
		ids[i] = e.ID
	}
	in := "(" + database.Placeholders(len(ids)) + ")"
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return err
	}
	rows, err := s.db.Query(ctx, "SELECT engagement_id, department_id, visit_date, visit_time FROM audit_engagement_departments WHERE engagement_id IN "+in+" ORDER BY engagement_id, sort_order", ids...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var eid int64
		var t Target
		var date string
		if err := rows.Scan(&eid, &t.DepartmentID, &date, &t.VisitTime); err != nil {
			rows.Close()
			return err
		}
		t.VisitDate = jp.ParseDateKey(date)
		if d := tree.ByID[t.DepartmentID]; d != nil {
			t.Name, t.Path = d.Name, d.Path
		}
		es[idx[eid]].Targets = append(es[idx[eid]].Targets, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	accounts, err := s.org.Accounts(ctx)
	if err != nil {
		return err
	}
	names := map[int64][2]int64{}
	nameOf := map[int64]string{}
	for _, a := range accounts {
		nameOf[a.ID] = a.DisplayName
		names[a.ID] = [2]int64{a.DepartmentID}
	}
	rows, err = s.db.Query(ctx, "SELECT engagement_id, user_id, role FROM audit_engagement_members WHERE engagement_id IN "+in+" ORDER BY engagement_id, user_id", ids...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var eid int64
		var m Member
		if err := rows.Scan(&eid, &m.UserID, &m.Role); err != nil {
			rows.Close()
			return err
		}
		m.Name, m.DepartmentID = nameOf[m.UserID], names[m.UserID][0]
		es[idx[eid]].Members = append(es[idx[eid]].Members, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range es {
		sort.SliceStable(es[i].Members, func(a, b int) bool {
			return memberOrder(es[i].Members[a].Role) < memberOrder(es[i].Members[b].Role)
		})
	}
	rows, err = s.db.Query(ctx, "SELECT engagement_id, phase, due_date, done_at FROM audit_engagement_steps WHERE engagement_id IN "+in, ids...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var eid int64
		var phase, due, done string
		if err := rows.Scan(&eid, &phase, &due, &done); err != nil {
			return err
		}
		es[idx[eid]].Steps = append(es[idx[eid]].Steps, Step{Phase: Phase(phase), Due: jp.ParseDateKey(due), Done: jp.ParseDateKey(done)})
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for i := range es {
		sort.Slice(es[i].Steps, func(a, b int) bool { return es[i].Steps[a].Phase.Index() < es[i].Steps[b].Phase.Index() })
	}
	return nil
}

func memberOrder(role string) int {
	for i, r := range MemberRoles {
		if r.Code == role {
			return i
		}
	}
	return len(MemberRoles)
}

// EngagementFilter selects engagements for lists; the visibility fields
// restrict them to what one user may see.
type EngagementFilter struct {
	FiscalYear   int
	Kind         Kind
	Phase        Phase
	DepartmentID int64 // audits of this department (or below it)
	Words        []string
	Sort         string // code (default), phase, visit, title
	Desc         bool
	Limit        int // 0: all
	Offset       int

	// MemberOf keeps the engagements this user is on the team of (an
	// internal auditor); AuditedDept those auditing this department or
	// one below it (an auditee).
	MemberOf    int64
	AuditedDept int64
}

// Engagements lists engagements and the number matching the filter.
func (s *Store) Engagements(ctx context.Context, f EngagementFilter) ([]Engagement, int, error) {
	var where []string
	var args []any
	if f.FiscalYear != 0 {
		where, args = append(where, "e.fiscal_year = ?"), append(args, f.FiscalYear)
	}
	if f.Kind != "" {
		where, args = append(where, "e.kind = ?"), append(args, string(f.Kind))
	}
	if f.Phase != "" {
		where, args = append(where, "e.phase = ?"), append(args, string(f.Phase))
	}
	for _, dept := range []int64{f.DepartmentID, f.AuditedDept} {
		if dept == 0 {
			continue
		}
		ids, err := s.subtree(ctx, dept)
		if err != nil {
			return nil, 0, err
		}
		where = append(where, "EXISTS (SELECT 1 FROM audit_engagement_departments t WHERE t.engagement_id = e.id AND t.department_id IN ("+database.Placeholders(len(ids))+"))")
		args = append(args, ids...)
	}
	if f.MemberOf != 0 {
		where, args = append(where, "EXISTS (SELECT 1 FROM audit_engagement_members m WHERE m.engagement_id = e.id AND m.user_id = ?)"), append(args, f.MemberOf)
	}
	for _, w := range jp.SearchWords(strings.Join(f.Words, " ")) {
		where, args = append(where, "e.search_text LIKE ?"), append(args, "%"+w+"%")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_engagements e"+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit.Engagements: %w", err)
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	order := "e.fiscal_year" + dir + ", e.code" + dir
	switch f.Sort {
	case "phase":
		order = "CASE e.phase WHEN 'plan' THEN 1 WHEN 'presurvey' THEN 2 WHEN 'briefing' THEN 3 WHEN 'fieldwork' THEN 4 WHEN 'report' THEN 5 WHEN 'followup' THEN 6 ELSE 7 END" + dir + ", e.code"
	case "visit":
		order = "COALESCE((SELECT MIN(t.visit_date) FROM audit_engagement_departments t WHERE t.engagement_id = e.id AND t.visit_date <> ''), '9999')" + dir + ", e.code"
	case "title":
		order = "e.title" + dir + ", e.code"
	}
	q := "SELECT " + engagementCols + " FROM audit_engagements e" + cond + " ORDER BY " + order
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, f.Offset)
	}
	rows, err := s.db.Query(ctx, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit.Engagements: %w", err)
	}
	var es []Engagement
	for rows.Next() {
		e, err := scanEngagement(rows)
		if err != nil {
			rows.Close()
			return nil, 0, fmt.Errorf("audit.Engagements: %w", err)
		}
		es = append(es, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("audit.Engagements: %w", err)
	}
	if err := s.fillParts(ctx, es); err != nil {
		return nil, 0, fmt.Errorf("audit.Engagements: %w", err)
	}
	return es, total, nil
}

// subtree is a department and the ones below it, as query arguments.
func (s *Store) subtree(ctx context.Context, dept int64) ([]any, error) {
	tree, err := s.org.Departments(ctx)
	if err != nil {
		return nil, err
	}
	var out []any
	for _, id := range tree.Subtree(dept) {
		out = append(out, id)
	}
	if len(out) == 0 {
		out = append(out, dept)
	}
	return out, nil
}

// Years lists the fiscal years that have engagements, newest first.
func (s *Store) Years(ctx context.Context) ([]int, error) {
	ys, err := s.db.Ints(ctx, "SELECT DISTINCT fiscal_year FROM audit_engagements ORDER BY fiscal_year DESC")
	if err != nil {
		return nil, fmt.Errorf("audit.Years: %w", err)
	}
	out := make([]int, len(ys))
	for i, y := range ys {
		out[i] = int(y)
	}
	return out, nil
}

// CopyYear creates next year's programme from year from's: every
// engagement again with the same targets, team and kind, its dates moved
// one year on, its phase reset to 計画 and its checklist built afresh from
// the newest template, each item carrying last year's judgement and notes
// of the same item as the previous result. Engagements already copied are
// skipped. It returns how many were created.
func (s *Store) CopyYear(ctx context.Context, from, to int, by Actor) (int, error) {
	if to != from+1 {
		return 0, FieldErrors{"year": "複写先は複写元の翌年度にしてください。"}
	}
	es, _, err := s.Engagements(ctx, EngagementFilter{FiscalYear: from})
	if err != nil {
		return 0, err
	}
	if len(es) == 0 {
		return 0, FieldErrors{"year": jp.FiscalYearLabel(from) + "の監査計画がありません。"}
	}
	n := 0
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		for _, e := range es {
			// Two copies at once on PostgreSQL would both find e not copied
			// yet and create it twice; the lock makes the later one wait.
			if err := s.db.LockRow(ctx, "audit_engagements", e.ID); err != nil {
				return err
			}
			var done int
			if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM audit_engagements WHERE copied_from = ? AND fiscal_year = ?", e.ID, to).Scan(&done); err != nil {
				return err
			}
			if done > 0 {
				continue
			}
			in := EngagementInput{FiscalYear: to, Kind: e.Kind, Title: nextYearTitle(e.Title, from, to), System: e.System, Hosting: e.Hosting,
				Vendors: e.Vendors, Business: e.Business, MyNumber: e.MyNumber, Threats: e.Threats, Dues: map[Phase]time.Time{}}
			for _, t := range e.Targets {
				in.Targets = append(in.Targets, TargetInput{DepartmentID: t.DepartmentID, VisitDate: plusYear(t.VisitDate), VisitTime: t.VisitTime})
			}
			for _, m := range e.Members {
				in.Members = append(in.Members, MemberInput{UserID: m.UserID, Role: m.Role})
			}
			for _, st := range e.Steps {
				if !st.Due.IsZero() {
					in.Dues[st.Phase] = plusYear(st.Due)
				}
			}
			id, err := s.CreateEngagement(ctx, in, by)
			var fe FieldErrors
			if errors.As(err, &fe) {
				// A department closed or a member gone: copy without the team.
				in.Members = nil
				id, err = s.CreateEngagement(ctx, in, by)
			}
			if err != nil {
				return fmt.Errorf("%s: %w", e.Code, err)
			}
			if _, err := s.db.Exec(ctx, "UPDATE audit_engagements SET copied_from = ? WHERE id = ?", e.ID, id); err != nil {
				return err
			}
			if _, err := s.db.Exec(ctx, `UPDATE audit_items SET prev_judgement = COALESCE((SELECT p.judgement FROM audit_items p WHERE p.engagement_id = ? AND p.code = audit_items.code), ''),
				prev_notes = COALESCE((SELECT p.notes FROM audit_items p WHERE p.engagement_id = ? AND p.code = audit_items.code), '')
				WHERE engagement_id = ?`, e.ID, e.ID, id); err != nil {
				return err
			}
			n++
		}
		return s.log.Record(ctx, "audit.programme_copy", fmt.Sprintf("fiscal_year:%d", to),
			fmt.Sprintf("%sの監査計画を%sへ複写（%d 件）", jp.FiscalYearLabel(from), jp.FiscalYearLabel(to), n))
	})
	if err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) {
			return 0, fe
		}
		return 0, fmt.Errorf("audit.CopyYear: %w", err)
	}
	return n, nil
}

func plusYear(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.AddDate(1, 0, 0)
}

// nextYearTitle replaces the year's label in a title with the next one's.
func nextYearTitle(title string, from, to int) string {
	return strings.ReplaceAll(title, jp.FiscalYearLabel(from), jp.FiscalYearLabel(to))
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
