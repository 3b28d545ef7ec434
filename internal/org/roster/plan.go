package roster

import "fmt"

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
	Partial           bool
	CreateDepartments bool

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
