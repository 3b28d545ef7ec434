package audit

// The demo before the visit: items added at planning, the document
// requests (提出資料一覧) with the files the auditee submitted, the
// pre-audit answers and the questionnaire's state, and the items marked
// to focus on.

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/jp"
	"mamori/internal/org"
)

// addItems adds the items the auditors added to the checklist at
// planning, with their reasons, through the checklist store.
func (b *demoBuilder) addItems(ctx context.Context, e Engagement, det *demoDetail, lead Actor, visit time.Time) error {
	for _, a := range det.Add {
		if _, err := b.at(day(visit, -46, 15, 0)).AddItem(ctx, e.ID, AddItemInput{Code: a.Code, Reason: a.Reason}, lead); err != nil {
			return fmt.Errorf("項目「%s」の追加: %w", a.Code, err)
		}
	}
	return nil
}

// requestSet is the standard document list of an engagement's kind.
func requestSet(e Engagement) string {
	switch {
	case e.Kind == KindSystem && e.Hosting == "cloud":
		return "cloud"
	case e.Kind == KindSystem:
		return "system"
	case e.Kind == KindExternalMyNumber:
		return "external_mynumber"
	}
	return "internal"
}

// presurvey writes the document requests, the submitted files, the
// answers, the questionnaire's state and the focus marks.
func (b *demoBuilder) presurvey(ctx context.Context, e Engagement, det *demoDetail, items []Item, visit time.Time) error {
	lead := b.lead(e)
	p, err := b.people(ctx, e.Targets[0].DepartmentID)
	if err != nil {
		return err
	}
	auditee := b.answerer(p)
	// A business across several departments: their staff are all in the
	// documents.
	for _, t := range e.Targets[1:] {
		q, err := b.people(ctx, t.DepartmentID)
		if err != nil {
			return err
		}
		p.staff, p.units = append(p.staff, q.staff...), append(p.units, q.units...)
	}
	have := map[string]bool{}
	for _, it := range items {
		have[it.Code] = true
	}
	// The requests, and which request each document answers.
	sets := []string{requestSet(e)}
	if det.PrevAudit {
		sets = append(sets, "prev")
	}
	var ins []RequestInput
	var docOf [][]string
	for _, set := range sets {
		for _, r := range b.c.requests[set] {
			var codes []string
			for _, c := range r.Items {
				if have[c] {
					codes = append(codes, c)
				}
			}
			if len(codes) == 0 {
				continue
			}
			ins = append(ins, RequestInput{Name: r.Name, Purpose: r.Purpose, Items: strings.Join(codes, ","), Due: jp.DateKey(day(visit, r.Due, 0, 0))})
			docOf = append(docOf, r.Documents)
		}
	}
	if len(ins) > 0 {
		ids, err := b.at(day(visit, -40, 10, 30)).AddRequests(ctx, e.ID, ins, lead)
		if err != nil {
			return fmt.Errorf("提出資料一覧: %w", err)
		}
		for n, key := range det.Submitted {
			id := int64(0)
			for i, ds := range docOf {
				if slices.Contains(ds, key) {
					id = ids[i]
				}
			}
			if id == 0 {
				return fmt.Errorf("提出資料「%s」に当たる依頼がありません", key)
			}
			if err := b.submitDocument(ctx, e, det, p, auditee, id, key, day(visit, -19+n, 9+n, 15)); err != nil {
				return fmt.Errorf("提出資料「%s」: %w", key, err)
			}
		}
	}
	if err := b.answers(ctx, e, det, items, auditee, visit); err != nil {
		return err
	}
	if err := b.presurveyState(ctx, e, det, auditee, lead, visit); err != nil {
		return err
	}
	// Focus marks, set by the auditors after reading the answers.
	for _, code := range det.Focus {
		if !have[code] {
			return fmt.Errorf("重点確認の項目「%s」がチェックリストにありません", code)
		}
		if _, err := b.s.db.Exec(ctx, "UPDATE audit_items SET focus = ?, rev = rev + 1, updated_by_name = ?, updated_at = ? WHERE engagement_id = ? AND code = ?",
			true, lead.Name, dbTime(b.clamp(day(visit, -12, 11, 0))), e.ID, code); err != nil {
			return err
		}
	}
	return nil
}

// clamp keeps a demo time at or before the builder's now.
func (b *demoBuilder) clamp(t time.Time) time.Time {
	if t.After(b.now) {
		return b.now
	}
	return t
}

// answers writes the pre-audit answers (all of them, or the share the
// questionnaire's state says were typed so far).
func (b *demoBuilder) answers(ctx context.Context, e Engagement, det *demoDetail, items []Item, auditee Actor, visit time.Time) error {
	var qs []Item
	for _, it := range items {
		if it.Presurvey {
			qs = append(qs, it)
		}
	}
	for code := range det.Answers {
		found := false
		for _, it := range qs {
			found = found || it.Code == code
		}
		if !found {
			return fmt.Errorf("回答を書いた項目「%s」が事前調査票にありません", code)
		}
	}
	n := int(math.Ceil(det.Presurvey.Answered * float64(len(qs))))
	na := map[string]bool{}
	for _, c := range det.NA {
		na[c] = true
	}
	stmt, err := b.s.db.Prepare(ctx, "UPDATE audit_items SET answer_choice = ?, answer = ?, answered_by_name = ?, answered_at = ? WHERE id = ?")
	if err != nil {
		return err
	}
	defer stmt.Close()
	// Typed over some days from a month before the visit, or up to now for
	// a questionnaire being answered now.
	start := day(visit, -30, 9, 30)
	if step := time.Duration(n) * 97 * time.Minute; start.Add(step).After(b.now) {
		start = b.now.Add(-step)
	}
	for i, it := range qs[:min(n, len(qs))] {
		choice, text := b.answerFor(e, det, it, na[it.Code])
		at := b.clamp(start.Add(time.Duration(i) * 97 * time.Minute))
		if _, err := stmt.ExecContext(ctx, choice, text, auditee.Name, dbTime(at), it.ID); err != nil {
			return err
		}
	}
	return nil
}

// answerFor is an item's answer: the one written, or one made from the
// phrases (該当しない for the items judged 該当なし).
func (b *demoBuilder) answerFor(e Engagement, det *demoDetail, it Item, na bool) (string, string) {
	if a, ok := det.Answers[it.Code]; ok {
		return a[0], a[1]
	}
	if na {
		reason := firstSentence(b.c.phrases.NA[it.Code])
		if reason == "" {
			return "na", "当課には該当する事務・機器がありません。"
		}
		return "na", strings.Replace(reason, "ため該当なし", "ため、該当しません", 1) + "。"
	}
	h := demoHash(e.Code, it.Code, "answer")
	choice := "yes"
	if h%17 == 3 {
		choice = "partly"
	}
	list := b.c.phrases.Answers[choice]
	return choice, b.fill(list[h%len(list)], e, it, h)
}

// presurveyState moves the questionnaire to its demo state through the
// store (submitted, closed) or directly (in progress).
func (b *demoBuilder) presurveyState(ctx context.Context, e Engagement, det *demoDetail, auditee, lead Actor, visit time.Time) error {
	due := jp.DateKey(day(visit, -14, 0, 0))
	if _, err := b.s.db.Exec(ctx, "UPDATE audit_presurveys SET due_date = ?, updated_at = ? WHERE engagement_id = ?",
		due, dbTime(b.clamp(day(visit, -40, 10, 30))), e.ID); err != nil {
		return err
	}
	switch det.Presurvey.State {
	case "", PresurveyDraft:
		return nil
	case PresurveyInProgress:
		_, err := b.s.db.Exec(ctx, "UPDATE audit_presurveys SET state = ?, rev = rev + 1, updated_at = ? WHERE engagement_id = ?",
			PresurveyInProgress, dbTime(b.clamp(day(visit, -20, 16, 0))), e.ID)
		return err
	case PresurveySubmitted, PresurveyClosed:
	default:
		return fmt.Errorf("事前調査票の状態「%s」は使えません", det.Presurvey.State)
	}
	if err := b.at(day(visit, -16, 16, 40)).SubmitPresurvey(ctx, e.ID, auditee); err != nil {
		return fmt.Errorf("事前調査票の提出: %w", err)
	}
	if det.Presurvey.State == PresurveySubmitted {
		return nil
	}
	p, err := b.s.Presurvey(ctx, e.ID)
	if err != nil {
		return err
	}
	return b.at(day(visit, -10, 10, 0)).ClosePresurvey(ctx, e.ID, p.Rev, lead)
}

// submitDocument renders one submitted document and stores it as the
// engagement's encrypted evidence for the request.
func (b *demoBuilder) submitDocument(ctx context.Context, e Engagement, det *demoDetail, p *demoPeople, by Actor, requestID int64, key string, at time.Time) error {
	spec := b.c.documents[key]
	if spec == nil {
		return fmt.Errorf("documents.json に「%s」がありません", key)
	}
	format := spec.Format
	if f, ok := det.Formats[key]; ok {
		format = f
	}
	doc, name := b.document(ctx, e, spec, det.Blank[key], p, e.FirstVisit(), format == "pdf")
	name = strings.TrimSuffix(name, "."+spec.Format) + "." + format
	f, ok := formats.Get(format)
	if !ok || format == "html" {
		return fmt.Errorf("形式「%s」は使えません", format)
	}
	var buf bytes.Buffer
	if err := f.Render(&buf, doc); err != nil {
		return err
	}
	_, err := b.at(at).AddEvidence(ctx, e.ID, EvidenceInput{RequestID: requestID, Kind: EvidenceDocument, Filename: name,
		ContentType: f.ContentType, Data: buf.Bytes()}, by)
	return err
}

// document builds a submitted file from its spec for one department.
// A PDF prints the subtitle (the department and the year) at the top of
// its first page, as a sheet prints it under the title.
func (b *demoBuilder) document(ctx context.Context, e Engagement, spec *demoDocument, blank map[string][]int, p *demoPeople, visit time.Time, pdf bool) (*docgen.Document, string) {
	ward := b.s.org.WardName(ctx)
	fix := func(s string, row int, date time.Time) string {
		return b.expand(s, e, p, ward, row, date, visit)
	}
	d := &docgen.Document{Meta: docgen.Meta{Title: spec.Title, Subtitle: fix(spec.Subtitle, 0, visit), Ward: ward, FiscalYear: e.FiscalYear,
		Date: day(visit, -19, 9, 0), Author: fix(spec.Author, 0, visit), Classification: "機密性2"}}
	var blocks []docgen.Block
	if pdf && d.Meta.Subtitle != "" {
		blocks = append(blocks, docgen.Paragraph{Runs: []docgen.Run{docgen.T(d.Meta.Subtitle)}, Align: docgen.AlignRight})
	}
	if spec.Intro != "" {
		blocks = append(blocks, docgen.P(fix(spec.Intro, 0, visit)))
	}
	for _, t := range spec.Tables {
		tb := docgen.Table{HeaderRows: 1, Caption: t.Caption}
		head := docgen.Row{}
		blankCol := map[int]map[int]bool{}
		for i, c := range t.Columns {
			label, _ := c[0].(string)
			w, _ := c[1].(float64)
			tb.Columns = append(tb.Columns, docgen.Column{Width: w})
			head.Cells = append(head.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(label)}, Bold: true, Fill: "E8EEF4", Align: docgen.AlignCenter})
			if rows, ok := blank[label]; ok {
				blankCol[i] = map[int]bool{}
				for _, r := range rows {
					blankCol[i][r] = true
				}
			}
		}
		tb.Rows = append(tb.Rows, head)
		count, start, step := len(t.Rows), 0, 0
		if t.Repeat != nil {
			count, start, step = t.Repeat.Count, t.Repeat.Start, t.Repeat.Step
		}
		for n := 1; n <= count; n++ {
			tmpl := t.Rows[(n-1)%len(t.Rows)]
			date := day(visit, start+(n-1)*step, 9, 0)
			row := docgen.Row{}
			for i, cell := range tmpl {
				v := fix(cell, n, date)
				if blankCol[i][n] {
					v = ""
				}
				row.Cells = append(row.Cells, docgen.C(v))
			}
			tb.Rows = append(tb.Rows, row)
		}
		blocks = append(blocks, tb)
	}
	d.Sections = []docgen.Section{{Blocks: blocks}}
	if spec.Landscape {
		d.Sections[0].Orientation = docgen.Landscape
	}
	return d, fix(spec.File, 0, visit)
}

// expand fills a demo text's placeholders (see documents.json's _about);
// row is the table row (1-based; 0 outside tables) and date the row's date.
func (b *demoBuilder) expand(s string, e Engagement, p *demoPeople, ward string, row int, date, visit time.Time) string {
	if !strings.Contains(s, "{") {
		return s
	}
	var out strings.Builder
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			out.WriteString(s)
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			out.WriteString(s)
			break
		}
		out.WriteString(s[:i])
		out.WriteString(b.placeholder(s[i+1:i+j], e, p, ward, row, date, visit))
		s = s[i+j+1:]
	}
	return out.String()
}

func (b *demoBuilder) placeholder(key string, e Engagement, p *demoPeople, ward string, row int, date, visit time.Time) string {
	name, arg, _ := strings.Cut(key, ":")
	staff := p.person(row*7 + demoHash(e.Code)%5)
	switch name {
	case "dept":
		return p.dept.Name
	case "depts":
		return e.TargetNames()
	case "ward":
		return ward
	case "fy":
		return jp.FiscalYearLabel(e.FiscalYear)
	case "chief":
		return p.chief
	case "boss":
		return p.boss
	case "no":
		if w, err := strconv.Atoi(arg); err == nil && len(arg) > 1 && arg[0] == '0' {
			return fmt.Sprintf("%0*d", w, row)
		}
		return strconv.Itoa(row)
	case "staff":
		return staff.Name
	case "staff2":
		return p.person(row*11 + len(p.staff)/2 + 5).Name
	case "staff2unit":
		return b.unitName(p.person(row*11+len(p.staff)/2+5), p)
	case "staffunit":
		return b.unitName(staff, p)
	case "stafftitle":
		return staff.JobTitle
	case "unit":
		if len(p.units) == 0 {
			return p.dept.Name
		}
		if n, err := strconv.Atoi(arg); err == nil && n >= 1 {
			return p.units[(n-1)%len(p.units)]
		}
		return p.units[row%len(p.units)]
	case "date":
		return jp.FormatWareki(date)
	case "date+1", "date+2", "date+3":
		n, _ := strconv.Atoi(name[5:])
		return jp.FormatWareki(date.AddDate(0, 0, n))
	case "d":
		n, _ := strconv.Atoi(arg)
		return jp.FormatWareki(day(visit, n, 9, 0))
	}
	return "{" + key + "}"
}

// unitName is the section a staff member works in.
func (b *demoBuilder) unitName(s org.Staff, p *demoPeople) string {
	if d := b.tree.ByID[s.DepartmentID]; d != nil {
		return d.Name
	}
	return p.dept.Name
}

// fill completes a phrase for an item: {ev} its evidence, {who} a person
// asked, {place} where it was seen.
func (b *demoBuilder) fill(s string, e Engagement, it Item, h int) string {
	ev := "関係する記録"
	switch len(it.Evidence) {
	case 0:
	case 1:
		ev = it.Evidence[0]
	default:
		ev = it.Evidence[0] + "と" + it.Evidence[1]
	}
	who := b.c.phrases.Who
	switch {
	case e.Kind == KindSystem && len(b.c.phrases.SystemWho) > 0:
		who = b.c.phrases.SystemWho
	case e.Kind.External() && len(b.c.phrases.ExternalWho) > 0:
		who = b.c.phrases.ExternalWho
	}
	place := "執務室"
	for _, pl := range b.c.phrases.Places {
		if pl.Word == "" || strings.Contains(it.Question, pl.Word) {
			place = pl.Place
			break
		}
	}
	return strings.NewReplacer("{ev}", ev, "{who}", who[h%len(who)], "{place}", place).Replace(s)
}

// firstSentence is a text's first sentence without its 「。」, a
// parenthesised 。 not ending it, and a closing parenthesis dropped.
func firstSentence(s string) string {
	depth := 0
	rs := []rune(strings.TrimSpace(s))
	end := len(rs)
	for i, r := range rs {
		switch r {
		case '（', '(':
			depth++
		case '）', ')':
			depth--
		case '。':
			if depth <= 0 {
				end = i
			}
		}
		if end != len(rs) {
			break
		}
	}
	out := string(rs[:end])
	if strings.HasSuffix(out, "）") {
		if i := strings.LastIndex(out, "（"); i > 0 {
			out = out[:i]
		}
	}
	return out
}

// dbTime is a time as the store writes it.
func dbTime(t time.Time) database.Time { return database.T(t) }
