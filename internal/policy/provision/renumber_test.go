package provision

import (
	"slices"
	"strings"
	"testing"
)

const refDoc = `規程
第1章　総則
第1条（目的）
この規程は、第2条及び第3条第2項の手続を定める。
第2条（申請）
申請は、第3条第1項の様式により、次に掲げる者が行う。
（1）　職員
（2）　派遣労働者
（3）　委託事業者
第3条（様式）
様式は、別に定める。
２　第2条の申請は、番号法第19条及び法第9条の規定に従い、第2条第3号の者は別に届け出る。
３　前項の規定にかかわらず、第2項の様式は（平成25年法律第27号）第19条に従う。
第2章　雑則
第4条（委任）
第1章に定めるもののほか、附則第2条及び第3条第3項による。
附　則
この規程は、第4条の規定を除き、公布の日から施行する。
`

func newArticle(caption, text string) *Node {
	return &Node{Kind: Article, Caption: caption, Children: []*Node{{Kind: Paragraph, Text: text}}}
}

func renames(rs []Rename) string {
	var s []string
	for _, r := range rs {
		s = append(s, r.Kind.String()+":"+r.Old+"→"+r.New)
	}
	return strings.Join(s, " ")
}

func texts(t *testing.T, d *Document, want map[string]string) {
	t.Helper()
	for path, w := range want {
		n := find(d, path)
		if n == nil {
			t.Errorf("no provision at %q in\n%s", path, dump(d))
			continue
		}
		got := n.Text
		if n.Kind == Article || n.Kind == Chapter {
			got = n.Heading()
		}
		if got != w {
			t.Errorf("%s: got %q, want %q", path, got, w)
		}
	}
}

func TestRenumber(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		edit    func(d *Document)
		renames string
		want    map[string]string
	}{
		{
			name: "insert an article",
			text: refDoc,
			edit: func(d *Document) {
				ch := d.Nodes[0]
				ch.Children = slices.Insert(ch.Children, 1, newArticle("届出", "届出は、第3条第2項の様式による。"))
			},
			renames: "条:→第2条 条:第2条→第3条 条:第3条→第4条 条:第4条→第5条",
			want: map[string]string{
				"第1章 第1条 第1項": "この規程は、第3条及び第4条第2項の手続を定める。",
				"第1章 第2条":     "第2条（届出）",
				"第1章 第2条 第1項": "届出は、第4条第2項の様式による。",
				"第1章 第3条 第1項": "申請は、第4条第1項の様式により、次に掲げる者が行う。",
				"第1章 第4条 第2項": "第3条の申請は、番号法第19条及び法第9条の規定に従い、第3条第3号の者は別に届け出る。",
				"第1章 第4条 第3項": "前項の規定にかかわらず、第2項の様式は（平成25年法律第27号）第19条に従う。",
				"第2章 第5条 第1項": "第1章に定めるもののほか、附則第2条及び第4条第3項による。",
				"附則 本文":       "この規程は、第5条の規定を除き、公布の日から施行する。",
			},
		},
		{
			name: "delete an article",
			text: refDoc,
			edit: func(d *Document) {
				ch := d.Nodes[0]
				ch.Children = slices.Delete(ch.Children, 0, 1)
			},
			renames: "条:第2条→第1条 条:第3条→第2条 条:第4条→第3条",
			want: map[string]string{
				"第1章 第1条 第1項": "申請は、第2条第1項の様式により、次に掲げる者が行う。",
				"第1章 第2条 第2項": "第1条の申請は、番号法第19条及び法第9条の規定に従い、第1条第3号の者は別に届け出る。",
				"第2章 第3条 第1項": "第1章に定めるもののほか、附則第2条及び第2条第3項による。",
				"附則 本文":       "この規程は、第3条の規定を除き、公布の日から施行する。",
			},
		},
		{
			name: "move an article",
			text: refDoc,
			edit: func(d *Document) {
				moved := d.Nodes[1].Children[0] // 第4条
				d.Nodes[1].Children = nil
				d.Nodes[0].Children = slices.Insert(d.Nodes[0].Children, 1, moved)
				d.Nodes[1].Children = []*Node{newArticle("雑則", "この章は、第2条を準用する。")}
			},
			renames: "条:第4条→第2条 条:第2条→第3条 条:第3条→第4条 条:→第5条",
			want: map[string]string{
				"第1章 第1条 第1項": "この規程は、第3条及び第4条第2項の手続を定める。",
				"第1章 第2条 第1項": "第1章に定めるもののほか、附則第2条及び第4条第3項による。",
				"第2章 第5条 第1項": "この章は、第3条を準用する。",
				"附則 本文":       "この規程は、第2条の規定を除き、公布の日から施行する。",
			},
		},
		{
			name: "insert a paragraph and delete an item",
			text: refDoc,
			edit: func(d *Document) {
				a3 := d.Nodes[0].Children[2]
				a3.Children = slices.Insert(a3.Children, 1, &Node{Kind: Paragraph, Text: "様式は、第3項の規定を確認して定める。"})
				a2 := d.Nodes[0].Children[1]
				p := a2.Children[0]
				p.Children = slices.Delete(p.Children, 1, 2) // （2）
			},
			renames: "号:（3）→（2） 項:→２ 項:２→３ 項:３→４",
			want: map[string]string{
				"第1章 第1条 第1項":     "この規程は、第2条及び第3条第3項の手続を定める。",
				"第1章 第2条 第1項 第2号": "委託事業者",
				"第1章 第3条 第2項":     "様式は、第4項の規定を確認して定める。",
				"第1章 第3条 第3項":     "第2条の申請は、番号法第19条及び法第9条の規定に従い、第2条第2号の者は別に届け出る。",
				"第1章 第3条 第4項":     "前項の規定にかかわらず、第3項の様式は（平成25年法律第27号）第19条に従う。",
				"第2章 第4条 第1項":     "第1章に定めるもののほか、附則第2条及び第3条第4項による。",
			},
		},
		{
			name: "insert a chapter",
			text: refDoc,
			edit: func(d *Document) {
				d.Nodes = slices.Insert(d.Nodes, 0, &Node{Kind: Chapter, Caption: "前置き", Children: []*Node{newArticle("趣旨", "趣旨を定める。")}})
			},
			renames: "章:→第1章 条:→第1条 章:第1章→第2章 条:第1条→第2条 条:第2条→第3条 条:第3条→第4条 章:第2章→第3章 条:第4条→第5条",
			want: map[string]string{
				"第3章 第5条 第1項": "第2章に定めるもののほか、附則第2条及び第4条第3項による。",
				"第2章 第2条 第1項": "この規程は、第3条及び第4条第2項の手続を定める。",
			},
		},
		{
			name: "sections restart in each chapter, chapters run through the parts",
			text: "第1編　総則\n第1章　通則\n第1節　目的\n第1条　甲。\n第2節　用語\n第2条　乙。\n第2編　雑則\n第2章　補則\n第1節　委任\n第3条　第2章及び第2条による。\n",
			edit: func(d *Document) {
				ch := d.Nodes[0].Children[0]
				ch.Children = slices.Insert(ch.Children, 0, &Node{Kind: Section, Caption: "新節", Children: []*Node{newArticle("", "新。")}})
			},
			renames: "節:→第1節 条:→第1条 節:第1節→第2節 条:第1条→第2条 節:第2節→第3節 条:第2条→第3条 条:第3条→第4条",
			want: map[string]string{
				"第2編 第2章 第1節 第4条 第1項": "第2章及び第3条による。",
			},
		},
		{
			name: "kanji numbers, 枝番号 kept, iroha and laws left alone",
			text: string(fixtureText("kanji-law.txt")),
			edit: func(d *Document) {
				ch := d.Nodes[0]
				ch.Children = slices.Insert(ch.Children, 1, newArticle("基本理念", "電子計算組織は、第三条の定めに従い運用する。"))
				a := find(d, "第一章 第二条 第1項 第3号")
				a.Children = slices.Delete(a.Children, 0, 1) // イ
			},
			renames: "条:→第二条 条:第二条→第三条 号の細分:ロ→イ 号の細分:ハ→ロ 条:第二条の二→第三条の二 条:第三条→第四条 条:第四条→第五条 条:第五条→第六条 条:第六条→第七条",
			want: map[string]string{
				"第一章 第二条 第1項":       "電子計算組織は、第四条の定めに従い運用する。",
				"第一章 第三条の二":         "第三条の二（適用除外）",
				"第一章 第四条 第1項":       "電子計算組織の利用については、番号法第十九条及び個人情報の保護に関する法律第六十九条に定めるもののほか、この規則の定めるところによる。",
				"第一章 第四条 第2項":       "第三条第三号の記録媒体の管理は、第六条の定めるところによる。",
				"第一章 第三条 第1項 第3号 ロ": "その他区長が定めるもの",
				"附則 第二条 第1項":        "この規則の施行の際現に設置されている端末機は、第五条の規定により登録されたものとみなす。",
			},
		},
		{
			name: "full-width numbers and circled items",
			text: string(fixtureText("fullwidth.txt")),
			edit: func(d *Document) {
				ch := d.Nodes[0]
				ch.Children = slices.Delete(ch.Children, 0, 1) // 第１条
				p := find(d, "第１章 第２条 第1項")
				p.Children = slices.Delete(p.Children, 0, 1) // ①
				p.Children = append(p.Children, &Node{Kind: Item, Text: "委託事業者の従業者"})
			},
			renames: "条:第２条→第１条 号:②→① 号:③→② 号:→③ 条:第３条→第２条 条:第４条→第３条",
			want: map[string]string{
				"第１章 第１条 第1項 第3号": "委託事業者の従業者",
				"第２章 第２条":         "第２条（予約の手続）",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := mustParse(t, tc.text)
			tc.edit(d)
			rs := Renumber(d)
			if got := renames(rs); got != tc.renames {
				t.Errorf("renames\n got  %s\n want %s", got, tc.renames)
			}
			texts(t, d, tc.want)
			// The result is a valid document: it parses back to itself
			// without sequence warnings.
			again, warns := mustParse(t, d.Plain())
			sameTree(t, "after renumbering", d, again)
			if len(warns) != 0 {
				t.Errorf("warnings after renumbering:\n%s", warningsText(warns))
			}
			if rs := Renumber(d); len(rs) != 0 {
				t.Errorf("second Renumber changed %s", renames(rs))
			}
		})
	}
}

func TestRenumberUnchanged(t *testing.T) {
	for _, f := range []string{"hinode-kihon-houshin.md", "hinode-taisaku-kijun.md"} {
		d, _, err := ReadFile(f, demoPolicy(t, f))
		if err != nil {
			t.Fatal(err)
		}
		before := dump(d)
		if rs := Renumber(d); len(rs) != 0 {
			t.Errorf("%s: Renumber changed %s", f, renames(rs))
		}
		if dump(d) != before {
			t.Errorf("%s: Renumber changed the text", f)
		}
	}
}

func TestRenumberKeepsStyles(t *testing.T) {
	d, _ := mustParse(t, "第1条　次のとおり。\n1)　甲\n2)　乙\n第2条　次のとおり。\n(ア)　丙\n(イ)　丁\n第3条　次のとおり。\nイ　戊\nロ　己\n")
	d.Nodes[0].Children[0].Children = d.Nodes[0].Children[0].Children[1:]
	d.Nodes[1].Children[0].Children = append(d.Nodes[1].Children[0].Children, &Node{Kind: Item, Text: "新"})
	d.Nodes[2].Children[0].Children = append(d.Nodes[2].Children[0].Children, &Node{Kind: Item, Text: "新"})
	got := renames(Renumber(d))
	if want := "号:2)→1) 号:→(ウ) 号:→ハ"; got != want {
		t.Errorf("renames %s, want %s", got, want)
	}
}

func TestClone(t *testing.T) {
	d, _ := mustParse(t, refDoc)
	c := d.Clone()
	sameTree(t, "clone", d, c)
	c.Nodes[0].Children[0].Children[0].Text = "変更"
	c.Nodes[0].Children = c.Nodes[0].Children[:1]
	c.Preamble = append(c.Preamble, "追加")
	c.Title = "別"
	if d.Nodes[0].Children[0].Children[0].Text == "変更" || len(d.Nodes[0].Children) != 3 || len(d.Preamble) != 0 || d.Title != "規程" {
		t.Error("changing the clone changed the original")
	}
	if (*Document)(nil).Clone() != nil {
		t.Error("nil clone")
	}
}

func TestPath(t *testing.T) {
	d, _ := mustParse(t, string(fixtureText("kanji-law.txt")))
	var got []string
	d.Walk(func(n *Node, anc []*Node) bool {
		got = append(got, n.Path(anc))
		return true
	})
	for _, want := range []string{"第一章", "第一章 第二条 第1項 第3号 ロ", "第二章 第四条 第2項 第2号 （１）", "附則 第一条 第1項"} {
		if !slices.Contains(got, want) {
			t.Errorf("no path %q among %q", want, got)
		}
	}
	seen := map[string]bool{}
	for _, p := range got {
		if seen[p] {
			t.Errorf("path %q is not unique", p)
		}
		seen[p] = true
	}
}
