package improve

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"mamori/content"
	"mamori/internal/jp"
	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/web"
)

// demoFile holds the demo ward's actions (content/demo).
const demoFile = "demo/improvement_actions.json"

// demoAction is one action of the demo file; see its _about.
type demoAction struct {
	Ref        string `json:"ref"`
	Module     string `json:"module"`
	Source     Source `json:"source"`
	Year       int    `json:"year"`
	Label      string `json:"label"`
	Clause     string `json:"clause"`
	Title      string `json:"title"`
	Detail     string `json:"detail"`
	Risk       string `json:"risk"`
	Owner      string `json:"owner"`
	CreatedAgo int    `json:"created_days_ago"`
	DueDays    *int   `json:"due_days"`
	Status     Status `json:"status"`
	StartNote  string `json:"start_note"`
	DoneNote   string `json:"done_note"`
	Evidence   string `json:"evidence"`
	VerifyNote string `json:"verify_note"`
}

func loadDemo() ([]demoAction, error) {
	b, err := content.FS.ReadFile(demoFile)
	if err != nil {
		return nil, err
	}
	var f struct {
		Actions []demoAction `json:"actions"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%s: %w", demoFile, err)
	}
	return f.Actions, nil
}

// findDepartment finds a department by its name or by the end of its path
// ("戸籍住民課 証明係"); the name must be unambiguous.
func findDepartment(ds []*org.Department, name string) (*org.Department, error) {
	var found []*org.Department
	for _, d := range ds {
		if d.Name == name || d.Path == name || strings.HasSuffix(d.Path, " "+name) {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return nil, fmt.Errorf("所属「%s」がありません", name)
	}
	return nil, fmt.Errorf("所属「%s」が %d 件あります（課名と係名で指定してください）", name, len(found))
}

// CreateDemo implements module.DemoMaker: the demo ward's register, with
// last year's internal-audit findings, a drill's evaluation, incidents'
// recurrence-prevention measures, self-assessment weak points and policy
// gaps, in every status, some of them overdue, each with its history.
func (m *Module) CreateDemo(ctx context.Context, d module.Demo) error {
	d.Progress("改善措置台帳を作成しています")
	acts, err := loadDemo()
	if err != nil {
		return err
	}
	tree, err := m.d.Org.Departments(ctx)
	if err != nil {
		return err
	}
	ds := tree.Flat()
	fy := m.d.Org.CurrentFiscalYear(ctx)
	if fy == 0 {
		fy = jp.FiscalYearOf(m.store.now())
	}
	today := m.store.now()
	day := func(n int) time.Time { return today.AddDate(0, 0, n) }
	label := strings.NewReplacer("{年度}", jp.FiscalYearLabel(fy), "{前年度}", jp.FiscalYearLabel(fy-1))
	verifier := Actor{Role: web.RoleAdmin, Name: "情報政策課 情報セキュリティ係"}
	for _, a := range acts {
		dept, err := findDepartment(ds, a.Owner)
		if err != nil {
			return fmt.Errorf("%s %s: %w", demoFile, a.Ref, err)
		}
		in := Input{FiscalYear: fy + a.Year, Source: a.Source, SourceModule: a.Module, SourceRef: a.Ref, SourceLabel: label.Replace(a.Label),
			Clause: a.Clause, Title: a.Title, Detail: a.Detail, Risk: a.Risk, OwnerDepartmentID: dept.ID}
		if a.DueDays != nil {
			in.Due = day(*a.DueDays)
		}
		created := day(-a.CreatedAgo)
		id, _, err := m.store.at(created).Upsert(ctx, in)
		if err != nil {
			return fmt.Errorf("%s %s: %w", demoFile, a.Ref, err)
		}
		owner := Actor{Role: web.RoleAuditee, DepartmentID: dept.ID, Name: dept.Name + " 担当"}
		step := func(frac float64) time.Time { return created.Add(time.Duration(float64(today.Sub(created)) * frac)) }
		steps := []struct {
			to   Status
			at   float64
			note string
			by   Actor
		}{
			{StatusInProgress, 0.3, a.StartNote, owner},
			{StatusDone, 0.6, a.DoneNote, owner},
			{StatusVerified, 0.8, a.VerifyNote, verifier},
		}
		for _, s := range steps {
			if statusRank(a.Status) < statusRank(s.to) {
				break
			}
			if s.to == StatusDone && a.Evidence != "" {
				if _, err := m.store.at(step(s.at-0.05)).AddEvidence(ctx, id, EvidenceInput{Note: a.Evidence}, owner); err != nil {
					return fmt.Errorf("%s %s: %w", demoFile, a.Ref, err)
				}
			}
			if err := m.store.at(step(s.at)).SetStatus(ctx, id, s.to, s.note, s.by); err != nil {
				return fmt.Errorf("%s %s: %w", demoFile, a.Ref, err)
			}
		}
	}
	return nil
}

func statusRank(s Status) int {
	for i, x := range Statuses {
		if x == s {
			return i
		}
	}
	return -1
}
