package testkit

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNoRaceTestsRunInMakeTest: every test that skips itself under the
// race detector (NoRace) is listed in the Makefile's RACE_HEAVY, which
// runs it without the detector, in a package of RACE_HEAVY_PKGS; otherwise
// CI would never run it.
func TestNoRaceTestsRunInMakeTest(t *testing.T) {
	root := filepath.Join("..", "..")
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	list := func(name string) []string {
		m := regexp.MustCompile(`(?m)^` + name + ` := (.*)$`).FindSubmatch(mk)
		if m == nil {
			t.Fatalf("Makefile has no %s", name)
		}
		return strings.FieldsFunc(string(m[1]), func(r rune) bool { return r == '|' || r == ' ' })
	}
	heavy, pkgs := map[string]bool{}, map[string]bool{}
	for _, n := range list("RACE_HEAVY") {
		heavy[n] = true
	}
	for _, p := range list("RACE_HEAVY_PKGS") {
		pkgs[filepath.Clean(p)] = true
	}
	found := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "NoRace" {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == "testkit" {
						found++
						rel, _ := filepath.Rel(root, filepath.Dir(path))
						if !heavy[fn.Name.Name] {
							t.Errorf("%s calls testkit.NoRace but is not in the Makefile's RACE_HEAVY", fn.Name.Name)
						}
						if !pkgs[filepath.Clean("./"+rel)] && !pkgs[rel] {
							t.Errorf("%s: package %s is not in RACE_HEAVY_PKGS", fn.Name.Name, rel)
						}
					}
				}
				return true
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found != len(heavy) {
		t.Errorf("%d tests call testkit.NoRace, RACE_HEAVY lists %d", found, len(heavy))
	}
}
