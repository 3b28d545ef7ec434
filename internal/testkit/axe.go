package testkit

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// AxeViolation is one accessibility rule that axe-core found broken on a
// page, with the elements that break it.
type AxeViolation struct {
	ID      string    `json:"id"`     // the rule, e.g. color-contrast
	Impact  string    `json:"impact"` // minor, moderate, serious, critical
	Help    string    `json:"help"`
	HelpURL string    `json:"helpUrl"`
	Nodes   []AxeNode `json:"nodes"`
}

// AxeNode is one element that breaks a rule.
type AxeNode struct {
	Target []any  `json:"target"` // CSS selectors (nested lists inside shadow roots)
	HTML   string `json:"html"`
}

// Targets lists the selectors of the elements that break the rule.
func (v AxeViolation) Targets() []string {
	var out []string
	for _, n := range v.Nodes {
		var parts []string
		for _, t := range n.Target {
			parts = append(parts, fmt.Sprint(t))
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out
}

// Blocking reports whether the violation fails the build: critical,
// serious and moderate ones do; minor ones are reported only.
func (v AxeViolation) Blocking() bool { return v.Impact != "minor" }

// String is the violation as a test prints it: rule, impact, elements.
func (v AxeViolation) String() string {
	targets := v.Targets()
	if len(targets) > 5 {
		targets = append(targets[:5], fmt.Sprintf("… 他 %d 箇所", len(v.Nodes)-5))
	}
	return fmt.Sprintf("%s (%s): %s — %s", v.ID, v.Impact, strings.Join(targets, ", "), v.Help)
}

// AxeTags are the rule sets checked: WCAG 2.1 levels A and AA (JIS X
// 8341-3:2016 AA follows WCAG 2.0 AA, which these include).
var AxeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa"}

var axeSource struct {
	once sync.Once
	js   string
	path string
}

// AxePath is axe-core's script as npm installs it (package.json's
// devDependency): node_modules/axe-core/axe.min.js at the module's root.
func AxePath() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "node_modules", "axe-core", "axe.min.js")
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// axeScript is axe.min.js, read once per test binary; a missing file fails
// the test in CI and skips it elsewhere.
func axeScript(t testing.TB) string {
	t.Helper()
	axeSource.once.Do(func() {
		axeSource.path = AxePath()
		if b, err := os.ReadFile(axeSource.path); err == nil {
			axeSource.js = string(b)
		}
	})
	if axeSource.js == "" {
		Missing(t, "axe-core ("+axeSource.path+")", "npm ci (package.json devDependencies)")
	}
	return axeSource.js
}

// Axe runs axe-core on the page open in ctx against AxeTags and returns
// every violation (the caller decides which fail: see Blocking). The script
// is injected through the DevTools protocol, so the page's CSP (script-src
// 'self') does not stop it and nothing is added to the product.
func Axe(t testing.TB, ctx context.Context) []AxeViolation {
	t.Helper()
	src := axeScript(t)
	tags, _ := json.Marshal(AxeTags)
	run := `(async () => {
  const r = await axe.run(document, {runOnly: {type: "tag", values: ` + string(tags) + `}, resultTypes: ["violations"]});
  return JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 300)}))})));
})()`
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	loaded, err := chromedp.Run(sctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`))
	if err == nil && !loaded {
		_, err = chromedp.Run(sctx, chromedp.Evaluate[chromedp.Void](src))
	}
	var out string
	if err == nil {
		out, err = chromedp.Run(sctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	}
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	var vs []AxeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		t.Fatalf("axe-core result: %v", err)
	}
	return vs
}
