package catalog

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"mamori/internal/database"
	"mamori/internal/docgen"
	"mamori/internal/docgen/docx"
	"mamori/internal/docgen/pdf"
	"mamori/internal/jp"
)

// This file lays checklist templates and mapping tables out as documents
// through the docgen model, and serves them as downloads.

// ExportFormats are the formats a template can be exported in, with the
// label the pages show.
var ExportFormats = map[string]string{"xlsx": "Excel（.xlsx）", "pdf": "PDF", "docx": "Word（.docx）"}

// printColumns are the ward layout's columns of a printed checklist.
var printColumns = []struct {
	Head  string
	Width float64
	Align docgen.Align
}{
	{"No", 3.0, docgen.AlignCenter}, {"分類", 2.4, docgen.AlignLeft}, {"監査項目", 5.8, docgen.AlignLeft},
	{"判定基準", 8.6, docgen.AlignLeft}, {"監査資料の例", 4, docgen.AlignLeft}, {"確認方法", 4.4, docgen.AlignLeft},
	{"判定\n（○△×）", 2.3, docgen.AlignCenter}, {"所見", 3.4, docgen.AlignLeft}, {"根拠規定", 3.4, docgen.AlignLeft},
}

// PrintHeader is the header row of the printed checklist.
func PrintHeader() []string {
	out := make([]string, len(printColumns))
	for i, c := range printColumns {
		out[i] = c.Head
	}
	return out
}

// splitCategory divides "物理的セキュリティ／サーバ等の管理" into the
// group the printed checklist is arranged by and the rest for the 分類
// column. A category without "／" is its own group.
func splitCategory(cat string) (group, rest string) {
	if g, r, ok := strings.Cut(cat, "／"); ok && strings.TrimSpace(g) != "" {
		return strings.TrimSpace(g), strings.TrimSpace(r)
	}
	if strings.TrimSpace(cat) == "" {
		return "（分類なし）", ""
	}
	return strings.TrimSpace(cat), ""
}

// criteriaRuns prints the three judgement rules as labelled lines.
func criteriaRuns(c Criteria) []docgen.Run {
	partial := c.Partial
	if strings.TrimSpace(partial) == "" {
		partial = "—"
	}
	return []docgen.Run{
		{Text: "適合（○）：", Bold: true}, docgen.T(c.Conform + "\n"),
		{Text: "一部不適合（△）：", Bold: true}, docgen.T(partial + "\n"),
		{Text: "不適合（×）：", Bold: true}, docgen.T(c.Nonconform),
	}
}

// PrintRow is one item as it prints in the checklist's table (the
// preview on the edit form shows the same cells).
func PrintRow(it StoredItem) docgen.Row {
	_, rest := splitCategory(it.Category)
	no := it.Code
	if p := Priorities[it.Priority]; p != "" {
		no += "\n" + p
	}
	q := it.Question
	if it.SiteInspection {
		q += "（視察）"
	}
	var refs []string
	for _, c := range it.Clauses {
		refs = append(refs, strings.TrimSpace(c.Framework+" "+c.Number+" "+c.Title))
	}
	cells := []docgen.Cell{docgen.C(no), docgen.C(rest), docgen.C(q), {Runs: criteriaRuns(it.Criteria)},
		docgen.C(joinLines(it.Evidence)), docgen.C(joinLines(it.Methods)), docgen.C(""), docgen.C(""), docgen.C(strings.Join(refs, "\n"))}
	for i := range cells {
		cells[i].Align = printColumns[i].Align
	}
	return docgen.Row{Cells: cells}
}

func printTable() docgen.Table {
	t := docgen.Table{HeaderRows: 1, FontSize: 8}
	head := docgen.Row{}
	for _, c := range printColumns {
		t.Columns = append(t.Columns, docgen.Column{Width: c.Width, Align: c.Align})
		head.Cells = append(head.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(c.Head)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter})
	}
	t.Rows = append(t.Rows, head)
	return t
}

// TemplateDocument lays a checklist template out for printing (PDF and
// DOCX): a cover with the title, the fiscal year and the item count, a
// short note on how to fill it in, then the items grouped by category in
// A4 landscape tables with the ward's columns. filtered says the items
// are a filtered subset of the template.
func TemplateDocument(t StoredTemplate, items []StoredItem, ward string, now time.Time, filtered bool) *docgen.Document {
	kind := Kinds[t.Kind]
	status := "編集中の版"
	if t.Frozen {
		status = "凍結済みの版"
	}
	d := &docgen.Document{Cover: true, Meta: docgen.Meta{Title: t.Title, Subtitle: kind, Ward: ward, FiscalYear: t.Version, Date: now,
		Classification: "取扱注意", PageNumbers: docgen.PageOfTotal,
		Version: fmt.Sprintf("%s版（%s）　全 %d 項目", jp.FiscalYearLabel(t.Version), status, len(items))}}

	type group struct {
		name  string
		items []StoredItem
	}
	var groups []*group
	byName := map[string]*group{}
	site, required := 0, 0
	for _, it := range items {
		g, _ := splitCategory(it.Category)
		if byName[g] == nil {
			byName[g] = &group{name: g}
			groups = append(groups, byName[g])
		}
		byName[g].items = append(byName[g].items, it)
		if it.SiteInspection {
			site++
		}
		if it.Priority == "required" {
			required++
		}
	}

	blocks := []docgen.Block{
		docgen.Heading{Level: 1, Text: "このチェックリストについて"},
		docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{docgen.T(fmt.Sprintf(
			"この「%s」は、確認する %d 項目を分類ごとにまとめたものです（うち必須 %d 項目、現地で確かめる視察項目 %d 項目）。"+
				"各項目について「判定基準」に照らして判定欄に ○（適合）・△（一部不適合）・×（不適合）のいずれかを記入し、判断の根拠とした事実（見た資料、聞いた相手、確かめた場所）を所見欄に書いてください。"+
				"所属の業務に当てはまらない項目は、判定欄に「該当なし」と書き、理由を所見欄に残します。",
			t.Title, len(items), required, site))}},
		docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{docgen.T(
			"「監査資料の例」と「確認方法」は確認の手がかりとして示したもので、これに限りません。「根拠規定」は、その項目が確かめる基準又はポリシーの条項を「枠組み 番号 名称」で示しています。" +
				"監査項目の末尾に（視察）とある項目は、書類だけでなく現地で状態を確かめてください。No 欄の「必須」「推奨」は項目の重要度です。")}},
	}
	if filtered {
		blocks = append(blocks, docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{{Text: "この出力は、画面で指定した条件で絞り込んだ項目だけを収めています。", Bold: true}}})
	}
	summary := docgen.Table{HeaderRows: 1, Caption: "分類ごとの項目数", Columns: []docgen.Column{{Width: 6}, {Width: 1.5, Align: docgen.AlignRight},
		{Width: 1.5, Align: docgen.AlignRight}, {Width: 1.5, Align: docgen.AlignRight}, {Width: 1.5, Align: docgen.AlignRight}}}
	head := docgen.Row{}
	for _, h := range []string{"分類", "項目数", "うち必須", "うち推奨", "うち視察項目"} {
		head.Cells = append(head.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(h)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter})
	}
	summary.Rows = append(summary.Rows, head)
	num := func(n int) docgen.Cell {
		return docgen.Cell{Runs: []docgen.Run{docgen.T(fmt.Sprint(n))}, Align: docgen.AlignRight}
	}
	for _, g := range groups {
		var req, rec, si int
		for _, it := range g.items {
			switch it.Priority {
			case "required":
				req++
			case "recommended":
				rec++
			}
			if it.SiteInspection {
				si++
			}
		}
		summary.Rows = append(summary.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(g.name), num(len(g.items)), num(req), num(rec), num(si)}})
	}
	if len(groups) > 0 {
		blocks = append(blocks, summary)
	} else {
		blocks = append(blocks, docgen.P("このチェックリストには項目がありません。"))
	}
	for _, g := range groups {
		tb := printTable()
		for _, it := range g.items {
			tb.Rows = append(tb.Rows, PrintRow(it))
		}
		blocks = append(blocks, docgen.PageBreak{}, docgen.Heading{Level: 1, Text: fmt.Sprintf("%s（%d 項目）", g.name, len(g.items))}, tb)
	}
	d.Sections = []docgen.Section{{Orientation: docgen.Landscape, Tab: kind, Blocks: blocks}}
	return d
}

// RenderTemplate writes a checklist template in format (xlsx, pdf or
// docx): XLSX exactly as the template page exports it (the ward's
// spreadsheet layout, importable again), PDF and DOCX as the printed
// checklist of TemplateDocument.
func RenderTemplate(w io.Writer, format string, t StoredTemplate, items []StoredItem, ward string, now time.Time, filtered bool) error {
	switch format {
	case "xlsx":
		return WriteChecklistXLSX(w, ChecklistDocument(t, items, ward))
	case "pdf":
		return pdf.Render(w, TemplateDocument(t, items, ward, now, filtered))
	case "docx":
		// Word's page header carries only the section's tab label (the
		// PDF prints the tab and the title), so there the tab is the title.
		d := TemplateDocument(t, items, ward, now, filtered)
		for i := range d.Sections {
			d.Sections[i].Tab = fmt.Sprintf("%s（%s版）", t.Title, jp.FiscalYearLabel(t.Version))
		}
		return docx.Render(w, d)
	}
	return fmt.Errorf("出力形式 %q には対応していません（xlsx, pdf, docx のいずれか）", format)
}

// downloadTypes of the download formats.
var downloadTypes = map[string]string{
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"pdf":  "application/pdf",
	"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

// TemplateFileName is the download name of a template export.
func TemplateFileName(t StoredTemplate, format string) string {
	return fmt.Sprintf("%s_%s.%s", t.Title, jp.FiscalYearLabel(t.Version), format)
}

// exportDocument serves the template as PDF or DOCX (the printed
// checklist); the download is audited before the file is written.
func (w *Web) exportDocument(rw http.ResponseWriter, r *http.Request, format string) error {
	if ExportFormats[format] == "" {
		return invalidFormat(format)
	}
	t, items, err := w.templateItems(r)
	if err != nil {
		return err
	}
	filtered := false
	for k, v := range r.URL.Query() {
		if k != "format" && len(v) > 0 && v[0] != "" {
			filtered = true
		}
	}
	// Lay the document out before recording the download, so a document
	// that cannot be built leaves no audit entry for a file never sent.
	var buf bytes.Buffer
	if err := RenderTemplate(&buf, format, t, items, w.wardName(r), time.Now(), filtered); err != nil {
		return err
	}
	name := TemplateFileName(t, format)
	if err := w.log.Record(r.Context(), "download", fmt.Sprintf("checklist_template:%d", t.ID), fmt.Sprintf("%s（%d 項目, %s）", name, len(items), ExportFormats[format])); err != nil {
		return err
	}
	rw.Header().Set("Content-Type", downloadTypes[format])
	rw.Header().Set("Content-Disposition", "attachment; filename=\"checklist."+format+"\"; filename*=UTF-8''"+urlPathEscape(name))
	_, err = buf.WriteTo(rw)
	return err
}

// PairDocument is the mapping table between two framework editions as a
// spreadsheet: every clause of A with the clauses of B it corresponds to
// (one row per pair, so the sheet can be filtered), then B's clauses with
// no counterpart in A.
func PairDocument(t *PairTable, ward string, now time.Time) *docgen.Document {
	head := func(cols ...string) docgen.Row {
		r := docgen.Row{}
		for _, c := range cols {
			r.Cells = append(r.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(c)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter})
		}
		return r
	}
	a, b := t.A.Title, t.B.Title
	main := docgen.Table{HeaderRows: 1, Caption: a + " と " + b + " の対応",
		Columns: []docgen.Column{{Width: 2}, {Width: 5}, {Width: 2}, {Width: 5}, {Width: 2, Align: docgen.AlignCenter}, {Width: 5}}}
	main.Rows = append(main.Rows, head(t.A.Code+" 番号", a+" の条項", t.B.Code+" 番号", b+" の条項", "向き", "備考"))
	for _, row := range t.Rows {
		if len(row.Targets) == 0 {
			main.Rows = append(main.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(row.Clause.Number), docgen.C(row.Clause.Title), docgen.C(""), docgen.C("（対応なし）"), docgen.C(""), docgen.C("")}})
			continue
		}
		for _, m := range row.Targets {
			dir := "→"
			if !m.Outgoing {
				dir = "←"
			}
			main.Rows = append(main.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(row.Clause.Number), docgen.C(row.Clause.Title),
				docgen.C(m.Other.Number), docgen.C(m.Other.Title), docgen.C(dir), docgen.C(m.Note)}})
		}
	}
	rest := docgen.Table{HeaderRows: 1, Caption: b + " のうち " + a + " に対応のない条項", Columns: []docgen.Column{{Width: 2}, {Width: 6}, {Width: 8}}}
	rest.Rows = append(rest.Rows, head(t.B.Code+" 番号", "条項", "概要"))
	for _, c := range t.UnmappedB {
		rest.Rows = append(rest.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(c.Number), docgen.C(c.Title), docgen.C(c.Summary)}})
	}
	summary := fmt.Sprintf("%s（%s）の条項 %d のうち %d に対応があります（対応 %d 件）。%s（%s）の条項 %d のうち %d は対応がありません。",
		a, t.A.Version, len(t.Rows), t.MappedA, t.MappingsAB, b, t.B.Version, len(t.UnmappedB)+countMappedB(t), len(t.UnmappedB))
	return &docgen.Document{Meta: docgen.Meta{Title: "条項の対応表（" + a + " ↔ " + b + "）", Ward: ward, Date: now, Classification: "取扱注意"},
		Sections: []docgen.Section{
			{Orientation: docgen.Landscape, Tab: "対応表", Blocks: []docgen.Block{docgen.P(summary), main}},
			{Orientation: docgen.Landscape, Tab: "対応のない条項", Blocks: []docgen.Block{rest}},
		}}
}

// countMappedB is the number of B's clauses that have a mapping with A.
func countMappedB(t *PairTable) int {
	seen := map[int64]bool{}
	for _, r := range t.Rows {
		for _, m := range r.Targets {
			seen[m.Other.ID] = true
		}
	}
	return len(seen)
}

// ParseKind accepts a template kind's code ("internal") or its Japanese
// name ("内部監査").
func ParseKind(s string) (string, error) {
	s = strings.TrimSpace(s)
	if Kinds[s] != "" {
		return s, nil
	}
	for k, l := range Kinds {
		if l == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("チェックリストの種類「%s」はありません（%s）", s, keys(Kinds))
}

// TemplateByKind returns the template of kind in fiscal year version; when
// there is none, the error lists the versions that exist.
func (s *Store) TemplateByKind(ctx context.Context, kind string, version int) (StoredTemplate, error) {
	ts, err := s.Templates(ctx)
	if err != nil {
		return StoredTemplate{}, err
	}
	var have []string
	for _, t := range ts {
		if t.Kind != kind {
			continue
		}
		if t.Version == version {
			return t, nil
		}
		have = append(have, jp.FiscalYearLabel(t.Version))
	}
	if len(have) == 0 {
		return StoredTemplate{}, fmt.Errorf("%sのチェックリストは取り込まれていません（mamori catalog import で取り込めます）: %w", Kinds[kind], database.ErrNotFound)
	}
	return StoredTemplate{}, fmt.Errorf("%sのチェックリストに%s版はありません（ある版: %s）: %w", Kinds[kind], jp.FiscalYearLabel(version), strings.Join(have, "、"), database.ErrNotFound)
}
