package roster

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"mamori/internal/jp"
)

// NewDept is a department the file names but Mamori does not have yet,
// proposed for creation by Apply.
type NewDept struct {
	Code          string
	CodeGenerated bool // Code was made up (parent code + two digits), not given in the file
	Name          string
	Level         string // 部, 課 or 係
	ParentID      int64  // registered parent; 0 if none or proposed
	Parent        int    // index of a proposed parent in Plan.NewDepts; -1 if none
	Path          string // names from the top, space-separated
	Rows          []int  // rows that need it
}

// levels of the department tree, top down.
var levels = []string{"部", "課", "係"}

func levelIndex(l string) int {
	for i, v := range levels {
		if v == l {
			return i
		}
	}
	return -1
}

// inferLevel guesses a new department's level from its name's ending.
func inferLevel(name string) string {
	for _, s := range []struct{ suffix, level string }{
		{"センター", "課"}, {"担当", "係"},
		{"部", "部"}, {"室", "部"}, {"局", "部"},
		{"課", "課"}, {"所", "課"}, {"館", "課"},
		{"係", "係"}, {"班", "係"},
	} {
		if strings.HasSuffix(name, s.suffix) {
			return s.level
		}
	}
	return "課"
}

// codeRe is what the department screen accepts as a code.
var codeRe = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z_-]{0,19}$`)

// splitPath splits a 所属名 such as 「区民部 戸籍住民課 住民記録係」 or
// 「区民部／戸籍住民課」 into names.
func splitPath(s string) []string {
	return strings.FieldsFunc(jp.Normalize(s), func(r rune) bool {
		return r == ' ' || r == '/' || r == '>' || r == '＞' || r == '／' || r == '＼' || r == '\\'
	})
}

// deptRef is where a row's department resolved to: a registered
// department (id > 0) or a proposal (id < 0, index -id-1).
type deptRef struct {
	id   int64
	path string
}

func (r deptRef) proposal() int { return int(-r.id - 1) }

// deptProblem is why a row's department could not be resolved.
type deptProblem struct {
	field Field // column to blame
	msg   string
}

// resolver resolves rows' departments against the registered tree and the
// departments proposed so far, which it adds to the same index with
// negative ids so that later rows find them like any other.
type resolver struct {
	ix       *deptIndex
	create   bool
	proposed *[]NewDept
	cache    map[[2]string]resolved
}

type resolved struct {
	ref  deptRef
	prob *deptProblem
	warn string
}

func newResolver(ex *Existing, create bool, proposed *[]NewDept) *resolver {
	ds := make([]Department, len(ex.Departments))
	copy(ds, ex.Departments)
	return &resolver{ix: newDeptIndex(ds), create: create, proposed: proposed, cache: map[[2]string]resolved{}}
}

// resolve finds the department for a row's code and/or name, proposing new
// departments where the file names unknown ones. The warning is returned
// only the first time a (code, name) pair is seen.
func (r *resolver) resolve(code, name string) (deptRef, *deptProblem, string) {
	code, name = jp.Normalize(code), jp.Normalize(name)
	key := [2]string{code, name}
	if c, ok := r.cache[key]; ok {
		return c.ref, c.prob, ""
	}
	ref, prob, warn := r.resolveNew(code, name)
	r.cache[key] = resolved{ref, prob, warn}
	return ref, prob, warn
}

func (r *resolver) resolveNew(code, name string) (deptRef, *deptProblem, string) {
	if code == "" && name == "" {
		return deptRef{}, &deptProblem{FieldDeptName, "所属が空欄です"}, ""
	}
	if code == "" {
		return r.byPath(splitPath(name))
	}
	if d := r.ix.byCode[code]; d != nil {
		if !d.Active {
			return deptRef{}, &deptProblem{FieldDeptCode, fmt.Sprintf("所属コード %s（%s）は廃止された所属です", code, r.ix.path(d.ID))}, ""
		}
		ref := deptRef{d.ID, r.ix.path(d.ID)}
		if segs := splitPath(name); len(segs) > 0 && nameKey(segs[len(segs)-1]) != nameKey(d.Name) {
			if d.ID < 0 {
				return deptRef{}, &deptProblem{FieldDeptName, fmt.Sprintf("所属コード %s が「%s」と「%s」の別々の名称で使われています", code, d.Name, segs[len(segs)-1])}, ""
			}
			return ref, nil, fmt.Sprintf("所属コード %s の名称は「%s」ですが、ファイルでは「%s」です（コードを優先します）", code, ref.path, show(name))
		}
		return ref, nil, ""
	}
	segs := splitPath(name)
	if len(segs) == 0 {
		return deptRef{}, &deptProblem{FieldDeptCode, fmt.Sprintf("所属コード %s は登録されていません", code)}, ""
	}
	if !codeRe.MatchString(code) {
		return deptRef{}, &deptProblem{FieldDeptCode, fmt.Sprintf("所属コード「%s」は半角英数字 20 文字以内にしてください", show(code))}, ""
	}
	parent := deptRef{}
	if len(segs) > 1 {
		var prob *deptProblem
		if parent, prob, _ = r.byPath(segs[:len(segs)-1]); prob != nil {
			return deptRef{}, prob, ""
		}
	}
	leaf := segs[len(segs)-1]
	var warn string
	for _, d := range r.ix.byName[nameKey(leaf)] {
		if d.ParentID != parent.id {
			continue
		}
		if d.ID < 0 && d.Code == "" { // proposed by an earlier row without a code
			d.Code = code
			r.ix.byCode[code] = d
			(*r.proposed)[deptRef{id: d.ID}.proposal()].Code = code
			return deptRef{d.ID, r.ix.path(d.ID)}, nil, ""
		}
		warn = fmt.Sprintf("所属コード %s は未登録ですが、同じ名前の所属「%s」（コード %s）があります。別の所属として作成します", code, r.ix.path(d.ID), d.Code)
	}
	ref, prob := r.propose(parent, leaf, code)
	return ref, prob, warn
}

// byPath resolves names listed from the top (any level may be left out)
// to one department, proposing the part of the path that is not
// registered.
func (r *resolver) byPath(segs []string) (deptRef, *deptProblem, string) {
	if len(segs) == 0 {
		return deptRef{}, &deptProblem{FieldDeptName, "所属が空欄です"}, ""
	}
	for _, s := range segs {
		if msg := tooLong("所属名", s, maxDeptSeg); msg != "" {
			return deptRef{}, &deptProblem{FieldDeptName, msg}, ""
		}
	}
	k := len(segs)
	parent := deptRef{}
	for ; k > 0; k-- {
		cands := r.match(segs[:k])
		if len(cands) > 1 {
			paths := make([]string, len(cands))
			for i, d := range cands {
				paths[i] = r.ix.path(d.ID)
				if d.Code != "" {
					paths[i] += "（コード " + d.Code + "）"
				}
			}
			return deptRef{}, &deptProblem{FieldDeptName, fmt.Sprintf("所属「%s」が複数あります（%s）。所属コードの列を加えるか、上位の所属から「部 課 係」のように書いてください",
				strings.Join(segs[:k], " "), strings.Join(paths, "、"))}, ""
		}
		if len(cands) == 1 {
			d := cands[0]
			if !d.Active {
				return deptRef{}, &deptProblem{FieldDeptName, fmt.Sprintf("所属「%s」は廃止された所属です", r.ix.path(d.ID))}, ""
			}
			parent = deptRef{d.ID, r.ix.path(d.ID)}
			break
		}
	}
	for _, s := range segs[k:] {
		var prob *deptProblem
		if parent, prob = r.propose(parent, s, ""); prob != nil {
			return deptRef{}, prob, ""
		}
	}
	return parent, nil, ""
}

// match returns the departments named segs[len-1] whose ancestors include
// the other names in order; active ones are preferred.
func (r *resolver) match(segs []string) []*Department {
	var active, inactive []*Department
	leaf := segs[len(segs)-1]
	for _, d := range r.ix.byName[nameKey(leaf)] {
		if !r.hasAncestors(d, segs[:len(segs)-1]) {
			continue
		}
		if d.Active {
			active = append(active, d)
		} else {
			inactive = append(inactive, d)
		}
	}
	if len(active) > 0 {
		return active
	}
	return inactive
}

// hasAncestors reports whether names appear, in order, among d's ancestors.
func (r *resolver) hasAncestors(d *Department, names []string) bool {
	i := len(names) - 1
	for p, n := r.ix.byID[d.ParentID], 0; p != nil && i >= 0 && n < 16; p, n = r.ix.byID[p.ParentID], n+1 {
		if nameKey(p.Name) == nameKey(names[i]) {
			i--
		}
	}
	return i < 0
}

// propose adds a new department under parent (registered or proposed).
func (r *resolver) propose(parent deptRef, name, code string) (deptRef, *deptProblem) {
	level := inferLevel(name)
	if p := r.ix.byID[parent.id]; p != nil {
		pl := levelIndex(p.Level)
		if pl >= len(levels)-1 {
			return deptRef{}, &deptProblem{FieldDeptName, fmt.Sprintf("「%s」は係なので、その下に所属「%s」は作れません", r.ix.path(p.ID), name)}
		}
		if levelIndex(level) <= pl {
			level = levels[pl+1]
		}
	}
	nd := NewDept{Code: code, Name: name, Level: level, Parent: -1, Path: strings.TrimSpace(parent.path + " " + name)}
	if parent.id > 0 {
		nd.ParentID = parent.id
	} else if parent.id < 0 {
		nd.Parent = parent.proposal()
	}
	*r.proposed = append(*r.proposed, nd)
	d := &Department{ID: -int64(len(*r.proposed)), Code: code, Name: name, Level: level, ParentID: parent.id, Active: true}
	r.ix.byID[d.ID] = d
	if code != "" {
		r.ix.byCode[code] = d
	}
	k := nameKey(name)
	r.ix.byName[k] = append(r.ix.byName[k], d)
	return deptRef{d.ID, nd.Path}, nil
}

// lookup finds a registered department without proposing anything (for
// leavers' rows, whose department may already be gone).
func (r *resolver) lookup(code, name string) int64 {
	code, name = jp.Normalize(code), jp.Normalize(name)
	if d := r.ix.byCode[code]; code != "" && d != nil && d.ID > 0 {
		return d.ID
	}
	if segs := splitPath(name); len(segs) > 0 {
		var registered []*Department
		for _, d := range r.match(segs) {
			if d.ID > 0 {
				registered = append(registered, d)
			}
		}
		if len(registered) == 1 {
			return registered[0].ID
		}
	}
	return 0
}

// assignCodes gives every proposal without a code one that is not in use:
// its parent's code followed by the next free two digits.
func assignCodes(nds []NewDept, ex *Existing) {
	used := map[string]bool{}
	for _, d := range ex.Departments {
		used[d.Code] = true
	}
	for _, nd := range nds {
		if nd.Code != "" {
			used[nd.Code] = true
		}
	}
	codeOf := map[int64]string{}
	for _, d := range ex.Departments {
		codeOf[d.ID] = d.Code
	}
	for i := range nds {
		nd := &nds[i]
		if nd.Code != "" {
			continue
		}
		prefix := codeOf[nd.ParentID]
		if nd.Parent >= 0 {
			prefix = nds[nd.Parent].Code
		}
		nd.Code, nd.CodeGenerated = nextCode(prefix, used), true
		used[nd.Code] = true
	}
}

// nextCode returns prefix + two digits after the highest such code in
// use, or the first free one; three digits when all 99 are taken.
func nextCode(prefix string, used map[string]bool) string {
	if len(prefix) > 17 {
		prefix = prefix[:17]
	}
	top := 0
	for c := range used {
		if len(c) == len(prefix)+2 && strings.HasPrefix(c, prefix) {
			if n, err := strconv.Atoi(c[len(prefix):]); err == nil && n > top {
				top = n
			}
		}
	}
	for n := top + 1; n <= 99; n++ {
		if c := fmt.Sprintf("%s%02d", prefix, n); !used[c] {
			return c
		}
	}
	for n := 1; ; n++ {
		if c := fmt.Sprintf("%s%02d", prefix, n); !used[c] {
			return c
		}
	}
}
