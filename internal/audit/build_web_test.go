package audit_test

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"mamori/internal/webtest"
)

var builtRe = regexp.MustCompile(`^/catalog/built/(\d+)$`)

// TestCatalogBuildThroughTheWeb: the build screen prefills from the
// department, validates, shows reasons, saves the profile and the
// checklist, lists and exports it; roles are enforced.
func TestCatalogBuildThroughTheWeb(t *testing.T) {
	webtest.EachBackend(t, func(t *testing.T, dsn string) {
		s := webtest.Start(t, webtest.Options{Demo: true, DSN: dsn})
		ctx := t.Context()
		tid := s.ID("SELECT id FROM checklist_templates WHERE kind = 'internal'")
		var dept int64
		var deptName string
		if err := s.DB.QueryRow(ctx, "SELECT id, name FROM departments WHERE has_counter = TRUE AND active = TRUE ORDER BY id LIMIT 1").Scan(&dept, &deptName); err != nil {
			t.Fatal(err)
		}
		c := s.As("auditor")
		c.Get(fmt.Sprintf("/catalog/build?template=%d&department=%d", tid, dept)).Want(200, `name="scope" value="counter" checked`).Lacks(`value="mynumber" checked`)
		// Validation: no template, an unknown threat.
		c.Post("/catalog/build", url.Values{"set": {"1"}, "department": {fmt.Sprint(dept)}, "threat": {"meteor"}}).
			Want(400, "元にするチェックリストを選んでください", "脅威「meteor」は定義されていません")
		form := url.Values{"set": {"1"}, "template": {fmt.Sprint(tid)}, "department": {fmt.Sprint(dept)},
			"scope": {"counter", "mynumber"}, "threat": {"careless_leak"}, "mode": {"all"}, "systems": {"住民記録システム"}, "save_profile": {"1"}}
		c.Post("/catalog/build", form).Want(200, "全所属に適用", "窓口のある所属のため", "個人番号を扱う事務があるため", "重点脅威：不注意による漏えい",
			"含めなかった項目", "監査とインシデントの機能に記録がたまってから")
		var mynumber bool
		var systems string
		if err := s.DB.QueryRow(ctx, "SELECT mynumber, systems FROM department_profiles WHERE department_id = ?", dept).Scan(&mynumber, &systems); err != nil ||
			!mynumber || systems != "住民記録システム" {
			t.Fatalf("profile %v %q %v", mynumber, systems, err)
		}
		// The saved profile prefills the next build; the system is offered.
		c.Get(fmt.Sprintf("/catalog/build?department=%d", dept)).Want(200, `value="mynumber" checked`, `<option value="住民記録システム">`)
		// A system named alone: its owner's profile is loaded, and the
		// system's items say they are there for the system.
		c.Get(fmt.Sprintf("/catalog/build?template=%d&system=%s", tid, url.QueryEscape("住民記録システム"))).
			Want(200, "の所管システムとして登録されているため", `value="system_owner" checked`)
		c.Post("/catalog/build", url.Values{"set": {"1"}, "template": {fmt.Sprint(tid)}, "system": {"住民記録システム"}, "scope": {"system_owner"}}).
			Want(200, "情報システム（住民記録システム）を対象とするため")
		form.Set("title", "令和8年度 窓口所属の内部監査")
		r := c.Post("/catalog/build/save", form).Redirects("/catalog/built/")
		m := builtRe.FindStringSubmatch(r.Header.Get("Location"))
		if m == nil {
			t.Fatalf("save: %s", r.Header.Get("Location"))
		}
		v := s.As("viewer")
		v.Get("/catalog/built").Want(200, "令和8年度 窓口所属の内部監査")
		v.Get(r.Header.Get("Location")).Want(200, "窓口のある所属のため", deptName)
		x := v.Get("/catalog/built/" + m[1] + "/export").Want(200).Body
		f, err := excelize.OpenReader(strings.NewReader(x))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows(f.GetSheetName(0))
		ok := false
		for _, r := range rows {
			if len(r) > 3 && r[0] == "No" && r[3] == "判定" && r[len(r)-1] == "選定理由" {
				ok = true
			}
		}
		if !ok {
			t.Fatal("built export is not in the ward layout with reasons")
		}
		if n := s.Count("SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND target = ?", "built_checklist:"+m[1]); n != 1 {
			t.Fatalf("export audited %d times", n)
		}
		for _, who := range []string{"viewer", "staff", "auditee"} {
			s.As(who).Get("/catalog/build").Want(403)
		}
		s.As("staff").Get("/catalog/built/" + m[1]).Want(403)
	})
}
