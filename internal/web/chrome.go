package web

import (
	"bytes"
	"html"
	"html/template"
	"strings"

	"mamori/internal/jp"
)

// writePage writes page p with t's "head" (when defined) and "content"
// templates inside the page every screen shares: the document head, the
// header with the ward and the account, the menu, the breadcrumbs, the
// one-time message and the footer.
func (rd *Renderer) writePage(b *bytes.Buffer, t *template.Template, p *Page) error {
	esc := func(s string) { b.WriteString(html.EscapeString(s)) }
	b.WriteString("<!DOCTYPE html>\n<html lang=\"ja\">\n<head>\n<meta charset=\"utf-8\">\n" +
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>")
	esc(p.Title)
	b.WriteString(" | 守り Mamori")
	if p.Site.WardName != "" {
		b.WriteString(" – ")
		esc(p.Site.WardName)
	}
	b.WriteString("</title>\n<link rel=\"icon\" href=\"")
	esc(rd.static.URL("favicon.svg"))
	b.WriteString("\" type=\"image/svg+xml\">\n<link rel=\"stylesheet\" href=\"")
	esc(rd.static.URL("style.css"))
	b.WriteString("\">\n<script src=\"")
	esc(rd.static.URL("app.js"))
	b.WriteString("\" defer></script>\n")
	if h := t.Lookup("head"); h != nil {
		if err := h.Execute(b, p); err != nil {
			return err
		}
	}
	b.WriteString("\n</head>\n<body>\n<a class=\"skip-link\" href=\"#main\">本文へ移動</a>\n<header class=\"site-header\">\n  <div class=\"header-bar\">\n" +
		"  <div class=\"brand\"><a href=\"/\"><span class=\"logo\" aria-hidden=\"true\">守</span> Mamori</a>")
	if p.Site.WardName != "" {
		b.WriteString("<span class=\"ward\">")
		esc(p.Site.WardName)
		b.WriteString("</span>")
	}
	if p.Site.FiscalYear != 0 {
		b.WriteString("<span class=\"fy\">")
		esc(jp.FiscalYearLabel(p.Site.FiscalYear))
		b.WriteString("</span>")
	}
	b.WriteString("</div>\n")
	if u := p.User; u != nil {
		b.WriteString("  <div class=\"account\">\n    <span class=\"who\">")
		esc(u.DisplayName)
		if role := u.Role.Label(); !strings.Contains(u.DisplayName, role) {
			b.WriteString("（")
			esc(role)
			b.WriteString("）")
		}
		b.WriteString("</span>\n")
		if !u.MFAPending {
			b.WriteString("    <a href=\"/account\">アカウント</a>\n")
		}
		b.WriteString("    <form method=\"post\" action=\"/logout\" class=\"inline\"><input type=\"hidden\" name=\"csrf_token\" value=\"")
		esc(p.CSRF)
		b.WriteString("\"><button type=\"submit\" class=\"link\">ログアウト</button></form>\n  </div>\n")
	}
	b.WriteString("  </div>\n")
	if p.Site.Demo {
		b.WriteString("<p class=\"demo-banner\">これはデモ環境です。表示される区・所属・職員はすべて架空のデータで、実在の人物や団体とは関係ありません。</p>")
	}
	b.WriteString("\n</header>\n<div class=\"frame\">\n  ")
	b.WriteString(string(p.NavHTML)) // rendered by the "nav" template, so already escaped
	b.WriteString("\n  <main id=\"main\" tabindex=\"-1\">\n    ")
	if len(p.Crumbs) > 0 {
		b.WriteString("<nav class=\"breadcrumbs\" aria-label=\"パンくずリスト\"><ol>")
		for _, c := range p.Crumbs {
			b.WriteString("<li>")
			if c.Path != "" {
				b.WriteString("<a href=\"")
				esc(c.Path)
				b.WriteString("\">")
				esc(c.Label)
				b.WriteString("</a>")
			} else {
				b.WriteString("<span aria-current=\"page\">")
				esc(c.Label)
				b.WriteString("</span>")
			}
			b.WriteString("</li>")
		}
		b.WriteString("</ol></nav>")
	}
	b.WriteString("\n    ")
	if p.Flash != "" {
		b.WriteString("<div class=\"alert ")
		if p.FlashOK {
			b.WriteString("alert-ok")
		} else {
			b.WriteString("alert-error")
		}
		b.WriteString("\" role=\"status\">")
		esc(p.Flash)
		b.WriteString("</div>")
	}
	b.WriteString("\n    ")
	if err := t.ExecuteTemplate(b, "content", p); err != nil {
		return err
	}
	b.WriteString("\n  </main>\n</div>\n<footer class=\"site-footer\">守り Mamori — 情報セキュリティ対策の年間運用システム</footer>\n</body>\n</html>")
	return nil
}
