package compare

import (
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/ikawaha/kagome-dict/ipa"
	"github.com/ikawaha/kagome/v2/tokenizer"
)

// The IPA dictionary is loaded once per process, on the first comparison
// that finds a difference (identical texts never need word boundaries),
// and stays for the life of the process. It is loaded without its
// feature table (readings, base forms): word boundaries and parts of
// speech need none of it, and the full table would keep another 100 MB
// on the heap for the garbage collector to walk on every cycle.
var (
	tokOnce sync.Once
	tok     *tokenizer.Tokenizer
	tokErr  error
	tokLoad time.Duration
)

func morpher() *tokenizer.Tokenizer {
	tokOnce.Do(func() {
		t0 := time.Now()
		t, err := tokenizer.New(ipa.DictShrink(), tokenizer.OmitBosEos())
		tok, tokErr, tokLoad = t, err, time.Since(t0)
	})
	if tokErr != nil {
		return nil // cannot happen with the embedded dictionary; fall back to characters
	}
	return tok
}

// WarmUp loads the morpheme dictionary now (it is otherwise loaded on the
// first comparison that finds a difference) and reports how long the load
// took. Later calls return the same duration without loading again.
func WarmUp() time.Duration {
	morpher()
	return tokLoad // written inside tokOnce.Do, so reading it after Do is safe
}

// counters are nouns that follow a number as a unit although the IPA
// dictionary does not tag them 助数詞 (3月, 2時).
var counters = map[string]bool{
	"月": true, "時": true, "時間": true, "週": true, "週間": true, "箇月": true, "ヶ月": true, "か月": true,
	"カ月": true, "ケ月": true, "年度": true, "営業日": true, "日間": true, "%": true, "％": true, "パーセント": true,
	"回": true, "件": true, "名": true, "人": true, "部": true, "台": true, "倍": true, "割": true,
}

// numberGlue are characters that join two numbers into one (1,000 / 2.5).
const numberGlue = ",，.．"

// boundaries marks, for positions 0..len(text), where a morpheme unit
// starts or ends. Only windows around changes are tokenized, on demand.
type boundaries struct {
	text []rune
	done []bool // position already inside a tokenized window
	at   []bool // boundary flags, valid where done
}

func newBoundaries(text []rune) *boundaries {
	return &boundaries{text: text}
}

// window is how far (in runes) a tokenized window may reach either side
// of the position asked about; it stops earlier at a line break or 。.
const window = 200

// is reports whether position p (between text[p-1] and text[p]) is a
// morpheme-unit boundary.
func (b *boundaries) is(p int) bool {
	if p <= 0 || p >= len(b.text) {
		return true
	}
	if b.done == nil {
		b.done = make([]bool, len(b.text)+1)
		b.at = make([]bool, len(b.text)+1)
	}
	if !b.done[p] {
		b.tokenize(p)
	}
	return b.at[p]
}

// tokenize analyses the sentence around p and records its unit
// boundaries.
func (b *boundaries) tokenize(p int) {
	t := b.text
	start := p
	for start > 0 && p-start < window {
		r := t[start-1]
		if r == '\n' || r == '。' {
			break
		}
		start--
	}
	end := p
	for end < len(t) && end-p < window {
		r := t[end]
		end++
		if r == '\n' || r == '。' {
			break
		}
	}
	for i := start; i <= end; i++ {
		b.done[i] = true
		b.at[i] = false
	}
	b.at[start], b.at[end] = true, true
	tk := morpher()
	if tk == nil {
		for i := start; i <= end; i++ {
			b.at[i] = true
		}
		return
	}
	toks := tk.Tokenize(string(t[start:end]))
	// Join tokens into units: [第] number [,number]… [counter], so that
	// 30日 or 第12条 is marked whole.
	pos := start
	prev := clsOther
	for i, k := range toks {
		cls := classify(k)
		join := false
		switch cls {
		case clsNumber:
			join = prev == clsPrefix || prev == clsNumber || prev == clsGlue
		case clsGlue:
			join = prev == clsNumber && i+1 < len(toks) && classify(toks[i+1]) == clsNumber
			if !join {
				cls = clsOther
			}
		case clsCounter:
			join = prev == clsNumber
		}
		if !join {
			b.at[pos] = true
		}
		prev = cls
		pos += len([]rune(k.Surface))
	}
	// White space and Japanese punctuation never belong to a word.
	for i := start; i < end; i++ {
		if isHardBoundary(t[i]) {
			b.at[i], b.at[i+1] = true, true
		}
	}
}

func isHardBoundary(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune("、。「」『』（）()［］[]【】〔〕｛｝{}・：；？！", r)
}

type tokClass int

const (
	clsOther tokClass = iota
	clsPrefix
	clsNumber
	clsGlue
	clsCounter
)

func classify(k tokenizer.Token) tokClass {
	s := k.Surface
	if strings.ContainsAny(s, numberGlue) && len([]rune(s)) == 1 {
		return clsGlue
	}
	pos := k.POS()
	if len(pos) >= 2 {
		switch {
		case pos[0] == "接頭詞" && pos[1] == "数接続":
			return clsPrefix
		case pos[0] == "名詞" && pos[1] == "数":
			return clsNumber
		case len(pos) >= 3 && pos[0] == "名詞" && pos[1] == "接尾" && pos[2] == "助数詞":
			return clsCounter
		}
	}
	if counters[s] {
		return clsCounter
	}
	allDigits := s != ""
	for _, r := range s {
		if !unicode.IsDigit(r) {
			allDigits = false
		}
	}
	if allDigits {
		return clsNumber
	}
	return clsOther
}
