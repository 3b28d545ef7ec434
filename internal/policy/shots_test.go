package policy_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"mamori/internal/policy"
	"mamori/internal/testkit"
	"mamori/internal/webtest"
)

// TestPagesInBrowser opens every policy page in headless Chromium on the
// demo data and checks it renders its heading and no error; with
// MAMORI_SHOTS=DIR it saves a screenshot of each page to look at.
func TestPagesInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	bctx := testkit.Browser(t)
	s, store := start(t)
	ctx := context.Background()
	docs, _ := store.Documents(ctx)
	std := docs[1]
	draft := std.Drafts[0].ID
	cs, _ := store.Changes(ctx, draft)
	qs, _ := store.Questions(ctx, draft)
	tree, _ := store.Tree(ctx, draft)
	at := policy.UnitPath(t, tree, "第29条")

	// A pending import of the demo file, for the preview page.
	data, err := os.ReadFile("../../content/policy/hinode-kihon-houshin.md")
	if err != nil {
		t.Fatal(err)
	}
	preview := upload(s.As("admin"), fmt.Sprintf("/policy/documents/%d/import", docs[0].ID), "hinode-kihon-houshin.md", data).
		Want(http.StatusSeeOther).Header.Get("Location")

	open := func(name, path string) string {
		t.Helper()
		testkit.Step(t, bctx, name, chromedp.Navigate(s.URL+path), chromedp.WaitVisible(chromedp.CSS("main h1")))
		return testkit.Text(t, bctx, "main")
	}
	testkit.Login(t, bctx, s.URL, "admin", webtest.DemoPassword)
	pages := []struct{ name, path, want string }{
		{"index", "/policy", "ポリシー改訂"},
		{"document", fmt.Sprintf("/policy/documents/%d", std.ID), "版の履歴"},
		{"document-new", "/policy/documents/new", "文書の登録"},
		{"import", fmt.Sprintf("/policy/documents/%d/import", std.ID), "本文の取り込み"},
		{"import-preview", preview, "読み取った構造"},
		{"version", fmt.Sprintf("/policy/versions/%d", std.Adopted.ID), "目次"},
		{"draft", fmt.Sprintf("/policy/versions/%d/draft?changed=%d", draft, cs[0].ID), "新旧対照表（画面表示）"},
		{"change-edit", fmt.Sprintf("/policy/versions/%d/change?kind=edit&at=%s", draft, at), "の改正"},
		{"change-insert", fmt.Sprintf("/policy/versions/%d/change?kind=insert&after=%s", draft, at), "条の新設"},
		{"change-move", fmt.Sprintf("/policy/versions/%d/change?kind=move&at=%s", draft, at), "の移動"},
		{"change-meta", fmt.Sprintf("/policy/changes/%d/edit", cs[1].ID), "改正内容の記録"},
		{"quiz", fmt.Sprintf("/policy/versions/%d/quiz", draft), "確認問題"},
	}
	for _, p := range pages {
		if text := open(p.name, p.path); !strings.Contains(text, p.want) || strings.Contains(text, "システムエラー") {
			t.Errorf("%s: %q not on the page", p.name, p.want)
		}
		testkit.Shot(t, bctx, "policy-"+p.name)
	}
	if len(qs) == 0 {
		t.Fatal("no demo quiz")
	}
	// Staff see the 基本方針 only.
	testkit.Step(t, bctx, "logout", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS("#login")))
	testkit.Login(t, bctx, s.URL, "staff", webtest.DemoPassword)
	if text := open("staff index", "/policy"); !strings.Contains(text, "ひので区情報セキュリティ基本方針") || strings.Contains(text, "対策基準") {
		t.Errorf("staff index: %s", text)
	}
	testkit.Shot(t, bctx, "policy-staff-index")
	open("staff basic", fmt.Sprintf("/policy/versions/%d", docs[0].Adopted.ID))
	testkit.Shot(t, bctx, "policy-staff-basic")
}
