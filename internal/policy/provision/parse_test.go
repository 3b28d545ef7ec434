package provision

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// lineCounts counts the demo files' lines by their first characters, the
// way content/policy/README.md describes the format, independently of the
// parser.
func lineCounts(text string) (articles, numberedParas, items, subItems int) {
	art := regexp.MustCompile(`^第[0-9]+条（`)
	para := regexp.MustCompile(`^[０-９]+　`)
	item := regexp.MustCompile(`^（[0-9]+）　`)
	sub := regexp.MustCompile(`^[アイウエオ]　`)
	for _, l := range strings.Split(text, "\n") {
		switch {
		case art.MatchString(l):
			articles++
		case para.MatchString(l):
			numberedParas++
		case item.MatchString(l):
			items++
		case sub.MatchString(l):
			subItems++
		}
	}
	return
}

func TestDemoPolicies(t *testing.T) {
	tests := []struct {
		file       string
		title      string
		chapters   int
		articles   int
		perChapter []int
		paras      int // all paragraphs, unnumbered first ones included
		items      int
		subItems   int
	}{
		{file: "hinode-kihon-houshin.md", title: "ひので区情報セキュリティ基本方針", articles: 10, paras: 14, items: 29},
		{file: "hinode-taisaku-kijun.md", title: "ひので区情報セキュリティ対策基準", chapters: 9, articles: 51,
			perChapter: []int{8, 7, 3, 5, 6, 8, 6, 5, 3}, paras: 292, items: 85, subItems: 7},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b := demoPolicy(t, tc.file)
			d, warns, err := ReadFile(tc.file, b)
			if err != nil {
				t.Fatal(err)
			}
			if len(warns) != 0 {
				t.Errorf("warnings on the demo policy:\n%s", warningsText(warns))
			}
			if d.Title != tc.title {
				t.Errorf("title %q, want %q", d.Title, tc.title)
			}
			if len(d.Preamble) != 1 || !strings.HasSuffix(d.Preamble[0], "決定）") {
				t.Errorf("preamble %q, want the enactment record", d.Preamble)
			}
			c := countKinds(d)
			a, np, it, si := lineCounts(string(b))
			if c[Chapter] != tc.chapters || c[Article] != tc.articles || c[Article] != a {
				t.Errorf("chapters %d articles %d, want %d and %d (lines: %d)", c[Chapter], c[Article], tc.chapters, tc.articles, a)
			}
			if c[Paragraph] != tc.paras || c[Paragraph] != np+a {
				t.Errorf("paragraphs %d, want %d (numbered lines %d + one first paragraph per article)", c[Paragraph], tc.paras, np)
			}
			if c[Item] != tc.items || c[Item] != it || c[SubItem] != tc.subItems || c[SubItem] != si {
				t.Errorf("items %d sub-items %d, want %d and %d", c[Item], c[SubItem], tc.items, tc.subItems)
			}
			if c[Supplementary] != 2 || c[Text] != 2 || c[SubSubItem] != 0 {
				t.Errorf("附則 %d, text %d, (ア) %d; want 2, 2 (their bodies), 0", c[Supplementary], c[Text], c[SubSubItem])
			}
			var got []int
			for _, n := range d.Nodes {
				if n.Kind == Chapter {
					k := 0
					for _, ch := range n.Children {
						if ch.Kind == Article {
							k++
						}
					}
					got = append(got, k)
				}
			}
			if tc.perChapter != nil && sprintInts(got) != sprintInts(tc.perChapter) {
				t.Errorf("articles per chapter %v, want %v", got, tc.perChapter)
			}
			// Numbers run 1, 2, 3 … with the articles in order.
			n := 0
			d.Walk(func(x *Node, anc []*Node) bool {
				if x.Kind == Article && (len(anc) == 0 || anc[0].Kind != Supplementary) {
					n++
					if x.Num != n || x.Caption == "" || len(x.Children) == 0 || x.Children[0].Kind != Paragraph || x.Children[0].Label != "" {
						t.Errorf("article %d: %+v", n, x)
					}
				}
				return true
			})
		})
	}
}

func sprintInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = itoa(x)
	}
	return strings.Join(s, ",")
}

func itoa(n int) string { return formatNumber(n, formHalf) }

func TestDemoPolicyDetails(t *testing.T) {
	d, _, err := ReadFile("hinode-taisaku-kijun.md", demoPolicy(t, "hinode-taisaku-kijun.md"))
	if err != nil {
		t.Fatal(err)
	}
	n := find(d, "第8章 第46条")
	if n == nil || n.Caption != "外部サービスの利用（機密性2以上の情報を取り扱う場合）" {
		t.Fatalf("第46条 with a caption holding brackets: %+v", n)
	}
	sub := find(d, "第2章 第9条 第1項 第1号 ウ")
	if sub == nil || sub.Kind != SubItem || sub.Num != 3 || !strings.HasPrefix(sub.Text, "機密性1　") {
		t.Fatalf("第9条第1項第1号ウ: %+v", sub)
	}
	p := find(d, "第1章 第2条 第2項 第8号")
	if p == nil || p.Label != "（8）" || !strings.Contains(p.Text, "国、東京都") {
		t.Fatalf("第2条第2項第8号: %+v", p)
	}
	last := d.Nodes[len(d.Nodes)-1]
	if last.Kind != Supplementary || last.Label != "附　則（令和6年3月22日ひので区情報セキュリティ委員会決定）" ||
		len(last.Children) != 1 || last.Children[0].Text != "この対策基準は、令和6年4月1日から施行する。" {
		t.Fatalf("last 附則: %+v", last)
	}
}

func TestParseForms(t *testing.T) {
	tests := []struct {
		name  string
		text  string
		check map[string]string // path → "label|num|caption|text"
		kinds map[Kind]int
		warn  string // substring of the warnings, "" for none
	}{
		{
			name: "full-width numbers and circled items",
			text: "規程\n第１条（目的）\nこの規程は定める。\n２　次のとおりとする。\n①　一つ目\n②　二つ目\n⑩　十番目\n",
			check: map[string]string{
				"第１条":         "第１条|1|目的|",
				"第１条 第2項 第2号": "②|2||二つ目",
			},
			warn: "「②」の次が「⑩」",
		},
		{
			name: "kanji article numbers with 十 and 百",
			text: "第十二条　十二番目の条。\n第十三条　次。\n第百二条　百二番目。\n第百三条　百三番目。\n",
			check: map[string]string{
				"第十二条":     "第十二条|12||",
				"第十二条 第1項": "|1||十二番目の条。",
				"第百二条":     "第百二条|102||",
			},
			warn: "第十三条の次が第百二条",
		},
		{
			name: "branch numbers",
			text: "第3条（甲）\n本文。\n第3条の2（乙）\n本文。\n第3条の3（丙）\n本文。\n第4条（丁）\n本文。\n",
			check: map[string]string{
				"第3条の2": "第3条の2|3|乙|",
				"第3条の3": "第3条の3|3|丙|",
			},
			warn: "第3条から始まっています",
		},
		{
			name: "caption on the line before",
			text: "規則\n\n（目的）\n第1条　この規則は、目的を定める。\n（定義）\n第2条　用語の意義は次による。\n一　端末　機器をいう。\n",
			check: map[string]string{
				"第1条":         "第1条|1|目的|",
				"第1条 第1項":     "|1||この規則は、目的を定める。",
				"第2条":         "第2条|2|定義|",
				"第2条 第1項 第1号": "一|1||端末　機器をいう。",
			},
		},
		{
			name: "kanji items with iroha and bracketed sub-levels",
			text: "第一条　次に掲げる。\n一　甲\nイ　乙\nロ　丙\n(1)　丁\n(2)　戊\nハ　己\n二　庚\n",
			check: map[string]string{
				"第一条 第1項 第1号 ロ":     "ロ|2||丙",
				"第一条 第1項 第1号 ロ (2)": "(2)|2||戊",
				"第一条 第1項 第1号 ハ":     "ハ|3||己",
				"第一条 第1項 第2号":       "二|2||庚",
			},
			kinds: map[Kind]int{Item: 2, SubItem: 3, SubSubItem: 2},
		},
		{
			name: "three levels (1) ア (ア)",
			text: "第1条（例）\n次のとおり。\n（1）　甲\nア　乙\n（ア）　丙\n（イ）　丁\nイ　戊\n（2）　己\n",
			check: map[string]string{
				"第1条 第1項 第1号 ア （イ）": "（イ）|2||丁",
				"第1条 第1項 第1号 イ":     "イ|2||戊",
				"第1条 第1項 第2号":       "（2）|2||己",
			},
			kinds: map[Kind]int{Item: 2, SubItem: 2, SubSubItem: 2},
		},
		{
			name: "other item styles: 1) and ⑴",
			text: "第1条（例）\n次のとおり。\n1)　甲\n2)　乙\n⑴　丙\n⑵　丁\n3)　戊\n",
			check: map[string]string{
				"第1条 第1項 第2号 ⑵": "⑵|2||丁",
				"第1条 第1項 第3号":   "3)|3||戊",
			},
		},
		{
			name: "parts, chapters, sections and 款",
			text: "規程\n第1編　総則\n第1章　通則\n第1節　目的\n第1款　基本\n第1条　甲。\n第2款　細目\n第2条　乙。\n第2節　用語\n第3条　丙。\n第2章　組織\n第1節　委員会\n第4条　丁。\n第2編　雑則\n第3章　補則\n第5条　戊。\n",
			check: map[string]string{
				"第1編 第1章 第1節 第2款 第2条": "第2条|2||",
				"第1編 第2章 第1節 第4条":     "第4条|4||",
				"第2編 第3章":             "第3章|3|補則|",
				"第2編 第3章 第5条 第1項":     "|1||戊。",
			},
			kinds: map[Kind]int{Part: 2, Chapter: 3, Section: 3, Subsection: 2, Article: 5},
		},
		{
			name: "附則 spellings",
			text: "第1条　本文。\n附則\nこの規則は、公布の日から施行する。\n附　則（令和6年3月22日規則第5号）\nこの規則は、令和6年4月1日から施行する。\n附則　抄\n（施行期日）\n１　この規則は、令和7年4月1日から施行する。\n２　経過措置は別に定める。\n",
			check: map[string]string{
				"附則": "附則|1||",
				"附則（令和6年3月22日規則第5号）":    "附　則（令和6年3月22日規則第5号）|2||",
				"附則（令和6年3月22日規則第5号） 本文": "|0||この規則は、令和6年4月1日から施行する。",
				"附則抄 第2項": "２|2||経過措置は別に定める。",
			},
			kinds: map[Kind]int{Supplementary: 3},
		},
		{
			name: "text between chapters and references that are not headings",
			text: "第1章　総則\n第1条（目的）\n第2章に定める事項を除くほか、この規程による。\n第1条の規定は、なお効力を有する。\n附則第2条の規定は削る。\n",
			check: map[string]string{
				"第1章 第1条 第1項": "|1||第2章に定める事項を除くほか、この規程による。",
			},
			kinds: map[Kind]int{Chapter: 1, Article: 1, Text: 2, Supplementary: 0},
		},
		{
			name: "hard-wrapped lines join, a table stays text",
			text: string(fixtureText("wrapped.txt")),
			check: map[string]string{
				"第1条 第1項":     "|1||この基準は、区の庁舎内に設置する無線LANを安全に利用するために職員等が守るべき事項及び情報政策課が行う管理の内容を定めることを目的とする。",
				"第2条 第2項 本文2": "|0||業務用\tLGWAN接続系\t証明書認証",
				"第3条 第1項 第3号": "（3）|3||通信の記録を90日以上保存していること。",
			},
			kinds: map[Kind]int{Text: 4},
		},
		{
			name: "目次 is kept in the preamble",
			text: string(fixtureText("kanji-law.txt")),
			check: map[string]string{
				"第一章 第二条の二":           "第二条の二|2|適用除外|",
				"第二章 第四条 第2項 第2号 （２）": "（２）|2||記録媒体の保管",
				"附則 第二条":              "第二条|2|経過措置|",
			},
			kinds: map[Kind]int{Chapter: 2, Article: 9, Item: 6, SubItem: 5},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, warns := mustParse(t, tc.text)
			for path, want := range tc.check {
				n := find(d, path)
				if n == nil {
					t.Errorf("no provision at %q in\n%s", path, dump(d))
					continue
				}
				got := strings.Join([]string{n.Label, itoa(n.Num), n.Caption, n.Text}, "|")
				if got != want {
					t.Errorf("%s: got %q, want %q", path, got, want)
				}
			}
			c := countKinds(d)
			for k, want := range tc.kinds {
				if c[k] != want {
					t.Errorf("%s count %d, want %d\n%s", k, c[k], want, dump(d))
				}
			}
			ws := warningsText(warns)
			if tc.warn == "" && ws != "" {
				t.Errorf("unexpected warnings:\n%s", ws)
			}
			if tc.warn != "" && !strings.Contains(ws, tc.warn) {
				t.Errorf("warnings %q, want one containing %q", ws, tc.warn)
			}
		})
	}
}

func fixtureText(name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		panic(err)
	}
	return b
}

func TestParseWarnings(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string // substrings, in order
	}{
		{"mixed styles in one level", string(fixtureText("mixed.txt")), []string{
			"7行目：第1条：号の番号「(2)」の書き方が、同じ階層の「（1）」と異なります",
			"8行目：第1条：号の番号「⑶」の書き方が、同じ階層の「(2)」と異なります",
			"9行目：第1条：「２」が重複しています",
			"11行目：第1条の次が第3条になっています（番号が飛んでいます）",
		}},
		{"article number goes back", "第1条　甲。\n第5条　乙。\n第3条　丙。\n", []string{
			"2行目：第1条の次が第5条になっています（番号が飛んでいます）",
			"3行目：第5条の次が第3条になっています（番号が前後しています）",
		}},
		{"article outside any chapter", "第1条　章の外。\n第1章　総則\n第2条　章の中。\n", []string{
			"1行目：第1条はどの章にも属していません",
		}},
		{"paragraph numbers mixed", "第1条　甲。\n２　乙。\n3　丙。\n", []string{
			"3行目：第1条：項番号「3」の書き方",
		}},
		{"article digits mixed", "第1条　甲。\n第２条　乙。\n", []string{
			"2行目：第２条の数字の書き方",
		}},
		{"item list not starting at 1", "第1条　次のとおり。\n（2）　乙\n", []string{
			"2行目：第1条：号の番号が「（2）」から始まっています",
		}},
		{"chapter jumps", "第1章　甲\n第1条　甲。\n第3章　乙\n第2条　乙。\n", []string{
			"3行目：第1章の次が第3章になっています",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, warns := mustParse(t, tc.text)
			if len(warns) != len(tc.want) {
				t.Fatalf("got %d warnings, want %d:\n%s", len(warns), len(tc.want), warningsText(warns))
			}
			for i, w := range tc.want {
				if !strings.Contains(warns[i].Msg, w) {
					t.Errorf("warning %d %q, want %q", i, warns[i].Msg, w)
				}
			}
		})
	}
}

func TestParseNoNumbering(t *testing.T) {
	for _, text := range []string{
		"お知らせ\n来月から庁舎の入口が変わります。\n詳しくは総務課まで。\n",
		"第1章　総則\nこの章には条がない。\n",
		"",
		"\n\n　\n",
	} {
		_, _, err := Parse(text)
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Errorf("%q: error %v, want *InputError", text, err)
			continue
		}
		if !strings.Contains(ie.Msg, "番号を認識できませんでした") && !strings.Contains(ie.Msg, "本文がありません") {
			t.Errorf("%q: message %q", text, ie.Msg)
		}
	}
	_, _, err := Parse("お知らせ\n来月から庁舎の入口が変わります。\n")
	if err == nil || !strings.HasPrefix(err.Error(), "条・項・号の番号を認識できませんでした。") {
		t.Errorf("no numbering: %v", err)
	}
}

func TestParseLineEndings(t *testing.T) {
	a, _ := mustParse(t, "規程\n第1条（目的）\n本文。\n２　次。\n")
	b, _ := mustParse(t, "\ufeff規程\r\n第1条（目的）\r\n本文。\r\n２　次。\r\n")
	c, _ := mustParse(t, "規程\r第1条（目的）\r本文。\r２　次。")
	sameTree(t, "CRLF", a, b)
	sameTree(t, "CR", a, c)
	if n := find(a, "第1条 第2項"); n == nil || n.Line != 4 {
		t.Errorf("line numbers: %+v", n)
	}
}
