package app

import (
	"mamori/internal/audit"
	"mamori/internal/auditlog/auditweb"
	"mamori/internal/auth/authmod"
	"mamori/internal/catalog"
	"mamori/internal/drill"
	"mamori/internal/improve"
	"mamori/internal/incident"
	"mamori/internal/jobs/jobsmod"
	"mamori/internal/learning"
	"mamori/internal/mail/mailmod"
	"mamori/internal/module"
	"mamori/internal/org/orgmod"
	"mamori/internal/policy"
	"mamori/internal/program"
	"mamori/internal/scan"
	"mamori/internal/survey"
	"mamori/internal/vendor"
)

// modules is the one list of Mamori's features, in navigation and demo
// order: a module may rely on the demo data of those before it. Adding a
// workstream is its own folder, its migration and one line here (replacing
// its module.Planned entry). See internal/README.md.
func (a *App) modules(d module.Deps) []module.Module {
	return []module.Module{
		orgmod.New(a.Org),
		authmod.New(a.Auth),
		mailmod.New(d),
		jobsmod.New(a.Scheduler, a.Log),
		auditweb.New(d),
		catalog.NewModule(d),
		improve.New(d),
		audit.NewModule(d),
		scan.New(d),
		survey.New(d),
		learning.New(d),
		drill.New(d),
		incident.New(d),
		vendor.New(d),
		policy.NewModule(d),
		program.New(d),
	}
}
