package auditlog_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"mamori/internal/auditlog"
)

// dynamicActions are the action codes built at run time, by their pattern
// in the sources ("*" for the variable part), with every code they make.
// A new pattern fails TestEveryActionHasALabel until it is listed here.
var dynamicActions = map[string][]string{
	// policy.change_ + the change's kind (policy.ChangeKind)
	"policy.change_*": {"policy.change_insert", "policy.change_edit", "policy.change_delete", "policy.change_move"},
}

// TestEveryActionHasALabel reads every Go source of Mamori (tests
// excluded) and finds the action codes and targets passed to the audit
// log: the second and third arguments of every Record(ctx, action, target,
// detail) call and the Target of every web.Download, followed through
// constants, local variables, parameters (to the calls that pass them),
// small functions (target(id)) and fmt.Sprintf formats. Every action code
// found must have a Japanese name, and every KIND:%d target a known kind,
// so no raw code reaches the screen. A code that cannot be followed fails
// the test with its place in the sources.
func TestEveryActionHasALabel(t *testing.T) {
	root := moduleRoot(t)
	src := parseSources(t, root)
	if len(src.pkgs) < 10 {
		t.Fatalf("found only %d packages under %s", len(src.pkgs), root)
	}
	actions, targets := map[string][]string{}, map[string][]string{}
	calls := 0
	for _, p := range src.pkgs {
		for _, f := range p.files {
			for _, d := range f.Decls {
				fn, ok := d.(*ast.FuncDecl)
				if !ok || fn.Body == nil {
					continue
				}
				ast.Inspect(fn.Body, func(n ast.Node) bool {
					switch n := n.(type) {
					case *ast.CallExpr:
						if sel, ok := n.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Record" && len(n.Args) == 4 {
							calls++
							at := src.fset.Position(n.Pos()).String()
							for _, v := range src.values(p, fn, n.Args[1], 0) {
								actions[v] = append(actions[v], at)
							}
							for _, v := range src.values(p, fn, n.Args[2], 0) {
								targets[v] = append(targets[v], at)
							}
						}
					case *ast.CompositeLit:
						// An entry of RecordBatch: its Action and Target.
						if isPending(n.Type) {
							for _, el := range n.Elts {
								if kv, ok := el.(*ast.KeyValueExpr); ok && (isIdent(kv.Key, "Action") || isIdent(kv.Key, "Target")) {
									at := src.fset.Position(kv.Pos()).String()
									into := targets
									if isIdent(kv.Key, "Action") {
										into = actions
									}
									for _, v := range src.values(p, fn, kv.Value, 0) {
										into[v] = append(into[v], at)
									}
								}
							}
						}
						if isDownload(n.Type) {
							for _, el := range n.Elts {
								if kv, ok := el.(*ast.KeyValueExpr); ok && isIdent(kv.Key, "Target") {
									at := src.fset.Position(kv.Pos()).String()
									for _, v := range src.values(p, fn, kv.Value, 0) {
										targets[v] = append(targets[v], at)
									}
								}
							}
						}
					}
					return true
				})
			}
		}
	}
	if calls < 40 {
		t.Fatalf("found only %d Record calls: is the scan broken?", calls)
	}
	for _, want := range []string{"login.success", "access.denied", "policy.gap_row_update", "download", "staff.import", "improve.verify"} {
		if _, ok := actions[want]; !ok {
			t.Errorf("the scan did not find %s: is it broken?", want)
		}
	}
	for code, at := range actions {
		switch {
		case code == "*":
			t.Errorf("an action code that cannot be followed at %s: pass a constant or a string literal", strings.Join(at, ", "))
		case strings.Contains(code, "*"):
			codes, ok := dynamicActions[code]
			if !ok {
				t.Errorf("action codes %q built at run time (%s): list them in dynamicActions", code, strings.Join(at, ", "))
			}
			for _, c := range codes {
				if auditlog.Label(c) == "" {
					t.Errorf("action %s (%s) has no Japanese name in auditlog.ActionGroups", c, code)
				}
			}
		case auditlog.Label(code) == "":
			t.Errorf("action %s (%s) has no Japanese name in auditlog.ActionGroups", code, strings.Join(at, ", "))
		}
	}
	wordRe := regexp.MustCompile(`^[a-z][a-z0-9_.]*$`)
	for target, at := range targets {
		kind, _, isKind := strings.Cut(target, ":")
		switch {
		case isKind && !strings.Contains(kind, "*"):
			if _, ok := auditlog.Kind(kind); !ok {
				t.Errorf("target kind %s (%q at %s) is not in auditlog.TargetKinds", kind, target, strings.Join(at, ", "))
			}
		case wordRe.MatchString(target):
			if _, ok := auditlog.NamedTargets[target]; !ok {
				t.Errorf("target %s (%s) is not in auditlog.NamedTargets", target, strings.Join(at, ", "))
			}
		}
	}
	// Every name listed is used (a renamed code leaves no stale entry).
	for _, g := range auditlog.ActionGroups {
		for _, a := range g.Actions {
			used := false
			for code, list := range dynamicActions {
				used = used || (slices.Contains(list, a.Code) && actions[code] != nil)
			}
			if actions[a.Code] == nil && !used {
				t.Errorf("action %s has a name but is written nowhere", a.Code)
			}
		}
	}
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func isPending(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "Pending"
	case *ast.SelectorExpr:
		return e.Sel.Name == "Pending" && isIdent(e.X, "auditlog")
	}
	return false
}

func isDownload(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name == "Download"
	case *ast.SelectorExpr:
		return e.Sel.Name == "Download" && isIdent(e.X, "web")
	}
	return false
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test")
		}
		dir = parent
	}
}

// pkg is one package's parsed sources.
type pkg struct {
	name   string
	files  []*ast.File
	funcs  map[string][]*ast.FuncDecl // functions and methods by name
	consts map[string]ast.Expr        // package-level constants and variables with one value
}

type sources struct {
	fset   *token.FileSet
	pkgs   map[string]*pkg   // by directory
	byName map[string][]*pkg // by package name, for pkg.Const
}

func parseSources(t *testing.T, root string) *sources {
	t.Helper()
	s := &sources{fset: token.NewFileSet(), pkgs: map[string]*pkg{}, byName: map[string][]*pkg{}}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); path != root && (strings.HasPrefix(n, ".") || n == "node_modules" || n == "testdata" || n == "tmp") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(s.fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		dir := filepath.Dir(path)
		p := s.pkgs[dir]
		if p == nil {
			p = &pkg{name: f.Name.Name, funcs: map[string][]*ast.FuncDecl{}, consts: map[string]ast.Expr{}}
			s.pkgs[dir] = p
			s.byName[p.name] = append(s.byName[p.name], p)
		}
		p.files = append(p.files, f)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				p.funcs[d.Name.Name] = append(p.funcs[d.Name.Name], d)
			case *ast.GenDecl:
				for _, sp := range d.Specs {
					if vs, ok := sp.(*ast.ValueSpec); ok && len(vs.Names) == len(vs.Values) {
						for i, n := range vs.Names {
							p.consts[n.Name] = vs.Values[i]
						}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var verbRe = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)

// values are the strings e may hold inside fn of p, "*" standing for a
// part that cannot be known from the sources.
func (s *sources) values(p *pkg, fn *ast.FuncDecl, e ast.Expr, depth int) []string {
	if depth > 8 {
		return []string{"*"}
	}
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			if v, err := strconv.Unquote(e.Value); err == nil {
				return []string{v}
			}
		}
	case *ast.ParenExpr:
		return s.values(p, fn, e.X, depth+1)
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			var out []string
			for _, a := range s.values(p, fn, e.X, depth+1) {
				for _, b := range s.values(p, fn, e.Y, depth+1) {
					out = append(out, collapse(a+b))
				}
			}
			return uniq(out)
		}
	case *ast.CallExpr:
		if sel, ok := e.Fun.(*ast.SelectorExpr); ok && isIdent(sel.X, "fmt") && sel.Sel.Name == "Sprintf" && len(e.Args) > 0 {
			var out []string
			for _, f := range s.values(p, fn, e.Args[0], depth+1) {
				out = append(out, collapse(verbRe.ReplaceAllString(strings.ReplaceAll(f, "%%", "%"), "*")))
			}
			return uniq(out)
		}
		name := ""
		switch f := e.Fun.(type) {
		case *ast.Ident:
			name = f.Name
		case *ast.SelectorExpr:
			if _, isPkg := s.byName[exprName(f.X)]; !isPkg {
				name = f.Sel.Name // a method of this package
			}
		}
		var out []string
		for _, d := range p.funcs[name] {
			ast.Inspect(d.Body, func(n ast.Node) bool {
				if _, ok := n.(*ast.FuncLit); ok {
					return false
				}
				if r, ok := n.(*ast.ReturnStmt); ok && len(r.Results) > 0 {
					out = append(out, s.values(p, d, r.Results[0], depth+1)...)
				}
				return true
			})
		}
		if len(out) > 0 {
			return uniq(out)
		}
	case *ast.SelectorExpr:
		for _, q := range s.byName[exprName(e.X)] {
			if v, ok := q.consts[e.Sel.Name]; ok {
				return s.values(q, nil, v, depth+1)
			}
		}
	case *ast.Ident:
		if fn != nil {
			if out, ok := s.local(p, fn, e.Name, depth); ok {
				return out
			}
		}
		if v, ok := p.consts[e.Name]; ok {
			return s.values(p, nil, v, depth+1)
		}
	}
	return []string{"*"}
}

// local follows a variable or parameter name of fn: its assignments in fn,
// and for a parameter, the arguments of the calls to fn in its package.
func (s *sources) local(p *pkg, fn *ast.FuncDecl, name string, depth int) ([]string, bool) {
	var out []string
	found := false
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.AssignStmt:
			for i, l := range n.Lhs {
				if isIdent(l, name) {
					found = true
					if len(n.Lhs) == len(n.Rhs) {
						out = append(out, s.values(p, fn, n.Rhs[i], depth+1)...)
					} else {
						out = append(out, "*")
					}
				}
			}
		case *ast.ValueSpec:
			for i, l := range n.Names {
				if l.Name == name {
					found = true
					if len(n.Values) == len(n.Names) {
						out = append(out, s.values(p, fn, n.Values[i], depth+1)...)
					}
				}
			}
		}
		return true
	})
	index := -1
	i := 0
	for _, field := range fn.Type.Params.List {
		for _, n := range field.Names {
			if n.Name == name {
				index = i
			}
			i++
		}
	}
	if index >= 0 {
		found = true
		for _, f := range p.files {
			for _, d := range f.Decls {
				caller, ok := d.(*ast.FuncDecl)
				if !ok || caller.Body == nil {
					continue
				}
				ast.Inspect(caller.Body, func(n ast.Node) bool {
					c, ok := n.(*ast.CallExpr)
					if !ok || len(c.Args) <= index {
						return true
					}
					if isIdent(c.Fun, fn.Name.Name) || func() bool { sel, ok := c.Fun.(*ast.SelectorExpr); return ok && sel.Sel.Name == fn.Name.Name }() {
						out = append(out, s.values(p, caller, c.Args[index], depth+1)...)
					}
					return true
				})
			}
		}
	}
	return uniq(out), found && len(out) > 0
}

func exprName(e ast.Expr) string {
	if id, ok := e.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// collapse joins runs of "*" into one.
func collapse(s string) string {
	for strings.Contains(s, "**") {
		s = strings.ReplaceAll(s, "**", "*")
	}
	return s
}

func uniq(xs []string) []string {
	slices.Sort(xs)
	return slices.Compact(xs)
}
