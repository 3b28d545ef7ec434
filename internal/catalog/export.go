package catalog

// This file is the catalogue's downloads, each readable here from its
// handler down to its layout: a checklist template as the ward's
// spreadsheet (XLSX, importable again by import.go) or as the printed
// checklist (PDF, DOCX); a checklist selected for one audit (XLSX with
// the reason for each item; internal/audit serves it); and the mapping
// table between two framework editions (XLSX). Every download goes
// through web.Send, which records it in the audit log.

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"mamori/internal/docgen"
	"mamori/internal/docgen/formats"
	"mamori/internal/docgen/xlsx"
	"mamori/internal/jp"
	"mamori/internal/tabular"
	"mamori/internal/web"
)

// ---- the template export: handler ----

// ExportFormats are the formats a template can be exported in, with the
// label the pages show (the page also offers its list as CSV: csv, csv-utf8).
var ExportFormats = map[string]string{"xlsx": formats.XLSX.Label, "pdf": formats.PDF.Label, "docx": formats.DOCX.Label}

// export serves a template's items as the page lists them (the same list
// spec, so the same filters; always in the checklist's own order, which
// the spreadsheet's import keeps) as the ward's spreadsheet (?format=xlsx,
// the default), as the printed checklist (pdf, docx) or as CSV. A filter
// value the page would refuse is refused here too: a file never holds more
// than was asked for.
func (w *Web) export(rw http.ResponseWriter, r *http.Request) error {
	name := r.URL.Query().Get("format")
	if name == "" {
		name = "xlsx"
	}
	csv, csvErr := tabular.ParseFormat(name)
	if ExportFormats[name] == "" && (csvErr != nil || csv.Key == "xlsx") {
		return invalidFormat(name)
	}
	t, err := w.templateInPath(r)
	if err != nil {
		return err
	}
	l, filter, err := w.itemList(r, t)
	if err != nil {
		return err
	}
	if err := l.Err(); err != nil {
		return err
	}
	items, err := w.store.Items(r.Context(), filter)
	if err != nil {
		return err
	}
	filtered := l.Filtered()
	note := ""
	if filtered {
		note = "、絞り込み"
	}
	if ExportFormats[name] == "" { // CSV
		file := TemplateFileName(t, "csv")
		d := web.Download{Name: file, ContentType: csv.ContentType, Target: fmt.Sprintf("checklist_template:%d", t.ID),
			Detail: fmt.Sprintf("%s（%d 項目, %s%s）", file, len(items), csv.Label, note)}
		return web.Send(rw, r, w.log, d, func(out io.Writer) error { return tabular.Write(out, csv, ItemTable(t, items)) })
	}
	f, _ := formats.Get(name)
	file := TemplateFileName(t, f.Name)
	d := web.Download{Name: file, ContentType: f.ContentType, Target: fmt.Sprintf("checklist_template:%d", t.ID),
		Detail: fmt.Sprintf("%s（%d 項目, %s%s）", file, len(items), f.Label, note)}
	// The spreadsheet is the file people edit and import again: it carries
	// no ward line. The printed checklist names the ward and says when it
	// holds a filtered subset.
	ward := ""
	if f.Name != "xlsx" {
		ward = w.ward.WardName(r.Context())
	} else {
		d.Detail = fmt.Sprintf("%s（%d 項目%s）", file, len(items), note)
	}
	return web.Send(rw, r, w.log, d, func(out io.Writer) error {
		return RenderTemplate(out, f.Name, t, items, ward, w.now(), filtered)
	})
}

// ItemTable is a template's items as a plain table (the CSV export): the
// spreadsheet's columns without the auditor's 判定 and 所見, the clauses
// named by their standards' short names.
func ItemTable(t StoredTemplate, items []StoredItem) tabular.Table {
	tb := tabular.Table{Sheet: t.Title}
	var cols []sheetColumn
	for _, c := range sheetColumns {
		if c.Key == "judgement" || c.Key == "finding" {
			continue
		}
		cols = append(cols, c)
		tb.Headers = append(tb.Headers, c.Head)
	}
	for _, it := range items {
		row := make([]string, len(cols))
		for i, c := range cols {
			if c.Key == "clauses" {
				var refs []string
				for _, cl := range it.Clauses {
					refs = append(refs, cl.Ref())
				}
				row[i] = strings.Join(refs, "\n")
				continue
			}
			row[i] = ixCell(c.Key, it)
		}
		tb.Rows = append(tb.Rows, row)
	}
	return tb
}

func invalidFormat(f string) error {
	return web.Invalid("出力形式「%s」には対応していません。xlsx・pdf・docx・csv・csv-utf8 のいずれかを指定してください。", f)
}

// TemplateFileName is the download name of a template export.
func TemplateFileName(t StoredTemplate, format string) string {
	return fmt.Sprintf("%s_%s.%s", t.Title, jp.FiscalYearLabel(t.Version), format)
}

// RenderTemplate writes a checklist template in format (xlsx, pdf or
// docx): XLSX as the ward's spreadsheet (checklistWorkbook, importable
// again), PDF and DOCX as the printed checklist of TemplateDocument.
func RenderTemplate(w io.Writer, format string, t StoredTemplate, items []StoredItem, ward string, now time.Time, filtered bool) error {
	switch format {
	case "xlsx":
		return WriteChecklistXLSX(w, ChecklistDocument(t, items, ward))
	case "pdf":
		return formats.PDF.Render(w, TemplateDocument(t, items, ward, now, filtered))
	case "docx":
		// Word's page header carries only the section's tab label (the
		// PDF prints the tab and the title), so there the tab is the title.
		d := TemplateDocument(t, items, ward, now, filtered)
		for i := range d.Sections {
			d.Sections[i].Tab = fmt.Sprintf("%s（%s版）", t.Title, jp.FiscalYearLabel(t.Version))
		}
		return formats.DOCX.Render(w, d)
	}
	return fmt.Errorf("出力形式 %q には対応していません（xlsx, pdf, docx のいずれか）", format)
}

// ---- the ward's spreadsheet (XLSX) ----

// sheetColumn is one column of the checklist spreadsheet. The first six
// are the auditor's field form, the part that prints; the rest stay in
// the sheet for reading on screen (監査資料の例, 確認方法) and carry the
// fields the form does not show, so that a file exported and imported
// again loses nothing (import.go reads the columns by their headers).
type sheetColumn struct {
	Key   string // field key; judgement, finding and reason are not imported
	Head  string
	Width float64 // relative; the printed columns share the page width by it
	Align docgen.Align
}

// sheetColumns: the printed form is No, the item, the criteria for ○/△/×,
// the judgement, a 所見 wide enough to write in and the clauses (their
// standards' codes and numbers, short). The item and the criteria share
// what the others leave in proportion to their usual length (about 70 and
// 160 characters), so that neither makes the row taller than the other
// does and a page holds several items; 判定 holds 該当なし on one line.
var sheetColumns = []sheetColumn{
	{"code", "No", 2, docgen.AlignCenter}, {"question", "監査項目", 5, docgen.AlignLeft}, {"criteria", "判定基準", 9, docgen.AlignLeft},
	{"judgement", "判定", 2.2, docgen.AlignCenter}, {"finding", "所見", 5.5, docgen.AlignLeft}, {"clauses", "根拠規定", 3, docgen.AlignLeft},
	{"category", "分類", 3, docgen.AlignLeft}, {"evidence", "監査資料の例", 4, docgen.AlignLeft}, {"methods", "確認方法", 4.5, docgen.AlignLeft},
	{"priority", "重要度", 2, docgen.AlignCenter}, {"techniques", "技法", 3, docgen.AlignLeft}, {"site", "視察", 2, docgen.AlignCenter},
	{"applicability", "対象", 3, docgen.AlignLeft}, {"threats", "脅威", 3, docgen.AlignLeft}, {"presurvey", "事前調査", 2, docgen.AlignCenter},
	{"audience", "回答者", 2.5, docgen.AlignLeft}, {"notes", "備考", 4, docgen.AlignLeft},
}

// ixPrintedColumns are the columns of the auditor's field form (No … 根拠規定),
// the part that prints.
var ixPrintedColumns = sheetColumns[:6]

// reasonColumn is added to a built checklist's spreadsheet.
var reasonColumn = sheetColumn{"reason", "選定理由", 4, docgen.AlignLeft}

// judgementColumn is the index of the judgement column (its drop-down).
const judgementColumn = 3

// checklistXLSXOptions put the judgement drop-down on the checklist.
// The list offers ○ (U+25CB), the mark the printed documents use; 〇
// (U+3007), which a Japanese IME often gives for まる, is kept when typed.
// Only the field form's six columns print (fitted to an A4 landscape width).
var checklistXLSXOptions = xlsx.Options{Validations: []xlsx.Validation{{Column: judgementColumn, Values: []string{"○", "△", "×", "該当なし"},
	Accept: []string{"〇"}}}, PrintColumns: len(ixPrintedColumns)}

// The sheet that says which template a file came from, and its forms.
const (
	metaSheet    = "取込情報"
	formTemplate = "mamori-checklist-template/1"
	formBuilt    = "mamori-checklist-built/1"
)

// Meta sheet keys.
const (
	metaForm    = "様式"
	metaKind    = "種類コード"
	metaKindJa  = "種類"
	metaVersion = "版（年度）"
	metaTitle   = "チェックリスト"
	metaItems   = "項目数"
	metaBuilt   = "作成したチェックリストの番号"
)

// Selection is a checklist selected from a template for one audit
// (internal/audit keeps them): its spreadsheet is the template's layout
// with a 選定理由 column, marked so that the template import refuses it.
type Selection struct {
	ID      int64
	Title   string
	Reasons map[int64]string // item id → why it was included
}

// ChecklistDocument lays a template out as the auditor's field form that
// prints (No / 監査項目 / 判定基準 / 判定 / 所見 / 根拠規定), then the
// columns read on screen and those that make the file importable again
// without loss (import.go), and a 取込情報 sheet naming the template.
func ChecklistDocument(t StoredTemplate, items []StoredItem, ward string) *docgen.Document {
	return checklistWorkbook(t, items, ward, nil)
}

// SelectionDocument lays a selection's items out as ChecklistDocument does,
// with the reason for each item in a last column.
func SelectionDocument(t StoredTemplate, items []StoredItem, ward string, sel Selection) *docgen.Document {
	return checklistWorkbook(t, items, ward, &sel)
}

// checklistWorkbook lays items out in the ward's spreadsheet layout plus
// the columns that make the file importable, and a 取込情報 sheet naming
// the template (kind and version) the file belongs to.
func checklistWorkbook(t StoredTemplate, items []StoredItem, ward string, sel *Selection) *docgen.Document {
	cols := append([]sheetColumn(nil), sheetColumns...)
	title := t.Title
	if sel != nil {
		cols = append(cols, reasonColumn)
		title = sel.Title
	}
	tb := docgen.Table{Caption: title, HeaderRows: 1}
	head := docgen.Row{}
	for _, c := range cols {
		tb.Columns = append(tb.Columns, docgen.Column{Width: c.Width, Align: c.Align})
		head.Cells = append(head.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(c.Head)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter})
	}
	tb.Rows = append(tb.Rows, head)
	for _, it := range items {
		row := docgen.Row{}
		for _, c := range cols {
			v := ixCell(c.Key, it)
			if c.Key == "reason" && sel != nil {
				v = sel.Reasons[it.ID]
			}
			row.Cells = append(row.Cells, docgen.C(v))
		}
		tb.Rows = append(tb.Rows, row)
	}
	meta := [][2]string{{metaForm, formTemplate}, {metaKind, t.Kind}, {metaKindJa, Kinds[t.Kind]}, {metaVersion, strconv.Itoa(t.Version)},
		{metaTitle, t.Title}, {metaItems, strconv.Itoa(len(items))}}
	note := "このシートは、Mamori に取り込むときに、どのチェックリストのどの版から出力したファイルかを確かめるために使います。内容を変えないでください。"
	if sel != nil {
		meta[0][1] = formBuilt
		meta = append(meta, [2]string{metaBuilt, strconv.FormatInt(sel.ID, 10)})
		note = "このファイルは監査用に作成したチェックリストです。テンプレートへの取り込みには使えません。"
	}
	mt := docgen.Table{HeaderRows: 1, Columns: []docgen.Column{{Width: 1}, {Width: 2}},
		Rows: []docgen.Row{{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("項目")}, Bold: true}, {Runs: []docgen.Run{docgen.T("値")}, Bold: true}}}}}
	for _, kv := range meta {
		mt.Rows = append(mt.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(kv[0]), docgen.C(kv[1])}})
	}
	return &docgen.Document{Meta: docgen.Meta{Title: title, Ward: ward, FiscalYear: t.Version, Classification: "取扱注意"},
		Sections: []docgen.Section{
			{Orientation: docgen.Landscape, Tab: Kinds[t.Kind], Blocks: []docgen.Block{tb}},
			{Orientation: docgen.Portrait, Tab: metaSheet, Blocks: []docgen.Block{docgen.Paragraph{Runs: []docgen.Run{docgen.T(note)}}, mt}},
		}}
}

// ixCell is what the spreadsheet shows for one field of an item.
func ixCell(key string, it StoredItem) string {
	switch key {
	case "code":
		return it.Code
	case "category":
		return it.Category
	case "question":
		return it.Question
	case "criteria":
		return ixCriteria(it.Criteria)
	case "evidence":
		return joinLines(it.Evidence)
	case "methods":
		return joinLines(it.Methods)
	case "clauses":
		var refs []string
		for _, c := range it.Clauses {
			refs = append(refs, c.Framework+" "+c.Number)
		}
		return strings.Join(refs, "\n")
	case "priority":
		return Priorities[it.Priority]
	case "techniques":
		return ixLabels(it.Techniques, Techniques)
	case "site":
		return ixMark(it.SiteInspection)
	case "applicability":
		return ixLabels(it.Applicability, Applicability)
	case "threats":
		return ixLabels(it.Threats, Threats)
	case "presurvey":
		return ixMark(it.PreSurvey)
	case "audience":
		return ixLabels(it.Audience, Audiences)
	case "notes":
		return it.Notes
	}
	return ""
}

func ixCriteria(c Criteria) string {
	s := "適合: " + c.Conform
	if c.Partial != "" {
		s += "\n一部不適合: " + c.Partial
	}
	return s + "\n不適合: " + c.Nonconform
}

func ixLabels(codes []string, labels map[string]string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		if l := labels[c]; l != "" {
			out[i] = l
		} else {
			out[i] = c
		}
	}
	return strings.Join(out, "、")
}

func ixMark(b bool) string {
	if b {
		return "○"
	}
	return ""
}

// WriteChecklistXLSX writes a workbook made by ChecklistDocument (or a
// built checklist's) with the judgement drop-down, and hides the
// 取込情報 sheet so that it neither distracts nor prints.
func WriteChecklistXLSX(w io.Writer, d *docgen.Document) error {
	var buf bytes.Buffer
	if err := xlsx.RenderWithOptions(&buf, d, checklistXLSXOptions); err != nil {
		return err
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		return fmt.Errorf("catalog.WriteChecklistXLSX: %w", err)
	}
	defer f.Close()
	if idx, _ := f.GetSheetIndex(metaSheet); idx >= 0 {
		if err := f.SetSheetVisible(metaSheet, false); err != nil {
			return fmt.Errorf("catalog.WriteChecklistXLSX: %w", err)
		}
	}
	_, err = f.WriteTo(w)
	return err
}

// joinLines prints a list as 「・」 lines.
func joinLines(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += "\n"
		}
		out += "・" + s
	}
	return out
}

// ---- the printed checklist (PDF, DOCX) ----

// printColumns are the columns of a printed checklist (9 pt, lines
// 1.3 apart): the
// criteria widest, the item and the 所見 to write in next, so that the
// columns' heights come out close and an A4 landscape page holds four or
// five items; the 分類 prints as a row across the table above its items.
var printColumns = []struct {
	Head  string
	Width float64
	Align docgen.Align
}{
	{"No", 4.6, docgen.AlignCenter}, {"監査項目", 11.8, docgen.AlignLeft},
	{"判定基準（○適合・△一部不適合・×不適合）", 25, docgen.AlignLeft}, {"監査資料の例", 7.4, docgen.AlignLeft}, {"確認方法", 8, docgen.AlignLeft},
	{"判定", 2.8, docgen.AlignCenter}, {"所見", 8.2, docgen.AlignLeft}, {"根拠規定", 5, docgen.AlignLeft},
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

// criteriaRuns prints the three judgement rules as lines led by their
// marks (the header says what ○, △ and × stand for).
func criteriaRuns(c Criteria) []docgen.Run {
	partial := c.Partial
	if strings.TrimSpace(partial) == "" {
		partial = "—"
	}
	return []docgen.Run{
		{Text: "○ ", Bold: true}, docgen.T(c.Conform + "\n"),
		{Text: "△ ", Bold: true}, docgen.T(partial + "\n"),
		{Text: "× ", Bold: true}, docgen.T(c.Nonconform),
	}
}

// PrintRow is one item as it prints in the checklist's table (the
// preview on the edit form shows the same cells). 根拠規定 is short: each
// standard's short name once, then its clause numbers (総務省ガイドライン
// 1.1、7.2); the clauses' titles are on screen and in the spreadsheet.
func PrintRow(it StoredItem) docgen.Row {
	no := it.Code
	if p := Priorities[it.Priority]; p != "" {
		no += "\n" + p
	}
	q := it.Question
	if it.SiteInspection {
		q += "（視察）"
	}
	var refs []string
	prev := ""
	for _, c := range it.Clauses {
		n := strings.TrimSpace(c.NumberLabel())
		if name := FrameworkShortName(c.Framework, c.FrameworkTitle); name != prev || len(refs) == 0 {
			refs = append(refs, name+"\n"+n)
			prev = name
			continue
		}
		refs[len(refs)-1] += "、" + n
	}
	cells := []docgen.Cell{docgen.C(no), docgen.C(q), {Runs: criteriaRuns(it.Criteria)},
		docgen.C(joinLines(it.Evidence)), docgen.C(joinLines(it.Methods)), docgen.C(""), docgen.C(""), docgen.C(strings.Join(refs, "\n"))}
	for i := range cells {
		cells[i].Align = printColumns[i].Align
	}
	return docgen.Row{Cells: cells}
}

// subheadRow is the row across the printed table that names the 分類
// of the items under it (the part after the group, 「サーバ等の管理」).
func subheadRow(name string) docgen.Row {
	return docgen.Row{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("■ " + name)}, Bold: true, Fill: "F2F5F9", ColSpan: len(printColumns)}}}
}

func printTable() docgen.Table {
	t := docgen.Table{HeaderRows: 1, FontSize: 9, LineHeight: 1.3}
	head := docgen.Row{}
	for _, c := range printColumns {
		t.Columns = append(t.Columns, docgen.Column{Width: c.Width, Align: c.Align})
		head.Cells = append(head.Cells, docgen.Cell{Runs: []docgen.Run{docgen.T(c.Head)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter})
	}
	t.Rows = append(t.Rows, head)
	return t
}

// auditFields is the box at the head of the printed checklist where the
// auditor writes whom and when the checklist was used for.
func auditFields() docgen.Table {
	label := func(s string) docgen.Cell {
		return docgen.Cell{Runs: []docgen.Run{docgen.T(s)}, Bold: true, Fill: "DDE6F0", Align: docgen.AlignCenter}
	}
	blank := docgen.C("\u3000")
	return docgen.Table{Caption: "実施の記録", FontSize: 10, Columns: []docgen.Column{{Width: 1.2}, {Width: 4}, {Width: 1.2}, {Width: 3}, {Width: 1.2}, {Width: 4}},
		Rows: []docgen.Row{{Cells: []docgen.Cell{label("所属"), blank, label("実施日"), docgen.C("令和　　年　　月　　日"), label("監査人"), blank}}}}
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
		Classification: "取扱注意", PageNumbers: docgen.PageDash,
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
			"「監査資料の例」と「確認方法」は確認の手がかりとして示したもので、これに限りません。「根拠規定」は、その項目が確かめる基準又はポリシーの条項を枠組みと番号で示しています。" +
				"監査項目の末尾に（視察）とある項目は、書類だけでなく現地で状態を確かめてください。No 欄の「必須」「推奨」は項目の重要度です。")}},
	}
	if filtered {
		blocks = append(blocks, docgen.Paragraph{FirstIndent: true, Runs: []docgen.Run{{Text: "この出力は、画面で指定した条件で絞り込んだ項目だけを収めています。", Bold: true}}})
	}
	blocks = append(blocks, auditFields())
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
	// The items start on a page of their own; the groups then follow one
	// another (each heading kept with the start of its table), so that a
	// group's last items do not leave the rest of a page empty.
	for gi, g := range groups {
		tb := printTable()
		sub := ""
		for i, it := range g.items {
			if _, rest := splitCategory(it.Category); rest != "" && (i == 0 || rest != sub) {
				tb.Rows = append(tb.Rows, subheadRow(rest))
				sub = rest
			}
			tb.Rows = append(tb.Rows, PrintRow(it))
		}
		if gi == 0 {
			blocks = append(blocks, docgen.PageBreak{})
		}
		blocks = append(blocks, docgen.Heading{Level: 1, Text: fmt.Sprintf("%s（%d 項目）", g.name, len(g.items))}, tb)
	}
	d.Sections = []docgen.Section{{Orientation: docgen.Landscape, Tab: kind, Blocks: blocks}}
	return d
}

// ---- the mapping table (XLSX) ----

// pairExport serves the mapping table between the framework in the path
// and the one in ?to= as a spreadsheet.
func (w *Web) pairExport(rw http.ResponseWriter, r *http.Request) error {
	f, to, err := w.pairFrameworks(r)
	if err != nil {
		return err
	}
	if to == 0 {
		return web.Invalid("比べる枠組み（to）を指定してください。")
	}
	t, err := w.store.Pair(r.Context(), f.ID, to)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("条項対応表_%s_%s.xlsx", t.A.Code, t.B.Code)
	d := web.Download{Name: name, ContentType: formats.XLSX.ContentType, Target: fmt.Sprintf("framework:%d", f.ID),
		Detail: fmt.Sprintf("%s（%s ↔ %s、対応 %d 件）", name, t.A.Title, t.B.Title, t.MappingsAB)}
	ward := w.ward.WardName(r.Context())
	return web.Send(rw, r, w.log, d, func(out io.Writer) error {
		return formats.XLSX.Render(out, PairDocument(t, ward, w.now()))
	})
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
