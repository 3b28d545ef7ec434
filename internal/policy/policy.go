// Package policy keeps the ward's policy documents — 基本方針, 対策基準,
// 実施手順 and the インシデント対応ハンドブック — as versions of a provision
// tree: import from DOCX/Markdown/text with a preview, adoption with an
// effective date, revision drafts edited article by article (renumbered
// automatically, each change with its reason, audience and the gap-table
// rows it resolves), and the outputs of a revision: 見え消し版,
// 新旧対照表, the staff briefing and a quiz draft for e-learning.
package policy

import (
	"fmt"
	"path"
	"strings"
	"time"

	"mamori/internal/jp"
)

// Kind is the kind of policy document.
type Kind string

// Document kinds. The 基本方針 is public (every signed-in member of staff
// may read its adopted version); the others are not.
const (
	KindBasic     Kind = "basic"
	KindStandard  Kind = "standard"
	KindProcedure Kind = "procedure"
	KindHandbook  Kind = "handbook"
)

// Kinds lists the document kinds in display order.
var Kinds = []Kind{KindBasic, KindStandard, KindProcedure, KindHandbook}

var kindLabels = map[Kind]string{
	KindBasic:     "基本方針",
	KindStandard:  "対策基準",
	KindProcedure: "実施手順",
	KindHandbook:  "インシデント対応ハンドブック",
}

// Label is the kind's Japanese name.
func (k Kind) Label() string {
	if l, ok := kindLabels[k]; ok {
		return l
	}
	return string(k)
}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { _, ok := kindLabels[k]; return ok }

// Public reports whether documents of this kind are published (readable
// by every signed-in member of staff once adopted).
func (k Kind) Public() bool { return k == KindBasic }

// Status is where a version stands.
type Status string

// Version statuses: a draft is being written; the adopted version is in
// force; adopting another version supersedes it.
const (
	StatusDraft      Status = "draft"
	StatusAdopted    Status = "adopted"
	StatusSuperseded Status = "superseded"
)

var statusLabels = map[Status]string{StatusDraft: "案", StatusAdopted: "施行中", StatusSuperseded: "旧版"}

// Label is the status's Japanese name.
func (s Status) Label() string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return string(s)
}

// ChangeKind is what a revision change did to an article.
type ChangeKind string

// Change kinds.
const (
	ChangeInsert ChangeKind = "insert"
	ChangeEdit   ChangeKind = "edit"
	ChangeDelete ChangeKind = "delete"
	ChangeMove   ChangeKind = "move"
)

var changeLabels = map[ChangeKind]string{ChangeInsert: "新設", ChangeEdit: "改正", ChangeDelete: "削除", ChangeMove: "移動"}

// Label is the change kind's Japanese name.
func (k ChangeKind) Label() string {
	if l, ok := changeLabels[k]; ok {
		return l
	}
	return string(k)
}

// Audience is a group of staff a change concerns.
type Audience string

// Audiences, as the self-assessment and e-learning workstreams group staff.
const (
	AudienceAll        Audience = "all"
	AudienceGeneral    Audience = "general"
	AudienceManager    Audience = "manager"
	AudienceSystem     Audience = "system"
	AudienceProtection Audience = "protection"
)

// Audiences lists the audiences in the order the briefing presents them.
var Audiences = []Audience{AudienceAll, AudienceGeneral, AudienceManager, AudienceSystem, AudienceProtection}

var audienceLabels = map[Audience]string{
	AudienceAll:        "全職員",
	AudienceGeneral:    "一般職員",
	AudienceManager:    "管理職",
	AudienceSystem:     "システム担当者",
	AudienceProtection: "保護担当者",
}

// Label is the audience's Japanese name.
func (a Audience) Label() string {
	if l, ok := audienceLabels[a]; ok {
		return l
	}
	return string(a)
}

// ParseAudiences reads audience codes (or their Japanese names), in
// Audiences order, without duplicates.
func ParseAudiences(vals []string) ([]Audience, error) {
	seen := map[Audience]bool{}
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			p = strings.TrimSpace(p)
			if p == "" {
				continue
			}
			a := Audience(p)
			if _, ok := audienceLabels[a]; !ok {
				found := false
				for k, l := range audienceLabels {
					if l == p {
						a, found = k, true
					}
				}
				if !found {
					return nil, fmt.Errorf("対象者「%s」は選べません（全職員・一般職員・管理職・システム担当者・保護担当者のいずれか）", p)
				}
			}
			seen[a] = true
		}
	}
	var out []Audience
	for _, a := range Audiences {
		if seen[a] {
			out = append(out, a)
		}
	}
	return out, nil
}

func joinAudiences(as []Audience) string {
	var ss []string
	for _, a := range as {
		ss = append(ss, string(a))
	}
	return strings.Join(ss, ",")
}

// AudienceLabels is the Japanese names joined with 「・」.
func AudienceLabels(as []Audience) string {
	var ss []string
	for _, a := range as {
		ss = append(ss, a.Label())
	}
	return strings.Join(ss, "・")
}

// Document is one policy document.
type Document struct {
	ID           int64
	Kind         Kind
	Title        string
	DepartmentID int64
	Department   string // the owning department's path, for 実施手順
	Note         string
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// Filled by the list: the version in force and the drafts in progress.
	Adopted *Version
	Drafts  []Version
}

// Version is one version of a document. Tree is loaded on demand.
type Version struct {
	ID            int64
	DocumentID    int64
	Status        Status
	Label         string
	BaseVersionID int64
	SourceBlobID  int64
	SourceName    string
	EffectiveDate time.Time // zero when not set
	DecidedBy     string    // e.g. 情報セキュリティ委員会決定
	DecidedDate   time.Time
	AdoptedAt     time.Time
	SupersededAt  time.Time
	Rev           int
	CreatedBy     int64
	CreatedByName string
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Name is how pages and files name the version: its label, or a
// description from its status and dates.
func (v Version) Name() string {
	if v.Label != "" {
		return v.Label
	}
	switch v.Status {
	case StatusDraft:
		return "改正案（" + jp.FormatWareki(v.CreatedAt) + "作成）"
	default:
		if !v.EffectiveDate.IsZero() {
			return jp.FormatWareki(v.EffectiveDate) + "施行版"
		}
		return jp.FormatWareki(v.CreatedAt) + "登録版"
	}
}

// SourceLabel is where the version's text came from, as pages show it:
// the uploaded file's name, or 「デモデータ」 for the demo ward's texts
// (stored with their path under content/, which is no business of a
// reader's).
func (v Version) SourceLabel() string {
	switch {
	case v.SourceName == "":
		return ""
	case strings.HasPrefix(v.SourceName, "content/"):
		return "デモデータ（架空の区の文書）"
	}
	return path.Base(strings.ReplaceAll(v.SourceName, "\\", "/"))
}

// Decision is the adoption record printed under a title:
// （令和6年3月22日ひので区情報セキュリティ委員会決定）.
func (v Version) Decision() string {
	if v.DecidedBy == "" && v.DecidedDate.IsZero() {
		return ""
	}
	return "（" + wareki(v.DecidedDate) + v.DecidedBy + "）"
}

func wareki(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return jp.FormatWareki(t)
}

// Change is one recorded change of a revision draft.
type Change struct {
	ID          int64
	VersionID   int64
	Seq         int
	Kind        ChangeKind
	ArticleKey  string // the article's label in the draft now (for a deletion: the label it had)
	OldKey      string // the label before the change ("" for an insertion)
	Caption     string // the article's 見出し
	OldText     string // the article as it was before the change (drafting text)
	NewText     string // the article as the change left it
	Reason      string // 改正理由
	Audiences   []Audience
	StaffAction string // what staff must now do
	Renames     []RenameView
	GapRowIDs   []int64
	Gaps        []GapRow // filled for display
	AuthorID    int64
	AuthorName  string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Title is the change in one phrase: 第25条（生成AIの利用）を新設.
func (c Change) Title() string {
	h := c.ArticleKey
	if c.Caption != "" {
		h += "（" + c.Caption + "）"
	}
	switch c.Kind {
	case ChangeInsert:
		return h + "を新設"
	case ChangeDelete:
		return h + "を削除"
	case ChangeMove:
		if c.OldKey != "" && c.OldKey != c.ArticleKey {
			return h + "を移動（旧" + c.OldKey + "）"
		}
		return h + "を移動"
	default:
		return h + "を改正"
	}
}

// RenameView is one renumbering shown to the user: 第25条 → 第26条.
type RenameView struct {
	Kind string `json:"kind"` // 条, 項 …
	Old  string `json:"old"`
	New  string `json:"new"`
}

// GapRow is a row of a gap table (相違点整合表) a change may cite.
type GapRow struct {
	ID         int64
	TableID    int64
	Table      string
	Seq        int
	Label      string // the guideline clause, e.g. 5.3 情報セキュリティインシデントの報告
	Status     string // 反映済 / 一部反映 / 未反映 … (the suggested one while unset)
	Decision   string // 反映する / しない / 検討中
	Provisions string // the ward provisions it maps to
	Planned    string // 改正予定の内容
}

// Question is one quiz question generated from a revision's changes.
type Question struct {
	ID          int64
	VersionID   int64
	ChangeID    int64
	Seq         int
	Audiences   []Audience
	Text        string
	Choices     []string
	Answer      int // 0-based index into Choices
	Explanation string
	Edited      bool
}

// Has reports whether the question is meant for audience a.
func (q Question) Has(a Audience) bool {
	for _, x := range q.Audiences {
		if x == a {
			return true
		}
	}
	return false
}
