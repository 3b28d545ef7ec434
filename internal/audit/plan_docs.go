package audit

// This file lays out the plan's three documents from one engagement: the
// 監査計画書 (the plan's fields ア–コ as numbered headings after the
// targets, team and schedule, with the approval box), the 監査実施通知書
// (one notice per audited department, addressed to its head) and the
// 説明会資料 (briefing material for the auditee). Each is a docgen
// document, so that the page's downloads and `mamori export` write the
// same PDF and DOCX.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"mamori/internal/catalog"
	"mamori/internal/docgen"
	"mamori/internal/jp"
)

func init() {
	registerExport("audit-plan", "監査計画書", func(ctx context.Context, s *Store, e Engagement) (*docgen.Document, error) {
		return s.PlanDocument(ctx, e)
	})
	registerExport("audit-notice", "監査実施通知書", func(ctx context.Context, s *Store, e Engagement) (*docgen.Document, error) {
		return s.NoticeDocument(ctx, e)
	})
	registerExport("briefing", "説明会資料", func(ctx context.Context, s *Store, e Engagement) (*docgen.Document, error) {
		return s.BriefingDocument(ctx, e)
	})
}

// planHead is a table header cell.
func planHead(s string) docgen.Cell {
	return docgen.Cell{Runs: []docgen.Run{docgen.T(s)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter}
}

// planLabel is the label cell of a two-column table.
func planLabel(s string) docgen.Cell {
	return docgen.Cell{Runs: []docgen.Run{docgen.T(s)}, Bold: true, Fill: "EEF2F7"}
}

// planKV is a two-column table of labels and values; rows with an empty
// value are left out.
func planKV(rows [][2]string) docgen.Table {
	t := docgen.Table{Columns: []docgen.Column{{Width: 1.3}, {Width: 4}}, FontSize: 10}
	for _, r := range rows {
		if strings.TrimSpace(r[1]) == "" {
			continue
		}
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{planLabel(r[0]), docgen.C(r[1])}})
	}
	return t
}

// planParagraphs sets a field's text as paragraphs, one per line, indented
// under its heading; lines that start a numbered or bulleted entry keep
// their mark at the start, others begin with a one-character indent.
func planParagraphs(text string, indent int) []docgen.Block {
	var out []docgen.Block
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		p := docgen.Paragraph{Runs: []docgen.Run{docgen.T(l)}, Indent: indent, Align: docgen.AlignJustify}
		if !strings.HasPrefix(l, "(") && !strings.HasPrefix(l, "（") && !strings.HasPrefix(l, "・") {
			p.FirstIndent = true
		}
		out = append(out, p)
	}
	return out
}

// planTitle is a document's title set in its body, centred and bold.
func planTitle(s string) docgen.Paragraph {
	return docgen.Paragraph{Align: docgen.AlignCenter, Runs: []docgen.Run{{Text: s, Bold: true}}}
}

func planRight(s string) docgen.Paragraph {
	return docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{docgen.T(s)}}
}

// planOrProposed returns the newest plan version, or the standard wording
// (not saved) with version 0 when the plan has none yet.
func (s *Store) planOrProposed(ctx context.Context, e Engagement) (PlanVersion, error) {
	v, ok, err := s.LatestPlan(ctx, e.ID)
	if err != nil || ok {
		return v, err
	}
	text, err := s.ProposedPlan(ctx, e)
	return PlanVersion{EngagementID: e.ID, Text: text, CreatedAt: s.now()}, err
}

// planScheduleTable is the targets with their visits and team.
func planScheduleTable(e Engagement) docgen.Table {
	t := docgen.Table{HeaderRows: 1, FontSize: 10, Columns: []docgen.Column{{Width: 3}, {Width: 2.6}, {Width: 1.8}, {Width: 4.6}}}
	t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{planHead("対象所属"), planHead("実地監査日"), planHead("時間"), planHead("監査の体制")}})
	team := planTBD(planTeam(e))
	for _, tg := range e.Targets {
		date := "日程調整中"
		if !tg.VisitDate.IsZero() {
			date = jp.FormatWareki(tg.VisitDate)
		}
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(tg.Path), docgen.C(date), docgen.C(tg.VisitTime), docgen.C(team)}})
	}
	if len(e.Targets) == 0 {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("対象所属が登録されていません。")}, ColSpan: 4}}})
	}
	return t
}

// planPhaseTable is the engagement's phases with their planned and actual
// dates.
func planPhaseTable(e Engagement) docgen.Table {
	t := docgen.Table{HeaderRows: 1, FontSize: 10, Columns: []docgen.Column{{Width: 2}, {Width: 3}, {Width: 3}}}
	t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{planHead("工程"), planHead("完了予定日"), planHead("完了日")}})
	for _, p := range Phases {
		st := e.Step(p)
		if st.Due.IsZero() && st.Done.IsZero() {
			continue
		}
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(p.Label()), docgen.C(planWareki(st.Due, "")), docgen.C(planWareki(st.Done, ""))}})
	}
	return t
}

// PlanDocument is the 監査計画書 of an engagement: its newest plan version
// (or, before the first is saved, the standard wording marked as a
// proposal), the ward's name, 和暦 dates, the approval box, an outline of
// the engagement, the targets with visits and team, the phases, and the
// fields ア–コ as numbered headings.
func (s *Store) PlanDocument(ctx context.Context, e Engagement) (*docgen.Document, error) {
	d, err := LoadPlanDefaults()
	if err != nil {
		return nil, err
	}
	v, err := s.planOrProposed(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("audit.PlanDocument: %w", err)
	}
	items, site, pre, err := s.checklistCounts(ctx, e.ID)
	if err != nil {
		return nil, fmt.Errorf("audit.PlanDocument: %w", err)
	}
	ward := s.org.WardName(ctx)
	version := "案（標準の文案）"
	if v.Version > 0 {
		version = v.Label()
	}
	doc := &docgen.Document{Meta: docgen.Meta{Title: "監査計画書", Subtitle: e.Title, Ward: ward, FiscalYear: e.FiscalYear, Date: v.CreatedAt,
		Classification: "取扱注意", PageNumbers: docgen.PageDash, Version: version}}
	var threats []string
	for _, t := range e.Threats {
		threats = append(threats, catalog.Threats[t])
	}
	checklist := fmt.Sprintf("%s（%s版）　%d項目（うち視察項目 %d、事前調査 %d）", e.TemplateTitle, jp.FiscalYearLabel(e.TemplateVersion), items, site, pre)
	outline := [][2]string{
		{"監査の名称", e.Title}, {"監査の種類", e.Kind.Label()}, {"年度", e.YearLabel()}, {"対象", e.Subject()},
		{"特定個人情報", map[bool]string{true: "扱う", false: ""}[e.MyNumber]},
		{"設置形態", e.HostingLabel()}, {"運用・保守の事業者", strings.Join(lines(e.Vendors), "、")},
		{"チェックリスト", checklist}, {"重点とする脅威", strings.Join(threats, "、")},
		{"監査責任者", planTBD(e.Lead())}, {"監査人", planMembers(e, MemberAuditor)}, {"立会い", planMembers(e, MemberWitness)},
	}
	blocks := []docgen.Block{
		docgen.ApprovalBox{Titles: d.Approval},
		docgen.Heading{Level: 1, Text: strings.TrimSpace(e.Title + "　監査計画書"), NoTOC: true},
		planRight(strings.TrimSpace(planWareki(v.CreatedAt, "") + "　" + version)),
		planRight(strings.TrimSpace(ward + "　" + e.Kind.Label() + " 監査責任者 " + planTBD(e.Lead()))),
		docgen.Heading{Level: 2, Text: "監査の概要", Numbered: true},
		planKV(outline),
		docgen.Heading{Level: 2, Text: "対象・日程・体制", Numbered: true},
		planScheduleTable(e),
	}
	if pt := planPhaseTable(e); len(pt.Rows) > 1 {
		blocks = append(blocks, docgen.Heading{Level: 2, Text: "工程", Numbered: true}, pt)
	}
	blocks = append(blocks, docgen.Heading{Level: 2, Text: "実施計画", Numbered: true})
	for _, f := range PlanFields {
		blocks = append(blocks, docgen.Heading{Level: 4, Text: f.Label, Numbered: true})
		if strings.TrimSpace(v.Text[f.Key]) == "" {
			blocks = append(blocks, docgen.Paragraph{Indent: 1, Runs: []docgen.Run{docgen.T("（記載なし）")}})
			continue
		}
		blocks = append(blocks, planParagraphs(v.Text[f.Key], 1)...)
	}
	blocks = append(blocks, planRight("以上"))
	doc.Sections = []docgen.Section{{Orientation: docgen.Portrait, Tab: e.Code, Blocks: blocks}}
	return doc, nil
}

// planDocRequest is one document the auditee is asked to submit.
type planDocRequest struct {
	Name, Purpose string
	Due           time.Time
}

// planDocRequests lists the engagement's document requests (提出資料一覧)
// in order.
func (s *Store) planDocRequests(ctx context.Context, id int64) ([]planDocRequest, error) {
	rows, err := s.db.Query(ctx, "SELECT name, purpose, due_date FROM audit_doc_requests WHERE engagement_id = ? ORDER BY sort_order, id", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []planDocRequest
	for rows.Next() {
		var r planDocRequest
		var due string
		if err := rows.Scan(&r.Name, &r.Purpose, &due); err != nil {
			return nil, err
		}
		r.Due = jp.ParseDateKey(due)
		out = append(out, r)
	}
	return out, rows.Err()
}

// planPrepareBlocks is what the auditee is asked to prepare: the engagement's
// document requests as a table, or the standard list of the kind.
func (s *Store) planPrepareBlocks(ctx context.Context, e Engagement, d *PlanDefaults, indent int) ([]docgen.Block, error) {
	reqs, err := s.planDocRequests(ctx, e.ID)
	if err != nil {
		return nil, err
	}
	if len(reqs) == 0 {
		var out []docgen.Block
		for _, p := range d.Notice.Prepare[string(e.Kind)] {
			out = append(out, docgen.Paragraph{Indent: indent, Runs: []docgen.Run{docgen.T("・" + p)}})
		}
		return out, nil
	}
	t := docgen.Table{HeaderRows: 1, FontSize: 10, Columns: []docgen.Column{{Width: 0.6, Align: docgen.AlignCenter}, {Width: 3.4}, {Width: 4}, {Width: 2.2}}}
	t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{planHead("No"), planHead("資料"), planHead("確認すること"), planHead("提出期限")}})
	for i, r := range reqs {
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(fmt.Sprint(i + 1)), docgen.C(r.Name), docgen.C(r.Purpose), docgen.C(planWareki(r.Due, ""))}})
	}
	return []docgen.Block{t}, nil
}

// planContact is whom the auditee asks: the lead auditor (and their
// department) and the security office.
func (s *Store) planContact(ctx context.Context, e Engagement, d *PlanDefaults) string {
	var parts []string
	for _, m := range e.Members {
		if m.Role != MemberLead {
			continue
		}
		who := "監査責任者 " + m.Name
		if m.DepartmentID != 0 {
			if dep, err := s.org.Department(ctx, m.DepartmentID); err == nil && !strings.Contains(m.Name, dep.Name) {
				who += "（" + dep.Name + "）"
			}
		}
		parts = append(parts, who)
	}
	if d.Office != "" {
		parts = append(parts, d.Office)
	}
	return strings.Join(parts, "／")
}

// planScopeLine is the checklist's scope as one line: its item count and the
// groups of its categories.
func (s *Store) planScopeLine(ctx context.Context, e Engagement) (string, error) {
	items, err := s.Items(ctx, e.ID, ItemFilter{})
	if err != nil {
		return "", err
	}
	var groups []string
	seen := map[string]bool{}
	for _, it := range items {
		g, _, _ := strings.Cut(it.Category, "／")
		if g = strings.TrimSpace(g); g != "" && !seen[g] {
			seen[g] = true
			groups = append(groups, g)
		}
	}
	line := fmt.Sprintf("監査チェックリスト（%s）の%d項目", e.TemplateTitle, len(items))
	if len(groups) > 0 {
		line += "（" + strings.Join(groups, "、") + "）"
	}
	return line, nil
}

// NoticeDocument is the 監査実施通知書: one notice per audited department,
// each addressed to the department's head, with the dates, the scope, the
// method, the team, the pre-audit questionnaire's due date, what to
// prepare (the document requests, or the standard list) and a contact.
func (s *Store) NoticeDocument(ctx context.Context, e Engagement) (*docgen.Document, error) {
	return s.planNotices(ctx, e, e.Targets)
}

// NoticeDocumentFor is the notices of the given targets only (an auditee
// receives their own department's).
func (s *Store) NoticeDocumentFor(ctx context.Context, e Engagement, targets []Target) (*docgen.Document, error) {
	return s.planNotices(ctx, e, targets)
}

func (s *Store) planNotices(ctx context.Context, e Engagement, targets []Target) (*docgen.Document, error) {
	d, err := LoadPlanDefaults()
	if err != nil {
		return nil, err
	}
	ward := s.org.WardName(ctx)
	facts, err := s.planFacts(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("audit.NoticeDocument: %w", err)
	}
	scope, err := s.planScopeLine(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("audit.NoticeDocument: %w", err)
	}
	prepare, err := s.planPrepareBlocks(ctx, e, d, 2)
	if err != nil {
		return nil, fmt.Errorf("audit.NoticeDocument: %w", err)
	}
	_, _, pre, err := s.checklistCounts(ctx, e.ID)
	if err != nil {
		return nil, fmt.Errorf("audit.NoticeDocument: %w", err)
	}
	now := s.now()
	sch := planScheduleOf(e)
	title := d.Notice.Titles[string(e.Kind)]
	doc := &docgen.Document{Meta: docgen.Meta{Title: "監査実施通知書", Subtitle: e.Title, Ward: ward, FiscalYear: e.FiscalYear, Date: now,
		Classification: "取扱注意", PageNumbers: docgen.PageNone}}
	var blocks []docgen.Block
	item := func(n int, label string) docgen.Paragraph {
		return docgen.Paragraph{Runs: []docgen.Run{{Text: fmt.Sprintf("%d　%s", n, label), Bold: true}}}
	}
	value := func(s string) docgen.Paragraph {
		return docgen.Paragraph{Indent: 2, Runs: []docgen.Run{docgen.T(s)}}
	}
	for i, t := range targets {
		if i > 0 {
			blocks = append(blocks, docgen.PageBreak{})
		}
		subject := t.Path
		if e.System != "" {
			subject = "情報システム「" + e.System + "」（所管：" + t.Path + "）"
		} else if e.Business != "" {
			subject = e.Business + "の事務（" + t.Path + "）"
		}
		blocks = append(blocks,
			planRight("第　　　　号"),
			planRight(jp.FormatWareki(now)),
			docgen.P(t.Name+"長　様"),
			planRight(fillPlaceholders(d.Notice.Sender, facts)),
			docgen.P(""),
			planTitle(title),
		)
		blocks = append(blocks, planParagraphs(fillPlaceholders(d.Notice.Lead, facts), 0)...)
		blocks = append(blocks, docgen.Paragraph{Align: docgen.AlignCenter, Runs: []docgen.Run{docgen.T("記")}})
		n := 0
		next := func(label string, vals ...string) {
			n++
			blocks = append(blocks, item(n, label))
			for _, v := range vals {
				blocks = append(blocks, value(v))
			}
		}
		next("監査の名称", e.Title)
		next("監査の対象", subject)
		visit := "日程は別途調整します。"
		if !t.VisitDate.IsZero() {
			visit = planVisit(t)
		}
		next("実地監査の日時", visit)
		next("監査の範囲", scope)
		next("監査の方法", d.Notice.Method[string(e.Kind)])
		next("監査の担当者", planTBD(planTeam(e)))
		if pre > 0 {
			next("事前調査票", fmt.Sprintf("%sまでに、事前調査票（%d項目）に回答してください。回答の方法は説明会でお伝えします（説明会：%s）。",
				planWareki(sch.Presurvey, "実地監査の2週間前"), pre, planWareki(sch.Briefing, "別途お知らせします")))
		}
		next("準備していただく資料")
		blocks = append(blocks, prepare...)
		next("問い合わせ先", s.planContact(ctx, e, d))
		if d.Notice.Closing != "" {
			blocks = append(blocks, docgen.P(""))
			blocks = append(blocks, planParagraphs(fillPlaceholders(d.Notice.Closing, facts), 0)...)
		}
		blocks = append(blocks, planRight("以上"))
	}
	if len(targets) == 0 {
		blocks = append(blocks, docgen.P("この監査には対象所属が登録されていないため、通知書を作成できません。"))
	}
	doc.Sections = []docgen.Section{{Orientation: docgen.Portrait, Tab: e.Code, Blocks: blocks}}
	return doc, nil
}

// BriefingDocument is the 説明会資料 for the auditee: the purpose of the
// audit, its targets and scope, the schedule, how it is done (the plan's
// ア), what to expect on the day, what to prepare, how to answer the
// pre-audit questionnaire, what follows, and whom to ask.
func (s *Store) BriefingDocument(ctx context.Context, e Engagement) (*docgen.Document, error) {
	d, err := LoadPlanDefaults()
	if err != nil {
		return nil, err
	}
	facts, err := s.planFacts(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("audit.BriefingDocument: %w", err)
	}
	v, err := s.planOrProposed(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("audit.BriefingDocument: %w", err)
	}
	items, err := s.Items(ctx, e.ID, ItemFilter{})
	if err != nil {
		return nil, fmt.Errorf("audit.BriefingDocument: %w", err)
	}
	prepare, err := s.planPrepareBlocks(ctx, e, d, 1)
	if err != nil {
		return nil, fmt.Errorf("audit.BriefingDocument: %w", err)
	}
	ward := s.org.WardName(ctx)
	sch := planScheduleOf(e)
	doc := &docgen.Document{Cover: true, Meta: docgen.Meta{Title: "説明会資料", Subtitle: e.Title, Ward: ward, FiscalYear: e.FiscalYear,
		Date: s.now(), Author: ward + " " + e.Kind.Label() + " 監査チーム", Classification: "取扱注意", PageNumbers: docgen.PageDash}}
	h := func(t string) docgen.Heading { return docgen.Heading{Level: 2, Text: t, Numbered: true} }
	blocks := []docgen.Block{h("監査の目的")}
	blocks = append(blocks, planParagraphs(fillPlaceholders(d.Kinds[string(e.Kind)].Purpose, facts), 0)...)

	// Targets and scope: the checklist's groups with their counts.
	blocks = append(blocks, h("監査の対象と範囲"), planKV([][2]string{{"対象", e.Subject()}, {"監査の種類", e.Kind.Label()},
		{"チェックリスト", fmt.Sprintf("%s（%s版）　%d項目", e.TemplateTitle, jp.FiscalYearLabel(e.TemplateVersion), len(items))}}))
	type group struct {
		name             string
		n, site, presurv int
	}
	var groups []*group
	byName := map[string]*group{}
	for _, it := range items {
		g, _, _ := strings.Cut(it.Category, "／")
		g = strings.TrimSpace(g)
		if g == "" {
			g = "（分類なし）"
		}
		if byName[g] == nil {
			byName[g] = &group{name: g}
			groups = append(groups, byName[g])
		}
		byName[g].n++
		if it.SiteInspection {
			byName[g].site++
		}
		if it.Presurvey {
			byName[g].presurv++
		}
	}
	if len(groups) > 0 {
		gt := docgen.Table{HeaderRows: 1, FontSize: 10, Caption: "確認する分野と項目数", Columns: []docgen.Column{{Width: 5}, {Width: 1.2, Align: docgen.AlignRight},
			{Width: 1.6, Align: docgen.AlignRight}, {Width: 1.6, Align: docgen.AlignRight}}}
		gt.Rows = append(gt.Rows, docgen.Row{Cells: []docgen.Cell{planHead("分野"), planHead("項目数"), planHead("うち視察"), planHead("うち事前調査")}})
		for _, g := range groups {
			num := func(n int) docgen.Cell {
				return docgen.Cell{Runs: []docgen.Run{docgen.T(fmt.Sprint(n))}, Align: docgen.AlignRight}
			}
			gt.Rows = append(gt.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(g.name), num(g.n), num(g.site), num(g.presurv)}})
		}
		blocks = append(blocks, gt)
	}

	// Schedule.
	st := docgen.Table{HeaderRows: 1, FontSize: 10, Columns: []docgen.Column{{Width: 3}, {Width: 4}}}
	st.Rows = append(st.Rows, docgen.Row{Cells: []docgen.Cell{planHead("内容"), planHead("日程")}})
	add := func(what, when string) {
		st.Rows = append(st.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(what), docgen.C(when)}})
	}
	add("事前調査票の回答・資料の提出期限", planWareki(sch.Presurvey, "別途お知らせします"))
	add("説明会", planWareki(sch.Briefing, "別途お知らせします"))
	for _, t := range e.Targets {
		add("実地監査（"+t.Name+"）", planVisit(t))
	}
	add("事実の確認（協議）", planWareki(sch.Consultation, "実地監査の2週間後ごろ")+"（予定）")
	add("報告会", planWareki(sch.ReportMeeting, "実地監査の1か月後ごろ")+"（予定）")
	add("改善状況の確認（フォローアップ）", planWareki(sch.Followup, "報告会の3か月後ごろ")+"まで")
	blocks = append(blocks, h("日程"), st)

	blocks = append(blocks, h("監査の進め方"))
	blocks = append(blocks, planParagraphs(v.Text["a"], 0)...)
	blocks = append(blocks, h("当日のお願い"))
	blocks = append(blocks, planList(fillPlaceholders(d.Briefing.Conduct, facts)))
	blocks = append(blocks, h("準備していただく資料"))
	blocks = append(blocks, prepare...)
	pre := 0
	for _, it := range items {
		if it.Presurvey {
			pre++
		}
	}
	blocks = append(blocks, h("事前調査票の回答方法"))
	if pre > 0 {
		blocks = append(blocks, docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{docgen.T("事前調査票は"),
			{Text: fmt.Sprintf("%d項目", pre), Bold: true}, docgen.T("です。"), {Text: planWareki(sch.Presurvey, "実地監査の2週間前") + "まで", Bold: true},
			docgen.T("に回答してください。")}})
	}
	blocks = append(blocks, planList(fillPlaceholders(d.Briefing.Presurvey, facts)))
	blocks = append(blocks, h("監査の後の流れ"))
	blocks = append(blocks, planList(fillPlaceholders(d.Briefing.After, facts)))
	blocks = append(blocks, h("問い合わせ先"), docgen.P(s.planContact(ctx, e, d)))
	doc.Sections = []docgen.Section{{Orientation: docgen.Portrait, Tab: e.Code, Blocks: blocks}}
	return doc, nil
}

// planList sets text as a bulleted list, one entry per line.
func planList(text string) docgen.List {
	var l docgen.List
	for _, line := range strings.Split(text, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			l.Items = append(l.Items, docgen.ListItem{Runs: []docgen.Run{docgen.T(line)}})
		}
	}
	return l
}
