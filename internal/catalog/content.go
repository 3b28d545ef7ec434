// Package catalog holds the national standards as structured data
// (frameworks of numbered clauses), the ward's policy, and checklist
// templates whose items say which clauses they check. This file reads and
// validates the authored content under content/catalog.
package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Clause is one numbered provision of a framework.
type Clause struct {
	Number   string `yaml:"number"`
	Title    string `yaml:"title"`
	Summary  string `yaml:"summary"`
	Required *bool  `yaml:"required"`
	Note     string `yaml:"note"`
	Threat   string `yaml:"threat"`
	// MapsTo are clauses of other frameworks this clause corresponds to
	// ("mic-policy:4.1"); stored as clause mappings, shown both ways.
	MapsTo   []string `yaml:"maps_to"`
	Children []Clause `yaml:"children"`
}

// IsRequired reports whether an item must check the clause (default yes).
func (c Clause) IsRequired() bool { return c.Required == nil || *c.Required }

// Framework is a standard (or the ward policy) as a tree of clauses.
type Framework struct {
	Code      string   `yaml:"code"`
	Title     string   `yaml:"title"`
	Publisher string   `yaml:"publisher"`
	Version   string   `yaml:"version"`
	Clauses   []Clause `yaml:"clauses"`
	File      string   `yaml:"-"`
}

// Walk visits every clause depth first with its depth.
func (f *Framework) Walk(fn func(c Clause, depth int)) {
	var walk func([]Clause, int)
	walk = func(cs []Clause, d int) {
		for _, c := range cs {
			fn(c, d)
			walk(c.Children, d+1)
		}
	}
	walk(f.Clauses, 0)
}

// Criteria are the judgement rules of an item.
type Criteria struct {
	Conform    string `yaml:"conform"`
	Partial    string `yaml:"partial"`
	Nonconform string `yaml:"nonconform"`
}

// Item is one checklist question.
type Item struct {
	Code           string   `yaml:"code"`
	Category       string   `yaml:"category"`
	Clauses        []string `yaml:"clauses"`
	Question       string   `yaml:"question"`
	Criteria       Criteria `yaml:"criteria"`
	Evidence       []string `yaml:"evidence"`
	Methods        []string `yaml:"methods"`
	Techniques     []string `yaml:"techniques"`
	Priority       string   `yaml:"priority"`
	SiteInspection bool     `yaml:"site_inspection"`
	Applicability  []string `yaml:"applicability"`
	Threats        []string `yaml:"threats"`
	PreSurvey      bool     `yaml:"pre_survey"`
	Audience       []string `yaml:"audience"` // self-assessment: who answers
	Notes          string   `yaml:"notes"`
	Line           int      `yaml:"-"`
}

// Checklist is a template of one kind in one version.
type Checklist struct {
	Kind    string `yaml:"kind"`
	Title   string `yaml:"title"`
	Version int    `yaml:"version"`
	Items   []Item `yaml:"items"`
	File    string `yaml:"-"`
}

// Allowed values, with their Japanese labels.
var (
	Kinds = map[string]string{"internal": "内部監査", "external_assets": "外部監査（情報資産）", "external_mynumber": "外部監査（特定個人情報）",
		"system": "情報システム監査", "outsourcing": "外部委託事業者", "cloud": "クラウドサービス導入", "self_assessment": "自己点検"}
	Techniques = map[string]string{"interview": "ヒアリング", "document": "文書・記録の閲覧", "inspection": "視察",
		"technical": "技術的検証", "reperformance": "再実施"}
	Priorities    = map[string]string{"required": "必須", "recommended": "推奨"}
	Audiences     = map[string]string{"general": "一般職員", "system": "システム担当者", "protection": "保護担当者"}
	Applicability = map[string]string{"all": "全所属", "counter": "窓口のある所属", "mynumber": "個人番号を扱う事務", "system_owner": "システム所管所属",
		"server_room": "サーバ室のある所属", "cloud_user": "クラウドサービス利用", "outsourcer": "業務委託のある所属"}
	Threats = map[string]string{"ransomware": "ランサム攻撃", "supply_chain": "サプライチェーン・委託先", "ai_risk": "AIの利用をめぐるリスク",
		"vulnerability": "脆弱性の悪用", "targeted": "標的型攻撃", "geopolitical": "地政学的リスク", "insider": "内部不正",
		"remote_work": "リモートワーク", "ddos": "DDoS攻撃", "bec": "ビジネスメール詐欺", "careless_leak": "不注意による漏えい", "physical_loss": "紛失・盗難"}
)

// The codes of the label maps in the order screens and files list them
// (maps have none). Threats follow IPA's ranking for organisations.
var (
	TechniqueOrder     = []string{"interview", "document", "inspection", "technical", "reperformance"}
	PriorityOrder      = []string{"required", "recommended"}
	ApplicabilityOrder = []string{"all", "counter", "mynumber", "system_owner", "server_room", "cloud_user", "outsourcer"}
	ThreatOrder        = []string{"ransomware", "supply_chain", "ai_risk", "vulnerability", "targeted", "geopolitical", "insider",
		"remote_work", "ddos", "bec", "careless_leak", "physical_loss"}
	AudienceOrder = []string{"general", "system", "protection"}
)

// Content is everything under content/catalog.
type Content struct {
	Frameworks []*Framework
	Checklists []*Checklist
}

// Problem is one validation error, naming the file, line and field.
type Problem struct {
	File  string
	Line  int
	Field string
	Msg   string
}

func (p Problem) String() string {
	s := p.File
	if p.Line > 0 {
		s += fmt.Sprintf(" %d行目", p.Line)
	}
	if p.Field != "" {
		s += " [" + p.Field + "]"
	}
	return s + " " + p.Msg
}

// Problems is a list of validation errors.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Load reads frameworks/*.yaml and checklists/*.yaml from fsys (rooted at
// content/catalog). Checklist files of the same kind and version (split
// for authoring, e.g. internal-part1.yaml) are merged. The content is
// validated; any problem is returned as Problems and nothing is returned.
func Load(fsys fs.FS) (*Content, error) {
	c := &Content{}
	var ps Problems
	fws, _ := fs.Glob(fsys, "frameworks/*.yaml")
	sort.Strings(fws)
	for _, name := range fws {
		var f Framework
		if err := decode(fsys, name, &f); err != nil {
			ps = append(ps, Problem{File: name, Msg: err.Error()})
			continue
		}
		f.File = name
		c.Frameworks = append(c.Frameworks, &f)
	}
	cls, _ := fs.Glob(fsys, "checklists/*.yaml")
	sort.Strings(cls)
	byKey := map[string]*Checklist{}
	for _, name := range cls {
		var cl Checklist
		lines, err := decodeItems(fsys, name, &cl)
		if err != nil {
			ps = append(ps, Problem{File: name, Msg: err.Error()})
			continue
		}
		for i := range cl.Items {
			cl.Items[i].Line = lines[i]
		}
		cl.File = name
		key := fmt.Sprintf("%s/%d", cl.Kind, cl.Version)
		if prev, ok := byKey[key]; ok {
			prev.Items = append(prev.Items, cl.Items...)
			prev.File += ", " + name
			continue
		}
		cp := cl
		byKey[key] = &cp
		c.Checklists = append(c.Checklists, &cp)
	}
	ps = append(ps, c.validate()...)
	if len(ps) > 0 {
		return nil, ps
	}
	return c, nil
}

func decode(fsys fs.FS, name string, v any) error {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("YAML として読めません: %w", err)
	}
	return nil
}

// decodeItems decodes a checklist and returns each item's line number.
func decodeItems(fsys fs.FS, name string, cl *Checklist) ([]int, error) {
	if err := decode(fsys, name, cl); err != nil {
		return nil, err
	}
	b, _ := fs.ReadFile(fsys, name)
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil || len(root.Content) == 0 {
		return make([]int, len(cl.Items)), nil
	}
	lines := make([]int, len(cl.Items))
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "items" {
			for j, it := range m.Content[i+1].Content {
				if j < len(lines) {
					lines[j] = it.Line
				}
			}
		}
	}
	return lines, nil
}

// Clauses returns every clause reference "<code>:<number>" with its clause.
func (c *Content) Clauses() map[string]Clause {
	out := map[string]Clause{}
	for _, f := range c.Frameworks {
		f.Walk(func(cl Clause, _ int) { out[f.Code+":"+cl.Number] = cl })
	}
	return out
}

func (c *Content) validate() Problems {
	var ps Problems
	codes := map[string]string{}
	for _, f := range c.Frameworks {
		key := f.Code + "@" + f.Version
		if f.Code == "" || f.Title == "" || f.Version == "" {
			ps = append(ps, Problem{File: f.File, Field: "code/title/version", Msg: "枠組みのコード・名称・版は必須です"})
		}
		if prev, ok := codes[key]; ok {
			ps = append(ps, Problem{File: f.File, Field: "code", Msg: fmt.Sprintf("枠組み %s（%s）が %s と重複しています", f.Code, f.Version, prev)})
		}
		codes[key] = f.File
		seen := map[string]bool{}
		f.Walk(func(cl Clause, _ int) {
			switch {
			case cl.Number == "":
				ps = append(ps, Problem{File: f.File, Field: "number", Msg: fmt.Sprintf("条項「%s」に番号がありません", cl.Title)})
			case seen[cl.Number]:
				ps = append(ps, Problem{File: f.File, Field: "number", Msg: fmt.Sprintf("条項番号 %s が重複しています", cl.Number)})
			case cl.Title == "":
				ps = append(ps, Problem{File: f.File, Field: "title", Msg: fmt.Sprintf("条項 %s に名称がありません", cl.Number)})
			}
			seen[cl.Number] = true
			if cl.Threat != "" && Threats[cl.Threat] == "" {
				ps = append(ps, Problem{File: f.File, Field: "threat", Msg: fmt.Sprintf("条項 %s の脅威タグ %q は定義されていません", cl.Number, cl.Threat)})
			}
		})
	}
	refs := c.Clauses()
	for _, f := range c.Frameworks {
		f.Walk(func(cl Clause, _ int) {
			for _, m := range cl.MapsTo {
				if _, ok := refs[m]; !ok {
					ps = append(ps, Problem{File: f.File, Field: "maps_to", Msg: fmt.Sprintf("条項 %s の対応先 %s は登録されていません", cl.Number, m)})
				} else if strings.HasPrefix(m, f.Code+":") {
					ps = append(ps, Problem{File: f.File, Field: "maps_to", Msg: fmt.Sprintf("条項 %s の対応先 %s は同じ枠組みの条項です", cl.Number, m)})
				}
			}
		})
	}
	for _, cl := range c.Checklists {
		if Kinds[cl.Kind] == "" {
			ps = append(ps, Problem{File: cl.File, Field: "kind", Msg: fmt.Sprintf("種類 %q は定義されていません（%s）", cl.Kind, keys(Kinds))})
		}
		seen := map[string]int{}
		known := func(r string) bool { _, ok := refs[r]; return ok }
		for _, it := range cl.Items {
			if l, ok := seen[it.Code]; ok && it.Code != "" {
				ps = append(ps, Problem{File: cl.File, Line: it.Line, Field: "code", Msg: it.Code + ": " + fmt.Sprintf("項目コードが %d 行目の項目と重複しています", l)})
			}
			seen[it.Code] = it.Line
			for _, fp := range CheckItem(cl.Kind, it, known) {
				ps = append(ps, Problem{File: cl.File, Line: it.Line, Field: fp.Field, Msg: it.Code + ": " + fp.Msg})
			}
		}
	}
	return ps
}

// FieldProblem is one rule an item breaks, naming the field (the YAML key).
type FieldProblem struct {
	Field string
	Msg   string
}

// CheckItem applies the catalogue's rules for one item of a checklist of
// kind. The content loader and the item editor both use it, so an item
// saved in the UI meets the same rules as authored content. known reports
// whether a clause reference "<code>:<number>" exists. Uniqueness of the
// code is the caller's check (it needs the other items).
func CheckItem(kind string, it Item, known func(ref string) bool) []FieldProblem {
	var ps []FieldProblem
	p := func(field, format string, a ...any) {
		ps = append(ps, FieldProblem{Field: field, Msg: fmt.Sprintf(format, a...)})
	}
	if it.Code == "" {
		p("code", "項目コードがありません")
	}
	if strings.TrimSpace(it.Question) == "" {
		p("question", "監査項目（質問）がありません")
	}
	if it.Criteria.Conform == "" || it.Criteria.Nonconform == "" {
		p("criteria", "判定基準（適合・不適合）がありません")
	}
	if len(it.Clauses) == 0 {
		p("clauses", "根拠となる条項がありません")
	}
	for _, r := range it.Clauses {
		if !known(r) {
			p("clauses", "条項 %s は登録されていません", r)
		}
	}
	if len(it.Techniques) == 0 {
		p("techniques", "確認の技法がありません")
	}
	for _, t := range it.Techniques {
		if Techniques[t] == "" {
			p("techniques", "技法 %q は定義されていません（%s）", t, keys(Techniques))
		}
	}
	if Priorities[it.Priority] == "" {
		p("priority", "重要度 %q は required か recommended にしてください", it.Priority)
	}
	for _, a := range it.Applicability {
		if Applicability[a] == "" {
			p("applicability", "対象 %q は定義されていません（%s）", a, keys(Applicability))
		}
	}
	for _, a := range it.Audience {
		if Audiences[a] == "" {
			p("audience", "回答者 %q は定義されていません（%s）", a, keys(Audiences))
		}
	}
	if kind == "self_assessment" && len(it.Audience) == 0 {
		p("audience", "自己点検の項目には回答者（audience）が必要です")
	}
	for _, t := range it.Threats {
		if Threats[t] == "" {
			p("threats", "脅威タグ %q は定義されていません（%s）", t, keys(Threats))
		}
	}
	return ps
}

func keys(m map[string]string) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

// ErrUncovered is returned by Coverage when required clauses lack items.
var ErrUncovered = errors.New("項目が一つもない必須条項があります")

// Uncovered lists, per framework code, the required leaf-or-section
// clauses no item of any checklist references.
func (c *Content) Uncovered() map[string][]Clause {
	used := map[string]bool{}
	for _, cl := range c.Checklists {
		for _, it := range cl.Items {
			for _, r := range it.Clauses {
				used[r] = true
			}
		}
	}
	out := map[string][]Clause{}
	for _, f := range c.Frameworks {
		f.Walk(func(cl Clause, _ int) {
			// A clause counts as covered when it or any descendant is referenced.
			if !cl.IsRequired() || covered(f.Code, cl, used) {
				return
			}
			out[f.Code] = append(out[f.Code], cl)
		})
	}
	return out
}

func covered(code string, cl Clause, used map[string]bool) bool {
	if used[code+":"+cl.Number] {
		return true
	}
	for _, ch := range cl.Children {
		if covered(code, ch, used) {
			return true
		}
	}
	return false
}

// chapterOf is the chapter of a reference: "mic-policy:4.1" → "mic-policy:4",
// "ppc-mynumber:E1" → "ppc-mynumber:E", "meti-sms:II.5" → "meti-sms:II".
func chapterOf(ref string) string {
	code, n, _ := strings.Cut(ref, ":")
	if before, _, ok := strings.Cut(n, "."); ok {
		return code + ":" + before
	}
	if len(n) > 1 && n[0] >= 'A' && n[0] <= 'Z' && n[1] >= '0' && n[1] <= '9' {
		return code + ":" + n[:1]
	}
	return code + ":" + n
}

// TemplateStats are the counts of one checklist.
type TemplateStats struct {
	Kind                string         `json:"kind"`
	Version             int            `json:"version"`
	Items               int            `json:"items"`
	SiteInspectionItems int            `json:"site_inspection_items"`
	ByTechnique         map[string]int `json:"by_technique"`
	ByPriority          map[string]int `json:"by_priority"`
	ByChapter           map[string]int `json:"by_chapter"`
}

// FrameworkStats are the counts of one framework.
type FrameworkStats struct {
	Code           string `json:"code"`
	Version        string `json:"version"`
	Clauses        int    `json:"clauses"`
	CoveredClauses int    `json:"covered_clauses"`
	// ViaMappingClauses are clauses no item checks (nor any descendant),
	// but a clause mapped to them (either direction) is checked: a ward
	// policy article is checked through the guideline section it maps to.
	ViaMappingClauses int `json:"via_mapping_clauses"`
}

// Stats is what `mamori catalog stats --json` prints.
type Stats struct {
	Templates  []TemplateStats  `json:"templates"`
	Frameworks []FrameworkStats `json:"frameworks"`
}

// Stats counts the content.
func (c *Content) Stats() Stats {
	var st Stats
	used := map[string]bool{}
	for _, cl := range c.Checklists {
		ts := TemplateStats{Kind: cl.Kind, Version: cl.Version, Items: len(cl.Items), ByTechnique: map[string]int{}, ByPriority: map[string]int{}, ByChapter: map[string]int{}}
		for _, it := range cl.Items {
			if it.SiteInspection {
				ts.SiteInspectionItems++
			}
			for _, t := range it.Techniques {
				ts.ByTechnique[t]++
			}
			ts.ByPriority[it.Priority]++
			chapters := map[string]bool{}
			for _, r := range it.Clauses {
				used[r] = true
				chapters[chapterOf(r)] = true
			}
			for ch := range chapters {
				ts.ByChapter[ch]++
			}
		}
		st.Templates = append(st.Templates, ts)
	}
	// Clauses covered directly, by reference, and the mapping partners of each.
	direct := map[string]bool{}
	partners := map[string][]string{}
	for _, f := range c.Frameworks {
		f.Walk(func(cl Clause, _ int) {
			ref := f.Code + ":" + cl.Number
			if covered(f.Code, cl, used) {
				direct[ref] = true
			}
			for _, m := range cl.MapsTo {
				partners[ref] = append(partners[ref], m)
				partners[m] = append(partners[m], ref)
			}
		})
	}
	for _, f := range c.Frameworks {
		fs := FrameworkStats{Code: f.Code, Version: f.Version}
		f.Walk(func(cl Clause, _ int) {
			fs.Clauses++
			ref := f.Code + ":" + cl.Number
			if direct[ref] {
				fs.CoveredClauses++
				return
			}
			for _, m := range partners[ref] {
				if direct[m] {
					fs.ViaMappingClauses++
					return
				}
			}
		})
		st.Frameworks = append(st.Frameworks, fs)
	}
	return st
}
