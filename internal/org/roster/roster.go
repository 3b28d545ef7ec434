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
	// Partial means the file covers only part of the ward (one 部, say):
	// staff missing from it are left alone instead of being retired.
	Partial bool
	// CreateDepartments allows departments named in the file but not yet
	// registered to be created; otherwise such rows are errors.
	CreateDepartments bool
	// Mapping overrides header recognition: column index (0-based) →
	// field. FieldNone ignores a column.
	Mapping map[int]Field
}

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
