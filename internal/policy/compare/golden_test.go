package compare

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"mamori/internal/policy/provision"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// base is a small regulation in the demo ward's drafting style; the
// golden cases derive their "new" versions from it.
const base = `ひので区情報機器管理規程
（令和8年4月1日訓令第5号）
第1章　総則
第1条（目的）
この規程は、ひので区における情報機器の管理に関し必要な事項を定めることにより、情報資産を適切に保護することを目的とする。
第2条（定義）
この規程において、次の各号に掲げる用語の意義は、当該各号に定めるところによる。
（1）　情報機器　パソコン、タブレット端末、プリンタその他の電子計算機及びその周辺機器をいう。
（2）　管理者　情報機器を所管する課の課長をいう。
第2章　管理
第3条（台帳）
管理者は、所管する情報機器について台帳を作成し、常に最新の状態に保たなければならない。
２　台帳には、機器の名称、設置場所及び利用者を記載する。
第4条（持出し）
職員が情報機器を庁外に持ち出すときは、あらかじめ管理者の許可を得なければならない。
２　管理者は、持出しの記録を作成し、持ち出した機器の返却の状況を30日以内に確認しなければならない。返却されていない機器があるときは、利用者に理由を確かめ、情報政策課長に報告しなければならない。
第5条（廃棄）
管理者は、情報機器を廃棄するときは、記録媒体のデータを復元できないよう消去しなければならない。
２　消去の記録は、5年間保存しなければならない。
第6条（点検）
管理者は、毎年度、情報機器の管理の状況を点検し、その結果を情報政策課長に報告しなければならない。
第7条（保存期間）
台帳の保存期間は、次の各号に掲げる情報の区分に応じ、当該各号に定める期間とする。
（1）　機密性3の情報　10年
（2）　機密性2の情報　5年
（3）　機密性1の情報　1年
附　則
この規程は、令和8年4月1日から施行する。
`

// block returns the lines of article n (its heading line through the
// line before the next article, chapter or 附則).
func block(text string, n int) string {
	lines := strings.SplitAfter(text, "\n")
	start, end := -1, len(lines)
	for i, l := range lines {
		if start < 0 && strings.HasPrefix(l, "第"+strconv.Itoa(n)+"条（") {
			start = i
			continue
		}
		if start >= 0 && (reArticleLine.MatchString(l) || strings.HasPrefix(l, "附") || reChapterLine.MatchString(l)) {
			end = i
			break
		}
	}
	if start < 0 {
		panic(fmt.Sprintf("no article %d", n))
	}
	return strings.Join(lines[start:end], "")
}

var (
	reArticleLine = regexp.MustCompile(`^第\d+条（`)
	reChapterLine = regexp.MustCompile(`^第\d+章`)
)

// renumber renumbers the article headings of text from their order.
func renumber(text string) string {
	n := 0
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		if loc := regexp.MustCompile(`^第\d+条`).FindStringIndex(l); loc != nil && reArticleLine.MatchString(l) {
			n++
			lines[i] = "第" + strconv.Itoa(n) + "条" + l[loc[1]:]
		}
	}
	return strings.Join(lines, "")
}

func replace(text string, pairs ...string) string {
	for i := 0; i < len(pairs); i += 2 {
		if !strings.Contains(text, pairs[i]) {
			panic("fixture lacks " + pairs[i])
		}
		text = strings.Replace(text, pairs[i], pairs[i+1], 1)
	}
	return text
}

type goldenCase struct {
	name     string
	old, new string
	opt      Options
	check    func(t *testing.T, r *Result)
	// docs, when set, builds the documents instead of old and new.
	docs func(t testing.TB) (old, new *provision.Document)
}

// statuses lists the row statuses in order, for checks.
func statuses(r *Result) string {
	var s []string
	for _, row := range r.Rows {
		s = append(s, row.Status.String())
	}
	return strings.Join(s, " ")
}

// changedTexts lists the changed segments of a side, in order.
func changedTexts(lines [][]Segment) []string {
	var out []string
	for _, l := range lines {
		for _, s := range l {
			if s.Changed {
				out = append(out, s.Text)
			}
		}
	}
	return out
}

func findRow(t *testing.T, r *Result, st Status) *Row {
	t.Helper()
	for i := range r.Rows {
		if r.Rows[i].Status == st {
			return &r.Rows[i]
		}
	}
	t.Fatalf("no %s row in:\n%s", st, r)
	return nil
}

func wantSegs(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s: changed segments %q, want %q", what, got, want)
	}
}

var loan = `第4条（貸出し）
管理者は、職員に情報機器を貸し出すときは、貸出簿に貸出しの日、返却の予定日及び利用者の氏名を記録しなければならない。
`

func goldenCases() []goldenCase {
	return []goldenCase{
		{name: "inserted", old: base, new: renumber(replace(base, block(base, 4), loan+block(base, 4))),
			check: func(t *testing.T, r *Result) {
				add := findRow(t, r, Added)
				if add.Remark != "（新設）" || add.New[0].Caption != "貸出し" {
					t.Errorf("added row: %+v", add)
				}
				// 第4条〜第7条 are renumbered but otherwise the same.
				n := 0
				for _, row := range r.Rows {
					if row.Renumbered() {
						n++
						wantSegs(t, "renumbered", changedTexts(row.NewLines), row.New[0].Label)
					}
				}
				if n != 4 {
					t.Errorf("%d renumbered rows, want 4", n)
				}
				if r.Identical() || len(r.Changed()) != 1 {
					t.Errorf("Identical %v, Changed %d", r.Identical(), len(r.Changed()))
				}
			}},
		{name: "deleted", old: base, new: renumber(replace(base, block(base, 5), "")),
			check: func(t *testing.T, r *Result) {
				del := findRow(t, r, Deleted)
				if del.Old[0].Caption != "廃棄" || del.New != nil || del.Remark != "（削除）" {
					t.Errorf("deleted row: %+v", del)
				}
				// The deletion stands where 第5条 stood: after 第4条 (持出し).
				for i, row := range r.Rows {
					if row.Status == Deleted && (i == 0 || r.Rows[i-1].New[0].Caption != "持出し") {
						t.Errorf("deleted row at %d, after %v", i, r.Rows[i-1].New[0].Caption)
					}
				}
			}},
		{name: "moved", old: base, new: renumber(replace(replace(base, block(base, 6), ""), block(base, 3), block(base, 6)+block(base, 3))),
			check: func(t *testing.T, r *Result) {
				mv := findRow(t, r, Moved)
				if mv.New[0].Caption != "点検" || mv.Remark != "（第6条から移動）" {
					t.Errorf("moved row: %+v", mv)
				}
				if got := statuses(r); strings.Count(got, "移動") != 1 || strings.Contains(got, "新設") || strings.Contains(got, "削除") {
					t.Errorf("statuses %s", got)
				}
			}},
		{name: "split", old: base, new: renumber(replace(base,
			"２　管理者は、持出しの記録を作成し、", "第4条の2（持出しの記録）\n管理者は、持出しの記録を作成し、")),
			check: func(t *testing.T, r *Result) {
				sp := findRow(t, r, Split)
				if len(sp.Old) != 1 || len(sp.New) != 2 || sp.Remark != "（第4条を分割）" {
					t.Errorf("split row: old %d new %d remark %s", len(sp.Old), len(sp.New), sp.Remark)
				}
				if strings.Contains(statuses(r), "新設") {
					t.Errorf("split part reported as new: %s", statuses(r))
				}
			}},
		{name: "merged", old: base, new: renumber(replace(replace(base, block(base, 6), ""),
			"２　消去の記録は、5年間保存しなければならない。\n",
			"２　消去の記録は、5年間保存しなければならない。\n３　管理者は、毎年度、情報機器の管理の状況を点検し、その結果を情報政策課長に報告しなければならない。\n")),
			check: func(t *testing.T, r *Result) {
				mg := findRow(t, r, Merged)
				if len(mg.Old) != 2 || len(mg.New) != 1 || mg.Remark != "（第5条及び第6条を統合）" {
					t.Errorf("merged row: old %d new %d remark %s", len(mg.Old), len(mg.New), mg.Remark)
				}
			}},
		{name: "particle", old: base, new: replace(base, "データを復元", "データが復元"),
			check: func(t *testing.T, r *Result) {
				ch := findRow(t, r, Changed)
				wantSegs(t, "new", changedTexts(ch.NewLines), "が")
				wantSegs(t, "old", changedTexts(ch.OldLines), "を")
			}},
		{name: "number", old: base, new: replace(base, "30日以内", "15日以内"),
			check: func(t *testing.T, r *Result) {
				ch := findRow(t, r, Changed)
				wantSegs(t, "new", changedTexts(ch.NewLines), "15日")
				wantSegs(t, "old", changedTexts(ch.OldLines), "30日")
			}},
		{name: "word", old: base, new: replace(base, "常に最新の状態に保たなければ", "随時最新の状態に保たなければ", "利用者を記載する", "利用者を記録する"),
			check: func(t *testing.T, r *Result) {
				ch := findRow(t, r, Changed)
				wantSegs(t, "new", changedTexts(ch.NewLines), "随時", "記録")
				wantSegs(t, "old", changedTexts(ch.OldLines), "常に", "記載")
			}},
		{name: "table", old: base, new: replace(base, "（2）　機密性2の情報　5年", "（2）　機密性2の情報　7年",
			"（3）　機密性1の情報　1年\n", "（3）　機密性1の情報　3年\n（4）　その他の情報　1年\n"),
			check: func(t *testing.T, r *Result) {
				ch := findRow(t, r, Changed)
				wantSegs(t, "new", changedTexts(ch.NewLines), "7年", "3年", "（4）　その他の情報　1年")
				wantSegs(t, "old", changedTexts(ch.OldLines), "5年", "1年")
			}},
		{name: "punctuation", old: base, new: replace(base, "管理者は、毎年度、情報機器", "管理者は、毎年度情報機器",
			"パソコン、タブレット端末、プリンタ", "パソコン・タブレット端末・プリンタ"),
			check: func(t *testing.T, r *Result) {
				var old, new []string
				for _, row := range r.Changed() {
					old = append(old, changedTexts(row.OldLines)...)
					new = append(new, changedTexts(row.NewLines)...)
				}
				wantSegs(t, "old", old, "、", "、", "、")
				wantSegs(t, "new", new, "・", "・")
			}},
		{name: "space-width", old: base, new: spaceWidth(base),
			check: func(t *testing.T, r *Result) {
				if r.Identical() {
					t.Fatal("white space and width changes must count without the ignore options")
				}
				var got []string
				for _, row := range r.Changed() {
					got = append(got, changedTexts(row.NewLines)...)
				}
				wantSegs(t, "new", got, " ", "(2)", "３０日", "５年間")
			}},
		{name: "space-width-ignored", old: base, new: spaceWidth(base), opt: Options{IgnoreSpace: true, IgnoreWidth: true},
			check: func(t *testing.T, r *Result) {
				if !r.Identical() {
					t.Errorf("with the ignore options the documents are identical:\n%s", r)
				}
				// The printed text is each document's own.
				if !strings.Contains(r.String(), "３０日") || !strings.Contains(r.String(), "30日") {
					t.Error("printed text must be the documents' own")
				}
			}},
		{name: "chapter", old: base, new: replace(base, "第2章　管理\n", "第2章　管理及び点検\n"),
			check: func(t *testing.T, r *Result) {
				ch := findRow(t, r, Changed)
				wantSegs(t, "new", changedTexts(ch.NewLines), "及び点検")
			}},
		// The demo policy with an article inserted into 第5章: the old side
		// of the new article is in the old 第5章 (never the chapter of the
		// row printed before it).
		{name: "demo-inserted", docs: demoInserted,
			check: func(t *testing.T, r *Result) {
				add := findRow(t, r, Added)
				if add.New[0].Label != "第25条" || add.NewContext != chapter5 || add.OldContext != chapter5 {
					t.Errorf("added row %s: contexts new %q old %q", add.New[0].Label, add.NewContext, add.OldContext)
				}
				if got := statuses(r); strings.Count(got, "新設") != 1 || strings.Contains(got, "削除") || strings.Contains(got, "移動") {
					t.Errorf("statuses %s", got)
				}
				// Every row keeps its own chapter on both sides.
				for _, row := range r.Rows {
					if row.OldContext != row.NewContext {
						t.Errorf("row %s (%s): contexts new %q old %q", row.Status, row.Remark, row.NewContext, row.OldContext)
					}
				}
			}},
		{name: "identical", old: base, new: base,
			check: func(t *testing.T, r *Result) {
				if !r.Identical() || len(r.Changed()) != 0 {
					t.Errorf("identical documents: %s", statuses(r))
				}
			}},
	}
}

// documents are the case's old and new documents.
func (c goldenCase) documents(t testing.TB) (old, new *provision.Document) {
	if c.docs != nil {
		return c.docs(t)
	}
	return readDrafting(c.old), readDrafting(c.new)
}

// spaceWidth changes only white space and character width.
func spaceWidth(s string) string {
	return replace(s, "（1）　情報機器　パソコン", "（1）　情報機器 パソコン", "（2）　管理者", "(2)　管理者", "30日以内", "３０日以内", "5年間", "５年間")
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases() {
		t.Run(c.name, func(t *testing.T) {
			old, new := c.documents(t)
			r := Compare(old, new, c.opt)
			got := r.String()
			path := filepath.Join("testdata", c.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
			}
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}
