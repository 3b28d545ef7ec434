package roster

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Kind is what importing a row (or leaving someone out) does to a person.
type Kind int

// The kinds of change, in preview order.
const (
	KindNew         Kind = iota + 1 // not registered yet
	KindMoved                       // department changes (other fields may too)
	KindChanged                     // other fields change
	KindUnchanged                   // nothing changes
	KindReactivated                 // registered as inactive, present again
	KindLeaver                      // marked inactive: 退職 in the file, or missing from a full roster
)

// Label is the Japanese name of the kind for the preview.
func (k Kind) Label() string {
	switch k {
	case KindNew:
		return "新規"
	case KindMoved:
		return "異動"
	case KindChanged:
		return "変更"
	case KindUnchanged:
		return "変更なし"
	case KindReactivated:
		return "再登録"
	case KindLeaver:
		return "退職"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Change is one person's line in the preview and what Apply writes.
type Change struct {
	Kind Kind
	Row  int   // row in the file; 0 for leavers missing from it
	ID   int64 // registered staff id; 0 for new staff

	EmployeeNo       string
	Name             string
	Kana             string
	DepartmentID     int64  // registered department; 0 when NewDept >= 0
	NewDept          int    // index in Plan.NewDepts, or -1
	Department       string // department path, for display
	JobClass         string
	JobClassInferred bool // JobClass was inferred from JobTitle
	JobTitle         string
	IsSystem         bool
	IsProtection     bool
	IsMyNumber       bool
	Email            string

	Before           *Staff   // registered values; nil for new staff
	BeforeDepartment string   // registered department path
	Diffs            []string // labels of the fields that change
}

// Column is one column of the file and what it is imported as.
type Column struct {
	Index  int
	Letter string // A, B, … AA
	Header string // as written in the file
	Field  Field
	Mapped bool // chosen through Options.Mapping rather than recognised
}

// Name is the header, or the column letter when the header is blank.
func (c Column) Name() string {
	if c.Header != "" {
		return c.Header
	}
	return c.Letter + "列"
}

// Plan is the validated roster and its effect, computed without touching
// the database so that the user can review it before Apply.
type Plan struct {
	Filename          string
	FiscalYear        int
	Scope             Scope
	CreateDepartments bool

	// ScopeDepts are the paths of the departments whose absent staff are
	// retired (ScopeDepartments), in tree order.
	ScopeDepts []string
	// Active is the number of active staff whose absence from the file
	// retires them: the whole ward's, or the scope departments'. It is
	// the base of the retirement limit.
	Active int
	// RetireLimit is the share of Active, in percent, the plan may retire
	// without consent.
	RetireLimit int
	// UnknownDepts counts the rows whose department is not registered
	// (errors unless CreateDepartments), so that a screen can say how to
	// allow creating them.
	UnknownDepts int

	Columns  []Column
	Rows     int       // data rows read
	Changes  []Change  // file order; leavers missing from the file last
	NewDepts []NewDept // parents before children
	Errors   []Issue   // block Apply; sorted by row
	Warnings []Issue   // for the user's attention; sorted by row

	stamp string
}

// OK reports whether the plan has no errors and can be applied.
func (p *Plan) OK() bool { return len(p.Errors) == 0 }

// NeedsConsent reports whether the plan retires more than RetireLimit
// percent of the active staff in scope: Apply then refuses it unless the
// options carry the user's consent (Options.RetireMissing).
func (p *Plan) NeedsConsent() bool {
	n := p.Counts().Leavers
	return n > 0 && n*100 > p.RetireLimit*p.Active
}

// RetireShare is the share of the active staff in scope the plan retires,
// in percent with one decimal ("99.9").
func (p *Plan) RetireShare() string {
	if p.Active == 0 {
		return "100"
	}
	s := fmt.Sprintf("%.1f", float64(p.Counts().Leavers)*100/float64(p.Active))
	return strings.TrimSuffix(s, ".0")
}

// Fingerprint identifies what the plan would write: the state of the
// registered staff and departments it was built on, its options and its
// counts. A confirmation carries it, so that what is applied is what the
// user confirmed.
func (p *Plan) Fingerprint() string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%d|%d|%v|%v|%+v", p.stamp, p.Filename, p.FiscalYear, p.Scope, p.ScopeDepts,
		p.CreateDepartments, p.Counts())))
	return hex.EncodeToString(h[:12])
}

// Counts summarises a plan for the preview and the audit log.
type Counts struct {
	New, Moved, Changed, Unchanged, Reactivated, Leavers int
	NewDepts                                             int
}

// Counts counts the changes by kind.
func (p *Plan) Counts() Counts {
	c := Counts{NewDepts: len(p.NewDepts)}
	for _, ch := range p.Changes {
		switch ch.Kind {
		case KindNew:
			c.New++
		case KindMoved:
			c.Moved++
		case KindChanged:
			c.Changed++
		case KindUnchanged:
			c.Unchanged++
		case KindReactivated:
			c.Reactivated++
		case KindLeaver:
			c.Leavers++
		}
	}
	return c
}

// ByKind returns the changes of one kind, for a preview tab.
func (p *Plan) ByKind(k Kind) []Change {
	var out []Change
	for _, ch := range p.Changes {
		if ch.Kind == k {
			out = append(out, ch)
		}
	}
	return out
}

// Unmapped returns the columns that will not be imported, so that the UI
// can offer to map them.
func (p *Plan) Unmapped() []Column {
	var out []Column
	for _, c := range p.Columns {
		if c.Field == FieldNone {
			out = append(out, c)
		}
	}
	return out
}
