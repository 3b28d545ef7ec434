package provision

// Warning is a doubtful spot found while reading a document, shown in the
// import preview. Line is the 1-based source line (or DOCX paragraph), the
// same as the Line of the provision concerned; Msg is complete Japanese and
// starts with the place ("12行目：", "12段落目："), so it can be shown on
// its own.
type Warning struct {
	Line int
	Msg  string
}

// MaxFileSize is the largest file ReadFile accepts (10 MB).
const MaxFileSize = 10 << 20

// Rename is one relabelling made by Renumber: the provision's kind, its
// label before and after ("" for an unnumbered first paragraph or a newly
// inserted provision), and its Line.
type Rename struct {
	Kind     Kind
	Old, New string
	Line     int
}

// InputError is a document that cannot be read as provisions (wrong or
// broken file, password-protected, too large, no numbering). Msg is
// complete Japanese, safe to show as it is.
type InputError struct {
	Line int    // line or DOCX paragraph the problem was found at; 0 for the whole file
	Msg  string // message for the user
	Err  error  // underlying cause, if any
}

// Error returns Msg.
func (e *InputError) Error() string { return e.Msg }

// Unwrap returns the underlying cause.
func (e *InputError) Unwrap() error { return e.Err }
