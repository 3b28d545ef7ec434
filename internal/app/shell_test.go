package app_test

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"mamori/internal/config"
	"mamori/internal/web"
	"mamori/internal/webtest"
)

var navLinkRe = regexp.MustCompile(`<a href="[^"]*"(?: aria-current="page")?>([^<]*)</a>`)

// menu lists the labels of the side navigation on a page.
func menu(t *testing.T, body string) []string {
	t.Helper()
	start := strings.Index(body, `<nav class="side-nav"`)
	if start < 0 {
		t.Fatalf("no side navigation:\n%s", webtest.Excerpt(body))
	}
	end := strings.Index(body[start:], "</nav>")
	var out []string
	for _, m := range navLinkRe.FindAllStringSubmatch(body[start:start+end], -1) {
		out = append(out, m[1])
	}
	return out
}

// TestRoleNavigation: each role's menu and home page hold what that role
// can use. Workstreams not built yet are for the programme's runners only;
// staff get their tasks, the 基本方針 and whom to call about an incident;
// an auditee its own department's work; a vendor a short page.
func TestRoleNavigation(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	// Every workstream is built: nothing is 準備中. 進捗管理 is for the
	// programme's runners and the viewer.
	program := []string{"進捗管理"}
	cases := []struct {
		role       web.Role
		menu       []string // exactly, in order (nil: check want/lack only)
		want, lack []string // in the menu
		home, not  []string // on the home page
	}{
		{role: web.RoleAdmin, want: append([]string{"ホーム", "監査", "技術的検証", "事故対応訓練", "委託・クラウド", "ポリシー改訂", "改善措置台帳", "職員名簿", "利用者と役割", "設定", "監査ログ"}, program...),
			lack: []string{"基本方針"},
			home: []string{"年間の業務", "インシデントに気づいたら", "ひので区CSIRT", `<a href="/admin/settings">連絡先を変更する</a>`, "未完了の改善措置"},
			not:  []string{"あなたのタスク", "準備中"}},
		{role: web.RoleConsultant, want: append([]string{"監査", "技術的検証", "事故対応訓練", "委託・クラウド", "ポリシー改訂", "改善措置台帳"}, program...), lack: []string{"設定", "利用者と役割", "基本方針"},
			home: []string{"年間の業務", "工程：遅延・要注意"}, not: []string{"連絡先を変更する", "準備中"}},
		{role: web.RoleAuditor, want: []string{"監査", "技術的検証", "ポリシー改訂", "改善措置台帳"}, lack: append([]string{"設定", "職員名簿", "事故対応訓練", "委託・クラウド"}, program...),
			home: []string{"年間の業務", "ポリシー改訂", "インシデントに気づいたら"}, not: []string{"準備中", "未回答の自己点検"}},
		{role: web.RoleViewer, want: append([]string{"事故対応訓練", "委託・クラウド"}, program...), lack: []string{"設定", "基本方針", "技術的検証"}, home: []string{"年間の業務"}, not: []string{"準備中"}},
		{role: web.RoleStaff, menu: []string{"ホーム", "自己点検", "研修", "インシデント", "基本方針"},
			// The demo 職員 has not answered the open self-assessment yet.
			home: []string{"あなたのタスク", "未回答の自己点検", `href="/selfcheck/answer/`, "インシデントに気づいたら", "ひので区CSIRT（情報政策課 情報セキュリティ係）",
				"内線 2345／直通 03-0000-2345", `<a href="tel:03-0000-2345">`, `<a href="mailto:csirt@hinode-ku.example.jp">`, `<a href="/policy">基本方針</a>`},
			not: []string{"年間の業務", "準備中", "ポリシー改訂", "職員名簿", "連絡先を変更する"}},
		{role: web.RoleAuditee, menu: []string{"ホーム", "監査への対応", "監査カレンダー", "自己点検", "研修", "事故対応訓練", "インシデント", "委託・クラウド", "基本方針", "改善措置台帳", "職員名簿", "所属（組織）"},
			home: []string{"所属の業務", "自所属の未完了の改善措置", `<a href="/improve">改善措置台帳</a>`, "インシデントに気づいたら", "ひので区CSIRT"},
			not:  []string{"年間の業務", "準備中", "あなたのタスク"}},
		{role: web.RoleVendor, menu: []string{"ホーム"},
			home: []string{"回答をお願いするチェックリスト", "いま回答をお願いしているチェックリストはありません"},
			not:  []string{"年間の業務", "準備中", "インシデントに気づいたら", "基本方針"}},
	}
	for _, tc := range cases {
		t.Run(string(tc.role), func(t *testing.T) {
			c := s.As(string(tc.role))
			home := c.Get("/").Want(http.StatusOK, tc.home...).Lacks(tc.not...)
			got := menu(t, home.Body)
			if tc.menu != nil && !slices.Equal(got, tc.menu) {
				t.Errorf("menu %q, want %q", got, tc.menu)
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("menu %q lacks %s", got, w)
				}
			}
			for _, l := range tc.lack {
				if slices.Contains(got, l) {
					t.Errorf("menu %q has %s", got, l)
				}
			}
			// What is not in the menu is not open either: the programme
			// for its runners and the viewer, the settings for the office only.
			wantProgram := http.StatusForbidden
			if tc.role == web.RoleAdmin || tc.role == web.RoleConsultant || tc.role == web.RoleViewer {
				wantProgram = http.StatusOK
			}
			c.Get("/program").Want(wantProgram)
			if tc.role != web.RoleAdmin {
				c.Get("/admin/settings").Want(http.StatusForbidden)
			}
		})
	}
}

// TestHomeGreeting: a person is greeted by name with さん; an account named
// after an office, a company or a post is not; the demo notice is said once,
// inside the page header (a landmark).
func TestHomeGreeting(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	var staffName string
	if err := s.DB.QueryRow(context.Background(), "SELECT display_name FROM users WHERE login = 'staff'").Scan(&staffName); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(staffName, "係") {
		t.Fatalf("the demo staff login is named %q, not after the person it is linked to", staffName)
	}
	cases := []struct {
		login      string
		want, lack []string
	}{
		{"staff", []string{"<strong>" + staffName + " さん</strong>、ようこそ。住民記録係の職員としてログインしています。"}, nil},
		{"admin", []string{"<strong>情報政策課 情報セキュリティ係</strong> のアカウント（管理者）でログインしています。"}, []string{"情報セキュリティ係 さん", "所属: 情報セキュリティ係"}},
		{"auditee", []string{"<strong>戸籍住民課 庶務担当</strong> のアカウント（被監査所属）でログインしています。"}, []string{"庶務担当 さん"}},
		{"auditor", []string{"<strong>総務課 内部監査担当</strong> のアカウント（内部監査人）"}, []string{"担当 さん"}},
		{"consultant", []string{"<strong>支援事業者 担当コンサルタント</strong> のアカウントでログインしています。"}, []string{"コンサルタント さん"}},
		{"vendor", []string{"<strong>委託事業者 ひので情報サービス株式会社</strong> のアカウントでログインしています。"}, []string{"株式会社 さん"}},
		{"viewer", []string{"<strong>CISO（副区長）</strong> のアカウント（閲覧者）", "所属: 区長室"}, []string{"副区長） さん"}},
	}
	headerRe := regexp.MustCompile(`(?s)<header class="site-header">.*?</header>`)
	iconRe := regexp.MustCompile(`<link rel="icon" href="(/static/[0-9a-f]{12}/favicon\.svg)" type="image/svg\+xml">`)
	for _, tc := range cases {
		body := s.As(tc.login).Get("/").Want(http.StatusOK, tc.want...).Lacks(tc.lack...).Body
		if n := strings.Count(body, "架空"); n != 1 {
			t.Errorf("%s: the demo notice is said %d times, want once", tc.login, n)
		}
		if !strings.Contains(headerRe.FindString(body), `class="demo-banner"`) {
			t.Errorf("%s: the demo notice is not inside the page header", tc.login)
		}
	}

	// The favicon: 守 as SVG under its content-hashed URL, on every page.
	c := s.Anonymous()
	m := iconRe.FindStringSubmatch(c.Get("/login").Want(http.StatusOK).Body)
	if m == nil {
		t.Fatal("the login page has no favicon link")
	}
	icon := c.Get(m[1]).Want(http.StatusOK, "<svg", "守")
	if ct, cc := icon.Header.Get("Content-Type"), icon.Header.Get("Cache-Control"); ct != "image/svg+xml" || !strings.Contains(cc, "immutable") {
		t.Errorf("favicon served as %q, %q", ct, cc)
	}
}

var crumbRe = regexp.MustCompile(`(?s)<nav class="breadcrumbs" aria-label="パンくずリスト"><ol>(.*?)</ol></nav>`)
var crumbItemRe = regexp.MustCompile(`<li>(?:<a href="([^"]*)">([^<]*)</a>|<span aria-current="page">([^<]*)</span>)</li>`)

// crumbs is a page's breadcrumbs as "label>path" steps ("label" alone for
// the current page), nil when it has none.
func crumbs(body string) []string {
	m := crumbRe.FindStringSubmatch(body)
	if m == nil {
		return nil
	}
	var out []string
	for _, it := range crumbItemRe.FindAllStringSubmatch(m[1], -1) {
		if it[1] != "" {
			out = append(out, it[2]+">"+it[1])
		} else {
			out = append(out, it[3])
		}
	}
	return out
}

// TestBreadcrumbs: pages below the top level show ホーム › their menu entry
// › their title; top-level pages and the signed-out login page show none.
func TestBreadcrumbs(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	admin := s.As("admin")
	var deptID, staffID string
	if err := s.DB.QueryRow(context.Background(), "SELECT CAST(id AS TEXT) FROM departments WHERE name = '住民記録係'").Scan(&deptID); err != nil {
		t.Fatal(err)
	}
	if err := s.DB.QueryRow(context.Background(), "SELECT CAST(staff_id AS TEXT) FROM users WHERE login = 'staff'").Scan(&staffID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		client *webtest.Client
		path   string
		want   []string
	}{
		{admin, "/", nil},
		{admin, "/staff", nil},
		{admin, "/admin/settings", nil},
		{admin, "/staff/new", []string{"ホーム>/", "職員名簿>/staff", "職員の登録"}},
		{admin, "/staff/import", []string{"ホーム>/", "職員名簿>/staff", "職員名簿の取り込み"}},
		{admin, "/admin/departments/" + deptID + "/edit", []string{"ホーム>/", "所属（組織）>/admin/departments", "所属の編集"}},
		{admin, "/catalog/build", []string{"ホーム>/", "監査項目カタログ>/catalog", "監査用チェックリストの作成"}},
		{admin, "/account", []string{"ホーム>/", "アカウント"}},
		{s.As("auditee"), "/staff/" + staffID, []string{"ホーム>/", "職員名簿>/staff"}},
		{s.Anonymous(), "/login", nil},
	}
	for _, tc := range cases {
		r := tc.client.Get(tc.path).Want(http.StatusOK)
		got := crumbs(r.Body)
		if len(tc.want) == 0 {
			if got != nil {
				t.Errorf("%s: breadcrumbs %q on a top-level page", tc.path, got)
			}
			continue
		}
		if len(got) < len(tc.want) || !slices.Equal(got[:len(tc.want)], tc.want) {
			t.Errorf("%s: breadcrumbs %q, want %q…", tc.path, got, tc.want)
		}
		if len(got) > 0 && strings.Contains(got[len(got)-1], ">") && len(got) != len(tc.want) {
			t.Errorf("%s: the last step %q links", tc.path, got[len(got)-1])
		}
	}
}

// TestCSIRTContactSetting: the security office enters whom staff call about
// an incident; staff see it on their home page; bad input is named beside
// its field with the input kept and changes nothing; every save is audited.
func TestCSIRTContactSetting(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{DSN: dsn})
		addUser(t, s, "office", web.RoleAdmin, 0)
		addUser(t, s, "hanako", web.RoleStaff, 0)
		office, staff := s.Anonymous(), s.Anonymous()
		office.Login("office", password, "/")
		staff.Login("hanako", password, "/")

		// Nothing entered yet: staff are told to go to their manager.
		staff.Get("/").Want(http.StatusOK, "インシデントに気づいたら", "すぐに所属長に報告してください", "まだ登録されていません").Lacks("連絡先を登録する")
		office.Get("/").Want(http.StatusOK, `<a href="/admin/settings">連絡先を登録する</a>`)
		office.Get("/admin/settings").Want(http.StatusOK, "インシデント報告の連絡先（CSIRT）", `name="csirt_name" value=""`)

		in := url.Values{"csirt_name": {" 区CSIRT（情報政策課）"}, "csirt_phone": {"内線 1234／直通 ０３−１２３４−５６７８"},
			"csirt_mail": {"csirt@city.example.jp"}, "csirt_note": {"夜間は当番携帯へ。\r\n電源は切らないでください。"}}
		office.Post("/admin/settings", in).Redirects("/admin/settings")
		office.Get("/admin/settings").Want(http.StatusOK, "インシデント報告の連絡先を保存しました", `value="区CSIRT（情報政策課）"`)
		staff.Get("/").Want(http.StatusOK, "区CSIRT（情報政策課）", "内線 1234／直通 ０３−１２３４−５６７８", `<a href="mailto:csirt@city.example.jp">`,
			"夜間は当番携帯へ。\n電源は切らないでください。").Lacks("まだ登録されていません")
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'setting.update' AND target = 'csirt_contact' AND detail LIKE '%区CSIRT（情報政策課）%'"); n != 1 {
			t.Errorf("%d audit entries for the save, want 1", n)
		}

		// Bad input: the field is named beside it, the input kept, nothing stored.
		bad := url.Values{"csirt_name": {"新しい名前"}, "csirt_phone": {""}, "csirt_mail": {"csirt at city"}, "csirt_note": {strings.Repeat("長", 301)}}
		r := office.Post("/admin/settings", bad).Want(http.StatusBadRequest, "保存していません", `value="新しい名前"`, `value="csirt at city"`,
			`id="csirt_mail-error">メールはアドレスの形`, `id="csirt_note-error">補足は 300 文字以内`)
		if !strings.Contains(r.Body, `id="csirt_mail" name="csirt_mail" value="csirt at city" maxlength="120" inputmode="email" autocomplete="off" aria-invalid="true"`) {
			t.Errorf("the mail field is not marked invalid:\n%s", webtest.Excerpt(r.Body))
		}
		office.Post("/admin/settings", url.Values{"csirt_name": {"改行\nあり"}, "csirt_phone": {"1"}}).Want(http.StatusBadRequest, "連絡先の名称に改行や制御文字は使えません")
		office.Post("/admin/settings", url.Values{"csirt_mail": {"a@b.example"}}).Want(http.StatusBadRequest, "連絡先の名称を入力してください")
		staff.Get("/").Want(http.StatusOK, "区CSIRT（情報政策課）").Lacks("新しい名前")

		// Emptied: no contact shown any more.
		office.Post("/admin/settings", url.Values{}).Redirects("/admin/settings")
		staff.Get("/").Want(http.StatusOK, "まだ登録されていません").Lacks("区CSIRT（情報政策課）")
		staff.Post("/admin/settings", in).Want(http.StatusForbidden)
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'setting.update' AND target = 'csirt_contact'"); n != 2 {
			t.Errorf("%d audit entries, want 2 (the refused posts change nothing)", n)
		}
	})
}

// TestStopDrain: asked to stop with a drain, the server answers /livez
// with 503 at once, so that a load balancer takes it out of rotation,
// keeps serving every other request until the drain has passed, and only
// then stops.
func TestStopDrain(t *testing.T) {
	const drain = 1500 * time.Millisecond
	s := webtest.Start(t, webtest.Options{Configure: func(c *config.Config) { c.StopDrain = drain }})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	done := make(chan error, 1)
	go func() { done <- s.Listen(ctx, ln) }()
	status := func(p string) int {
		t.Helper()
		resp, err := http.Get(base + p)
		if err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := status("/livez"); c != http.StatusOK {
		t.Fatalf("/livez before the stop: %d", c)
	}
	stop()
	stopped := time.Now()
	deadline := stopped.Add(drain / 2)
	for status("/livez") != http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatal("/livez still answers ok after the stop was asked for")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if c := status("/login"); c != http.StatusOK {
		t.Errorf("/login while draining: %d, want 200 (requests are served until the drain has passed)", c)
	}
	select {
	case err := <-done:
		t.Fatalf("Listen returned %v during the drain", err)
	default:
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
		if took := time.Since(stopped); took < drain {
			t.Errorf("stopped after %s, before the %s drain", took, drain)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Listen did not return after the drain")
	}
}
