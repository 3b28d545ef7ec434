package module

import (
	"embed"
	"net/http"

	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// PlannedViewers are the roles that see workstreams not built yet: those
// who run the programme and plan what comes next. Everyone else would find
// an empty page, so their navigation and home page leave it out.
var PlannedViewers = web.NewRoleSet(web.RoleAdmin, web.RoleConsultant)

// Planned is a workstream that is not built yet. It takes its place in the
// navigation of PlannedViewers and its landing page says so plainly; when
// the workstream is built, its package replaces the Planned line in the
// app's module list.
func Planned(info Info) Module { info.Built = false; return planned{info} }

type planned struct{ info Info }

func (p planned) Info() Info { return p.info }

func (p planned) Routes(rt *web.Router) error {
	if err := rt.Renderer().Add("module", templateFS, "templates"); err != nil {
		return err
	}
	rt.Handle("GET "+p.info.Path, PlannedViewers.Rule(), func(w http.ResponseWriter, r *http.Request) error {
		return web.Render(w, r, http.StatusOK, "module/planned", p.info.Label, p.info)
	})
	return nil
}
