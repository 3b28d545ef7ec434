package gap

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/auditlog"
	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/jp"
)

// NewTable is what creating a gap table needs.
type NewTable struct {
	Title       string
	FiscalYear  int
	GuidelineID int64 // the guideline edition (a framework edition)
	WardID      int64 // the ward policy (a framework edition)
	PreviousID  int64 // optional: the guideline's previous edition
	Note        string
}

// edition is a framework edition with its clause tree.
type edition struct {
	catalog.StoredFramework
	clauses []catalog.StoredClause
	byID    map[int64]int // clause id → index
}

func loadEdition(ctx context.Context, s *catalog.Store, id int64) (*edition, error) {
	f, err := s.Framework(ctx, id)
	if err != nil {
		return nil, err
	}
	cs, err := s.ClauseTree(ctx, id)
	if err != nil {
		return nil, err
	}
	e := &edition{StoredFramework: f, clauses: cs, byID: map[int64]int{}}
	for i, c := range cs {
		e.byID[c.ID] = i
	}
	return e, nil
}

// root returns the top-level ancestor of clause i.
func (e *edition) root(i int) catalog.StoredClause {
	c := e.clauses[i]
	for c.ParentID != 0 {
		j, ok := e.byID[c.ParentID]
		if !ok {
			break
		}
		c = e.clauses[j]
	}
	return c
}

// leaf reports whether clause i has no children.
func (e *edition) leaf(i int) bool {
	return i+1 >= len(e.clauses) || e.clauses[i+1].ParentID != e.clauses[i].ID
}

// framework turns the stored tree back into the content form catalog.Diff
// compares.
func (e *edition) framework() *catalog.Framework {
	f := &catalog.Framework{Code: e.Code, Version: e.Version, Title: e.Title}
	var build func(parent int64) []catalog.Clause
	children := map[int64][]int{}
	for i, c := range e.clauses {
		children[c.ParentID] = append(children[c.ParentID], i)
	}
	build = func(parent int64) []catalog.Clause {
		var out []catalog.Clause
		for _, i := range children[parent] {
			c := e.clauses[i]
			out = append(out, catalog.Clause{Number: c.Number, Title: c.Title, Summary: c.Summary, Children: build(c.ID)})
		}
		return out
	}
	f.Clauses = build(0)
	return f
}

var (
	chapterNumRe = regexp.MustCompile(`^第[0-9０-９一二三四五六七八九十百]+章$`)
	basicItemRe  = regexp.MustCompile(`^B[0-9]+$`)
)

// provisionLabel names a ward provision as drafters cite it:
// 対策基準第19条（サーバ等の管理）, 基本方針第5条（職員等の遵守義務）, or for
// frameworks numbered otherwise "4.1 サーバ等の管理".
func (e *edition) provisionLabel(i int) string {
	c := e.clauses[i]
	num := c.Number
	if strings.HasPrefix(num, "第") || strings.HasPrefix(num, "基本方針") {
		if r := e.root(i); r.ID != c.ID && strings.HasPrefix(num, "第") && chapterNumRe.MatchString(r.Number) {
			num = "対策基準" + num
		}
		if c.Title == "" {
			return num
		}
		return num + "（" + c.Title + "）"
	}
	return strings.TrimSpace(num + " " + c.Title)
}

func sameText(a, b string) bool {
	norm := func(s string) string { return strings.Join(strings.Fields(jp.Normalize(s)), "") }
	return norm(a) == norm(b)
}

// Create builds a gap table from the catalogue and stores it with its
// rows in one transaction, audited. Rows: one per guideline clause that
// has no sub-clauses (sections and the 基本方針 items; chapters become group
// headings), with the ward provisions mapped to it in either direction,
// then one row per ward provision mapped to no clause of the guideline
// (独自規定).
func Create(ctx context.Context, db *database.DB, log *auditlog.Log, nt NewTable, userID int64, now time.Time) (int64, error) {
	fe := FieldErrors{}
	nt.Title = clean(nt.Title)
	nt.Note = clean(nt.Note)
	switch {
	case nt.Title == "":
		fe["title"] = "表題を入力してください。"
	case utf8.RuneCountInString(nt.Title) > 200:
		fe["title"] = "表題は 200 文字以内にしてください。"
	}
	if utf8.RuneCountInString(nt.Note) > MaxText {
		fe["note"] = fmt.Sprintf("備考は %d 文字以内にしてください。", MaxText)
	}
	if nt.FiscalYear < 2000 || nt.FiscalYear > 2100 {
		fe["fiscal_year"] = "年度を選んでください。"
	}
	s := catalog.NewStore(db)
	guide, ward, prev := (*edition)(nil), (*edition)(nil), (*edition)(nil)
	var err error
	if nt.GuidelineID == 0 {
		fe["guideline"] = "ガイドラインの版を選んでください。"
	} else if guide, err = loadEdition(ctx, s, nt.GuidelineID); err != nil {
		fe["guideline"] = "選んだガイドラインの版が見つかりません。"
	}
	if nt.WardID == 0 {
		fe["ward"] = "区のポリシーを選んでください。"
	} else if ward, err = loadEdition(ctx, s, nt.WardID); err != nil {
		fe["ward"] = "選んだ区のポリシーが見つかりません。"
	}
	if nt.PreviousID != 0 {
		if prev, err = loadEdition(ctx, s, nt.PreviousID); err != nil {
			fe["previous"] = "選んだ前の版が見つかりません。"
		}
	}
	if guide != nil && ward != nil && guide.Code == ward.Code {
		fe["ward"] = "区のポリシーには、ガイドラインとは別の枠組みを選んでください。"
	}
	if guide != nil && prev != nil {
		switch {
		case prev.ID == guide.ID:
			fe["previous"] = "前の版には、比べるガイドラインとは別の版を選んでください。"
		case prev.Code != guide.Code:
			fe["previous"] = fmt.Sprintf("前の版は、同じガイドライン（%s）の別の版を選んでください。", guide.Title)
		}
	}
	if guide != nil && len(guide.clauses) == 0 {
		fe["guideline"] = "選んだガイドラインの版には条項がありません。"
	}
	if len(fe) > 0 {
		return 0, fe
	}
	rows, err := buildRows(ctx, s, guide, ward, prev)
	if err != nil {
		return 0, fmt.Errorf("gap.Create: %w", err)
	}
	var id int64
	err = db.WithTx(ctx, func(ctx context.Context) error {
		var prevID, uid any
		if prev != nil {
			prevID = prev.ID
		}
		if userID != 0 {
			uid = userID
		}
		var err error
		id, err = db.InsertID(ctx, `INSERT INTO policy_gap_tables (title, fiscal_year, guideline_framework_id, ward_framework_id, previous_framework_id, note, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, nt.Title, nt.FiscalYear, guide.ID, ward.ID, prevID, nt.Note, uid, database.T(now), database.T(now))
		if err != nil {
			return err
		}
		for _, r := range rows {
			var cid any
			if r.ClauseID != 0 {
				cid = r.ClauseID
			}
			if _, err := db.Exec(ctx, `INSERT INTO policy_gap_rows (table_id, seq, kind, clause_id, chapter_number, chapter_title, clause_number, clause_title, summary,
				previous_number, previous_title, previous_summary, change_kind, flag_unmapped, provisions, status, suggested_status, updated_by, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, r.Seq, r.Kind, cid, r.ChapterNumber, r.ChapterTitle, r.Number, r.Title, r.Summary,
				r.PrevNumber, r.PrevTitle, r.PrevSummary, r.ChangeKind, r.Unmapped, r.Provisions, r.Status, r.Suggested, uid, database.T(now)); err != nil {
				return fmt.Errorf("row %d: %w", r.Seq, err)
			}
		}
		var unmapped, changed int
		for _, r := range rows {
			if r.Unmapped {
				unmapped++
			}
			if r.Changed() {
				changed++
			}
		}
		detail := fmt.Sprintf("%s（%s × %s、%d 行、対応規定なし %d、改定で変更 %d）", nt.Title, guide.Version, ward.Title, len(rows), unmapped, changed)
		return log.Record(ctx, "policy.gap_create", fmt.Sprintf("policy_gap_table:%d", id), detail)
	})
	if err != nil {
		return 0, fmt.Errorf("gap.Create: %w", err)
	}
	return id, nil
}

// buildRows computes the pre-filled rows of a new table.
func buildRows(ctx context.Context, s *catalog.Store, guide, ward, prev *edition) ([]Row, error) {
	// How clauses changed since the previous edition: catalog.Diff follows
	// renumbered clauses by title; text changes are found by comparing the
	// summaries of the clauses it pairs.
	oldOf := map[string]string{} // new number → old number
	added := map[string]bool{}
	renumbered := map[string]string{} // old number → new number
	var prevByNumber map[string]catalog.StoredClause
	if prev != nil {
		prevByNumber = map[string]catalog.StoredClause{}
		for _, c := range prev.clauses {
			prevByNumber[c.Number] = c
		}
		for _, c := range guide.clauses {
			if _, ok := prevByNumber[c.Number]; ok {
				oldOf[c.Number] = c.Number
			}
		}
		for _, ch := range catalog.Diff(prev.framework(), guide.framework()) {
			switch ch.Kind {
			case catalog.Added:
				added[ch.NewNumber] = true
				delete(oldOf, ch.NewNumber)
			case catalog.Renumbered, catalog.Retitled:
				oldOf[ch.NewNumber] = ch.OldNumber
				renumbered[ch.OldNumber] = ch.NewNumber
			}
		}
	}

	// Mappings between the ward's clauses and any edition of the
	// guideline, keyed by the guideline clause's number in this edition.
	mapped, err := s.ClauseLinks(ctx, ward.ID, guide.Code)
	if err != nil {
		return nil, fmt.Errorf("gap mappings: %w", err)
	}
	provisions := map[string][]int{} // guideline number → ward clause indexes
	wardMapped := map[int]bool{}
	for _, m := range mapped {
		wi, ok := ward.byID[m.ClauseID]
		if !ok {
			continue
		}
		num := m.Other.Number
		if prev != nil && m.Other.FrameworkID == prev.ID {
			if n, ok := renumbered[num]; ok {
				num = n
			}
		}
		wardMapped[wi] = true
		if !slices.Contains(provisions[num], wi) {
			provisions[num] = append(provisions[num], wi)
		}
	}

	var rows []Row
	seq := 0
	for i, c := range guide.clauses {
		if !guide.leaf(i) {
			continue
		}
		seq++
		r := Row{Seq: seq, Kind: KindGuideline, ClauseID: c.ID, Number: c.Number, Title: c.Title, Summary: c.Summary}
		switch root := guide.root(i); {
		case root.ID != c.ID:
			r.ChapterNumber, r.ChapterTitle = root.Number, root.Title
		case basicItemRe.MatchString(c.Number):
			r.ChapterTitle = "基本方針"
		default:
			r.ChapterNumber, r.ChapterTitle = c.Number, c.Title
		}
		ws := provisions[c.Number]
		slices.Sort(ws)
		var labels []string
		for _, wi := range ws {
			labels = append(labels, ward.provisionLabel(wi))
		}
		r.Provisions = strings.Join(labels, "\n")
		r.Unmapped = len(ws) == 0
		if prev != nil {
			if added[c.Number] {
				r.ChangeKind = ChangeAdded
			} else if on, ok := oldOf[c.Number]; ok {
				old := prevByNumber[on]
				r.PrevNumber, r.PrevTitle, r.PrevSummary = old.Number, old.Title, old.Summary
				switch {
				case !sameText(old.Title, c.Title) || !sameText(old.Summary, c.Summary):
					r.ChangeKind = ChangeModified
				case on != c.Number:
					r.ChangeKind = ChangeRenumbered
				}
			} else {
				r.ChangeKind = ChangeAdded
			}
			if r.ChangeKind != ChangeModified && r.ChangeKind != ChangeRenumbered {
				r.PrevNumber, r.PrevTitle, r.PrevSummary = "", "", ""
			}
		}
		switch {
		case r.Unmapped:
			r.Status, r.Suggested = StatusNotReflected, StatusNotReflected
		case r.Changed():
			r.Suggested = StatusPartial
		default:
			r.Suggested = StatusReflected
		}
		rows = append(rows, r)
	}
	for i, c := range ward.clauses {
		if !ward.leaf(i) || wardMapped[i] || strings.Contains(c.Number, "附則") {
			continue
		}
		// a chapter or document mapped as a whole covers its articles
		if covered(ward, i, wardMapped) {
			continue
		}
		seq++
		r := Row{Seq: seq, Kind: KindWard, ClauseID: c.ID, ChapterTitle: "区の独自規定", Summary: c.Summary,
			Provisions: ward.provisionLabel(i), Status: StatusOwn, Suggested: StatusOwn}
		rows = append(rows, r)
	}
	return rows, nil
}

// covered reports whether an ancestor of ward clause i is mapped.
func covered(e *edition, i int, mapped map[int]bool) bool {
	c := e.clauses[i]
	for c.ParentID != 0 {
		j, ok := e.byID[c.ParentID]
		if !ok {
			return false
		}
		if mapped[j] {
			return true
		}
		c = e.clauses[j]
	}
	return false
}
