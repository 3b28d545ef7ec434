package audit

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/catalog"
	"mamori/internal/docgen"
	"mamori/internal/jp"
)

// This file builds the checklist for one audit from a catalogue template:
// the items that apply to the department (or system) audited, each with
// the reason it was included, items on the chosen priority threats first.
// A department's audit scope (what it does that makes items apply) is
// kept as its profile so the next audit starts from it (store.go).

// ScopeCodes are the characteristics an audit target can have, in the
// order the screens show them (the applicability codes except "all").
var ScopeCodes = slices.Clone(catalog.ApplicabilityOrder[1:])

// scopeReasons say why an item applies, per characteristic.
var scopeReasons = map[string]string{
	"counter":      "窓口のある所属のため",
	"mynumber":     "個人番号を扱う事務があるため",
	"system_owner": "情報システムを所管する所属のため",
	"server_room":  "サーバ室のある所属のため",
	"cloud_user":   "クラウドサービスを利用しているため",
	"outsourcer":   "業務を委託しているため",
}

// HistoryNote says plainly that past findings and incidents do not weigh
// the selection yet.
const HistoryNote = "過去の監査の指摘事項とインシデントによる重み付けは、監査とインシデントの機能に記録がたまってから使います。現在の選定には使っていません。"

// DeptOption is a department offered on the build screen.
type DeptOption struct {
	ID         int64
	Code, Name string
	Path       string // 「総務部 情報政策課」
	Depth      int
	HasCounter bool
}

// Profile is a department's audit scope.
type Profile struct {
	DepartmentID                                             int64
	MyNumber, SystemOwner, ServerRoom, CloudUser, Outsourcer bool
	Systems                                                  []string // names of the systems it owns
	UpdatedAt                                                time.Time
	Saved                                                    bool // false: never saved, all no
}

// Codes are the profile's characteristics as applicability codes, with
// the counter taken from the department.
func (p Profile) Codes(hasCounter bool) []string {
	var out []string
	for _, kv := range []struct {
		code string
		on   bool
	}{{"counter", hasCounter}, {"mynumber", p.MyNumber}, {"system_owner", p.SystemOwner}, {"server_room", p.ServerRoom},
		{"cloud_user", p.CloudUser}, {"outsourcer", p.Outsourcer}} {
		if kv.on {
			out = append(out, kv.code)
		}
	}
	return out
}

// SystemLines reads the systems textarea: one name per line, trimmed,
// blanks and repeats dropped.
func SystemLines(s string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n") {
		l = cleanText(l)
		if l != "" && !seen[l] {
			out = append(out, l)
			seen[l] = true
		}
	}
	return out
}

// CheckProfile returns what is wrong with a profile's systems, if anything.
func CheckProfile(p Profile) string {
	if len(p.Systems) > 50 {
		return "所管システムは 50 件までにしてください"
	}
	for _, s := range p.Systems {
		if utf8.RuneCountInString(s) > 100 {
			return fmt.Sprintf("システム名「%s…」が長すぎます（100 文字まで）", string([]rune(s)[:20]))
		}
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "該当なし"
	}
	return s
}

// SystemOwner is a system named in a department's profile.
type SystemOwner struct {
	Name         string
	DepartmentID int64
	Department   string
}

// BuildRequest is what the build screen asks for.
type BuildRequest struct {
	TemplateID         int64
	DepartmentID       int64
	System             string
	Scope              []string // characteristics (applicability codes)
	Threats            []string // priority threat tags
	IncludeRecommended bool
}

// BuildProblem is one invalid choice on the build screen.
type BuildProblem struct {
	Field string // form field
	Msg   string
}

// Check validates the request's own values (not the database's).
func (r *BuildRequest) Check() []BuildProblem {
	var ps []BuildProblem
	if r.TemplateID <= 0 {
		ps = append(ps, BuildProblem{"template", "元にするチェックリストを選んでください"})
	}
	r.System = cleanText(r.System)
	if r.DepartmentID <= 0 && r.System == "" {
		ps = append(ps, BuildProblem{"department", "監査する所属を選ぶか、システム名を入れてください"})
	}
	if utf8.RuneCountInString(r.System) > 100 {
		ps = append(ps, BuildProblem{"system", "システム名は 100 文字までにしてください"})
	}
	for _, c := range r.Scope {
		if scopeReasons[c] == "" {
			ps = append(ps, BuildProblem{"scope", fmt.Sprintf("特性「%s」は定義されていません", c)})
		}
	}
	for _, t := range r.Threats {
		if catalog.Threats[t] == "" {
			ps = append(ps, BuildProblem{"threats", fmt.Sprintf("脅威「%s」は定義されていません", t)})
		}
	}
	return ps
}

// BuiltItem is an item included in a built checklist, with why.
type BuiltItem struct {
	Item    catalog.StoredItem
	Reasons []string
	// ThreatMatch names the priority threats the item is about (labels);
	// such items come first.
	ThreatMatch []string
}

// Reason is the reasons one per line, as stored and exported.
func (b BuiltItem) Reason() string { return strings.Join(b.Reasons, "\n") }

// ExcludedItem is an item left out, with why.
type ExcludedItem struct {
	Item   catalog.StoredItem
	Reason string
}

// BuildResult is a checklist built for one audit (not saved yet).
type BuildResult struct {
	Request    BuildRequest
	Template   catalog.StoredTemplate
	Department string // name path, "" for a system without a known owner
	Target     string // what is audited, for titles
	Included   []BuiltItem
	Excluded   []ExcludedItem
}

// ThreatItems counts included items on a priority threat.
func (b *BuildResult) ThreatItems() int {
	n := 0
	for _, it := range b.Included {
		if len(it.ThreatMatch) > 0 {
			n++
		}
	}
	return n
}

// SelectItems decides, for each item of a template, whether it belongs in
// the checklist of an audit with the given characteristics and priority
// threats, and why. Items on a priority threat come first, each group in
// template order. With only required items, a recommended item is still
// included when it is on a priority threat.
func SelectItems(items []catalog.StoredItem, req BuildRequest) ([]BuiltItem, []ExcludedItem) {
	scope := map[string]bool{}
	for _, c := range req.Scope {
		scope[c] = true
	}
	threats := map[string]bool{}
	for _, t := range req.Threats {
		threats[t] = true
	}
	var first, rest []BuiltItem
	var excluded []ExcludedItem
	for _, it := range items {
		var reasons []string
		all := len(it.Applicability) == 0
		for _, a := range it.Applicability {
			if a == "all" {
				all = true
			}
		}
		if all {
			reasons = append(reasons, "全所属に適用")
		} else {
			for _, a := range it.Applicability {
				if !scope[a] {
					continue
				}
				r := scopeReasons[a]
				if a == "system_owner" && req.System != "" {
					r = "情報システム（" + req.System + "）を対象とするため"
				}
				reasons = append(reasons, r)
			}
		}
		if len(reasons) == 0 {
			var need []string
			for _, a := range it.Applicability {
				need = append(need, catalog.Applicability[a])
			}
			excluded = append(excluded, ExcludedItem{Item: it, Reason: "対象外：" + strings.Join(need, "・") + "が対象の項目で、この監査には当てはまらないため"})
			continue
		}
		var match []string
		for _, t := range it.Threats {
			if threats[t] {
				match = append(match, catalog.Threats[t])
			}
		}
		if it.Priority != "required" && !req.IncludeRecommended {
			if len(match) == 0 {
				excluded = append(excluded, ExcludedItem{Item: it, Reason: "推奨の項目のため（必須の項目だけで作成）"})
				continue
			}
			reasons = append(reasons, "推奨の項目だが重点脅威に関わるため含める")
		}
		for _, m := range match {
			reasons = append(reasons, "重点脅威："+m)
		}
		b := BuiltItem{Item: it, Reasons: reasons, ThreatMatch: match}
		if len(match) > 0 {
			first = append(first, b)
		} else {
			rest = append(rest, b)
		}
	}
	return append(first, rest...), excluded
}

// DefaultTitle is the suggested name of a built checklist.
func (b *BuildResult) DefaultTitle() string {
	return fmt.Sprintf("%s %s（%s）", b.Target, catalog.Kinds[b.Template.Kind], jp.FiscalYearLabel(b.Template.Version))
}

// BuiltChecklist is a saved checklist for one audit.
type BuiltChecklist struct {
	ID                 int64
	TemplateID         int64
	TemplateTitle      string
	Kind               string
	Version            int
	Title              string
	DepartmentID       int64
	Department         string
	System             string
	Scope              []string
	Threats            []string
	IncludeRecommended bool
	Items, Excluded    int
	Removed            int // items since removed from the template
	CreatedBy          string
	CreatedAt          time.Time
}

// KindLabel is the template kind's Japanese name.
func (b BuiltChecklist) KindLabel() string { return catalog.Kinds[b.Kind] }

// BuiltDocument is a saved checklist in the ward's spreadsheet layout,
// with the reason for each item in a last column.
func BuiltDocument(b BuiltChecklist, items []BuiltItem, ward string) *docgen.Document {
	t := catalog.StoredTemplate{ID: b.TemplateID, Kind: b.Kind, Version: b.Version, Title: b.TemplateTitle}
	stored := make([]catalog.StoredItem, len(items))
	reasons := map[int64]string{}
	for i, it := range items {
		stored[i] = it.Item
		reasons[it.Item.ID] = it.Reason()
	}
	return catalog.SelectionDocument(t, stored, ward, catalog.Selection{ID: b.ID, Title: b.Title, Reasons: reasons})
}

// cleanText trims a user's text, collapses its runs of white space
// (U+3000 included) to one space and drops control characters, keeping
// the other characters as typed.
func cleanText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}
