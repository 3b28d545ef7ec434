package policy_test

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var (
	hrefRe   = regexp.MustCompile(`href="([^"]+)"`)
	mainRe   = regexp.MustCompile(`(?s)<main.*</main>`)
	tagRe    = regexp.MustCompile(`(?s)<[^>]*>`)
	idRe     = regexp.MustCompile(`/[0-9]+(/|$)`)
	codeRe   = regexp.MustCompile(`mic-policy|mic-audit|ppc-mynumber|meti-sms|ipa-top10|hinode-policy`)
	noExport = regexp.MustCompile(`/(export|xlsx|pdf|docx)$`)
)

// TestNoRawCodesOnScreen visits the policy and catalogue pages reachable
// from /policy and /catalog as the consultant (who sees every screen
// there) and fails on a file path of the demo content (content/policy/…)
// or a format identifier (mamori-quiz/1) anywhere in a page, and on a
// framework code (mic-policy …) in the visible text of a page other than
// the Excel import's description of the file layout: pages name the
// standards by their short names (issue 10).
func TestNoRawCodesOnScreen(t *testing.T) {
	s, _ := start(t)
	c := s.As("consultant")
	seen := map[string]bool{}
	perPattern := map[string]int{}
	queue := []string{"/policy", "/policy/gap", "/catalog"}
	names := 0
	for len(queue) > 0 && len(seen) < 150 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		body := c.Get(p).Want(200).Body
		for _, bad := range []string{"content/", "mamori-quiz", "mamori-checklist"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s shows %q", p, bad)
			}
		}
		text := html.UnescapeString(tagRe.ReplaceAllString(mainRe.FindString(body), " "))
		if m := codeRe.FindString(text); m != "" && !strings.HasSuffix(p, "/import") {
			i := strings.Index(text, m)
			t.Errorf("%s shows the framework code %s: …%s…", p, m, strings.Join(strings.Fields(text[max(0, i-60):min(len(text), i+40)]), " "))
		}
		if strings.Contains(text, "総務省ガイドライン") {
			names++
		}
		for _, m := range hrefRe.FindAllStringSubmatch(body, -1) {
			u, err := url.Parse(html.UnescapeString(m[1]))
			if err != nil || u.Host != "" || !(strings.HasPrefix(u.Path, "/policy") || strings.HasPrefix(u.Path, "/catalog")) ||
				strings.HasPrefix(u.Path, "/catalog/build") || noExport.MatchString(u.Path) {
				continue
			}
			key := idRe.ReplaceAllString(u.Path, "/N$1")
			if next := u.RequestURI(); !seen[next] && perPattern[key] < 2 {
				perPattern[key]++
				queue = append(queue, next)
			}
		}
	}
	t.Logf("visited %d pages", len(seen))
	if len(seen) < 40 || names == 0 {
		t.Fatalf("visited %d pages, %d naming 総務省ガイドライン", len(seen), names)
	}
}
