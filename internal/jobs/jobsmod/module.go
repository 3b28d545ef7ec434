// Package jobsmod is the scheduled tasks as a module of the app: the
// administrator's page of every recurring task with its last run, its
// next run and its failures, and a button to run one now.
package jobsmod

import (
	"embed"
	"errors"
	"net/http"

	"mamori/internal/auditlog"
	"mamori/internal/database"
	"mamori/internal/jobs"
	"mamori/internal/module"
	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// Module is the schedules module.
type Module struct {
	s   *jobs.Scheduler
	log *auditlog.Log
}

// New returns the module.
func New(s *jobs.Scheduler, log *auditlog.Log) *Module { return &Module{s: s, log: log} }

// Info implements module.Module.
func (m *Module) Info() module.Info {
	return module.Info{Key: "schedules", Label: "定時処理", Group: module.GroupOrg, Built: true,
		Summary: "催促・定時のバックアップなど、決まった時刻に動く処理の状況（前回・次回・失敗）。"}
}

// Nav implements module.Navigator.
func (m *Module) Nav() []web.NavItem {
	return []web.NavItem{{Label: "定時処理", Path: "/admin/schedules", Group: string(module.GroupOrg)}}
}

// Routes implements module.Router.
func (m *Module) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("schedules", templateFS, "templates"); err != nil {
		return err
	}
	admin := web.Allow(web.RoleAdmin)
	rt.Handle("GET /admin/schedules", admin, m.page)
	rt.Handle("POST /admin/schedules/run", admin, m.runSoon)
	return nil
}

func (m *Module) page(w http.ResponseWriter, r *http.Request) error {
	st, err := m.s.States(r.Context())
	if err != nil {
		return err
	}
	return web.Render(w, r, http.StatusOK, "schedules/page", "定時処理", st)
}

func (m *Module) runSoon(w http.ResponseWriter, r *http.Request) error {
	name := r.PostFormValue("name")
	ctx := r.Context()
	err := m.s.RunSoon(ctx, name)
	if errors.Is(err, database.ErrNotFound) {
		return web.Redirect(w, r, "/admin/schedules", "その定時処理はありません。", false)
	}
	if err != nil {
		return err
	}
	if err := m.log.Record(ctx, "job.run_soon", "", "定時処理「"+name+"」をすぐ実行するよう設定"); err != nil {
		return err
	}
	return web.Redirect(w, r, "/admin/schedules", "次の確認（30秒以内）で実行します。しばらくしてから再読み込みしてください。", true)
}
