package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"mamori/content"
	"mamori/internal/database"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/web"
)

// demoProgrammeFile is the demo ward's audit programme (content/demo).
const demoProgrammeFile = "demo/audit_engagements.json"

// demoEngagement is one engagement of the demo file; see its _about.
type demoEngagement struct {
	Kind     Kind   `json:"kind"`
	Title    string `json:"title"`
	System   string `json:"system"`
	Hosting  string `json:"hosting"`
	Vendors  string `json:"vendors"`
	Business string `json:"business"`
	MyNumber bool   `json:"mynumber"`
	Targets  []struct {
		Name  string `json:"name"`
		Visit string `json:"visit"`
		Time  string `json:"time"`
	} `json:"targets"`
	Members []struct {
		Login string `json:"login"`
		Role  string `json:"role"`
	} `json:"members"`
	Phase   Phase          `json:"phase"`
	Dues    map[string]int `json:"dues"`
	Threats []string       `json:"threats"`
}

// demoBaseYear is the fiscal year the demo file's dates are written in;
// the demo moves them to the working fiscal year.
const demoBaseYear = 2026

// CreateDemo implements module.DemoMaker: the working year's audit
// programme — 13 internal audits, an external My Number audit and two
// system audits in every phase — and then their contents (demoDetails).
func (m *Module) CreateDemo(ctx context.Context, d module.Demo) error {
	d.Progress("監査計画を作成しています")
	b, err := content.FS.ReadFile(demoProgrammeFile)
	if err != nil {
		return err
	}
	var f struct {
		Engagements []demoEngagement `json:"engagements"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("%s: %w", demoProgrammeFile, err)
	}
	tree, err := m.org.Departments(ctx)
	if err != nil {
		return err
	}
	accounts, err := m.org.Accounts(ctx)
	if err != nil {
		return err
	}
	login := map[string]int64{}
	for _, a := range accounts {
		login[a.Login] = a.ID
	}
	fy := m.org.CurrentFiscalYear(ctx)
	if fy == 0 {
		fy = jp.FiscalYearOf(m.now())
	}
	shift := fy - demoBaseYear
	title := strings.NewReplacer(jp.FiscalYearLabel(demoBaseYear), jp.FiscalYearLabel(fy))
	by := Actor{Role: web.RoleAdmin, Name: "情報政策課 情報セキュリティ係"}
	var ids []int64
	for i, de := range f.Engagements {
		in := EngagementInput{FiscalYear: fy, Kind: de.Kind, Title: title.Replace(de.Title), System: de.System, Hosting: de.Hosting,
			Vendors: de.Vendors, Business: de.Business, MyNumber: de.MyNumber, Threats: de.Threats, Dues: map[Phase]time.Time{}}
		var first time.Time
		for _, t := range de.Targets {
			dept, err := demoDepartment(tree, t.Name)
			if err != nil {
				return fmt.Errorf("%s %d: %w", demoProgrammeFile, i+1, err)
			}
			visit := jp.ParseDateKey(t.Visit)
			if visit.IsZero() {
				return fmt.Errorf("%s %d: 実地監査日「%s」が読めません", demoProgrammeFile, i+1, t.Visit)
			}
			visit = visit.AddDate(shift, 0, 0)
			if first.IsZero() {
				first = visit
			}
			in.Targets = append(in.Targets, TargetInput{DepartmentID: dept.ID, VisitDate: visit, VisitTime: t.Time})
		}
		for _, mem := range de.Members {
			id, ok := login[mem.Login]
			if !ok {
				return fmt.Errorf("%s %d: 利用者「%s」がありません", demoProgrammeFile, i+1, mem.Login)
			}
			in.Members = append(in.Members, MemberInput{UserID: id, Role: mem.Role})
		}
		for p, days := range de.Dues {
			in.Dues[Phase(p)] = first.AddDate(0, 0, days)
		}
		id, err := m.store.CreateEngagement(ctx, in, by)
		if err != nil {
			return fmt.Errorf("%s %d「%s」: %w", demoProgrammeFile, i+1, de.Title, err)
		}
		if err := m.store.demoPhase(ctx, id, de.Phase, in.Dues); err != nil {
			return fmt.Errorf("%s %d: %w", demoProgrammeFile, i+1, err)
		}
		ids = append(ids, id)
	}
	if err := m.demoDetails(ctx, d, ids); err != nil {
		return err
	}
	if err := m.demoHistory(ctx, d, ids); err != nil {
		return err
	}
	return m.demoExamples(ctx, d, ids)
}

// demoPhase puts a demo engagement in its phase, the earlier phases
// finished on their due dates.
func (s *Store) demoPhase(ctx context.Context, id int64, to Phase, dues map[Phase]time.Time) error {
	if !to.Valid() {
		return fmt.Errorf("工程「%s」は定義されていません", to)
	}
	for _, p := range Phases {
		if p.Index() >= to.Index() {
			break
		}
		if _, err := s.db.Exec(ctx, "UPDATE audit_engagement_steps SET done_at = ? WHERE engagement_id = ? AND phase = ?",
			jp.DateKey(dues[p]), id, string(p)); err != nil {
			return err
		}
	}
	_, err := s.db.Exec(ctx, "UPDATE audit_engagements SET phase = ?, updated_at = ? WHERE id = ?", string(to), database.T(s.now()), id)
	return err
}

// demoDepartment finds a department by its name or the end of its path.
func demoDepartment(tree *org.Tree, name string) (*org.Department, error) {
	var found []*org.Department
	for _, d := range tree.Flat() {
		if d.Active && (d.Name == name || d.Path == name || strings.HasSuffix(d.Path, " "+name)) {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("所属「%s」がありません", name)
	}
	return nil, fmt.Errorf("所属「%s」が %d 件あります", name, len(found))
}
