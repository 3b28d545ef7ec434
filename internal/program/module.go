// Package program is programme management (進捗管理, DESIGN.md workstream
// 10, issue 19): the year's schedule — the programme's own tasks and
// milestones and every task the modules already know (read live through
// module.Deps.YearProgress, never typed twice) — with delay detection,
// re-planning with the reason kept against the baseline, a Gantt chart
// drawn by the server, and `mamori program status`.
//
// The monthly meetings (定例会) have their agenda proposed from the open
// actions and the delays, minutes, decisions and actions that feed the
// schedule, and the 議事録 as PDF/Word; consultations are kept in the
// advice log (相談・助言記録).
//
// The next-year plan (次期支援計画書（案）) gathers each workstream's year
// and the register's open actions with proposals edited in place, and
// copies the year's own tasks to next year; the lent materials (貸与資料)
// are registered, returned or destroyed with the receipt, and flagged
// before the contract ends.
//
// The deliverables register lists every module's deliverables of the year
// with their state, version and delivery date, each downloadable, and
// binds them (製本) in the background; destruction at contract end
// (mamori shred) destroys the keys of the contractor's evidence through
// the modules' module.Shredder, after binding, and prints the destruction
// certificate (消去証明書).
package program

import (
	"context"
	"embed"
	"fmt"

	"mamori/internal/database"
	"mamori/internal/module"
	"mamori/internal/web"
)

//go:embed all:templates
var templateFS embed.FS

//go:embed static/program.css
var css []byte

// ModuleKey names the module.
const ModuleKey = "program"

var (
	// Managers plan and re-plan: the security office and the contractor.
	Managers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant)
	// readers also include the viewer (CISO, executives).
	readers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant, web.RoleViewer)
)

// Module is programme management.
type Module struct {
	d     module.Deps
	store *Store
	rt    *web.Router // who may open which module's pages
}

// New returns the module on the app's shared services.
func New(d module.Deps) *Module {
	registerNames(d.Names, d.DB)
	return &Module{d: d, store: NewStore(d)}
}

// Store is the module's store (for sub-commands and tests).
func (m *Module) Store() *Store { return m.store }

var info = module.Info{Key: ModuleKey, Label: "進捗管理", Path: "/program", Group: module.GroupWork, Workstream: 10, Built: true,
	Summary: "全業務のスケジュールと進捗：各業務が持つ作業と独自の作業・節目の工程表（ガントチャート）、遅延の検知、理由を残した再計画。"}

// Info implements module.Module.
func (m *Module) Info() module.Info { return info }

// Tables implements module.Tabler (parents first).
func (m *Module) Tables() []string {
	return []string{"program_tasks", "program_replans", "program_meetings", "program_items", "program_advice", "program_proposals", "program_loans", "program_deliverables", "program_task_deps", "program_binders", "program_shreds"}
}

// Routes implements module.Router.
func (m *Module) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("program", templateFS, "templates"); err != nil {
		return err
	}
	rt.Renderer().Static().Add("program/program.css", css)
	m.rt = rt
	m.routes(rt)
	return nil
}

func registerNames(reg *module.Names, db *database.DB) {
	if reg == nil || db == nil {
		return
	}
	reg.Register("program_meeting", module.SQLNames(db, "SELECT id, fiscal_year, held_on, '' FROM program_meetings WHERE id IN (%s)",
		func(id, fy int64, held, _ string) module.Named {
			return module.Named{Name: fmt.Sprintf("定例会（%s）", held), Link: fmt.Sprintf("/program/meetings/%d", id)}
		}))
	reg.Register("program_advice", module.SQLNames(db, "SELECT id, fiscal_year, asked_on, department FROM program_advice WHERE id IN (%s)",
		func(id, fy int64, asked, dept string) module.Named {
			return module.Named{Name: fmt.Sprintf("相談（%s %s）", asked, dept), Link: fmt.Sprintf("/program/advice?year=%d", fy)}
		}))
	reg.Register("program_loan", module.SQLNames(db, "SELECT id, fiscal_year, name, state FROM program_loans WHERE id IN (%s)",
		func(id, fy int64, name, _ string) module.Named {
			return module.Named{Name: "貸与資料「" + name + "」", Link: fmt.Sprintf("/program/loans?year=%d", fy)}
		}))
	reg.Register("program_task", module.SQLNames(db, "SELECT id, id, title, start_on FROM program_tasks WHERE id IN (%s)",
		func(id, _ int64, title, _ string) module.Named {
			return module.Named{Name: title, Link: fmt.Sprintf("/program/tasks/%d", id)}
		}))
}

// Tiles implements module.Tiler: the year's delayed tasks, for those who
// run the programme.
func (m *Module) Tiles(ctx context.Context, u *web.User) ([]module.Tile, error) {
	if !readers.HasUser(u) {
		return nil, nil
	}
	sc, err := m.store.ScheduleOf(ctx, m.d.Org.CurrentFiscalYear(ctx), m.d.YearProgress)
	if err != nil {
		return nil, err
	}
	late := 0
	for _, r := range sc.Delayed {
		if r.Status == StatusLate {
			late++
		}
	}
	tiles := []module.Tile{{Label: "工程：遅延・要注意", Value: fmt.Sprintf("%d 件・%d 件", late, len(sc.Delayed)-late), Link: "/program", Alert: len(sc.Delayed) > 0}}
	ls, err := m.store.Loans(ctx, sc.FiscalYear)
	if err != nil {
		return nil, err
	}
	due := 0
	for _, l := range ls {
		if l.DueSoon(sc.Now) {
			due++
		}
	}
	if due > 0 {
		tiles = append(tiles, module.Tile{Label: "貸与資料：契約終了前に未返却", Value: fmt.Sprintf("%d 件", due), Link: "/program/loans", Alert: true})
	}
	return tiles, nil
}
