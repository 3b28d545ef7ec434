package audit

// This file is the engagement's own checklist (audit_items), as it stands
// after being copied from the catalogue: adding an item of the template
// (or of the kind's newest template) with a reason, dropping and restoring
// items with a reason, moving the whole checklist to the newest template
// version as an explicit, previewed step, and the printed checklist
// (監査チェックリスト, PDF and XLSX) the auditors take to the visit. A
// later template change never alters a running engagement: its items are
// copies. Once the engagement reaches 報告 the checklist is locked.

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"mamori/internal/catalog"
	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/docgen/xlsx"
	"mamori/internal/jp"
)

func init() {
	registerExport("audit-checklist", "監査チェックリスト", func(ctx context.Context, s *Store, e Engagement) (*docgen.Document, error) {
		return s.ChecklistDocument(ctx, e)
	})
}

// ErrChecklistLocked refuses a change of the checklist of an engagement
// that has reached 報告.
var ErrChecklistLocked = errors.New("報告の工程に入った監査のチェックリストは変更できません（判定と報告書の前提を変えないため）。変更が必要な場合は、監査の工程を「実施」に戻してから行ってください。")

// ChecklistLocked reports whether an engagement's checklist may no longer
// change: from 報告 on.
func ChecklistLocked(e Engagement) bool { return e.Phase.Index() >= PhaseReport.Index() }

const maxChecklistReason = 500

// checklistReason cleans and checks a reason typed for a checklist
// change; label names the box (追加の理由).
func checklistReason(reason, label string) (string, FieldErrors) {
	reason = cleanText(reason)
	switch {
	case reason == "":
		return "", FieldErrors{"reason": label + "を入力してください。"}
	case utf8.RuneCountInString(reason) > maxChecklistReason:
		return "", FieldErrors{"reason": fmt.Sprintf("%sは%d文字以内にしてください。", label, maxChecklistReason)}
	}
	return reason, nil
}

// checklistNewest is the newest catalogue template of the engagement's
// kind (ok false when the catalogue has none).
func (s *Store) checklistNewest(ctx context.Context, k Kind) (catalog.StoredTemplate, bool, error) {
	ts, err := s.cat.Templates(ctx)
	if err != nil {
		return catalog.StoredTemplate{}, false, err
	}
	var best catalog.StoredTemplate
	ok := false
	for _, t := range ts {
		if t.Kind == k.Template() && (!ok || t.Version > best.Version) {
			best, ok = t, true
		}
	}
	return best, ok, nil
}

// checklistCodes are the codes already in the engagement's checklist (dropped
// ones included).
func (s *Store) checklistCodes(ctx context.Context, id int64) (map[string]bool, error) {
	rows, err := s.db.Query(ctx, "SELECT code FROM audit_items WHERE engagement_id = ?", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out[c] = true
	}
	return out, rows.Err()
}

// ChecklistCandidate is a catalogue item that may be added to the
// checklist.
type ChecklistCandidate struct {
	Code, Question, Category string
	Newest                   bool // from the kind's newest template (not the engagement's own)
}

// ChecklistCandidates lists the items of the engagement's template, and of
// the kind's newest template when that is another, that are not in the
// checklist yet.
func (s *Store) ChecklistCandidates(ctx context.Context, e Engagement) ([]ChecklistCandidate, error) {
	have, err := s.checklistCodes(ctx, e.ID)
	if err != nil {
		return nil, fmt.Errorf("audit.ChecklistCandidates: %w", err)
	}
	var out []ChecklistCandidate
	add := func(tid int64, newest bool) error {
		items, err := s.cat.Items(ctx, catalog.ItemFilter{TemplateID: tid})
		if err != nil {
			return err
		}
		for _, it := range items {
			if have[it.Code] {
				continue
			}
			have[it.Code] = true
			out = append(out, ChecklistCandidate{Code: it.Code, Question: it.Question, Category: it.Category, Newest: newest})
		}
		return nil
	}
	if e.TemplateID != 0 {
		if err := add(e.TemplateID, false); err != nil {
			return nil, fmt.Errorf("audit.ChecklistCandidates: %w", err)
		}
	}
	if t, ok, err := s.checklistNewest(ctx, e.Kind); err != nil {
		return nil, fmt.Errorf("audit.ChecklistCandidates: %w", err)
	} else if ok && t.ID != e.TemplateID {
		if err := add(t.ID, true); err != nil {
			return nil, fmt.Errorf("audit.ChecklistCandidates: %w", err)
		}
	}
	return out, nil
}

// AddItemInput is an item to add to an engagement's checklist.
type AddItemInput struct {
	Code   string
	Newest bool // from the kind's newest template rather than the engagement's own
	Reason string
}

// AddItem adds a catalogue item, found by code in the engagement's
// template (or the kind's newest), at the end of the checklist with the
// reason given; audited. It returns the new item's id.
func (s *Store) AddItem(ctx context.Context, engagementID int64, in AddItemInput, by Actor) (int64, error) {
	e, err := s.Engagement(ctx, engagementID)
	if err != nil {
		return 0, fmt.Errorf("audit.AddItem: %w", err)
	}
	if ChecklistLocked(e) {
		return 0, ErrChecklistLocked
	}
	fe := FieldErrors{}
	code := strings.TrimSpace(jp.Normalize(in.Code))
	if code == "" {
		fe["code"] = "追加する項目のコードを入力してください（例：IN-B3-01）。"
	}
	reason, rfe := checklistReason(in.Reason, "追加の理由")
	for k, v := range rfe {
		fe[k] = v
	}
	t := catalog.StoredTemplate{ID: e.TemplateID, Title: e.TemplateTitle, Version: e.TemplateVersion, Kind: e.Kind.Template()}
	if in.Newest {
		nt, ok, err := s.checklistNewest(ctx, e.Kind)
		if err != nil {
			return 0, fmt.Errorf("audit.AddItem: %w", err)
		}
		if !ok {
			fe["source"] = "この種類の監査のチェックリストがカタログにありません。"
		}
		t = nt
	}
	if t.ID == 0 && fe["source"] == "" {
		fe["source"] = "この監査のチェックリストの元になったテンプレートがカタログにありません。新しい版から追加してください。"
	}
	if len(fe) > 0 {
		return 0, fe
	}
	items, err := s.cat.Items(ctx, catalog.ItemFilter{TemplateID: t.ID})
	if err != nil {
		return 0, fmt.Errorf("audit.AddItem: %w", err)
	}
	var found *catalog.StoredItem
	for i := range items {
		if strings.EqualFold(items[i].Code, code) {
			found = &items[i]
		}
	}
	if found == nil {
		return 0, FieldErrors{"code": fmt.Sprintf("コード「%s」の項目は「%s」（%s版）にありません。", code, t.Title, jp.FiscalYearLabel(t.Version))}
	}
	var id int64
	err = s.db.WithTx(ctx, func(ctx context.Context) error {
		// Additions one at a time: on PostgreSQL two of one code would both
		// pass the check below and the later would hit the unique index (500).
		if err := s.db.LockRow(ctx, "audit_engagements", e.ID); err != nil {
			return err
		}
		var dropped bool
		err := s.db.QueryRow(ctx, "SELECT dropped FROM audit_items WHERE engagement_id = ? AND code = ?", e.ID, found.Code).Scan(&dropped)
		switch {
		case err == nil && dropped:
			return FieldErrors{"code": fmt.Sprintf("項目「%s」は除外されています。「除外した項目」から戻してください。", found.Code)}
		case err == nil:
			return FieldErrors{"code": fmt.Sprintf("項目「%s」はすでにチェックリストにあります。", found.Code)}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		var order int
		if err := s.db.QueryRow(ctx, "SELECT COALESCE(MAX(sort_order), 0) FROM audit_items WHERE engagement_id = ?", e.ID).Scan(&order); err != nil {
			return err
		}
		why := "個別に追加：" + reason
		if t.ID != e.TemplateID {
			why += "（" + jp.FiscalYearLabel(t.Version) + "版から）"
		}
		if err := s.insertItem(ctx, e.ID, order+1, *found, why, true); err != nil {
			return err
		}
		if err := s.db.QueryRow(ctx, "SELECT id FROM audit_items WHERE engagement_id = ? AND code = ?", e.ID, found.Code).Scan(&id); err != nil {
			return err
		}
		return s.log.Record(ctx, "audit.checklist_add", fmt.Sprintf("audit_item:%d", id),
			fmt.Sprintf("%s のチェックリストに項目 %s を追加（%s %s版）：%s", e.Code, found.Code, t.Title, jp.FiscalYearLabel(t.Version), reason))
	})
	if err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) {
			return 0, fe
		}
		return 0, fmt.Errorf("audit.AddItem: %w", err)
	}
	return id, nil
}

// DropItem drops an item from the checklist with the reason, if rev is
// still the item's; audited. The item and anything recorded on it stay
// (shown apart), so that it can be restored.
func (s *Store) DropItem(ctx context.Context, engagementID, itemID, rev int64, reason string, by Actor) error {
	return s.setDropped(ctx, engagementID, itemID, rev, true, reason, by)
}

// RestoreItem takes a dropped item back into the checklist with the
// reason (added to the item's reasons), if rev is still the item's;
// audited.
func (s *Store) RestoreItem(ctx context.Context, engagementID, itemID, rev int64, reason string, by Actor) error {
	return s.setDropped(ctx, engagementID, itemID, rev, false, reason, by)
}

func (s *Store) setDropped(ctx context.Context, engagementID, itemID, rev int64, drop bool, reason string, by Actor) error {
	what, code := "除外の理由", "audit.checklist_drop"
	if !drop {
		what, code = "戻す理由", "audit.checklist_restore"
	}
	e, err := s.Engagement(ctx, engagementID)
	if err != nil {
		return fmt.Errorf("audit.%s: %w", code, err)
	}
	if ChecklistLocked(e) {
		return ErrChecklistLocked
	}
	it, err := s.Item(ctx, engagementID, itemID)
	if err != nil {
		return err
	}
	reason, fe := checklistReason(reason, what)
	if fe != nil {
		return fe
	}
	if it.Dropped == drop {
		if drop {
			return FieldErrors{"reason": fmt.Sprintf("項目「%s」はすでに除外されています。", it.Code)}
		}
		return FieldErrors{"reason": fmt.Sprintf("項目「%s」はチェックリストに入っています。", it.Code)}
	}
	now := s.now()
	return s.db.WithTx(ctx, func(ctx context.Context) error {
		var res interface{ RowsAffected() (int64, error) }
		var err error
		if drop {
			res, err = s.db.Exec(ctx, `UPDATE audit_items SET dropped = TRUE, dropped_reason = ?, rev = rev + 1, updated_by_name = ?, updated_at = ?
				WHERE id = ? AND engagement_id = ? AND rev = ?`, reason, by.Name, database.T(now), itemID, engagementID, rev)
		} else {
			why := strings.TrimSpace(it.Reason + "\n" + "再び含める（" + jp.FormatWareki(now) + "）：" + reason)
			res, err = s.db.Exec(ctx, `UPDATE audit_items SET dropped = FALSE, dropped_reason = '', reason = ?, rev = rev + 1, updated_by_name = ?, updated_at = ?
				WHERE id = ? AND engagement_id = ? AND rev = ?`, why, by.Name, database.T(now), itemID, engagementID, rev)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		detail := fmt.Sprintf("%s のチェックリストから項目 %s を除外：%s", e.Code, it.Code, reason)
		if !drop {
			detail = fmt.Sprintf("%s のチェックリストに項目 %s を戻す：%s", e.Code, it.Code, reason)
		}
		return s.log.Record(ctx, code, fmt.Sprintf("audit_item:%d", itemID), detail)
	})
}

// ---- moving to the newest template version ----

// ChecklistChange is an item whose text differs in the newer template.
type ChecklistChange struct {
	Item   Item
	New    catalog.StoredItem
	Fields []string // what differs, in Japanese
}

// ChecklistUpgrade is what moving an engagement's checklist to the
// kind's newest template would do.
type ChecklistUpgrade struct {
	From     catalog.StoredTemplate // the engagement's template as copied
	To       catalog.StoredTemplate
	Newer    bool                 // To is newer than From (otherwise nothing to do)
	Added    []BuiltItem          // items the new selection brings
	Removed  []Item               // items the new version no longer selects: dropped on apply
	Gone     map[string]bool      // of Removed, codes the new template no longer has at all
	Changed  []ChecklistChange    // items kept whose text changes
	Kept     int                  // items kept as they are
	Manual   []Item               // items added by hand that the new version does not select: kept
	Affected []Item               // removed or changed items that already hold judgements, answers, notes or evidence
	Judged   int                  // items of the checklist with a judgement
	selected map[string]BuiltItem // the new selection by code
	order    []string             // the new selection's codes in order
}

// checklistRecorded reports whether anything was recorded on an item
// (judgement, pre-audit answer, notes or evidence).
func checklistRecorded(it Item) bool {
	return it.Judgement != "" || it.AnswerChoice != "" || strings.TrimSpace(it.Answer) != "" || strings.TrimSpace(it.Notes) != "" || it.EvidenceCount > 0
}

// checklistItemDiff lists the fields in which a catalogue item differs from the
// engagement's copy of it.
func checklistItemDiff(it Item, n catalog.StoredItem) []string {
	var out []string
	cmp := func(label, a, b string) {
		if a != b {
			out = append(out, label)
		}
	}
	var clauses []string
	for _, c := range n.Clauses {
		clauses = append(clauses, clauseLabel(c))
	}
	cmp("分類", it.Category, n.Category)
	cmp("監査項目", it.Question, n.Question)
	cmp("判定基準", it.Conform+"\x00"+it.Partial+"\x00"+it.Nonconform, n.Criteria.Conform+"\x00"+n.Criteria.Partial+"\x00"+n.Criteria.Nonconform)
	cmp("確かめる資料", strings.Join(it.Evidence, "\n"), strings.Join(n.Evidence, "\n"))
	cmp("技法", strings.Join(it.Techniques, ","), strings.Join(n.Techniques, ","))
	cmp("根拠規定", strings.Join(it.Clauses, "\n"), strings.Join(clauses, "\n"))
	cmp("脅威", strings.Join(it.Threats, ","), strings.Join(n.Threats, ","))
	cmp("重要度", it.Priority, n.Priority)
	cmp("視察", fmt.Sprint(it.SiteInspection), fmt.Sprint(n.SiteInspection))
	cmp("事前調査", fmt.Sprint(it.Presurvey), fmt.Sprint(n.PreSurvey))
	return out
}

// ChecklistUpgradePreview works out what moving the engagement's
// checklist to the kind's newest template would do, without changing
// anything: the newest template's items are selected for the engagement's
// characteristics and priority threats as at creation, and compared with
// the checklist by code.
func (s *Store) ChecklistUpgradePreview(ctx context.Context, e Engagement) (*ChecklistUpgrade, error) {
	u := &ChecklistUpgrade{From: catalog.StoredTemplate{ID: e.TemplateID, Title: e.TemplateTitle, Version: e.TemplateVersion, Kind: e.Kind.Template()},
		Gone: map[string]bool{}, selected: map[string]BuiltItem{}}
	to, ok, err := s.checklistNewest(ctx, e.Kind)
	if err != nil {
		return nil, fmt.Errorf("audit.ChecklistUpgradePreview: %w", err)
	}
	if !ok {
		return u, nil
	}
	u.To = to
	u.Newer = to.ID != e.TemplateID && to.Version > e.TemplateVersion
	if !u.Newer {
		return u, nil
	}
	newItems, err := s.cat.Items(ctx, catalog.ItemFilter{TemplateID: to.ID})
	if err != nil {
		return nil, fmt.Errorf("audit.ChecklistUpgradePreview: %w", err)
	}
	inTemplate := map[string]catalog.StoredItem{}
	for _, it := range newItems {
		inTemplate[it.Code] = it
	}
	included, _ := SelectItems(newItems, BuildRequest{TemplateID: to.ID, System: e.System, Scope: e.Scope, Threats: e.Threats, IncludeRecommended: true})
	for _, b := range included {
		u.selected[b.Item.Code] = b
		u.order = append(u.order, b.Item.Code)
	}
	cur, err := s.Items(ctx, e.ID, ItemFilter{WithDropped: true})
	if err != nil {
		return nil, fmt.Errorf("audit.ChecklistUpgradePreview: %w", err)
	}
	have := map[string]bool{}
	for _, it := range cur {
		have[it.Code] = true
		if it.Judgement != "" && !it.Dropped {
			u.Judged++
		}
		b, sel := u.selected[it.Code]
		n, exists := inTemplate[it.Code]
		switch {
		case sel || (it.Added && exists):
			if sel {
				n = b.Item
			}
			if fields := checklistItemDiff(it, n); len(fields) > 0 {
				u.Changed = append(u.Changed, ChecklistChange{Item: it, New: n, Fields: fields})
				if checklistRecorded(it) && !it.Dropped {
					u.Affected = append(u.Affected, it)
				}
			} else {
				u.Kept++
			}
		case it.Added:
			u.Manual = append(u.Manual, it)
		case it.Dropped:
			// already out of the checklist: stays out
		default:
			u.Removed = append(u.Removed, it)
			if !exists {
				u.Gone[it.Code] = true
			}
			if checklistRecorded(it) {
				u.Affected = append(u.Affected, it)
			}
		}
	}
	for _, code := range u.order {
		if !have[code] {
			u.Added = append(u.Added, u.selected[code])
		}
	}
	return u, nil
}

// Empty reports whether moving would change nothing but the version.
func (u *ChecklistUpgrade) Empty() bool {
	return len(u.Added) == 0 && len(u.Removed) == 0 && len(u.Changed) == 0
}

// UpgradeChecklist moves the engagement's checklist to the kind's newest
// template as previewed: items whose code stays keep their judgements,
// answers, notes and evidence and take the new version's text; new items
// are added; items the new version no longer selects are dropped (kept
// apart, with the reason), never deleted. from and to are the templates
// the preview showed: when either has changed since, ErrConflict. Once
// any item is judged the move needs confirm. Audited.
func (s *Store) UpgradeChecklist(ctx context.Context, engagementID, from, to int64, confirm bool, by Actor) (*ChecklistUpgrade, error) {
	var u *ChecklistUpgrade
	err := s.db.WithTx(ctx, func(ctx context.Context) error {
		// The template is checked, then the items rewritten: on PostgreSQL a
		// second move at once would pass the check too and insert the new
		// items again. Locked, it reads the moved template: ErrConflict.
		if err := s.db.LockRow(ctx, "audit_engagements", engagementID); err != nil {
			return err
		}
		e, err := s.Engagement(ctx, engagementID)
		if err != nil {
			return err
		}
		if ChecklistLocked(e) {
			return ErrChecklistLocked
		}
		if u, err = s.ChecklistUpgradePreview(ctx, e); err != nil {
			return err
		}
		if e.TemplateID != from || u.To.ID != to {
			return ErrConflict
		}
		if !u.Newer {
			return FieldErrors{"confirm": "このチェックリストはすでに最新の版（" + jp.FiscalYearLabel(e.TemplateVersion) + "版）です。"}
		}
		if u.Judged > 0 && !confirm {
			return FieldErrors{"confirm": fmt.Sprintf("実地監査の判定が %d 項目で記録されています。判定を引き継ぐことを確かめたうえで「判定済みの項目があることを確認しました」に印を付けてください。", u.Judged)}
		}
		now := database.T(s.now())
		cur, err := s.Items(ctx, e.ID, ItemFilter{WithDropped: true})
		if err != nil {
			return err
		}
		changed := map[string]ChecklistChange{}
		for _, c := range u.Changed {
			changed[c.Item.Code] = c
		}
		removed := map[string]bool{}
		for _, it := range u.Removed {
			removed[it.Code] = true
		}
		// The new order: the new selection's, then the rest as they were.
		pos := map[string]int{}
		for i, code := range u.order {
			pos[code] = i + 1
		}
		rest := len(u.order)
		sort.SliceStable(cur, func(i, j int) bool { return cur[i].Order < cur[j].Order })
		for _, it := range cur {
			p, ok := pos[it.Code]
			if !ok {
				rest++
				p = rest
			}
			reason := it.Reason
			if b, sel := u.selected[it.Code]; sel && !it.Added {
				reason = b.Reason()
			}
			if c, ok := changed[it.Code]; ok {
				if err := s.checklistUpdateText(ctx, it.ID, c.New, reason, p, by, now); err != nil {
					return err
				}
				continue
			}
			if removed[it.Code] {
				why := fmt.Sprintf("チェックリストを%s版へ移行した際、新しい版の選定条件では対象外となったため", jp.FiscalYearLabel(u.To.Version))
				if u.Gone[it.Code] {
					why = fmt.Sprintf("チェックリストを%s版へ移行した際、新しい版にこの項目がないため", jp.FiscalYearLabel(u.To.Version))
				}
				if _, err := s.db.Exec(ctx, `UPDATE audit_items SET dropped = TRUE, dropped_reason = ?, sort_order = ?, rev = rev + 1, updated_by_name = ?, updated_at = ?
					WHERE id = ?`, why, p, by.Name, now, it.ID); err != nil {
					return err
				}
				continue
			}
			if _, err := s.db.Exec(ctx, "UPDATE audit_items SET sort_order = ?, reason = ? WHERE id = ?", p, reason, it.ID); err != nil {
				return err
			}
		}
		for _, b := range u.Added {
			if err := s.insertItem(ctx, e.ID, pos[b.Item.Code], b.Item, b.Reason(), false); err != nil {
				return err
			}
		}
		if _, err := s.db.Exec(ctx, "UPDATE audit_engagements SET template_id = ?, template_title = ?, template_version = ?, updated_at = ? WHERE id = ?",
			u.To.ID, u.To.Title, u.To.Version, now, e.ID); err != nil {
			return err
		}
		return s.log.Record(ctx, "audit.checklist_upgrade", fmt.Sprintf("audit_engagement:%d", e.ID),
			fmt.Sprintf("%s のチェックリストを「%s」%s版から%s版へ移行（追加 %d、変更 %d、除外 %d、記録のある項目への影響 %d）", e.Code,
				u.To.Title, jp.FiscalYearLabel(u.From.Version), jp.FiscalYearLabel(u.To.Version), len(u.Added), len(u.Changed), len(u.Removed), len(u.Affected)))
	})
	if err != nil {
		var fe FieldErrors
		if errors.As(err, &fe) {
			return u, fe
		}
		if errors.Is(err, ErrConflict) || errors.Is(err, ErrChecklistLocked) {
			return u, err
		}
		return u, fmt.Errorf("audit.UpgradeChecklist: %w", err)
	}
	return u, nil
}

// checklistUpdateText gives an item the text of its newer catalogue version,
// keeping what was recorded on it.
func (s *Store) checklistUpdateText(ctx context.Context, id int64, it catalog.StoredItem, reason string, order int, by Actor, now database.Time) error {
	var clauses []string
	for _, c := range it.Clauses {
		clauses = append(clauses, clauseLabel(c))
	}
	_, err := s.db.Exec(ctx, `UPDATE audit_items SET category = ?, question = ?, criteria_conform = ?, criteria_partial = ?, criteria_nonconform = ?,
		evidence = ?, techniques = ?, clauses = ?, threats = ?, priority = ?, site_inspection = ?, presurvey = ?, reason = ?, sort_order = ?,
		rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE id = ?`,
		it.Category, it.Question, it.Criteria.Conform, it.Criteria.Partial, it.Criteria.Nonconform, strings.Join(it.Evidence, "\n"),
		strings.Join(it.Techniques, ","), strings.Join(clauses, "\n"), strings.Join(it.Threats, ","), it.Priority, it.SiteInspection, it.PreSurvey,
		reason, order, by.Name, now, id)
	return err
}

// ---- the printed checklist (PDF, XLSX) ----

// checklistColumns are the columns of the printed engagement checklist.
var checklistColumns = []struct {
	Head  string
	Width float64
	Align docgen.Align
}{
	{"No", 2.2, docgen.AlignCenter}, {"分類", 2.0, docgen.AlignLeft}, {"監査項目", 5.2, docgen.AlignLeft},
	{"判定基準", 9.2, docgen.AlignLeft}, {"確かめる資料", 3.4, docgen.AlignLeft}, {"技法", 2.4, docgen.AlignLeft},
	{"判定\n（○△×）", 1.8, docgen.AlignCenter}, {"所見・メモ", 5.2, docgen.AlignLeft}, {"根拠規定", 3.6, docgen.AlignLeft},
}

// checklistJudgementColumn is the judgement column (its drop-down in XLSX).
const checklistJudgementColumn = 6

// checklistCaption names the item table (the XLSX drop-down is put on it).
const checklistCaption = "監査チェックリスト"

func checklistTechniques(codes []string) string {
	var out []string
	for _, c := range codes {
		if l := catalog.Techniques[c]; l != "" {
			out = append(out, l)
		} else {
			out = append(out, c)
		}
	}
	return strings.Join(out, "\n")
}

func checklistBullets(ss []string) string {
	for i, s := range ss {
		ss[i] = "・" + s
	}
	return strings.Join(ss, "\n")
}

// checklistRow is one item as it prints.
func checklistRow(it Item) docgen.Row {
	_, rest, ok := strings.Cut(it.Category, "／")
	if !ok {
		rest = it.Category
	}
	no := it.Code
	if p := catalog.Priorities[it.Priority]; p != "" {
		no += "\n" + p
	}
	if it.Focus {
		no += "\n重点"
	}
	q := it.Question
	if it.SiteInspection {
		q += "（視察）"
	}
	partial := it.Partial
	if strings.TrimSpace(partial) == "" {
		partial = "—"
	}
	criteria := docgen.Cell{Runs: []docgen.Run{
		{Text: "適合（○）：", Bold: true}, docgen.T(it.Conform + "\n"),
		{Text: "一部不適合（△）：", Bold: true}, docgen.T(partial + "\n"),
		{Text: "不適合（×）：", Bold: true}, docgen.T(it.Nonconform),
	}}
	cells := []docgen.Cell{docgen.C(no), docgen.C(strings.TrimSpace(rest)), docgen.C(q), criteria,
		docgen.C(checklistBullets(append([]string(nil), it.Evidence...))), docgen.C(checklistTechniques(it.Techniques)), docgen.C(""), docgen.C(""),
		docgen.C(strings.Join(it.Clauses, "\n"))}
	for i := range cells {
		cells[i].Align = checklistColumns[i].Align
	}
	return docgen.Row{Cells: cells}
}

// ChecklistDocument is the engagement's checklist for the visit (A4
// landscape): the engagement's facts and a box for who used it when, then
// every item in checklist order with its criteria and the evidence to
// see, an empty judgement column (○/△/×) and an empty column for notes.
// Dropped items are left out. The XLSX (WriteChecklistXLSX) carries a
// drop-down on the judgement column.
func (s *Store) ChecklistDocument(ctx context.Context, e Engagement) (*docgen.Document, error) {
	items, err := s.Items(ctx, e.ID, ItemFilter{})
	if err != nil {
		return nil, fmt.Errorf("audit.ChecklistDocument: %w", err)
	}
	ward := s.org.WardName(ctx)
	site, pre := 0, 0
	for _, it := range items {
		if it.SiteInspection {
			site++
		}
		if it.Presurvey {
			pre++
		}
	}
	tb := docgen.Table{Caption: checklistCaption, HeaderRows: 1, FontSize: 9}
	head := docgen.Row{}
	for _, c := range checklistColumns {
		tb.Columns = append(tb.Columns, docgen.Column{Width: c.Width, Align: c.Align})
		head.Cells = append(head.Cells, planHead(c.Head))
	}
	tb.Rows = append(tb.Rows, head)
	for _, it := range items {
		tb.Rows = append(tb.Rows, checklistRow(it))
	}
	if len(items) == 0 {
		tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("チェックリストに項目がありません。")}, ColSpan: len(checklistColumns)}}})
	}
	var visits []string
	for _, t := range e.Targets {
		visits = append(visits, t.Name+" "+planVisit(t))
	}
	label := func(s string) docgen.Cell {
		return docgen.Cell{Runs: []docgen.Run{docgen.T(s)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter}
	}
	record := docgen.Table{Caption: "実施の記録", FontSize: 10, Columns: []docgen.Column{{Width: 1.2}, {Width: 4}, {Width: 1.2}, {Width: 3.4}, {Width: 1.2}, {Width: 3.6}},
		Rows: []docgen.Row{{Cells: []docgen.Cell{label("対象"), docgen.C(e.Subject()), label("実地監査日"), docgen.C(strings.Join(visits, "\n")),
			label("監査人"), docgen.C(planTBD(planTeam(e)))}}}}
	intro := fmt.Sprintf("%s（%s）の監査チェックリストです。%s（%s版）から作成した %d 項目（うち視察項目 %d、事前調査 %d）を収めています。"+
		"各項目について判定基準に照らして判定欄に ○（適合）・△（一部不適合）・×（不適合）のいずれかを記入し、判断の根拠とした事実（見た資料、聞いた相手、確かめた場所）を所見欄に書いてください。"+
		"当てはまらない項目は「該当なし」と書き、理由を所見欄に残します。No 欄の「重点」は事前調査の結果、実地で重点的に確かめる項目です。",
		e.Title, e.Code, e.TemplateTitle, jp.FiscalYearLabel(e.TemplateVersion), len(items), site, pre)
	d := &docgen.Document{Meta: docgen.Meta{Title: "監査チェックリスト", Subtitle: e.Title, Ward: ward, FiscalYear: e.FiscalYear, Date: s.now(),
		Classification: "取扱注意", PageNumbers: docgen.PageDash,
		Version: fmt.Sprintf("%s（%s版）　%d 項目", e.TemplateTitle, jp.FiscalYearLabel(e.TemplateVersion), len(items))},
		Sections: []docgen.Section{{Orientation: docgen.Landscape, Tab: e.Code, Blocks: []docgen.Block{
			docgen.Heading{Level: 1, Text: strings.TrimSpace(e.Title + "　監査チェックリスト"), NoTOC: true},
			docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{docgen.T(intro)}},
			record, tb,
		}}}}
	return d, nil
}

// WriteChecklistXLSX writes a checklist document made by
// ChecklistDocument as a workbook with the ○/△/×/該当なし drop-down on the
// judgement column (〇 typed for ○ is accepted), fitted to A4 for
// printing.
func WriteChecklistXLSX(w io.Writer, d *docgen.Document) error {
	var buf bytes.Buffer
	opts := xlsx.Options{Validations: []xlsx.Validation{{Column: checklistJudgementColumn, Caption: checklistCaption,
		Values: []string{"○", "△", "×", "該当なし"}, Accept: []string{"〇"}}}}
	if err := xlsx.RenderWithOptions(&buf, d, opts); err != nil {
		return err
	}
	// Check the workbook opens before it leaves (a broken file is an error
	// page, not a download).
	f, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return fmt.Errorf("audit.WriteChecklistXLSX: %w", err)
	}
	_ = f.Close()
	_, err = buf.WriteTo(w)
	return err
}
