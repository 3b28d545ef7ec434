package app

import (
	"embed"
	"html/template"
	"net/http"
	"strings"

	"mamori/internal/module"
	"mamori/internal/org"
	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// routes builds the renderer and the router from the module list: every
// module's routes, its navigation entries and its home-page tiles.
func (a *App) routes() error {
	rd, err := web.NewRenderer(a.Logger)
	if err != nil {
		return err
	}
	if err := rd.Add("app", templateFS, "templates"); err != nil {
		return err
	}
	rt := web.NewRouter(a.Auth, rd, a.Logger)
	rd.Site = a.Org.SiteInfo // cached; org drops it when a setting or the year changes
	rt.HandleRaw("GET /static/{hash}/{name...}", web.PublicRule(), rd.Static())
	rt.Handle("GET /healthz", web.PublicRule(), a.health)
	rt.HandleRaw("GET /livez", web.PublicRule(), http.HandlerFunc(a.live))
	rt.Handle("GET /{$}", web.SignedIn(), a.home)
	if err := a.Jobs.Routes(rt); err != nil {
		return err
	}
	for _, m := range a.Modules {
		if r, ok := m.(module.Router); ok {
			if err := r.Routes(rt); err != nil {
				return err
			}
		}
	}
	nav := a.navByRole(rt)
	a.navFor = func(r *http.Request, u *web.User) []web.NavItem {
		items := nav[u.Role]
		out := make([]web.NavItem, len(items))
		for i, it := range items {
			it.Active = r.URL.Path == it.Path || (it.Path != "/" && strings.HasPrefix(r.URL.Path, it.Path+"/"))
			out[i] = it
		}
		return out
	}
	rd.Nav = a.navFor
	a.Router = rt
	a.handler = web.Secure(rt, a.Logger, rd, web.TrustProxies(a.Config.TrustedProxies()...))
	return nil
}

// navByRole computes each role's navigation once: the modules' entries in
// group order, each shown only to the roles its route rule allows (so a
// workstream not built yet, whose page only the programme's runners may
// open, is in their menus alone; a vendor's menu holds only what was built
// for vendors), under the label the module gives that role.
func (a *App) navByRole(rt *web.Router) map[web.Role][]web.NavItem {
	type entry struct {
		item    web.NavItem
		labels  map[web.Role]string
		vendors bool
	}
	byGroup := map[string][]entry{}
	for _, m := range a.Modules {
		info := m.Info()
		if info.Path != "" {
			byGroup[string(info.Group)] = append(byGroup[string(info.Group)],
				entry{web.NavItem{Label: info.Label, Path: info.Path, Group: string(info.Group)}, info.RoleLabels, info.Vendors})
		}
		if n, ok := m.(module.Navigator); ok {
			for _, it := range n.Nav() {
				byGroup[it.Group] = append(byGroup[it.Group], entry{item: it})
			}
		}
	}
	entries := []entry{{item: web.NavItem{Label: "ホーム", Path: "/"}, vendors: true}} // no heading of its own
	for _, g := range module.Groups {
		entries = append(entries, byGroup[string(g)]...)
	}
	out := map[web.Role][]web.NavItem{}
	for _, role := range web.AllRoles {
		for _, e := range entries {
			if rt.Allowed(role, e.item.Path) && (role != web.RoleVendor || e.vendors) {
				it := e.item
				if l := e.labels[role]; l != "" {
					it.Label = l
				}
				out[role] = append(out[role], it)
			}
		}
	}
	return out
}

// live answers a load balancer's check: the process serves requests. It
// reads nothing, so that while the database is down the balancer keeps
// sending users here, where they get the Japanese 503 page; /healthz,
// which queries the database, is for monitoring. Once the process is
// stopping with a drain (Config.StopDrain) it answers 503, while still
// serving what reaches it, so that the balancer takes it out first.
func (a *App) live(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if a.stopping.Load() {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("stopping\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

func (a *App) health(w http.ResponseWriter, r *http.Request) error {
	if err := a.DB.QueryRow(r.Context(), "SELECT 1").Scan(new(int)); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ok\n"))
	return err
}

var roleIntro = map[web.Role]string{
	web.RoleAdmin:      "区の情報セキュリティ対策の年間計画・利用者・設定を管理します。",
	web.RoleConsultant: "チェックリスト・計画・研修・訓練シナリオを作成し、監査の立会いや外部監査、報告書の作成を行います。",
	web.RoleAuditor:    "他の所属の内部監査を実施します。",
	web.RoleAuditee:    "所属の改善措置の進み具合を更新し、監査の事前調査票への回答や資料の提出を行います。",
	web.RoleStaff:      "自己点検への回答、研修の受講、インシデントの報告を行います。",
	web.RoleVendor:     "区から依頼された委託・クラウドのチェックリストに回答します。",
	web.RoleViewer:     "ダッシュボードと報告書を閲覧します。",
}

// homeTiles is one module's tiles on the home page.
type homeTiles struct {
	Label string
	Tiles []module.Tile
}

// homeView is the home page: what this person can do, in the order they
// need it.
type homeView struct {
	Greeting    greeting
	Intro       string
	Tiles       []homeTiles
	Tasks       []module.Tile // the person's own tasks, from every module
	Workstreams []module.Info // the year's workstreams this role can open (planned ones for their runners only)
	Links       []web.NavItem // the pages of a role without workstreams of its own (staff, auditee)
	CSIRT       org.CSIRTContact
	PhoneHref   template.URL // tel: link of the contact's number (digits and hyphens only)
	ShowCSIRT   bool         // everyone working for the ward: whom to call about an incident
	CSIRTFirst  bool         // staff: the contact comes before anything else
	EditCSIRT   bool         // the security office: a link to the setting
	Vendor      bool
	Staff       bool
}

// linkRoles see their menu as a list of links on the home page instead of
// the year's workstreams, which they do not run.
var linkRoles = web.NewRoleSet(web.RoleStaff, web.RoleAuditee)

func (a *App) home(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u := web.UserFrom(ctx)
	tree, err := a.Org.Departments(ctx)
	if err != nil {
		return err
	}
	dept := ""
	if d := tree.ByID[u.DepartmentID]; d != nil {
		dept = d.Name
	}
	isDept := func(word string) bool {
		for _, d := range tree.ByID {
			if d.Name == word {
				return true
			}
		}
		return false
	}
	v := homeView{Greeting: newGreeting(u, dept, isDept), Intro: roleIntro[u.Role],
		Vendor: u.Role == web.RoleVendor, Staff: u.Role == web.RoleStaff, CSIRTFirst: u.Role == web.RoleStaff,
		EditCSIRT: a.Router.Allowed(u.Role, "/admin/settings")}
	if v.Vendor {
		return web.Render(w, r, http.StatusOK, "app/home", "ホーム", v)
	}
	if v.CSIRT, err = a.Org.CSIRT(ctx); err != nil {
		return err
	}
	// PhoneLink keeps digits, hyphens and a leading + only: safe as a URL.
	v.PhoneHref = template.URL(v.CSIRT.PhoneLink())
	v.ShowCSIRT = v.CSIRT.IsSet() || v.EditCSIRT || u.Role == web.RoleStaff || u.Role == web.RoleAuditee
	for _, m := range a.Modules {
		info := m.Info()
		if info.Workstream > 0 && !linkRoles.Has(u.Role) && a.Router.Allowed(u.Role, info.Path) {
			info.Label = info.LabelFor(u.Role)
			v.Workstreams = append(v.Workstreams, info)
		}
		if t, ok := m.(module.Tiler); ok {
			ts, err := t.Tiles(ctx, u)
			if err != nil {
				return err
			}
			var figures []module.Tile
			for _, t := range ts {
				if t.Task {
					v.Tasks = append(v.Tasks, t)
				} else {
					figures = append(figures, t)
				}
			}
			if len(figures) > 0 {
				v.Tiles = append(v.Tiles, homeTiles{Label: info.Label, Tiles: figures})
			}
		}
	}
	if linkRoles.Has(u.Role) {
		for _, it := range a.navFor(r, u) {
			if it.Path != "/" {
				v.Links = append(v.Links, it)
			}
		}
	}
	return web.Render(w, r, http.StatusOK, "app/home", "ホーム", v)
}
