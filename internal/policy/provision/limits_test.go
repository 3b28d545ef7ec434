package provision

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// allocated runs f and returns the bytes it allocated (garbage included).
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// bombDOCX is a small DOCX whose document.xml inflates to about size bytes
// of ordinary paragraphs.
func bombDOCX(t *testing.T, size int) []byte {
	t.Helper()
	p := para("第1条　" + strings.Repeat("職員等は、情報資産を適切に管理しなければならない。", 20))
	var b strings.Builder
	b.Grow(size + 1024)
	b.WriteString(body()[:strings.Index(body(), "<w:body>")+len("<w:body>")])
	for b.Len() < size {
		b.WriteString(p)
	}
	b.WriteString(`</w:body></w:document>`)
	return buildDOCX(t, map[string]string{"word/document.xml": b.String()})
}

func inputError(t *testing.T, err error, want ...string) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("want *InputError, got %v", err)
	}
	for _, w := range want {
		if !strings.Contains(ie.Msg, w) {
			t.Fatalf("message %q lacks %q", ie.Msg, w)
		}
	}
}

// TestDOCXInflationStopsEarly: a DOCX of a few hundred KB whose body
// inflates to 60 MB is refused at the character limit, naming the limit
// and the inflated size, without inflating or keeping the whole body.
func TestDOCXInflationStopsEarly(t *testing.T) {
	data := bombDOCX(t, 60<<20)
	if len(data) > 1<<20 {
		t.Fatalf("test DOCX is %d bytes, want a small file", len(data))
	}
	var err error
	start := time.Now()
	n := allocated(func() { _, _, err = ReadFile("bomb.docx", data) })
	t.Logf("refused in %v, %.1f MB allocated", time.Since(start), float64(n)/(1<<20))
	inputError(t, err, "「bomb.docx」：本文が長すぎます", "2,000,000 文字", "展開すると 60.0 MB")
	if n > allocSlack*50<<20 {
		t.Fatalf("allocated %.1f MB reading a refused DOCX, want < %d MB", float64(n)/(1<<20), allocSlack*50)
	}
}

// TestDOCXLimits: the other ways a small DOCX can blow up.
func TestDOCXLimits(t *testing.T) {
	huge := strings.Repeat("あ", 10<<20/3) // one 10 MB text run
	cases := []struct {
		name string
		xml  string
		want []string
	}{
		{"one huge run", body(`<w:p><w:r><w:t>` + huge + `</w:t></w:r></w:p>`), []string{"1段落目が大きすぎます", "8 MB"}},
		{"many empty paragraphs", body(strings.Repeat("<w:p/>", MaxLines+1)), []string{"段落が多すぎます", "100,000 段落まで"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := buildDOCX(t, map[string]string{"word/document.xml": c.xml})
			var err error
			n := allocated(func() { _, _, err = ReadFile("x.docx", data) })
			inputError(t, err, c.want...)
			if n > allocSlack*50<<20 {
				t.Fatalf("allocated %.1f MB, want < %d MB", float64(n)/(1<<20), allocSlack*50)
			}
		})
	}
}

// TestTextLimits: text and Markdown over the limits are refused with the
// limit and their exact size; text at the limits is read.
func TestTextLimits(t *testing.T) {
	long := "第1条　" + strings.Repeat("あ", MaxChars)
	for _, name := range []string{"long.txt", "long.md"} {
		_, _, err := ReadFile(name, []byte(long))
		inputError(t, err, "本文が長すぎます（2,000,004 文字）", "2,000,000 文字まで")
	}
	_, _, err := Parse(long)
	inputError(t, err, "2,000,004 文字")
	_, _, err = Parse("第1条　目的" + strings.Repeat("\r\n", MaxLines))
	inputError(t, err, "行が多すぎます（100,001 行）", "100,000 行まで")

	var b strings.Builder
	for i := 1; i <= MaxProvisions/2+50; i++ {
		fmt.Fprintf(&b, "第%d条　職員は、規程を守る。\n", i)
	}
	_, _, err = ReadFile("many.txt", []byte(b.String()))
	// Each article has its first paragraph: 2 provisions a line; the lines
	// not read are counted one each, so the count is a lower bound.
	inputError(t, err, "規定（章・条・項・号など）が多すぎます（少なくとも 20,0", "20,000 個まで")

	var ok strings.Builder
	for i := 1; i <= MaxProvisions/2; i++ {
		fmt.Fprintf(&ok, "第%d条　職員は、規程を守る。\n", i)
	}
	d, _, err := Parse(ok.String())
	if err != nil || len(d.Nodes) != MaxProvisions/2 {
		t.Fatalf("document at the limit: %v", err)
	}
}
