package provision

import (
	"strings"
	"testing"
)

func TestReadMarkdown(t *testing.T) {
	d, warns, err := ReadFile("procedure.md", fixtureText("procedure.md"))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %s", warningsText(warns))
	}
	if d.Title != "ひので区 標準端末 管理手順" {
		t.Errorf("title %q (front matter skipped, # and ** removed)", d.Title)
	}
	if len(d.Preamble) != 1 || d.Preamble[0] != "本手順は、対策基準第23条に基づく。" {
		t.Errorf("preamble %q", d.Preamble)
	}
	texts(t, d, map[string]string{
		"第1章":               "第1章　総則",
		"第1章 第1条":           "第1条（目的）",
		"第1章 第2条":           "第2条（対象）",
		"第1章 第2条 第1項 第2号":   "ノート型端末",
		"第1章 第2条 第1項 第2号 イ": "庁内に据え置くもの",
		"第2章 第3条 第2項":       "台帳には、次の事項を記載する。",
		"第2章 第3条 第2項 本文3":   "| 端末番号 | 資産番号と同じ |",
		"第2章 第3条 第3項":       "台帳は、毎年度 見直す。",
	})
	if n := find(d, "第2章 第3条 第2項"); n == nil || n.Label != "2." || n.Line != 27 {
		t.Errorf("paragraph 2: %+v", n)
	}
}

func TestMarkdownLines(t *testing.T) {
	tests := []struct{ in, want string }{
		{"## 第3章　運用", "第3章　運用"},
		{"### 第12条（目的） ###", "第12条（目的）"},
		{"- （1）　**重要**な事項", "（1）　重要な事項"},
		{"* ア　`code` と [リンク](https://example.jp)", "ア　code と リンク"},
		{"1. 第5条の規定による。", "1. 第5条の規定による。"}, // 第5条の… is not a heading: the list mark stays
		{"- 箇条書き", "- 箇条書き"},
		{"> ２　引用の中の項", "２　引用の中の項"},
		{`\*印は ~~削除~~ 注記<br>`, "*印は 削除 注記"},
		{"| a | **b** |", "| a | **b** |"},
	}
	for _, tc := range tests {
		got := markdownLines(tc.in)
		if len(got) != 1 || got[0].text != tc.want {
			t.Errorf("markdownLines(%q) = %+v, want %q", tc.in, got, tc.want)
		}
	}
	got := markdownLines("```\n第1条\n```\n<!--\n第2条\n-->\n---\n第3条")
	var s []string
	for _, l := range got {
		s = append(s, l.text)
	}
	if strings.Join(s, "|") != "第1条|第3条" {
		t.Errorf("fences, comments and rules: %q", s)
	}
	// A heading holding an article gives its caption even without brackets;
	// a heading is never joined to the text before it.
	d, _, err := ReadFile("a.md", []byte("# 規程\n\n## 第1条 目的\n\nこの規程は、次のとおり定める事項について\n\n## 附則\n\nこの規程は、公布の日から施行する。\n"))
	if err != nil {
		t.Fatal(err)
	}
	texts(t, d, map[string]string{"第1条": "第1条（目的）", "附則 本文": "この規程は、公布の日から施行する。"})
}
