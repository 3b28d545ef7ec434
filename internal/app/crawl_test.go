package app_test

import (
	"html"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"

	"mamori/internal/web"
	"mamori/internal/webtest"
)

var (
	linkRe     = regexp.MustCompile(`(?i)\b(?:href|src|action)\s*=\s*"([^"]*)"`)
	absoluteRe = regexp.MustCompile(`(?i)(?:https?:)?//[a-z0-9.-]+`)
	patternRe  = regexp.MustCompile(`/\d+(/|$)`)
)

// TestCrawlDemo visits every page reachable from the home page of the demo
// ward, as every role, and fails on a broken page, a missing lang="ja", or
// any reference to another host (municipal networks are closed).
func TestCrawlDemo(t *testing.T) {
	s := webtest.Start(t, webtest.Options{Demo: true})
	host := strings.TrimPrefix(s.URL, "http://")
	total := 0
	for _, role := range web.AllRoles {
		c := s.As(string(role))
		seen := map[string]bool{}
		perPattern := map[string]int{}
		queue := []string{"/"}
		for len(queue) > 0 && len(seen) < 400 {
			p := queue[0]
			queue = queue[1:]
			if seen[p] {
				continue
			}
			seen[p] = true
			resp := c.Get(p)
			body := resp.Body
			total++
			ct := resp.Header.Get("Content-Type")
			if resp.StatusCode != 200 {
				t.Errorf("%s GET %s: %d", role, p, resp.StatusCode)
				continue
			}
			if !strings.HasPrefix(ct, "text/html") {
				continue
			}
			if !strings.Contains(body, `<html lang="ja">`) {
				t.Errorf("%s: %s lacks lang=ja", role, p)
			}
			for _, m := range linkRe.FindAllStringSubmatch(body, -1) {
				ref := html.UnescapeString(m[1]) // as a browser reads the attribute (&amp; is &)
				if a := absoluteRe.FindString(ref); a != "" && strings.HasPrefix(ref, a) && !strings.Contains(a, host) {
					t.Errorf("%s: %s refers to another host: %s", role, p, ref)
					continue
				}
				u, err := url.Parse(ref)
				if err != nil || u.Host != "" || !strings.HasPrefix(u.Path, "/") {
					continue
				}
				// Only GET links are followed; forms are exercised elsewhere,
				// and so are generated documents (TestPrintCheck and each
				// feature's tests open every kind): the crawl is for pages.
				if strings.Contains(m[0], "action") || strings.HasPrefix(u.Path, "/static/") || isDocument(u) {
					continue
				}
				key := patternRe.ReplaceAllString(u.Path, "/N$1")
				if perPattern[key] >= 3 {
					continue
				}
				next := u.RequestURI()
				if !seen[next] {
					perPattern[key]++
					queue = append(queue, next)
				}
			}
		}
	}
	t.Logf("crawled %d pages across %d roles", total, len(web.AllRoles))
	if total < 50 {
		t.Fatalf("crawl too small: %d", total)
	}
}

// isDocument reports whether a link downloads a generated file.
func isDocument(u *url.URL) bool {
	switch strings.ToLower(path.Ext(u.Path)) {
	case ".pdf", ".docx", ".xlsx", ".csv", ".zip":
		return true
	}
	switch u.Query().Get("format") + u.Query().Get("file") {
	case "pdf", "docx", "xlsx", "csv", "csv-utf8", "zip":
		return true
	}
	return strings.HasSuffix(u.Path, "/export") || strings.Contains(u.Path, "/export/")
}
