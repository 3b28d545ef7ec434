package app

import (
	"context"
	"embed"
	"net/http"
	"strings"

	"mamori/internal/catalog"
	"mamori/internal/org"
	"mamori/internal/policy"
	"mamori/internal/policy/gap"
	"mamori/internal/web"
)

//go:embed templates
var templateFS embed.FS

// Workstream is one of DESIGN.md's ten workstreams (the programme's sections).
type Workstream struct {
	Key     string
	Label   string
	Path    string
	Summary string
	Built   bool
}

// Workstreams lists the programme's sections in DESIGN.md order. Sections
// not built yet say so plainly on their page.
var Workstreams = []Workstream{
	{"audit", "内部監査", "/audit", "監査項目とチェックリスト、内部監査人研修、所属ごとの監査への立会い、改善状況のフォローアップ、内部監査全体報告書。", false},
	{"selfcheck", "自己点検", "/selfcheck", "一般職員・システム担当者・保護担当者向けの自己点検調査票の配布と回収、集計・分析、報告書と説明資料。", false},
	{"external", "外部監査", "/external", "情報資産・特定個人情報と情報システムの外部監査：監査計画書、チェックリスト、事前調査票と提出資料一覧、実地監査、監査報告書。", false},
	{"learning", "研修", "/learning", "個人情報保護研修と特定個人情報保護研修（一般職員・システム担当者・管理職向け）、テキスト版と演習、受講管理。", false},
	{"drill", "事故対応訓練", "/drill", "年間計画と訓練当日計画、区民サービスに影響が及ぶシナリオ、訓練資料、当日の記録と助言、評価報告書。", false},
	{"incident", "インシデント", "/incident", "情報セキュリティインシデントの記録、現地での助言、所属ごとの再発防止レポートと年間総括。", false},
	{"vendor", "委託・クラウド", "/vendor", "外部委託事業者とクラウドサービスの選定用チェックリスト、事業者による回答（期限付きリンク）と評価。", false},
	{"policy", "ポリシー改訂", "/policy", "国のガイドラインと区のポリシーの相違点整合表、改訂案、見え消し版、新旧対照表、職員向け教材、実施手順とハンドブックの改訂。", true},
	{"program", "進捗管理", "/program", "全業務のスケジュールと進捗、遅延の検知と再計画、定例会の議事録と決定事項、助言記録、次期支援計画書（案）。", false},
}

var orgNav = []web.NavItem{
	{Label: "監査項目カタログ", Path: "/catalog", Group: "基準"},
	{Label: "職員名簿", Path: "/staff", Group: "組織"},
	{Label: "所属（組織）", Path: "/admin/departments", Group: "組織"},
	{Label: "年度", Path: "/admin/years", Group: "組織"},
	{Label: "利用者と役割", Path: "/admin/users", Group: "組織"},
	{Label: "監査ログ", Path: "/admin/auditlog", Group: "組織"},
}

func (a *App) routes() error {
	rd, err := web.NewRenderer(a.Logger)
	if err != nil {
		return err
	}
	if err := rd.Add("app", templateFS, "templates"); err != nil {
		return err
	}
	rt := web.NewRouter(a.Org, rd, a.Logger)
	rd.Site = func(ctx context.Context) web.Site {
		ward, _ := a.Org.Setting(ctx, "ward_name")
		return web.Site{WardName: ward, FiscalYear: a.Org.CurrentFiscalYear(ctx), Demo: a.Org.IsDemo(ctx)}
	}
	rd.Nav = func(r *http.Request, u *web.User) []web.NavItem {
		items := []web.NavItem{{Label: "ホーム", Path: "/", Group: "ホーム"}}
		for _, ws := range Workstreams {
			items = append(items, web.NavItem{Label: ws.Label, Path: ws.Path, Group: "業務"})
		}
		items = append(items, orgNav...)
		var out []web.NavItem
		for _, it := range items {
			if !rt.Allowed(u.Role, it.Path) {
				continue
			}
			it.Active = r.URL.Path == it.Path || (it.Path != "/" && strings.HasPrefix(r.URL.Path, it.Path+"/"))
			out = append(out, it)
		}
		return out
	}
	rt.HandleRaw("GET /static/{hash}/{name...}", web.PublicRule(), rd.Static())
	rt.Handle("GET /healthz", web.PublicRule(), a.health)
	rt.Handle("GET /{$}", web.SignedIn(), a.home)
	for _, ws := range Workstreams {
		if ws.Built {
			continue // the feature package owns its page
		}
		rt.Handle("GET "+ws.Path, web.SignedIn(), a.workstream(ws))
	}
	if err := a.Org.Routes(rt); err != nil {
		return err
	}
	if err := a.Jobs.Routes(rt); err != nil {
		return err
	}
	cw := catalog.NewWeb(catalog.NewStore(a.DB), a.Log)
	cw.SetBlobs(a.Blobs)
	if err := cw.Routes(rt); err != nil {
		return err
	}
	if err := gap.NewWeb(a.DB, a.Log, a.Now).Routes(rt); err != nil {
		return err
	}
	if err := policy.NewWeb(policy.NewStore(a.DB, a.Log, a.Now), a.Blobs, a.Org).Routes(rt); err != nil {
		return err
	}
	a.Router = rt
	a.handler = web.Secure(rt, a.Logger, rd)
	return nil
}

func (a *App) health(w http.ResponseWriter, r *http.Request) error {
	if err := a.DB.QueryRow(r.Context(), "SELECT 1").Scan(new(int)); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, err := w.Write([]byte("ok\n"))
	return err
}

type homeView struct {
	Workstreams []Workstream
	Role        web.Role
	Stats       *orgStats
	Demo        []org.DemoLogin
}

type orgStats struct {
	Departments, Staff, Users int
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

func (a *App) home(w http.ResponseWriter, r *http.Request) error {
	u := web.UserFrom(r.Context())
	v := homeView{Workstreams: Workstreams, Role: u.Role}
	if u.Role == web.RoleAdmin || u.Role == web.RoleConsultant || u.Role == web.RoleViewer {
		st := &orgStats{}
		if err := a.DB.QueryRow(r.Context(), `SELECT (SELECT COUNT(*) FROM departments WHERE active = TRUE), (SELECT COUNT(*) FROM staff WHERE active = TRUE),
			(SELECT COUNT(*) FROM users WHERE disabled = FALSE)`).Scan(&st.Departments, &st.Staff, &st.Users); err != nil {
			return err
		}
		v.Stats = st
	}
	return web.Render(w, r, http.StatusOK, "app/home", "ホーム", map[string]any{"V": v, "Intro": roleIntro[u.Role]})
}

func (a *App) workstream(ws Workstream) web.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return web.Render(w, r, http.StatusOK, "app/workstream", ws.Label, ws)
	}
}
