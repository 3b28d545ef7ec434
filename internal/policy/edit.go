package policy

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"mamori/internal/database"
	"mamori/internal/policy/provision"
)

// Op is one edit of a revision draft.
type Op struct {
	Kind ChangeKind
	// At is the unit edited, deleted or moved (a Unit.Path).
	At string
	// After is where an insertion or a move goes: a unit's path (after
	// it), a container's path (first in that chapter) or "" (first in the
	// document).
	After string
	// Text is the unit's drafting text for an edit or an insertion.
	Text string
}

// ChangeMeta is what the drafter says about a change.
type ChangeMeta struct {
	Reason      string
	Audiences   []Audience
	StaffAction string
	GapRowIDs   []int64
}

// Validate checks the metadata (Japanese messages naming the field).
func (m *ChangeMeta) Validate() error {
	m.Reason = strings.TrimSpace(m.Reason)
	m.StaffAction = strings.TrimSpace(m.StaffAction)
	switch {
	case m.Reason == "":
		return fmt.Errorf("改正理由: 入力してください")
	case len([]rune(m.Reason)) > 2000:
		return fmt.Errorf("改正理由: 2,000 文字以内で入力してください")
	case len([]rune(m.StaffAction)) > 2000:
		return fmt.Errorf("職員が行うこと: 2,000 文字以内で入力してください")
	case len(m.GapRowIDs) > 200:
		return fmt.Errorf("整合表の行: 200 行までにしてください")
	case m.StaffAction != "" && len(m.Audiences) == 0:
		return fmt.Errorf("対象者: 職員が行うことを書いたときは、対象者を選んでください")
	}
	return nil
}

// ErrStale refuses an edit made on an outdated page.
var ErrStale = &InputError{Msg: "この改正案は、画面を開いた後に更新されています。最新の内容を表示し直してから、もう一度操作してください。"}

// Result is what an applied edit did.
type Result struct {
	Change  Change
	Renames []RenameView // article renumbering caused by the edit
	Other   int          // renumbered paragraphs/items (not listed)
}

// Apply makes one change to a draft: the tree is edited, checked and
// renumbered, earlier changes follow the renumbering, and the change is
// recorded with its metadata, all in one transaction with the audit entry.
// rev is the draft revision the user saw (0: do not check).
func (s *Store) Apply(ctx context.Context, versionID int64, rev int, op Op, meta ChangeMeta, by Author) (*Result, error) {
	defer s.docs.forget()
	if err := meta.Validate(); err != nil {
		return nil, &InputError{Msg: err.Error()}
	}
	var res *Result
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// One change at a time per draft: the tree is read, edited here and
		// written back whole, so two changes at once (PostgreSQL) would
		// both edit the same old tree and the later would drop the other.
		if err := s.db.LockRow(ctx, "policy_versions", versionID); err != nil {
			return err
		}
		v, err := s.Version(ctx, versionID)
		if err != nil {
			return err
		}
		if v.Status != StatusDraft {
			return &InputError{Msg: fmt.Sprintf("この版は%sのため変更できません。改正案を作成してから編集してください。", v.Status.Label())}
		}
		if rev != 0 && rev != v.Rev {
			return ErrStale
		}
		tree, err := s.Tree(ctx, versionID)
		if err != nil {
			return err
		}
		res, err = applyOp(tree, op)
		if err != nil {
			return err
		}
		enc, err := EncodeTree(tree)
		if err != nil {
			return err
		}
		now := database.T(s.now())
		if _, err := s.db.Exec(ctx, "UPDATE policy_versions SET rev = rev + 1, updated_at = ? WHERE id = ?", now, versionID); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "UPDATE policy_version_trees SET tree = ? WHERE version_id = ?", enc, versionID); err != nil {
			return err
		}
		// Earlier changes follow the renumbering.
		if len(res.Renames) > 0 {
			m := map[string]string{}
			for _, r := range res.Renames {
				m[r.Old] = r.New
			}
			old, err := s.changeRows(ctx, versionID)
			if err != nil {
				return err
			}
			for _, c := range old {
				if c.Kind == ChangeDelete {
					continue
				}
				if nk, ok := m[c.ArticleKey]; ok {
					if _, err := s.db.Exec(ctx, "UPDATE policy_changes SET article_key = ? WHERE id = ?", nk, c.ID); err != nil {
						return err
					}
				}
			}
		}
		c := &res.Change
		c.VersionID, c.Reason, c.Audiences, c.StaffAction, c.AuthorID, c.AuthorName = versionID, meta.Reason, meta.Audiences, meta.StaffAction, by.ID, by.Name
		if err := s.db.QueryRow(ctx, "SELECT COALESCE(MAX(seq), 0) + 1 FROM policy_changes WHERE version_id = ?", versionID).Scan(&c.Seq); err != nil {
			return err
		}
		renames, _ := json.Marshal(res.Renames)
		c.ID, err = s.db.InsertID(ctx, `INSERT INTO policy_changes (version_id, seq, kind, article_key, old_key, caption, old_text, new_text, reason, audience,
			staff_action, renames, author_id, author_name, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			versionID, c.Seq, string(c.Kind), c.ArticleKey, c.OldKey, c.Caption, c.OldText, c.NewText, c.Reason, joinAudiences(c.Audiences),
			c.StaffAction, string(renames), nullID(by.ID), by.Name, now, now)
		if err != nil {
			return err
		}
		if err := s.setGaps(ctx, c.ID, meta.GapRowIDs); err != nil {
			return err
		}
		c.GapRowIDs = meta.GapRowIDs
		detail := fmt.Sprintf("%s: %s", v.Name(), c.Title())
		if len(res.Renames) > 0 {
			detail += fmt.Sprintf("（以降 %d 条の番号を整理）", len(res.Renames))
		}
		return s.log.Record(ctx, "policy.change_"+string(c.Kind), fmt.Sprintf("policy_change:%d", c.ID), detail)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// applyOp edits tree in place and renumbers it.
func applyOp(tree *provision.Document, op Op) (*Result, error) {
	article := hasArticles(tree)
	before := unitLabels(tree)
	res := &Result{Change: Change{Kind: op.Kind}}
	var subject *provision.Node // the unit the change leaves in the tree
	findAfter := func() (*provision.Node, error) {
		if op.After == "" {
			return nil, nil
		}
		if u, ok := unitAt(tree, op.After); ok {
			return u.Node, nil
		}
		for _, c := range Containers(tree) {
			if c.Path == op.After {
				return c.Node, nil
			}
		}
		return nil, &InputError{Msg: "挿入・移動する位置が見つかりません。画面を表示し直してください。"}
	}
	// place puts n after target (a unit), first in target (a container)
	// or first in the document (nil).
	place := func(n, target *provision.Node) {
		if target == nil {
			insertAt(&tree.Nodes, firstUnitIndex(tree.Nodes), n)
			return
		}
		if structural(target.Kind) && (!article || target.Kind != provision.Article) && !isUnitNode(tree, target) {
			insertAt(&target.Children, firstUnitIndex(target.Children), n)
			return
		}
		s, i := locate(tree, target)
		insertAt(s, i+1, n)
	}
	switch op.Kind {
	case ChangeEdit, ChangeDelete, ChangeMove:
		u, ok := unitAt(tree, op.At)
		if !ok {
			return nil, &InputError{Msg: "対象の条が見つかりません。画面を表示し直してください。"}
		}
		res.Change.OldKey = headingKey(u.Node)
		res.Change.OldText = u.Node.Plain()
		res.Change.Caption = u.Node.Caption
		sl, idx := locate(tree, u.Node)
		switch op.Kind {
		case ChangeEdit:
			n, err := parseUnit(op.Text, article)
			if err != nil {
				return nil, err
			}
			// Numbers are the renumbering's business: the edited unit keeps
			// its place's number whatever the user typed, so references to
			// other provisions are not rewritten by mistake.
			n.Label, n.Num, n.Branch = u.Node.Label, u.Node.Num, u.Node.Branch
			keepParagraphNumbers(u.Node, n)
			(*sl)[idx] = n
			before[n] = before[u.Node]
			delete(before, u.Node)
			subject = n
		case ChangeDelete:
			removeAt(sl, idx)
			res.Change.ArticleKey = res.Change.OldKey
		case ChangeMove:
			target, err := findAfter()
			if err != nil {
				return nil, err
			}
			if target == u.Node {
				return nil, &InputError{Msg: "移動先に同じ条は選べません。"}
			}
			removeAt(sl, idx)
			place(u.Node, target)
			subject = u.Node
		}
	case ChangeInsert:
		target, err := findAfter()
		if err != nil {
			return nil, err
		}
		n, err := parseUnit(op.Text, article)
		if err != nil {
			return nil, err
		}
		// A new provision is no reference target yet: Renumber resolves
		// references by the numbers provisions carried before the edit.
		n.Num = 0
		place(n, target)
		subject = n
		res.Change.Caption = n.Caption
	default:
		return nil, &InputError{Msg: "変更の種類が正しくありません。"}
	}
	if err := CheckTree(tree); err != nil {
		return nil, err
	}
	renames := provision.Renumber(tree)
	for _, r := range renames {
		if r.Kind != provision.Article {
			res.Other++
		}
	}
	// Renumbering of the units that were there before, by identity (the
	// user's own label on a new article is not a rename).
	for _, u := range Units(tree) {
		old, ok := before[u.Node]
		if ok && old != u.Node.Label && u.Node != subject {
			res.Renames = append(res.Renames, RenameView{Kind: u.Node.Kind.String(), Old: old, New: u.Node.Label})
		}
	}
	if subject != nil {
		res.Change.ArticleKey = headingKey(subject)
		res.Change.NewText = subject.Plain()
		res.Change.Caption = subject.Caption
		if op.Kind == ChangeMove && res.Change.OldKey != res.Change.ArticleKey {
			res.Renames = append(res.Renames, RenameView{Kind: subject.Kind.String(), Old: res.Change.OldKey, New: res.Change.ArticleKey})
		}
	}
	if op.Kind == ChangeEdit && res.Change.NewText == res.Change.OldText {
		return nil, &InputError{Msg: "条文が変わっていません。変更する内容を入力してください。"}
	}
	if op.Kind == ChangeMove && len(res.Renames) == 0 {
		return nil, &InputError{Msg: "その位置へ移しても順序が変わりません。別の移動先を選んでください。"}
	}
	return res, nil
}

func isUnitNode(tree *provision.Document, n *provision.Node) bool {
	for _, u := range Units(tree) {
		if u.Node == n {
			return true
		}
	}
	return false
}

// firstUnitIndex is where a unit goes when put first among ns: after any
// leading unnumbered text (a chapter's preface).
func firstUnitIndex(ns []*provision.Node) int {
	i := 0
	for i < len(ns) && ns[i].Kind == provision.Text {
		i++
	}
	return i
}

// UpdateChange rewrites a change's reason, audience, staff action and cited
// gap rows.
func (s *Store) UpdateChange(ctx context.Context, id int64, meta ChangeMeta) error {
	if err := meta.Validate(); err != nil {
		return &InputError{Msg: err.Error()}
	}
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		c, err := s.Change(ctx, id)
		if err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "UPDATE policy_changes SET reason = ?, audience = ?, staff_action = ?, updated_at = ? WHERE id = ?",
			meta.Reason, joinAudiences(meta.Audiences), meta.StaffAction, database.T(s.now()), id); err != nil {
			return err
		}
		if _, err := s.db.Exec(ctx, "DELETE FROM policy_change_gaps WHERE change_id = ?", id); err != nil {
			return err
		}
		if err := s.setGaps(ctx, id, meta.GapRowIDs); err != nil {
			return err
		}
		return s.log.Record(ctx, "policy.change_update", fmt.Sprintf("policy_change:%d", id), c.Title()+" の改正理由等を更新")
	})
}

func (s *Store) setGaps(ctx context.Context, changeID int64, ids []int64) error {
	seen := map[int64]bool{}
	for _, g := range ids {
		if seen[g] {
			continue
		}
		seen[g] = true
		var n int
		if err := s.db.QueryRow(ctx, "SELECT COUNT(*) FROM policy_gap_rows WHERE id = ?", g).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return &InputError{Msg: fmt.Sprintf("整合表の行: 行 %d は見つかりません。", g)}
		}
		if _, err := s.db.Exec(ctx, "INSERT INTO policy_change_gaps (change_id, gap_row_id) VALUES (?, ?)", changeID, g); err != nil {
			return err
		}
	}
	return nil
}

const changeCols = `c.id, c.version_id, c.seq, c.kind, c.article_key, c.old_key, c.caption, c.old_text, c.new_text, c.reason, c.audience,
	c.staff_action, c.renames, COALESCE(c.author_id, 0), c.author_name, c.created_at, c.updated_at`

func scanChange(sc interface{ Scan(...any) error }) (Change, error) {
	var c Change
	var kind, aud, renames string
	var ca, ua database.Time
	err := sc.Scan(&c.ID, &c.VersionID, &c.Seq, &kind, &c.ArticleKey, &c.OldKey, &c.Caption, &c.OldText, &c.NewText, &c.Reason, &aud,
		&c.StaffAction, &renames, &c.AuthorID, &c.AuthorName, &ca, &ua)
	if err != nil {
		return c, err
	}
	c.Kind, c.CreatedAt, c.UpdatedAt = ChangeKind(kind), ca.Time, ua.Time
	c.Audiences, _ = ParseAudiences([]string{aud})
	if renames != "" {
		_ = json.Unmarshal([]byte(renames), &c.Renames)
	}
	return c, nil
}

func (s *Store) changeRows(ctx context.Context, versionID int64) ([]Change, error) {
	rows, err := s.db.Query(ctx, "SELECT "+changeCols+" FROM policy_changes c WHERE c.version_id = ? ORDER BY c.seq", versionID)
	if err != nil {
		return nil, fmt.Errorf("policy.Changes: %w", err)
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		c, err := scanChange(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Changes lists a draft's changes in the order they were made, with the
// gap rows they cite.
func (s *Store) Changes(ctx context.Context, versionID int64) ([]Change, error) {
	cs, err := s.changeRows(ctx, versionID)
	if err != nil || len(cs) == 0 {
		return cs, err
	}
	idx := map[int64]int{}
	for i, c := range cs {
		idx[c.ID] = i
	}
	rows, err := s.db.Query(ctx, `SELECT g.change_id, `+gapCols+`
		FROM policy_change_gaps g JOIN policy_changes c ON c.id = g.change_id JOIN policy_gap_rows r ON r.id = g.gap_row_id
		LEFT JOIN policy_gap_tables t ON t.id = r.table_id WHERE c.version_id = ? ORDER BY g.change_id, r.table_id, r.seq`, versionID)
	if err != nil {
		return nil, fmt.Errorf("policy.Changes gaps: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var cid int64
		var g GapRow
		if err := rows.Scan(append([]any{&cid}, g.dest()...)...); err != nil {
			return nil, err
		}
		i := idx[cid]
		cs[i].GapRowIDs = append(cs[i].GapRowIDs, g.ID)
		cs[i].Gaps = append(cs[i].Gaps, g)
	}
	return cs, rows.Err()
}

// Change returns one change.
func (s *Store) Change(ctx context.Context, id int64) (Change, error) {
	c, err := scanChange(s.db.QueryRow(ctx, "SELECT "+changeCols+" FROM policy_changes c WHERE c.id = ?", id))
	if err != nil {
		return c, database.NotFound("policy.Change", err)
	}
	rows, err := s.db.Query(ctx, "SELECT gap_row_id FROM policy_change_gaps WHERE change_id = ? ORDER BY gap_row_id", id)
	if err != nil {
		return c, err
	}
	defer rows.Close()
	for rows.Next() {
		var g int64
		if err := rows.Scan(&g); err != nil {
			return c, err
		}
		c.GapRowIDs = append(c.GapRowIDs, g)
	}
	return c, rows.Err()
}

// GapTable is a gap table a change can cite rows of.
type GapTable struct {
	ID    int64
	Title string
	Rows  []GapRow
}

// GapTables lists the gap tables with their rows, newest table first.
func (s *Store) GapTables(ctx context.Context) ([]GapTable, error) {
	rows, err := s.db.Query(ctx, `SELECT `+gapCols+` FROM policy_gap_rows r LEFT JOIN policy_gap_tables t ON t.id = r.table_id ORDER BY r.table_id DESC, r.seq`)
	if err != nil {
		return nil, fmt.Errorf("policy.GapTables: %w", err)
	}
	defer rows.Close()
	var out []GapTable
	for rows.Next() {
		var g GapRow
		if err := rows.Scan(g.dest()...); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != g.TableID {
			out = append(out, GapTable{ID: g.TableID, Title: g.Table})
		}
		out[len(out)-1].Rows = append(out[len(out)-1].Rows, g)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].ID > out[j].ID })
	return out, rows.Err()
}

// gapCols reads a gap-table row (helper tables of internal/policy/gap,
// queried directly: this package does not import its sibling).
const gapCols = `r.id, r.table_id, COALESCE(t.title, ''), r.seq, TRIM(r.clause_number || ' ' || r.clause_title),
	CASE WHEN r.status <> '' THEN r.status ELSE r.suggested_status END, r.decision, r.provisions, r.planned_change`

func (g *GapRow) dest() []any {
	return []any{&g.ID, &g.TableID, &g.Table, &g.Seq, &g.Label, &g.Status, &g.Decision, &g.Provisions, &g.Planned}
}

// keepParagraphNumbers gives the paragraphs of an edited article the
// numbers they had before the edit, so that references from elsewhere
// (第31条第3項) follow them when Renumber relabels: a paragraph whose text
// is unchanged keeps its old number wherever it now stands; one edited in
// place keeps the number of the paragraph it replaces; a new paragraph
// gets 0 (no reference points at it yet).
func keepParagraphNumbers(old, edited *provision.Node) {
	paras := func(n *provision.Node) []*provision.Node {
		var out []*provision.Node
		for _, c := range n.Children {
			if c.Kind == provision.Paragraph {
				out = append(out, c)
			}
		}
		return out
	}
	olds, news := paras(old), paras(edited)
	if len(news) == 0 {
		return
	}
	usedOld, done := map[int]bool{}, map[int]bool{}
	for j, n := range news {
		for i, o := range olds {
			if !usedOld[i] && o.Text == n.Text {
				n.Num, usedOld[i], done[j] = o.Num, true, true
				break
			}
		}
	}
	for j, n := range news {
		if done[j] {
			continue
		}
		if j < len(olds) && !usedOld[j] {
			n.Num, usedOld[j] = olds[j].Num, true
		} else {
			n.Num = 0
		}
	}
}
