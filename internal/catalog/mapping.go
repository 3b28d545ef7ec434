package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/auditlog"
	"mamori/internal/database"
)

// This file holds clause mappings: which clause of one framework
// corresponds to which clause of another (guideline section ↔ ward policy
// article ↔ My Number measure ↔ system-standard section). A mapping is
// stored once, from one clause to the other, and read both ways.

// viaMappingCond narrows a query over clauses c to those no item checks
// directly but whose mapping partner (either direction) an item checks.
const viaMappingCond = `AND NOT EXISTS (SELECT 1 FROM checklist_item_clauses dic WHERE dic.clause_id = c.id)
	AND EXISTS (SELECT 1 FROM clause_mappings cm JOIN checklist_item_clauses pic
		ON pic.clause_id = (CASE WHEN cm.from_clause_id = c.id THEN cm.to_clause_id ELSE cm.from_clause_id END)
		WHERE cm.from_clause_id = c.id OR cm.to_clause_id = c.id)`

// MappedClause is the clause at the other end of a mapping, with its
// framework edition.
type MappedClause struct {
	ID               int64
	FrameworkID      int64
	FrameworkCode    string
	FrameworkTitle   string
	FrameworkVersion string
	Number, Title    string
}

// Ref is the clause's reference "<code>:<number>".
func (c MappedClause) Ref() string { return c.FrameworkCode + ":" + c.Number }

// ClauseMapping is one mapping as seen from a clause: Outgoing when the
// mapping was made from that clause (maps_to), incoming otherwise.
type ClauseMapping struct {
	ID        int64
	Outgoing  bool
	Other     MappedClause
	Note      string
	CreatedAt time.Time
	// OtherItems is how many checklist items check the other clause
	// (filled by Store.Mappings).
	OtherItems int
}

// Direction is the Japanese label of the mapping's direction.
func (m ClauseMapping) Direction() string {
	if m.Outgoing {
		return "→ 対応先"
	}
	return "← 対応元"
}

const mappedCols = `c.id, c.framework_id, f.code, f.title, f.version, c.number, c.title`

func scanMapped(sc interface{ Scan(...any) error }, extra ...any) (MappedClause, error) {
	var c MappedClause
	err := sc.Scan(append(extra, &c.ID, &c.FrameworkID, &c.FrameworkCode, &c.FrameworkTitle, &c.FrameworkVersion, &c.Number, &c.Title)...)
	return c, err
}

// Mappings returns the mappings of a clause in both directions, ordered by
// the other clause's framework and position.
func (s *Store) Mappings(ctx context.Context, clauseID int64) ([]ClauseMapping, error) {
	rows, err := s.db.Query(ctx, `SELECT m.id, m.from_clause_id, m.note, m.created_at,
		(SELECT COUNT(*) FROM checklist_item_clauses ic WHERE ic.clause_id = c.id), `+mappedCols+`
		FROM clause_mappings m
		JOIN clauses c ON c.id = (CASE WHEN m.from_clause_id = ? THEN m.to_clause_id ELSE m.from_clause_id END)
		JOIN frameworks f ON f.id = c.framework_id
		WHERE m.from_clause_id = ? OR m.to_clause_id = ?
		ORDER BY f.code, f.version, c.sort_order, m.id`, clauseID, clauseID, clauseID)
	if err != nil {
		return nil, fmt.Errorf("catalog.Mappings: %w", err)
	}
	defer rows.Close()
	var out []ClauseMapping
	for rows.Next() {
		var m ClauseMapping
		var from int64
		var at database.Time
		other, err := scanMapped(rows, &m.ID, &from, &m.Note, &at, &m.OtherItems)
		if err != nil {
			return nil, fmt.Errorf("catalog.Mappings: %w", err)
		}
		m.Other, m.Outgoing, m.CreatedAt = other, from == clauseID, at.Time
		out = append(out, m)
	}
	return out, rows.Err()
}

// FrameworkClauses lists a framework's clauses in document order as
// MappedClauses (for choosing a mapping target).
func (s *Store) FrameworkClauses(ctx context.Context, fid int64) ([]MappedClause, error) {
	rows, err := s.db.Query(ctx, "SELECT "+mappedCols+" FROM clauses c JOIN frameworks f ON f.id = c.framework_id WHERE c.framework_id = ? ORDER BY c.sort_order", fid)
	if err != nil {
		return nil, fmt.Errorf("catalog.FrameworkClauses: %w", err)
	}
	defer rows.Close()
	var out []MappedClause
	for rows.Next() {
		c, err := scanMapped(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// MappedClauseByID returns one clause with its framework edition.
func (s *Store) MappedClauseByID(ctx context.Context, id int64) (MappedClause, error) {
	c, err := scanMapped(s.db.QueryRow(ctx, "SELECT "+mappedCols+" FROM clauses c JOIN frameworks f ON f.id = c.framework_id WHERE c.id = ?", id))
	return c, database.NotFound("catalog.MappedClauseByID", err)
}

// RefError is a clause reference that is malformed or names no stored
// clause; Msg is shown to the person who typed it.
type RefError struct {
	Ref string
	Msg string
}

func (e *RefError) Error() string { return e.Msg }

// ParseRef splits a clause reference typed by a person: "mic-policy:4.1",
// also with a full-width colon or a space ("mic-policy 4.1"), or with the
// standard's short name as pages show it ("総務省ガイドライン 基本方針1").
func ParseRef(s string) (code, number string, err error) {
	s = strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(s, "：", ":"), "　", " "))
	if c, n, ok := shortRef(s); ok && n != "" && !strings.ContainsAny(n, ": ") {
		return c, n, nil
	}
	code, number, ok := strings.Cut(s, ":")
	if !ok {
		code, number, ok = strings.Cut(s, " ")
	}
	code, number = strings.TrimSpace(code), strings.TrimSpace(number)
	if !ok || code == "" || number == "" || strings.ContainsAny(number, ": ") || strings.Contains(code, " ") {
		return "", "", &RefError{Ref: s, Msg: fmt.Sprintf("「%s」は条項の書き方になっていません。基準の略称と番号（例: 総務省ガイドライン 4.1）か「枠組みコード:番号」（例: mic-policy:4.1）の形で書いてください", s)}
	}
	return code, number, nil
}

// ResolveRef finds the clause a reference names. When several editions of
// the framework are stored, prefer[code] (a framework id) is used if it has
// the number, else the newest stored edition that has it.
func (s *Store) ResolveRef(ctx context.Context, ref string, prefer map[string]int64) (MappedClause, error) {
	code, number, err := ParseRef(ref)
	if err != nil {
		return MappedClause{}, err
	}
	rows, err := s.db.Query(ctx, "SELECT "+mappedCols+" FROM clauses c JOIN frameworks f ON f.id = c.framework_id WHERE f.code = ? AND c.number = ? ORDER BY f.id DESC",
		code, number)
	if err != nil {
		return MappedClause{}, fmt.Errorf("catalog.ResolveRef: %w", err)
	}
	defer rows.Close()
	var found []MappedClause
	for rows.Next() {
		c, err := scanMapped(rows)
		if err != nil {
			return MappedClause{}, err
		}
		found = append(found, c)
	}
	if err := rows.Err(); err != nil {
		return MappedClause{}, err
	}
	if len(found) == 0 {
		var n int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM frameworks WHERE code = ?", code).Scan(&n); err != nil {
			return MappedClause{}, fmt.Errorf("catalog.ResolveRef: %w", err)
		}
		if n == 0 {
			return MappedClause{}, &RefError{Ref: ref, Msg: fmt.Sprintf("枠組み「%s」は登録されていません（%s）", code, ref)}
		}
		name := code + ":" + number
		if _, ok := frameworkNames[code]; ok {
			name = ClauseRefLabel(code, "", number)
		}
		return MappedClause{}, &RefError{Ref: ref, Msg: fmt.Sprintf("条項 %s は登録されていません", name)}
	}
	for _, c := range found {
		if c.FrameworkID == prefer[code] {
			return c, nil
		}
	}
	return found[0], nil
}

// MappingError is a mapping refused for a reason the person can fix.
type MappingError struct {
	Field string // "clause" or "note"
	Msg   string
}

func (e *MappingError) Error() string { return e.Msg }

// MaxMappingNote is the longest note a mapping may carry (characters).
const MaxMappingNote = 500

// AddMapping stores a mapping from one clause to another with a note, and
// records it in the audit log in the same transaction. It refuses a clause
// mapped to itself, two clauses of the same framework, a mapping that
// exists in either direction and clauses that do not exist.
func AddMapping(ctx context.Context, db *database.DB, log *auditlog.Log, from, to int64, note string, now time.Time) (int64, error) {
	note = strings.TrimSpace(note)
	if n := utf8.RuneCountInString(note); n > MaxMappingNote {
		return 0, &MappingError{Field: "note", Msg: fmt.Sprintf("備考は %d 字以内にしてください（%d 字あります）", MaxMappingNote, n)}
	}
	s := NewStore(db)
	var id int64
	err := db.WithTx(ctx, func(ctx context.Context) error {
		a, err := s.MappedClauseByID(ctx, from)
		if errors.Is(err, database.ErrNotFound) {
			return &MappingError{Field: "clause", Msg: "対応元の条項が見つかりません（削除されたか、番号が誤っています）"}
		} else if err != nil {
			return err
		}
		b, err := s.MappedClauseByID(ctx, to)
		if errors.Is(err, database.ErrNotFound) {
			return &MappingError{Field: "clause", Msg: "対応づける条項が見つかりません（削除されたか、番号が誤っています）"}
		} else if err != nil {
			return err
		}
		switch {
		case a.ID == b.ID:
			return &MappingError{Field: "clause", Msg: "同じ条項どうしは対応づけられません。別の枠組みの条項を選んでください"}
		case a.FrameworkCode == b.FrameworkCode:
			return &MappingError{Field: "clause", Msg: fmt.Sprintf("%s と %s は同じ枠組み（%s）の条項です。対応づけは別の枠組みの条項との間で行います", a.Ref(), b.Ref(), a.FrameworkTitle)}
		}
		// The two clauses locked (in id order) so that the same pair added
		// at once in both directions (PostgreSQL) is found by the later.
		for _, c := range []int64{min(a.ID, b.ID), max(a.ID, b.ID)} {
			if err := db.LockRow(ctx, "clauses", c); err != nil {
				return err
			}
		}
		var existing int64
		err = db.QueryRow(ctx, "SELECT id FROM clause_mappings WHERE (from_clause_id = ? AND to_clause_id = ?) OR (from_clause_id = ? AND to_clause_id = ?)",
			a.ID, b.ID, b.ID, a.ID).Scan(&existing)
		if err == nil {
			return &MappingError{Field: "clause", Msg: fmt.Sprintf("%s %s と %s %s の対応は既に登録されています", a.Ref(), a.Title, b.Ref(), b.Title)}
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		id, err = db.InsertID(ctx, "INSERT INTO clause_mappings (from_clause_id, to_clause_id, note, created_at) VALUES (?, ?, ?, ?)", a.ID, b.ID, note, database.T(now))
		if err != nil {
			return err
		}
		detail := fmt.Sprintf("%s（%s %s）→ %s（%s %s）", a.Ref(), a.FrameworkVersion, a.Title, b.Ref(), b.FrameworkVersion, b.Title)
		if note != "" {
			detail += " 備考: " + note
		}
		return log.Record(ctx, "catalog.mapping_add", fmt.Sprintf("clause_mapping:%d", id), detail)
	})
	var me *MappingError
	if errors.As(err, &me) {
		return 0, me
	}
	if err != nil {
		return 0, fmt.Errorf("catalog.AddMapping: %w", err)
	}
	return id, nil
}

// RemoveMapping deletes a mapping and records what it joined.
func RemoveMapping(ctx context.Context, db *database.DB, log *auditlog.Log, id int64) error {
	s := NewStore(db)
	err := db.WithTx(ctx, func(ctx context.Context) error {
		var from, to int64
		var note string
		if err := db.QueryRow(ctx, "SELECT from_clause_id, to_clause_id, note FROM clause_mappings WHERE id = ?", id).Scan(&from, &to, &note); err != nil {
			return database.NotFound("catalog.RemoveMapping", err)
		}
		a, err := s.MappedClauseByID(ctx, from)
		if err != nil {
			return err
		}
		b, err := s.MappedClauseByID(ctx, to)
		if err != nil {
			return err
		}
		if _, err := db.Exec(ctx, "DELETE FROM clause_mappings WHERE id = ?", id); err != nil {
			return err
		}
		detail := fmt.Sprintf("%s（%s %s）→ %s（%s %s）を削除", a.Ref(), a.FrameworkVersion, a.Title, b.Ref(), b.FrameworkVersion, b.Title)
		if note != "" {
			detail += " 備考: " + note
		}
		return log.Record(ctx, "catalog.mapping_remove", fmt.Sprintf("clause_mapping:%d", id), detail)
	})
	if err != nil {
		return fmt.Errorf("catalog.RemoveMapping: %w", err)
	}
	return nil
}

// MappingOf returns the two clause ids of a mapping.
func (s *Store) MappingOf(ctx context.Context, id int64) (from, to int64, err error) {
	err = s.db.QueryRow(ctx, "SELECT from_clause_id, to_clause_id FROM clause_mappings WHERE id = ?", id).Scan(&from, &to)
	return from, to, database.NotFound("catalog.MappingOf", err)
}

// PairCount is how many mappings join a framework edition with another.
type PairCount struct {
	Framework StoredFramework
	Mappings  int
}

// MappingPartners lists the other framework editions that have mappings
// with fid, most mappings first.
func (s *Store) MappingPartners(ctx context.Context, fid int64) ([]PairCount, error) {
	rows, err := s.db.Query(ctx, `SELECT f.id, f.code, f.version, f.title, f.publisher, COUNT(*) AS n
		FROM clause_mappings m
		JOIN clauses a ON a.id = m.from_clause_id
		JOIN clauses b ON b.id = m.to_clause_id
		JOIN frameworks f ON f.id = (CASE WHEN a.framework_id = ? THEN b.framework_id ELSE a.framework_id END)
		WHERE (a.framework_id = ? OR b.framework_id = ?) AND a.framework_id <> b.framework_id
		GROUP BY f.id, f.code, f.version, f.title, f.publisher
		ORDER BY n DESC, f.code, f.version`, fid, fid, fid)
	if err != nil {
		return nil, fmt.Errorf("catalog.MappingPartners: %w", err)
	}
	defer rows.Close()
	var out []PairCount
	for rows.Next() {
		var p PairCount
		if err := rows.Scan(&p.Framework.ID, &p.Framework.Code, &p.Framework.Version, &p.Framework.Title, &p.Framework.Publisher, &p.Mappings); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PairRow is one clause of a framework with the clauses of the other
// framework it is mapped to (either direction); Targets is empty when the
// clause has no mapping there.
type PairRow struct {
	Clause  StoredClause
	Targets []ClauseMapping
}

// PairTable is the mapping table between two framework editions: every
// clause of A (mapped or not), and B's clauses with no mapping to A.
type PairTable struct {
	A, B       StoredFramework
	Rows       []PairRow
	UnmappedB  []StoredClause
	MappedA    int // clauses of A with at least one mapping to B
	MappingsAB int
}

// Pair builds the mapping table between framework editions a and b.
func (s *Store) Pair(ctx context.Context, a, b int64) (*PairTable, error) {
	fa, err := s.Framework(ctx, a)
	if err != nil {
		return nil, err
	}
	fb, err := s.Framework(ctx, b)
	if err != nil {
		return nil, err
	}
	ca, err := s.ClauseTree(ctx, a)
	if err != nil {
		return nil, err
	}
	cb, err := s.ClauseTree(ctx, b)
	if err != nil {
		return nil, err
	}
	t := &PairTable{A: fa, B: fb}
	rows, err := s.db.Query(ctx, `SELECT m.id, m.from_clause_id, m.to_clause_id, m.note, m.created_at FROM clause_mappings m
		JOIN clauses x ON x.id = m.from_clause_id JOIN clauses y ON y.id = m.to_clause_id
		WHERE (x.framework_id = ? AND y.framework_id = ?) OR (x.framework_id = ? AND y.framework_id = ?)
		ORDER BY m.id`, a, b, b, a)
	if err != nil {
		return nil, fmt.Errorf("catalog.Pair: %w", err)
	}
	defer rows.Close()
	inA := map[int64]int{}
	for i, c := range ca {
		inA[c.ID] = i
	}
	byB := map[int64]StoredClause{}
	for _, c := range cb {
		byB[c.ID] = c
	}
	targets := map[int64][]ClauseMapping{}
	mappedB := map[int64]bool{}
	for rows.Next() {
		var id, from, to int64
		var note string
		var at database.Time
		if err := rows.Scan(&id, &from, &to, &note, &at); err != nil {
			return nil, err
		}
		aID, bID, outgoing := from, to, true
		if _, ok := inA[from]; !ok {
			aID, bID, outgoing = to, from, false
		}
		bc := byB[bID]
		targets[aID] = append(targets[aID], ClauseMapping{ID: id, Outgoing: outgoing, Note: note, CreatedAt: at.Time,
			Other: MappedClause{ID: bc.ID, FrameworkID: fb.ID, FrameworkCode: fb.Code, FrameworkTitle: fb.Title, FrameworkVersion: fb.Version, Number: bc.Number, Title: bc.Title}})
		mappedB[bID] = true
		t.MappingsAB++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	order := map[int64]int{}
	for i, c := range cb {
		order[c.ID] = i
	}
	for _, c := range ca {
		ts := targets[c.ID]
		sortMappings(ts, order)
		if len(ts) > 0 {
			t.MappedA++
		}
		t.Rows = append(t.Rows, PairRow{Clause: c, Targets: ts})
	}
	for _, c := range cb {
		if !mappedB[c.ID] {
			t.UnmappedB = append(t.UnmappedB, c)
		}
	}
	return t, nil
}

// sortMappings orders mappings by the other clause's document position.
func sortMappings(ms []ClauseMapping, order map[int64]int) {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && order[ms[j].Other.ID] < order[ms[j-1].Other.ID]; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
}

// ClauseLink is a mapping seen from one framework edition: the edition's
// clause and the clause of the other framework it is mapped to.
type ClauseLink struct {
	ClauseID int64 // the clause of the edition asked about
	Other    MappedClause
}

// ClauseLinks lists the mappings (either direction) between the clauses
// of framework edition fid and the clauses of any edition of the
// framework otherCode (the gap table reads the ward policy's mappings to
// every edition of the guideline with it).
func (s *Store) ClauseLinks(ctx context.Context, fid int64, otherCode string) ([]ClauseLink, error) {
	rows, err := s.db.Query(ctx, `SELECT w.id, `+mappedCols+` FROM clause_mappings m
		JOIN clauses w ON w.id = m.from_clause_id JOIN clauses c ON c.id = m.to_clause_id JOIN frameworks f ON f.id = c.framework_id
		WHERE w.framework_id = ? AND f.code = ?
		UNION ALL
		SELECT w.id, `+mappedCols+` FROM clause_mappings m
		JOIN clauses w ON w.id = m.to_clause_id JOIN clauses c ON c.id = m.from_clause_id JOIN frameworks f ON f.id = c.framework_id
		WHERE w.framework_id = ? AND f.code = ?`, fid, otherCode, fid, otherCode)
	if err != nil {
		return nil, fmt.Errorf("catalog.ClauseLinks: %w", err)
	}
	defer rows.Close()
	var out []ClauseLink
	for rows.Next() {
		var l ClauseLink
		if l.Other, err = scanMapped(rows, &l.ClauseID); err != nil {
			return nil, fmt.Errorf("catalog.ClauseLinks: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}
