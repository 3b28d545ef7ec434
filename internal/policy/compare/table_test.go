package compare

import (
	"strings"
	"testing"

	"mamori/internal/docgen"
	"mamori/internal/jp"
)

// TestOmitRunChapterBoundary: a run of unchanged articles printed as one
// （略） row ends where a chapter starts, and the chapter's heading is
// printed above the first row in it (never first above a later row, under
// which it would claim the articles of the run for the chapter before).
func TestOmitRunChapterBoundary(t *testing.T) {
	const text = "第1章　総則\n第1条（目的）\n目的を定める。\n第2条（定義）\n定義を定める。\n" +
		"第2章　管理\n第3条（甲）\n甲は、甲とする。\n第4条（乙）\n乙は、乙とする。\n第5条（丙）\n丙は、丙とする。\n" +
		"第3章　雑則\n第6条（丁）\n丁は、丁とする。\n第7条（戊）\n戊は、戊とする。\n"
	r := Compare(readDrafting(text), readDrafting(replace(text, "丙は、丙とする", "丙は、丙及び丁とする")), Options{})
	d := Table(r, TableOptions{Title: "新旧対照表", OmitSame: true, Remarks: true})
	tb := d.Sections[0].Blocks[len(d.Sections[0].Blocks)-1].(docgen.Table)
	var got []string
	for _, row := range tb.Rows[tb.HeaderRows:] {
		got = append(got, cellText(row.Cells[0]))
	}
	want := []string{
		"　　　第1章　総則\n第1条・第2条　（略）",
		"　　　第2章　管理\n第3条・第4条　（略）",
		"　（丙）\n第5条　丙は、丙及び丁とする。",
		"　　　第3章　雑則\n第6条・第7条　（略）",
	}
	if strings.Join(got, "\n---\n") != strings.Join(want, "\n---\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n---\n"), strings.Join(want, "\n---\n"))
	}
	// the rule itself: no （略） row names articles of two chapters
	chapterOf := map[string]string{}
	for _, row := range r.Rows {
		for _, n := range row.New {
			if n != nil && n.Label != "" {
				chapterOf[n.Label] = row.NewContext
			}
		}
	}
	for _, g := range got {
		if !strings.HasSuffix(g, omitted) {
			continue
		}
		lines := strings.Split(g, "\n")
		names := strings.TrimSuffix(lines[len(lines)-1], "　"+omitted)
		seen := map[string]bool{}
		for _, a := range strings.FieldsFunc(names, func(r rune) bool { return r == '・' || r == '～' }) {
			seen[chapterOf[a]] = true
		}
		if len(seen) > 1 {
			t.Errorf("the （略） row %q names articles of %d chapters", names, len(seen))
		}
	}
}

// TestRemarkColumnWidth: the 備考 column is wide enough for its longest
// line at 10 pt, so 「（第4条を第5条とする）」 never leaves its 「）」 on a
// line of its own, in the PDF's points and in the spreadsheet's units.
func TestRemarkColumnWidth(t *testing.T) {
	old, new := revision()
	d := Table(Compare(old, new, Options{}), TableOptions{Title: "新旧対照表", Date: when, Remarks: true})
	tb := d.Sections[0].Blocks[len(d.Sections[0].Blocks)-1].(docgen.Table)
	longest := ""
	for _, row := range tb.Rows[1:] {
		for _, l := range strings.Split(cellText(row.Cells[2]), "\n") {
			if jp.DisplayWidth(l) > jp.DisplayWidth(longest) {
				longest = l
			}
		}
	}
	if !strings.Contains(cellsText(tb, 2), "を\n第") {
		t.Fatalf("no renumbering remark broken after 「を」 in %q", cellsText(tb, 2))
	}
	frac := tb.Columns[2].Width / (tb.Columns[0].Width + tb.Columns[1].Width + tb.Columns[2].Width)
	pt := frac * docgen.TextWidthLandscape * 72 / 25.4
	if need := float64(jp.DisplayWidth(longest))/2*10 + 2*4.5; pt < need {
		t.Errorf("備考 is %.0f pt wide, %q needs %.0f pt at 10 pt", pt, longest, need)
	}
	if units := frac * 116; units < float64(jp.DisplayWidth(longest))*0.75+1 {
		t.Errorf("備考 is %.1f column units, too narrow for %q", units, longest)
	}
	// without remarks the column keeps its narrow width
	if w := remarkWidth(nil); w != 0.3 {
		t.Errorf("no remarks: width %.2f, want 0.3", w)
	}
}

func cellsText(tb docgen.Table, col int) string {
	var b strings.Builder
	for _, row := range tb.Rows[tb.HeaderRows:] {
		if col < len(row.Cells) {
			b.WriteString(cellText(row.Cells[col]) + "\n")
		}
	}
	return b.String()
}

func TestSplitRemark(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"（変更）", "（変更）"},
		{"（第4条を第5条とする）", "（第4条を|第5条とする）"},
		{"（第12条・第13条から移動）", "（第12条・|第13条から移動）"},
		{"（第12条の2を第12条の3とする）", "（第12条の2を|第12条の3とする）"},
		{"（情報資産の管理の全部改正）", "（情報資産の管理の全部改正）"},
	} {
		if got := strings.Join(splitRemark(c.in), "|"); got != c.want {
			t.Errorf("splitRemark(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
