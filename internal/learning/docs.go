package learning

import (
	"fmt"
	"strings"
	"time"

	"mamori/internal/docgen"
	"mamori/internal/jp"
	"mamori/internal/org"
	"mamori/internal/tabular"
)

// The course's documents: the text version (テキスト版) of one variant,
// read on paper or by a screen reader instead of the video; the
// certificate of completion (受講修了証); the completion list.

// TextDocument is course c's text version for variant v: every lesson the
// variant takes, its sections with their figures, and the exercises with
// their answers and explanations at the end of each lesson.
func TextDocument(c Course, lessons []Lesson, qs []Question, v, ward string, now time.Time) *docgen.Document {
	byCode := map[string]Question{}
	for _, q := range qs {
		byCode[q.Code] = q
	}
	var b []docgen.Block
	add := func(x ...docgen.Block) { b = append(b, x...) }
	add(docgen.Heading{Level: 1, Text: "この研修について", NoTOC: false})
	for _, p := range paragraphs(c.Summary) {
		add(p)
	}
	minutes := 0
	var rows []docgen.Row
	rows = append(rows, docgen.Row{Cells: []docgen.Cell{head("単元"), head("題"), head("目安")}})
	for _, l := range lessons {
		if !l.For(v) {
			continue
		}
		minutes += l.Minutes
		rows = append(rows, docgen.Row{Cells: []docgen.Cell{docgen.C(l.Code), docgen.C(l.Title), docgen.C(fmt.Sprintf("%d 分", l.Minutes))}})
	}
	add(docgen.P(fmt.Sprintf("受講者の区分：%s。単元を順に読み、各単元の演習問題で理解を確かめてから、確認テスト（合格点 %d%%）を受けます。単元の合計は約 %d 分です。",
		c.VariantLabel(v), c.PassPercent, minutes)))
	add(docgen.Table{Caption: "単元の一覧", HeaderRows: 1, Columns: []docgen.Column{{Width: 1.4}, {Width: 6}, {Width: 1, Align: docgen.AlignRight}}, Rows: rows})
	for _, l := range lessons {
		if !l.For(v) {
			continue
		}
		add(docgen.Heading{Level: 1, Text: l.Code + "　" + l.Title})
		for _, s := range l.SectionsFor(v) {
			add(docgen.Heading{Level: 2, Text: s.Heading, NoTOC: true})
			add(bodyBlocks(s.Body)...)
			if s.Figure != nil {
				add(figureBlock(*s.Figure))
			}
		}
		var ex []Question
		for _, code := range l.Exercises {
			if q, ok := byCode[code]; ok {
				ex = append(ex, q)
			}
		}
		if len(ex) > 0 {
			add(docgen.Heading{Level: 2, Text: "演習", NoTOC: true})
			for i, q := range ex {
				add(questionBlocks(fmt.Sprintf("演習%d", i+1), q, true)...)
			}
		}
	}
	return &docgen.Document{Cover: true, TOC: true, Meta: docgen.Meta{Title: c.Title, Subtitle: "テキスト版（" + c.VariantLabel(v) + "）", Ward: ward,
		FiscalYear: c.FiscalYear, Date: now, Author: "情報政策課"}, Sections: []docgen.Section{{Blocks: b}}}
}

func head(s string) docgen.Cell {
	return docgen.Cell{Runs: []docgen.Run{docgen.T(s)}, Bold: true, Fill: "E8EEF4"}
}

// paragraphs splits text at blank lines.
func paragraphs(s string) []docgen.Block {
	var out []docgen.Block
	for _, p := range strings.Split(strings.TrimSpace(s), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, docgen.P(strings.ReplaceAll(p, "\n", "")))
		}
	}
	return out
}

// Block kinds of a section's body (FORMAT.md): paragraphs, 「- 」 bullets,
// 「1. 」 numbered items and 「> 」 notes.
type BodyBlock struct {
	Kind  string // p, ul, ol, note
	Lines []string
}

// ParseBody splits a section's body into its blocks.
func ParseBody(body string) []BodyBlock {
	var out []BodyBlock
	for _, chunk := range strings.Split(strings.TrimSpace(body), "\n\n") {
		var cur *BodyBlock
		for _, line := range strings.Split(chunk, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			kind, text := "p", line
			switch {
			case strings.HasPrefix(line, "- "):
				kind, text = "ul", strings.TrimSpace(line[2:])
			case strings.HasPrefix(line, "> "), line == ">":
				kind, text = "note", strings.TrimSpace(strings.TrimPrefix(line, ">"))
			case numbered(line) > 0:
				kind, text = "ol", strings.TrimSpace(line[numbered(line):])
			}
			if cur != nil && cur.Kind == kind {
				if kind == "p" || kind == "note" {
					cur.Lines[len(cur.Lines)-1] += text
				} else {
					cur.Lines = append(cur.Lines, text)
				}
				continue
			}
			out = append(out, BodyBlock{Kind: kind, Lines: []string{text}})
			cur = &out[len(out)-1]
		}
	}
	return out
}

// numbered is the length of a 「1. 」 prefix (0 when none).
func numbered(line string) int {
	i := 0
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		i++
	}
	if i > 0 && i+1 < len(line) && line[i] == '.' && line[i+1] == ' ' {
		return i + 2
	}
	return 0
}

func bodyBlocks(body string) []docgen.Block {
	var out []docgen.Block
	for _, bb := range ParseBody(body) {
		switch bb.Kind {
		case "ul", "ol":
			l := docgen.List{Ordered: bb.Kind == "ol"}
			for _, t := range bb.Lines {
				l.Items = append(l.Items, docgen.ListItem{Runs: []docgen.Run{docgen.T(t)}})
			}
			out = append(out, l)
		case "note":
			out = append(out, docgen.Table{Columns: []docgen.Column{{Width: 1}}, Rows: []docgen.Row{{Cells: []docgen.Cell{{Runs: []docgen.Run{docgen.T("注意　" + strings.Join(bb.Lines, ""))}, Fill: "FFF4D6"}}}}})
		default:
			for _, t := range bb.Lines {
				out = append(out, docgen.Paragraph{Runs: []docgen.Run{docgen.T(t)}, FirstIndent: true})
			}
		}
	}
	return out
}

// figureBlock draws a figure as a table, the same on paper and on screen.
func figureBlock(f Figure) docgen.Block {
	t := docgen.Table{Caption: "図　" + f.Title, HeaderRows: 1}
	switch f.Kind {
	case "steps":
		t.Columns = []docgen.Column{{Width: 0.6, Align: docgen.AlignCenter}, {Width: 8}}
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{head("順"), head(f.Title)}})
		for i, s := range f.Steps {
			t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(fmt.Sprint(i + 1)), docgen.C(s)}})
		}
	case "compare":
		t.Columns = []docgen.Column{{Width: 1}, {Width: 1}}
		t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{head("× よくない例"), head("○ よい例")}})
		for i := range max(len(f.Bad), len(f.Good)) {
			var bad, good string
			if i < len(f.Bad) {
				bad = f.Bad[i]
			}
			if i < len(f.Good) {
				good = f.Good[i]
			}
			t.Rows = append(t.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(bad), docgen.C(good)}})
		}
	default:
		for range f.Rows[0] {
			t.Columns = append(t.Columns, docgen.Column{Width: 1})
		}
		for i, r := range f.Rows {
			var cells []docgen.Cell
			for _, c := range r {
				if i == 0 {
					cells = append(cells, head(c))
				} else {
					cells = append(cells, docgen.C(c))
				}
			}
			t.Rows = append(t.Rows, docgen.Row{Cells: cells})
		}
	}
	return t
}

// questionBlocks prints a question with (withKey) its answer and
// explanation.
func questionBlocks(label string, q Question, withKey bool) []docgen.Block {
	var out []docgen.Block
	if q.Scenario != "" {
		out = append(out, docgen.Paragraph{Runs: []docgen.Run{{Text: label + "　場面：", Bold: true}, docgen.T(strings.ReplaceAll(strings.TrimSpace(q.Scenario), "\n", ""))}})
		out = append(out, docgen.P(q.Text))
	} else {
		out = append(out, docgen.Paragraph{Runs: []docgen.Run{{Text: label + "　", Bold: true}, docgen.T(q.Text)}})
	}
	if q.Kind != KindTrueFalse {
		l := docgen.List{Ordered: true}
		for _, o := range q.Options {
			l.Items = append(l.Items, docgen.ListItem{Runs: []docgen.Run{docgen.T(o)}})
		}
		out = append(out, l)
	}
	if withKey {
		out = append(out, docgen.Paragraph{Indent: 1, Runs: []docgen.Run{{Text: "答え：", Bold: true}, docgen.T(q.KeyText())}})
		out = append(out, docgen.Paragraph{Indent: 1, Runs: []docgen.Run{{Text: "解説：", Bold: true}, docgen.T(q.Explanation)}})
	}
	return out
}

// CertificateDocument is the 受講修了証 of one person.
func CertificateDocument(c Course, camp Campaign, a Assignment, name, ward string) *docgen.Document {
	b := []docgen.Block{
		docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{docgen.T(fmt.Sprintf("第 %s-%06d 号", camp.Code, a.ID))}},
		docgen.Heading{Level: 1, Text: "受講修了証", NoTOC: true},
		docgen.Paragraph{Align: docgen.AlignCenter, Runs: []docgen.Run{{Text: name + "　様", Bold: true}}},
		docgen.Paragraph{Align: docgen.AlignCenter, Runs: []docgen.Run{docgen.T(a.Department)}},
		docgen.P(certificateText(c, a)),
		docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{docgen.T("修了日　" + jp.FormatWareki(a.CompletedAt))}},
		docgen.Paragraph{Align: docgen.AlignRight, Runs: []docgen.Run{docgen.T(strings.TrimSpace(ward + "　統括情報セキュリティ責任者"))}},
	}
	return &docgen.Document{Meta: docgen.Meta{Title: "受講修了証", Subtitle: c.Title, Ward: ward, FiscalYear: c.FiscalYear, Date: a.CompletedAt, TitleInBody: true},
		Sections: []docgen.Section{{Blocks: b}}}
}

// certificateText is what the certificate attests: all lessons and the
// test, or a vendor course (SCORM) completed as the course itself reported.
func certificateText(c Course, a Assignment) string {
	if c.SCORM() {
		score := ""
		if a.BestPercent >= 0 {
			score = fmt.Sprintf("（得点 %d%%）", a.BestPercent)
		}
		return fmt.Sprintf("あなたは、%s「%s」を最後まで受講し、修了%sしたので、これを証します。", jp.FiscalYearLabel(c.FiscalYear), c.Title, score)
	}
	return fmt.Sprintf("あなたは、%s「%s」（%s）のすべての単元を受講し、確認テストに合格（%d%%、合格点 %d%%）したので、これを証します。",
		jp.FiscalYearLabel(c.FiscalYear), c.Title, c.VariantLabel(a.Variant), a.BestPercent, c.PassPercent)
}

// CompletionTable is a campaign's completion list, one row per person.
func CompletionTable(c Course, camp Campaign, roster []Assignment, lessonsOf map[string]int) tabular.Table {
	t := tabular.Table{Sheet: "受講状況", Headers: []string{"所属", "職員番号", "氏名", "区分", "受講した単元", "単元数", "確認テストの回数", "最高点（%）", "状況", "修了日"}}
	for _, a := range roster {
		best := ""
		if a.BestPercent >= 0 {
			best = fmt.Sprint(a.BestPercent)
		}
		done := ""
		if a.Done() {
			done = jp.DateKey(a.CompletedAt)
		}
		t.Rows = append(t.Rows, []string{a.Department, a.EmployeeNo, a.StaffName, c.VariantLabel(a.Variant), fmt.Sprint(a.LessonsDone), fmt.Sprint(lessonsOf[a.Variant]),
			fmt.Sprint(a.Attempts), best, StatusLabel(a), done})
	}
	return t
}

// StatusLabel is an assignment's state in words.
func StatusLabel(a Assignment) string {
	switch {
	case a.Done():
		return "修了"
	case !a.StartedAt.IsZero():
		return "受講中"
	}
	return "未受講"
}

// DigestDocument is a campaign's 課ごとの未修了者一覧: for each 課 (the
// department at depth 1 that an assignment's department is in or below),
// its people not finished, with their 係, variant, lessons read and best
// score, for the 所属長 to follow up.
func DigestDocument(c Course, camp Campaign, roster []Assignment, tree *org.Tree, lessonsOf map[string]int, ward string, now time.Time) *docgen.Document {
	sectionOf := func(id int64) *org.Department {
		d := tree.ByID[id]
		for d != nil && d.Depth > 1 {
			d = tree.ByID[d.ParentID]
		}
		return d
	}
	var order []int64
	groups := map[int64][]Assignment{}
	totals := map[int64][2]int{}
	for _, a := range roster {
		sec := sectionOf(a.DepartmentID)
		if sec == nil {
			continue
		}
		if _, ok := totals[sec.ID]; !ok {
			order = append(order, sec.ID)
		}
		t := totals[sec.ID]
		t[0]++
		if a.Done() {
			t[1]++
		} else {
			groups[sec.ID] = append(groups[sec.ID], a)
		}
		totals[sec.ID] = t
	}
	b := []docgen.Block{docgen.P(fmt.Sprintf("%s（受講期間 %s）の、%s現在で修了していない職員の一覧です。課ごとに受講を促してください。",
		camp.Title, camp.Period(), jp.FormatWareki(now)))}
	for _, id := range order {
		sec := tree.ByID[id]
		t := totals[id]
		b = append(b, docgen.Heading{Level: 2, Text: sec.Path, NoTOC: true},
			docgen.P(fmt.Sprintf("対象 %d 人、修了 %d 人、未修了 %d 人。", t[0], t[1], t[0]-t[1])))
		if len(groups[id]) == 0 {
			continue
		}
		tb := docgen.Table{Caption: sec.Name + "の未修了者", HeaderRows: 1, Columns: []docgen.Column{{Width: 2.4}, {Width: 1.6}, {Width: 1.8},
			{Width: 1.1, Align: docgen.AlignRight}, {Width: 1.1, Align: docgen.AlignRight}, {Width: 1}}}
		tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{head("所属"), head("氏名"), head("区分"), head("単元"), head("最高点"), head("催促")}})
		for _, a := range groups[id] {
			best := "－"
			if a.BestPercent >= 0 {
				best = fmt.Sprintf("%d%%", a.BestPercent)
			}
			tb.Rows = append(tb.Rows, docgen.Row{Cells: []docgen.Cell{docgen.C(strings.TrimPrefix(a.Department, sec.Path+" ")), docgen.C(a.StaffName),
				docgen.C(c.VariantLabel(a.Variant)), docgen.C(fmt.Sprintf("%d/%d", a.LessonsDone, lessonsOf[a.Variant])), docgen.C(best),
				docgen.C(fmt.Sprintf("%d 回", a.Reminders))}})
		}
		b = append(b, tb)
	}
	return &docgen.Document{Meta: docgen.Meta{Title: "研修の未修了者一覧", Subtitle: camp.Title, Ward: ward, FiscalYear: camp.FiscalYear, Date: now,
		Author: "情報政策課", Classification: "取扱注意"}, Sections: []docgen.Section{{Blocks: b}}}
}
