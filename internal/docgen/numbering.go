package docgen

import (
	"fmt"
	"strings"
)

// iroha is the order of the katakana item marks (ア, イ, ウ …) used by
// Japanese reports and regulations for the fourth level.
var iroha = []string{"ア", "イ", "ウ", "エ", "オ", "カ", "キ", "ク", "ケ", "コ", "サ", "シ", "ス", "セ", "ソ",
	"タ", "チ", "ツ", "テ", "ト", "ナ", "ニ", "ヌ", "ネ", "ノ", "ハ", "ヒ", "フ", "ヘ", "ホ", "マ", "ミ", "ム", "メ", "モ",
	"ヤ", "ユ", "ヨ", "ラ", "リ", "ル", "レ", "ロ", "ワ", "ヲ", "ン"}

// Numberer hands out heading numbers in document order.
type Numberer struct{ counts [5]int }

// Next returns the number label of the next heading at level (1–4), e.g.
// 第2章, 3, （1）, ア, and resets the deeper levels.
func (n *Numberer) Next(level int) string {
	if level < 1 {
		level = 1
	}
	if level > 4 {
		level = 4
	}
	n.counts[level]++
	for l := level + 1; l < len(n.counts); l++ {
		n.counts[l] = 0
	}
	return Label(level, n.counts[level])
}

// Label is the label of the k-th heading (1-based) at level.
func Label(level, k int) string {
	switch level {
	case 1:
		return fmt.Sprintf("第%d章", k)
	case 2:
		return fmt.Sprintf("%d", k)
	case 3:
		return fmt.Sprintf("（%d）", k)
	default:
		if k <= len(iroha) {
			return iroha[k-1]
		}
		return strings.Repeat(iroha[len(iroha)-1], 1) + fmt.Sprint(k)
	}
}

// HeadingText is a heading as printed: its number (if numbered) and text,
// separated as Japanese reports do (第1章 総則, 1 目的, （1） 範囲, ア 対象).
func HeadingText(num string, h Heading) string {
	if num == "" {
		return h.Text
	}
	return num + "\u3000" + h.Text
}

// NumberedHeading is a heading of a document with the text it prints
// (number and title), in document order.
type NumberedHeading struct {
	Heading
	Printed string
}

// Headings numbers every heading of d (values or pointers) in order, as
// all renderers print them; renderers build their tables of contents and
// anchors from it.
func Headings(d *Document) []NumberedHeading {
	var n Numberer
	var out []NumberedHeading
	for _, s := range d.Sections {
		for _, b := range s.Blocks {
			h, ok := Value(b).(Heading)
			if !ok {
				continue
			}
			num := ""
			if h.Numbered {
				num = n.Next(h.Level)
			}
			out = append(out, NumberedHeading{Heading: h, Printed: HeadingText(num, h)})
		}
	}
	return out
}
