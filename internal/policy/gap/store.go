package gap

import (
	"context"
	"fmt"
	"strings"
	"time"

	"mamori/internal/auditlog"
	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/jp"
)

// Store reads and changes gap tables. The framework editions a table
// compares are read through the catalogue's store.
type Store struct {
	db  *database.DB
	log *auditlog.Log
	cat *catalog.Store
}

// NewStore returns a store on db that audits changes to log.
func NewStore(db *database.DB, log *auditlog.Log) *Store {
	return &Store{db: db, log: log, cat: catalog.NewStore(db)}
}

const tableCols = `t.id, t.title, t.fiscal_year, t.guideline_framework_id, t.ward_framework_id, COALESCE(t.previous_framework_id, 0), t.note, t.created_at, t.updated_at`

func scanTable(sc interface{ Scan(...any) error }, extra ...any) (Table, error) {
	var t Table
	var c, u database.Time
	err := sc.Scan(append([]any{&t.ID, &t.Title, &t.FiscalYear, &t.GuidelineID, &t.WardID, &t.PreviousID, &t.Note, &c, &u}, extra...)...)
	t.CreatedAt, t.UpdatedAt = c.Time, u.Time
	return t, err
}

// editions fills the tables' framework editions from the catalogue.
func (s *Store) editions(ctx context.Context, ts []Table) error {
	seen := map[int64]Edition{0: {}}
	edition := func(id int64) (Edition, error) {
		if e, ok := seen[id]; ok {
			return e, nil
		}
		f, err := s.cat.Framework(ctx, id)
		if err != nil {
			return Edition{}, err
		}
		seen[id] = Edition{Code: f.Code, Version: f.Version, Title: f.Title}
		return seen[id], nil
	}
	for i := range ts {
		var err error
		if ts[i].Guideline, err = edition(ts[i].GuidelineID); err != nil {
			return err
		}
		if ts[i].Ward, err = edition(ts[i].WardID); err != nil {
			return err
		}
		if ts[i].Previous, err = edition(ts[i].PreviousID); err != nil {
			return err
		}
	}
	return nil
}

// Tables lists every gap table, newest first, with its row count and the
// rows still without a status or decision.
func (s *Store) Tables(ctx context.Context) ([]Table, error) {
	rows, err := s.db.Query(ctx, `SELECT `+tableCols+`,
		(SELECT COUNT(*) FROM policy_gap_rows r WHERE r.table_id = t.id),
		(SELECT COUNT(*) FROM policy_gap_rows r WHERE r.table_id = t.id AND (r.status = '' OR (r.status IN ('一部反映', '未反映') AND r.decision IN ('', '検討中'))))
		FROM policy_gap_tables t ORDER BY t.fiscal_year DESC, t.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("gap.Tables: %w", err)
	}
	defer rows.Close()
	var out []Table
	for rows.Next() {
		var n, open int
		t, err := scanTable(rows, &n, &open)
		if err != nil {
			return nil, fmt.Errorf("gap.Tables: %w", err)
		}
		t.Rows, t.Unresolved = n, open
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if err := s.editions(ctx, out); err != nil {
		return nil, fmt.Errorf("gap.Tables: %w", err)
	}
	return out, nil
}

// Table returns one gap table.
func (s *Store) Table(ctx context.Context, id int64) (Table, error) {
	t, err := scanTable(s.db.QueryRow(ctx, "SELECT "+tableCols+" FROM policy_gap_tables t WHERE t.id = ?", id))
	if err != nil {
		return t, database.NotFound("gap.Table", err)
	}
	one := []Table{t}
	if err := s.editions(ctx, one); err != nil {
		return t, fmt.Errorf("gap.Table: %w", err)
	}
	return one[0], nil
}

// Neighbours returns the ids of the rows before and after row seq of a
// table (0 at either end), for stepping through the rows.
func (s *Store) Neighbours(ctx context.Context, tableID int64, seq int) (prev, next int64, err error) {
	err = s.db.QueryRow(ctx, `SELECT COALESCE((SELECT id FROM policy_gap_rows WHERE table_id = ? AND seq < ? ORDER BY seq DESC LIMIT 1), 0),
		COALESCE((SELECT id FROM policy_gap_rows WHERE table_id = ? AND seq > ? ORDER BY seq LIMIT 1), 0)`,
		tableID, seq, tableID, seq).Scan(&prev, &next)
	if err != nil {
		return 0, 0, fmt.Errorf("gap.Neighbours: %w", err)
	}
	return prev, next, nil
}

// Before counts the rows of a table before row seq (its place, 0-based).
func (s *Store) Before(ctx context.Context, tableID int64, seq int) (int, error) {
	var n int
	if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM policy_gap_rows WHERE table_id = ? AND seq < ?", tableID, seq).Scan(&n); err != nil {
		return 0, fmt.Errorf("gap.Before: %w", err)
	}
	return n, nil
}

const rowCols = `r.id, r.table_id, r.seq, r.kind, COALESCE(r.clause_id, 0), r.chapter_number, r.chapter_title, r.clause_number, r.clause_title, r.summary,
	r.previous_number, r.previous_title, r.previous_summary, r.change_kind, r.flag_unmapped, r.provisions, r.status, r.suggested_status,
	r.difference, r.issue, r.decision, r.decision_reason, r.decision_date, r.planned_change, r.updated_at`

func scanRow(sc interface{ Scan(...any) error }) (Row, error) {
	var r Row
	var u database.Time
	err := sc.Scan(&r.ID, &r.TableID, &r.Seq, &r.Kind, &r.ClauseID, &r.ChapterNumber, &r.ChapterTitle, &r.Number, &r.Title, &r.Summary,
		&r.PrevNumber, &r.PrevTitle, &r.PrevSummary, &r.ChangeKind, &r.Unmapped, &r.Provisions, &r.Status, &r.Suggested,
		&r.Difference, &r.Issue, &r.Decision, &r.Reason, &r.DecisionDate, &r.Planned, &u)
	r.UpdatedAt = u.Time
	return r, err
}

// Filter selects rows of a table. Empty fields select everything.
type Filter struct {
	Status   string // a status, or Unset for rows without one
	Decision string // a decision, or Unset
	Flag     string // "unmapped", "changed", "flagged" (either) or "none"
	Chapter  string // chapter title
	Q        string // words (folded: width and kana do not matter) in the clause, summaries, provisions or the notes
}

// Flag filter values with their labels.
var flagFilters = []struct{ Key, Label string }{
	{"flagged", "フラグあり"}, {"unmapped", FlagUnmapped}, {"changed", FlagChanged}, {"none", "フラグなし"},
}

// Empty reports whether the filter selects every row.
func (f Filter) Empty() bool { return f == Filter{} }

// Rows returns the rows of table id that f selects, in table order.
func (s *Store) Rows(ctx context.Context, id int64, f Filter) ([]Row, error) {
	conds, args := []string{"r.table_id = ?"}, []any{id}
	switch {
	case f.Status == Unset:
		conds = append(conds, "r.status = ''")
	case f.Status != "":
		conds, args = append(conds, "r.status = ?"), append(args, f.Status)
	}
	switch {
	case f.Decision == Unset:
		conds = append(conds, "r.decision = ''")
	case f.Decision != "":
		conds, args = append(conds, "r.decision = ?"), append(args, f.Decision)
	}
	changed := "r.change_kind IN ('" + ChangeModified + "', '" + ChangeAdded + "')"
	switch f.Flag {
	case "unmapped":
		conds = append(conds, "r.flag_unmapped = TRUE")
	case "changed":
		conds = append(conds, changed)
	case "flagged":
		conds = append(conds, "(r.flag_unmapped = TRUE OR "+changed+")")
	case "none":
		conds = append(conds, "r.flag_unmapped = FALSE AND NOT "+changed)
	}
	if f.Chapter != "" {
		conds, args = append(conds, "r.chapter_title = ?"), append(args, f.Chapter)
	}
	rows, err := s.db.Query(ctx, "SELECT "+rowCols+" FROM policy_gap_rows r WHERE "+strings.Join(conds, " AND ")+" ORDER BY r.seq", args...)
	if err != nil {
		return nil, fmt.Errorf("gap.Rows: %w", err)
	}
	defer rows.Close()
	words := jp.SearchWords(f.Q)
	var out []Row
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, fmt.Errorf("gap.Rows: %w", err)
		}
		if len(words) > 0 && !jp.MatchWords(r.SearchText(), words) {
			continue
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SearchText is what a search looks through on a row (jp.SearchText of
// the clause, the summaries, the provisions and the notes): matched in Go,
// so that width and kana fold the same on SQLite and PostgreSQL.
func (r Row) SearchText() string {
	return jp.SearchText(r.Number, r.Title, r.Summary, r.PrevSummary, r.Provisions, r.Difference, r.Issue, r.Planned, r.Reason)
}

// Row returns one row.
func (s *Store) Row(ctx context.Context, id int64) (Row, error) {
	r, err := scanRow(s.db.QueryRow(ctx, "SELECT "+rowCols+" FROM policy_gap_rows r WHERE r.id = ?", id))
	return r, database.NotFound("gap.Row", err)
}

// UpdateRow validates e and saves it on row id, audited with the fields
// that changed. It returns FieldErrors when e is not acceptable and
// reports whether anything changed.
func (s *Store) UpdateRow(ctx context.Context, id int64, e Edit, userID int64, now time.Time) (bool, error) {
	var changed bool
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		r, err := s.Row(ctx, id)
		if err != nil {
			return err
		}
		// Edits of a table one after another (see lockTable); the row is
		// read again once the others have finished.
		if err := s.lockTable(ctx, r.TableID); err != nil {
			return err
		}
		if r, err = s.Row(ctx, id); err != nil {
			return err
		}
		if fe := Check(r.Kind, &e); fe != nil {
			return fe
		}
		ch, err := s.apply(ctx, r, e, userID, now, "")
		changed = ch
		return err
	})
	if err != nil {
		return false, fmt.Errorf("gap.UpdateRow: %w", err)
	}
	return changed, nil
}

// lockTable locks table id until the transaction ends. A row is written
// back whole from what was read, so two edits of it at once (PostgreSQL:
// a bulk status change and an Excel import, say) would each write the
// other's fields back as they were; every edit locks its table first.
func (s *Store) lockTable(ctx context.Context, id int64) error {
	return s.db.LockRow(ctx, "policy_gap_tables", id)
}

// apply writes a checked edit to row r and audits it; via names where the
// change came from (an Excel file) for the audit detail.
func (s *Store) apply(ctx context.Context, r Row, e Edit, userID int64, now time.Time, via string) (bool, error) {
	fields := changedFields(EditOf(r), e)
	if len(fields) == 0 {
		return false, nil
	}
	var uid any
	if userID != 0 {
		uid = userID
	}
	if _, err := s.db.Exec(ctx, `UPDATE policy_gap_rows SET provisions = ?, status = ?, difference = ?, issue = ?, decision = ?, decision_reason = ?,
		decision_date = ?, planned_change = ?, updated_by = ?, updated_at = ? WHERE id = ?`,
		e.Provisions, e.Status, e.Difference, e.Issue, e.Decision, e.Reason, e.DecisionDate, e.Planned, uid, database.T(now), r.ID); err != nil {
		return false, err
	}
	if _, err := s.db.Exec(ctx, "UPDATE policy_gap_tables SET updated_at = ? WHERE id = ?", database.T(now), r.TableID); err != nil {
		return false, err
	}
	return true, s.log.Record(ctx, "policy.gap_row_update", fmt.Sprintf("policy_gap_row:%d", r.ID), describe(r, e, fields, via))
}

// describe says what changed on a row for the audit log: statuses and
// decisions with old and new values, text fields by name only.
func describe(r Row, e Edit, fields []string, via string) string {
	var parts []string
	old := EditOf(r)
	for _, f := range fields {
		switch f {
		case "status":
			parts = append(parts, fmt.Sprintf("状況 %s→%s", orUnset(old.Status), orUnset(e.Status)))
		case "decision":
			parts = append(parts, fmt.Sprintf("対応方針 %s→%s", orUnset(old.Decision), orUnset(e.Decision)))
		case "decision_date":
			parts = append(parts, fmt.Sprintf("決定日 %s→%s", orUnset(old.DecisionDate), orUnset(e.DecisionDate)))
		default:
			parts = append(parts, fieldLabels[f])
		}
	}
	d := fmt.Sprintf("表%d No.%d %s: %s", r.TableID, r.Seq, r.Clause(), strings.Join(parts, "、"))
	if via != "" {
		d += "（" + via + "）"
	}
	return d
}

func orUnset(s string) string {
	if s == "" {
		return Unset
	}
	return s
}

// BulkStatus sets the status of the rows ids of table tableID: to status,
// or, when status is "suggested", to each row's suggested status. Rows a
// status does not suit (独自規定 on a guideline clause) are refused with a
// message naming them; nothing is changed then. It returns the number of
// rows changed.
func (s *Store) BulkStatus(ctx context.Context, tableID int64, ids []int64, status string, userID int64, now time.Time) (int, error) {
	if len(ids) == 0 {
		return 0, FieldErrors{"rows": "状況を変える行を選んでください。"}
	}
	if status != "suggested" && status != Unset && !ValidStatus(status) {
		return 0, FieldErrors{"status": "設定する状況を選んでください。"}
	}
	n := 0
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		if err := s.lockTable(ctx, tableID); err != nil {
			return err
		}
		var bad []string
		for _, id := range ids {
			r, err := s.Row(ctx, id)
			if err != nil {
				return err
			}
			if r.TableID != tableID {
				return database.NotFound("gap.BulkStatus", fmt.Errorf("row %d of another table: %w", id, database.ErrNotFound))
			}
			e := EditOf(r)
			e.Status = status
			if status == "suggested" {
				e.Status = r.Suggested
			}
			if fe := Check(r.Kind, &e); fe != nil {
				bad = append(bad, fmt.Sprintf("No.%d: %s", r.Seq, fe.Error()))
				continue
			}
			ch, err := s.apply(ctx, r, e, userID, now, "一括変更")
			if err != nil {
				return err
			}
			if ch {
				n++
			}
		}
		if len(bad) > 0 {
			return FieldErrors{"rows": "次の行は変更できません（どの行も変更していません）。" + strings.Join(bad, " ")}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("gap.BulkStatus: %w", err)
	}
	return n, nil
}

// Summary is the counts a table page and the PDF cover show.
type Summary struct {
	Total      int
	ByStatus   []Count // Statuses then 未設定
	ByDecision []Count // Decisions then 未設定
	Unmapped   int
	Changed    int
	Chapters   []ChapterCounts
}

// Count is a label with a number.
type Count struct {
	Label string
	N     int
}

// ChapterCounts is one line of the chapter × status matrix.
type ChapterCounts struct {
	Chapter string // display label
	Title   string // filter key
	Counts  []int  // by Summary's status order
	Total   int
}

// StatusColumns are the matrix's columns: every status, then 未設定.
func StatusColumns() []string { return append(append([]string(nil), Statuses...), Unset) }

// Summarize counts rows by status, decision, flag and chapter.
func Summarize(rows []Row) Summary {
	cols := StatusColumns()
	idx := map[string]int{}
	for i, c := range cols {
		idx[c] = i
	}
	s := Summary{Total: len(rows)}
	st := make([]int, len(cols))
	dec := map[string]int{}
	var chapters []ChapterCounts
	chIdx := map[string]int{}
	for _, r := range rows {
		k := idx[r.StatusLabel()]
		st[k]++
		dec[orUnset(r.Decision)]++
		if r.Unmapped {
			s.Unmapped++
		}
		if r.Changed() {
			s.Changed++
		}
		ci, ok := chIdx[r.ChapterTitle]
		if !ok {
			ci = len(chapters)
			chIdx[r.ChapterTitle] = ci
			chapters = append(chapters, ChapterCounts{Chapter: r.Chapter(), Title: r.ChapterTitle, Counts: make([]int, len(cols))})
		}
		chapters[ci].Counts[k]++
		chapters[ci].Total++
	}
	for i, c := range cols {
		s.ByStatus = append(s.ByStatus, Count{c, st[i]})
	}
	for _, d := range append(append([]string(nil), Decisions...), Unset) {
		s.ByDecision = append(s.ByDecision, Count{d, dec[d]})
	}
	s.Chapters = chapters
	return s
}
