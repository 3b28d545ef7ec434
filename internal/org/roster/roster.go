// Package roster imports the ward's staff roster (職員名簿) from a CSV or
// Excel export of the personnel system. It works in three steps so that the
// user sees what will change before anything is written:
//
//	t, err := roster.ReadFile(name, data)        // parse the file, find the header row
//	ex, err := roster.LoadExisting(ctx, db)      // current departments and staff
//	plan := roster.Build(t, ex, opt)             // validate rows and diff (pure, no DB)
//	res, err := roster.Apply(ctx, db, log, plan, opt, now, progress) // one transaction
//
// Rows are named by the row number the user sees in Excel, and every
// message is in Japanese.
package roster

import (
	"fmt"
	"sort"
)

// Limits on what ReadFile accepts.
const (
	// MaxFileSize is the largest file accepted, in bytes.
	MaxFileSize = 20 << 20
	// MaxRows is the largest number of data rows accepted.
	MaxRows = 100_000
	// headerScanRows is how many non-empty rows are searched for the header row.
	headerScanRows = 10
)

// Job classes stored in staff.job_class.
const (
	JobGeneral = "一般職員"
	JobManager = "管理職"
)

// Options control how a table is turned into a plan and applied.
type Options struct {
	// FiscalYear is the 年度 the roster describes; staff_assignments rows
	// are written for it. Required.
	FiscalYear int
	// Scope says whose absence from the file means 退職: the whole ward's
	// active staff (ScopeWard, the zero value) or only those of some
	// departments (ScopeDepartments).
	Scope Scope
	// Departments are the codes of the departments, each with the ones
	// under it, whose active staff missing from the file are retired
	// (ScopeDepartments only).
	Departments []string
	// FileDepartments adds the departments the file's rows name (those
	// departments only, not the ones under them) to Departments
	// (ScopeDepartments only). With neither, nobody is retired for being
	// absent from the file.
	FileDepartments bool
	// CreateDepartments allows departments named in the file but not yet
	// registered to be created; otherwise such rows are errors.
	CreateDepartments bool
	// RetireLimit is the share of the active staff in scope, in percent,
	// that a plan may retire without consent; 0 means DefaultRetireLimit.
	RetireLimit int
	// RetireMissing is the user's consent to a plan that retires more than
	// RetireLimit: without it Apply refuses such a plan.
	RetireMissing bool
	// Source names what is imported (an upload, "blob:12") in the audit
	// log; Apply refuses a source that was imported before. Empty: no
	// such check (the command line).
	Source string
	// Mapping overrides header recognition: column index (0-based) →
	// field. FieldNone ignores a column.
	Mapping map[int]Field
}

// Scope is whose absence from the file means 退職.
type Scope int

// The scopes of an import.
const (
	// ScopeWard: the file is the whole ward's roster; every active person
	// missing from it is retired.
	ScopeWard Scope = iota
	// ScopeDepartments: the file covers some departments; only active
	// staff of Options.Departments / FileDepartments missing from it are
	// retired.
	ScopeDepartments
)

// DefaultRetireLimit is the share of the active staff in scope, in
// percent, an import may retire without the user's explicit consent.
const DefaultRetireLimit = 10

// Issue is one problem found in the file. Row is the row number as the
// user sees it in Excel (0 for the file as a whole); Column is the header
// text as written in the file.
type Issue struct {
	Row    int
	Column string
	Msg    string
}

// String formats the issue for logs and the CLI: "12行目 [氏名] 氏名が空欄です".
func (i Issue) String() string {
	s := i.Msg
	if i.Column != "" {
		s = "[" + i.Column + "] " + s
	}
	if i.Row > 0 {
		s = fmt.Sprintf("%d行目 %s", i.Row, s)
	}
	return s
}

// sortIssues orders issues by row, keeping the order found within a row.
func sortIssues(is []Issue) {
	sort.SliceStable(is, func(a, b int) bool { return is[a].Row < is[b].Row })
}

// InputError is a file the user must fix before it can be imported (wrong
// type, too large, unreadable, a 個人番号 column …). Msg is complete
// Japanese, safe to show as it is.
type InputError struct {
	Line int    // row the problem was found on; 0 for the whole file
	Msg  string // message for the user
	Err  error  // underlying cause, if any
}

// Error returns Msg.
func (e *InputError) Error() string { return e.Msg }

// Unwrap returns the underlying cause.
func (e *InputError) Unwrap() error { return e.Err }

// inputErr wraps a user-facing message with the operation name.
func inputErr(op string, line int, msg string, cause error) error {
	return fmt.Errorf("%s: %w", op, &InputError{Line: line, Msg: msg, Err: cause})
}
