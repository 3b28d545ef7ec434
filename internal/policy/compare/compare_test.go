package compare

import (
	"strings"
	"testing"
	"unicode/utf8"

	"mamori/internal/policy/provision"
)

func join(segs []Segment) string {
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.Text)
	}
	return b.String()
}

func changed(segs []Segment) []string {
	var out []string
	for _, s := range segs {
		if s.Changed {
			out = append(out, s.Text)
		}
	}
	return out
}

func TestDiffText(t *testing.T) {
	for _, c := range []struct {
		name     string
		old, new string
		opt      Options
		wantOld  []string
		wantNew  []string
	}{
		{"particle", "情報システム管理者が行う。", "情報システム管理者は行う。", Options{}, []string{"が"}, []string{"は"}},
		{"number and counter", "報告は30日以内に書面で行う。", "報告は15日以内に書面で行う。", Options{}, []string{"30日"}, []string{"15日"}},
		{"counter only", "報告は30日以内に行う。", "報告は30か月以内に行う。", Options{}, []string{"30日"}, []string{"30か月"}},
		{"article number", "第28条の規定により報告する。", "第29条の規定により報告する。", Options{}, []string{"第28条"}, []string{"第29条"}},
		{"kanji article number", "第二十八条の規定により", "第二十九条の規定により", Options{}, []string{"第二十八条"}, []string{"第二十九条"}},
		{"word not half", "速やかに報告しなければならない。", "直ちに報告しなければならない。", Options{}, []string{"速やかに"}, []string{"直ちに"}},
		{"comma only", "職員は速やかに報告する。", "職員は、速やかに報告する。", Options{}, nil, []string{"、"}},
		{"brackets only", "（1）　区が保有する", "(1)　区が保有する", Options{}, []string{"（1）"}, []string{"(1)"}},
		{"close changes join", "管理者の許可を得る。", "責任者に許可を得る。", Options{}, []string{"管理者の"}, []string{"責任者に"}},
		{"far changes apart", "管理者は、毎年度、台帳を点検する。", "責任者は、毎年度、台帳を確認する。", Options{}, []string{"管理", "点検"}, []string{"責任", "確認"}},
		{"space counts", "第1条　目的", "第1条 目的", Options{}, []string{"　"}, []string{" "}},
		{"space ignored", "第1条　目的を定める", "第1条目的を定める", Options{IgnoreSpace: true}, nil, nil},
		{"width counts (joined over one character)", "ＣＩＳＯは３０日", "CISOは30日", Options{}, []string{"ＣＩＳＯは３０日"}, []string{"CISOは30日"}},
		{"width ignored", "ＣＩＳＯは３０日以内（1）ｶﾞｲﾄﾞ", "CISOは30日以内(1)ガイド", Options{IgnoreWidth: true}, nil, nil},
		{"width ignored, word still counts", "ＣＩＳＯは３０日以内", "CISOは15日以内", Options{IgnoreWidth: true}, []string{"３０日"}, []string{"15日"}},
		{"line inserted", "一行目\n三行目", "一行目\n二行目\n三行目", Options{}, nil, []string{"二行目\n"}},
		{"identical", "同じ文", "同じ文", Options{}, nil, nil},
		{"empty old", "", "新しい文", Options{}, nil, []string{"新しい文"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			o, n := DiffText(c.old, c.new, c.opt)
			if join(o) != c.old || join(n) != c.new {
				t.Fatalf("segments do not give the texts back: %q / %q", join(o), join(n))
			}
			if got := changed(o); strings.Join(got, "|") != strings.Join(c.wantOld, "|") {
				t.Errorf("old changed %q, want %q", got, c.wantOld)
			}
			if got := changed(n); strings.Join(got, "|") != strings.Join(c.wantNew, "|") {
				t.Errorf("new changed %q, want %q", got, c.wantNew)
			}
		})
	}
}

// TestDiffTextRoundTrip: on realistic revised texts, with every option,
// the segments always give the texts back, and equal text is unchanged.
func TestDiffTextRoundTrip(t *testing.T) {
	for seed := int64(1); seed <= 3; seed++ {
		_, _, oldText, newText := GeneratePair(20000, 30, seed)
		for _, opt := range []Options{{}, {IgnoreSpace: true}, {IgnoreWidth: true}, {IgnoreSpace: true, IgnoreWidth: true}} {
			o, n := DiffText(oldText, newText, opt)
			if join(o) != oldText || join(n) != newText {
				t.Fatalf("seed %d %+v: segments do not give the texts back", seed, opt)
			}
			if len(changed(o))+len(changed(n)) == 0 {
				t.Errorf("seed %d: no changes found", seed)
			}
			// The unchanged text is the same on both sides.
			var uo, un strings.Builder
			for _, s := range o {
				if !s.Changed {
					uo.WriteString(s.Text)
				}
			}
			for _, s := range n {
				if !s.Changed {
					un.WriteString(s.Text)
				}
			}
			if opt == (Options{}) && uo.String() != un.String() {
				t.Errorf("seed %d: unchanged text differs between the sides", seed)
			}
		}
	}
}

func TestSplitLines(t *testing.T) {
	lines := splitLines([]Segment{{"第1条\n本", false}, {"文\n２", true}, {"　項", false}})
	got := []string{Marked(lines[0]), Marked(lines[1]), Marked(lines[2])}
	want := []string{"第1条", "本[文]", "[２]　項"}
	if len(lines) != 3 || strings.Join(got, "/") != strings.Join(want, "/") {
		t.Errorf("splitLines = %q, want %q", got, want)
	}
}

func TestCompareEdgeCases(t *testing.T) {
	d := readDrafting(base)
	if r := Compare(nil, nil, Options{}); !r.Identical() || len(r.Rows) != 0 {
		t.Errorf("nil documents: %v", r)
	}
	r := Compare(nil, d, Options{})
	for _, row := range r.Rows {
		if row.Status != Added || row.Old != nil || row.OldLines != nil {
			t.Fatalf("against nothing everything is new: %+v", row)
		}
	}
	r = Compare(d, &provision.Document{}, Options{})
	for _, row := range r.Rows {
		if row.Status != Deleted || row.New != nil {
			t.Fatalf("against nothing everything is deleted: %+v", row)
		}
	}
	// A document without articles: top-level provisions are the units.
	plain := func(s string) *provision.Document {
		var nodes []*provision.Node
		for i, l := range strings.Split(s, "\n") {
			nodes = append(nodes, &provision.Node{Kind: provision.Paragraph, Label: fullDigits(i + 1), Num: i + 1, Text: l})
		}
		return &provision.Document{Nodes: nodes}
	}
	r = Compare(plain("離席時は画面をロックする。\nUSBメモリは許可されたものを使う。\n書類は施錠して保管する。"),
		plain("離席時は画面をロックする。\n来客の際は画面を見せない。\nUSBメモリは許可されたものを使う。\n書類は施錠して保管する。"), Options{})
	if got := statuses(r); got != "同一 新設 同一 同一" {
		t.Errorf("statuses %s", got)
	}
	if r.Rows[2].Remark != "（２を３とする）" {
		t.Errorf("renumbered paragraph remark %q", r.Rows[2].Remark)
	}
}

func TestStatusString(t *testing.T) {
	want := map[Status]string{Same: "同一", Changed: "変更", Added: "新設", Deleted: "削除", Moved: "移動", Split: "分割", Merged: "統合", Status(99): "?"}
	for s, w := range want {
		if s.String() != w {
			t.Errorf("%d.String() = %s, want %s", s, s.String(), w)
		}
	}
}

func TestGeneratePair(t *testing.T) {
	old, new, oldText, newText := GeneratePair(30000, 40, 42)
	_, _, oldText2, newText2 := GeneratePair(30000, 40, 42)
	if oldText != oldText2 || newText != newText2 {
		t.Fatal("GeneratePair is not deterministic")
	}
	if n := utf8.RuneCountInString(oldText); n < 30000 || n > 36000 {
		t.Errorf("old text has %d characters, want about 30,000", n)
	}
	if oldText == newText || old.Plain() != oldText || new.Plain() != newText {
		t.Error("texts must be the documents' plain text and differ")
	}
	// Drafting Japanese from the demo ward's policy, in its numbering style.
	for _, w := range []string{"第1章", "第1条（", "\n２　", "しなければならない。", "情報セキュリティ"} {
		if !strings.Contains(oldText, w) {
			t.Errorf("generated text lacks %q", w)
		}
	}
	// Its own reader gives the same tree back.
	if got := readDrafting(oldText).Plain(); got != oldText {
		t.Error("generated text does not read back to the same document")
	}
	r := Compare(old, new, Options{})
	counts := map[Status]int{}
	for _, row := range r.Rows {
		counts[row.Status]++
	}
	if counts[Changed] < 15 || counts[Added] == 0 || counts[Deleted] == 0 {
		t.Errorf("statuses %v: the changes should be scattered edits, insertions and deletions", counts)
	}
}
