package app

import (
	"embed"
	"net/http"
	"strings"

	"mamori/internal/module"
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
	rd.Nav = func(r *http.Request, u *web.User) []web.NavItem {
		items := nav[u.Role]
		out := make([]web.NavItem, len(items))
		for i, it := range items {
			it.Active = r.URL.Path == it.Path || (it.Path != "/" && strings.HasPrefix(r.URL.Path, it.Path+"/"))
			out[i] = it
		}
		return out
	}
	a.Router = rt
	a.handler = web.Secure(rt, a.Logger, rd, web.TrustProxies(a.Config.TrustedProxies()...))
	return nil
}

// navByRole computes each role's navigation once: the modules' entries in
// group order, each shown only to the roles its route rule allows.
func (a *App) navByRole(rt *web.Router) map[web.Role][]web.NavItem {
	byGroup := map[string][]web.NavItem{}
	for _, m := range a.Modules {
		info := m.Info()
		if info.Path != "" {
			byGroup[string(info.Group)] = append(byGroup[string(info.Group)], web.NavItem{Label: info.Label, Path: info.Path, Group: string(info.Group)})
		}
		if n, ok := m.(module.Navigator); ok {
			for _, it := range n.Nav() {
				byGroup[it.Group] = append(byGroup[it.Group], it)
			}
		}
	}
	items := []web.NavItem{{Label: "ホーム", Path: "/", Group: "ホーム"}}
	for _, g := range module.Groups {
		items = append(items, byGroup[string(g)]...)
	}
	out := map[web.Role][]web.NavItem{}
	for _, role := range web.AllRoles {
		for _, it := range items {
			if rt.Allowed(role, it.Path) {
				out[role] = append(out[role], it)
			}
		}
	}
	return out
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
	web.RoleAuditee:    "監査の事前調査票への回答、資料の提出、改善計画の作成を行います。",
	web.RoleStaff:      "自己点検への回答、研修の受講、訓練への参加、インシデントの報告を行います。",
	web.RoleVendor:     "委託・クラウド導入のチェックリストに回答します。",
	web.RoleViewer:     "ダッシュボードと報告書を閲覧します。",
}

// homeTiles is one module's tiles on the home page.
type homeTiles struct {
	Label string
	Tiles []module.Tile
}

func (a *App) home(w http.ResponseWriter, r *http.Request) error {
	u := web.UserFrom(r.Context())
	var workstreams []module.Info
	var tiles []homeTiles
	for _, m := range a.Modules {
		info := m.Info()
		if info.Workstream > 0 {
			workstreams = append(workstreams, info)
		}
		if t, ok := m.(module.Tiler); ok {
			ts, err := t.Tiles(r.Context(), u)
			if err != nil {
				return err
			}
			if len(ts) > 0 {
				tiles = append(tiles, homeTiles{Label: info.Label, Tiles: ts})
			}
		}
	}
	return web.Render(w, r, http.StatusOK, "app/home", "ホーム", map[string]any{
		"Workstreams": workstreams, "Tiles": tiles, "Intro": roleIntro[u.Role]})
}
