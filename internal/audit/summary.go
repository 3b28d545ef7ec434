package audit

// The year's picture across the audits (issue 13): compliance by chapter
// and section for each audited department and the ward, findings broken
// down, recurring problems, the years before, the witness records and
// what the other workstreams wrote into the improvement register. The
// summary report, the issue list, the dashboard and the external-audit
// results material are built from it.

// Summary is what Summarize computes for one fiscal year.
type Summary struct {
	FiscalYear  int
	Ward        string
	Engagements []SummaryEngagement // the year's internal audits, in code order
	Chapters    []string            // the chapters met in the checklists, in the 対策基準's order
	Departments []DeptCompliance    // one per audited department, in the organisation's order
	WardTotal   []ChapterResult     // per chapter across the ward (aligned with Chapters)
	Total       ChapterResult       // every assessed item of the year
	Sections    []SectionResult     // per chapter and section across the ward
	Problems    []Problem           // the 課題一覧: grouped problems, worst first
	// Filled by the rest of Summarize (see summary_*.go).
	Findings  FindingStats
	Recurring []Recurring
	Years     []YearResult // this year and the years before it in the database, oldest first
	FollowUp  FollowUpStats
	Changes   Changes  // item by item against the departments' previous audits
	Signals   []Signal // weak points other workstreams wrote into the register this year
}

// SummaryEngagement is one internal audit of the year.
type SummaryEngagement struct {
	ID         int64
	Code       string
	Department string
	Phase      Phase
	Final      bool // its report was issued
}

// DeptCompliance is one audited department's results by chapter.
type DeptCompliance struct {
	DepartmentID int64
	Department   string
	Engagement   string          // the engagement's code
	ByChapter    []ChapterResult // aligned with Summary.Chapters
	Total        ChapterResult
}

// SectionResult is one section (「5.1」…) across the ward.
type SectionResult struct {
	Chapter, Section string
	Result           ChapterResult
}

// Problem is one line of the 課題一覧: a problem found in one or more
// departments, with its countermeasure.
type Problem struct {
	ID             string // P-01 …
	Key            string // stable: the checklist item code, or the finding group
	Chapter        string
	Description    string
	Departments    []string
	Risk           string // 高・中・低
	Countermeasure string
	Owner          string
	Due            string // 和暦 date or ""
	Status         string // the register's status label
	// Added by the summary report (summary_calc.go).
	Cause     string   // the cause the findings give ("" for a recurring item without a finding)
	Sources   []string // what it comes from: 「2026-IA-01 指摘事項1」, 「チェックリスト IN-5.1-06」
	Recurring bool     // the same item failed in several departments
	Edited    bool     // Countermeasure is the stored override, not the finding's recommendation
	Proposed  string   // the countermeasure before any override (the finding's recommendation)
}

// FindingStats counts the year's findings.
type FindingStats struct {
	Total        int
	ByType       []Count
	ByRisk       []Count
	ByChapter    []Count
	ByThreat     []Count
	ByDepartment []Count
}

// Count is one labelled number.
type Count struct {
	Label string
	N     int
}

// Recurring is a checklist item failed in several departments.
type Recurring struct {
	ItemCode    string
	Question    string
	Chapter     string
	Departments []string
}

// YearResult is one year's ward-wide results by chapter.
type YearResult struct {
	FiscalYear int
	Total      ChapterResult
	ByChapter  []ChapterResult // aligned with Summary.Chapters
}

// Changes compares the year's judgements with the audited departments'
// previous audits, item by item.
type Changes struct {
	Compared int          // items judged (not 該当なし) both times
	Improved []ItemChange // better than before (× → △ or ○, △ → ○)
	Worse    []ItemChange // worse than before
}

// ItemChange is one item of one department whose judgement changed.
type ItemChange struct {
	ItemCode, Question, Chapter, Department string
	Before, After                           string // judgements
}

// FollowUpStats is how far the findings of the year before were followed up.
type FollowUpStats struct {
	LastYear  int
	Findings  int
	Improved  int // 改善済
	Partly    int // 一部改善
	NotYet    int // 未改善 or no verdict
	Completed float64
}

// Signal is a weak point another workstream reported through the register
// (self-assessment weak domains, incident countermeasures) this year.
type Signal struct {
	Source  string // the register's source label
	Title   string
	Clause  string
	Chapter string
}

// Change is the change in words, e.g. 「一部不適合 → 適合」.
func (c ItemChange) Change() string {
	return JudgementLabel(c.Before) + " → " + JudgementLabel(c.After)
}
