package provision

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
)

// numbering reconstructs Word's automatic numbers (w:numPr) from
// word/numbering.xml, the way Word counts: one set of counters per
// abstract numbering definition, deeper levels restarting when a shallower
// one advances, w:startOverride restarting a list instance.
type numbering struct {
	loaded   bool
	abstract map[string]*abstractNum
	nums     map[string]*numInst
	styles   map[string]*styleDef
	counters map[string]*counter // by abstractNumId
	started  map[string]bool     // numIds whose overrides were applied
}

type abstractNum struct {
	levels    [9]numLevel
	styleLink string
}

type numLevel struct {
	defined bool
	start   int
	format  string // numFmt
	text    string // lvlText with %1 … %9
	suff    string // tab (default), space, nothing
	isLgl   bool
	pStyle  string
}

type numInst struct {
	abstractID string
	starts     map[int]int
	levels     map[int]numLevel
}

type styleDef struct {
	basedOn  string
	numID    string
	hasNum   bool
	ilvl     int
	hasIlvl  bool
	resolved *styleRef
}

type styleRef struct {
	numID   string
	ilvl    int
	hasIlvl bool
}

func newNumbering() *numbering {
	return &numbering{
		abstract: map[string]*abstractNum{},
		nums:     map[string]*numInst{},
		styles:   map[string]*styleDef{},
		counters: map[string]*counter{},
		started:  map[string]bool{},
	}
}

type xVal struct {
	Val string `xml:"val,attr"`
}

type xLvl struct {
	Ilvl    int   `xml:"ilvl,attr"`
	Start   *xVal `xml:"start"`
	NumFmt  *xVal `xml:"numFmt"`
	LvlText *xVal `xml:"lvlText"`
	Suff    *xVal `xml:"suff"`
	IsLgl   *xVal `xml:"isLgl"`
	PStyle  *xVal `xml:"pStyle"`
}

type xNumbering struct {
	Abstract []struct {
		ID        string `xml:"abstractNumId,attr"`
		StyleLink *xVal  `xml:"numStyleLink"`
		Levels    []xLvl `xml:"lvl"`
	} `xml:"abstractNum"`
	Num []struct {
		ID        string `xml:"numId,attr"`
		Abstract  xVal   `xml:"abstractNumId"`
		Overrides []struct {
			Ilvl  int   `xml:"ilvl,attr"`
			Start *xVal `xml:"startOverride"`
			Lvl   *xLvl `xml:"lvl"`
		} `xml:"lvlOverride"`
	} `xml:"num"`
}

func on(v *xVal) bool {
	return v != nil && v.Val != "0" && v.Val != "false" && v.Val != "off"
}

func (x xLvl) level() numLevel {
	l := numLevel{defined: true, start: 1, format: "decimal", suff: "tab"}
	if x.Start != nil {
		if n, err := strconv.Atoi(x.Start.Val); err == nil {
			l.start = n
		}
	}
	if x.NumFmt != nil {
		l.format = x.NumFmt.Val
	}
	if x.LvlText != nil {
		l.text = x.LvlText.Val
	}
	if x.Suff != nil {
		l.suff = x.Suff.Val
	}
	l.isLgl = on(x.IsLgl)
	if x.PStyle != nil {
		l.pStyle = x.PStyle.Val
	}
	return l
}

// load reads word/numbering.xml.
func (nb *numbering) load(b []byte) error {
	var x xNumbering
	if err := xml.Unmarshal(b, &x); err != nil {
		return err
	}
	for _, a := range x.Abstract {
		an := &abstractNum{}
		if a.StyleLink != nil {
			an.styleLink = a.StyleLink.Val
		}
		for _, l := range a.Levels {
			if l.Ilvl >= 0 && l.Ilvl < 9 {
				an.levels[l.Ilvl] = l.level()
			}
		}
		nb.abstract[a.ID] = an
	}
	for _, n := range x.Num {
		in := &numInst{abstractID: n.Abstract.Val, starts: map[int]int{}, levels: map[int]numLevel{}}
		for _, o := range n.Overrides {
			if o.Ilvl < 0 || o.Ilvl >= 9 {
				continue
			}
			if o.Start != nil {
				if v, err := strconv.Atoi(o.Start.Val); err == nil {
					in.starts[o.Ilvl] = v
				}
			}
			if o.Lvl != nil {
				in.levels[o.Ilvl] = o.Lvl.level()
			}
		}
		nb.nums[n.ID] = in
	}
	nb.loaded = true
	return nil
}

type xStyles struct {
	Styles []struct {
		Type    string `xml:"type,attr"`
		ID      string `xml:"styleId,attr"`
		BasedOn *xVal  `xml:"basedOn"`
		PPr     struct {
			NumPr *struct {
				Ilvl  *xVal `xml:"ilvl"`
				NumID *xVal `xml:"numId"`
			} `xml:"numPr"`
		} `xml:"pPr"`
	} `xml:"style"`
}

// loadStyles reads the numbering attached to paragraph styles.
func (nb *numbering) loadStyles(b []byte) error {
	var x xStyles
	if err := xml.Unmarshal(b, &x); err != nil {
		return err
	}
	for _, s := range x.Styles {
		if s.Type != "" && s.Type != "paragraph" && s.Type != "numbering" {
			continue
		}
		d := &styleDef{}
		if s.BasedOn != nil {
			d.basedOn = s.BasedOn.Val
		}
		if np := s.PPr.NumPr; np != nil {
			if np.NumID != nil {
				d.numID, d.hasNum = np.NumID.Val, true
			}
			if np.Ilvl != nil {
				d.ilvl, _ = strconv.Atoi(np.Ilvl.Val)
				d.hasIlvl = true
			}
		}
		nb.styles[s.ID] = d
	}
	return nil
}

// styleRef is the numbering a paragraph style carries, following basedOn.
func (nb *numbering) styleRef(id string) (styleRef, bool) {
	var ref styleRef
	found := false
	for range 16 { // basedOn chains are short; this also stops cycles
		d := nb.styles[id]
		if d == nil {
			break
		}
		if d.hasNum && !found {
			ref.numID, found = d.numID, true
		}
		if d.hasIlvl && !ref.hasIlvl {
			ref.ilvl, ref.hasIlvl = d.ilvl, true
		}
		if found && ref.hasIlvl {
			break
		}
		id = d.basedOn
	}
	return ref, found
}

// next advances the counter of (numID, ilvl) and returns the label, the
// separator to put after it and, when the number could not be reproduced
// faithfully, a Japanese explanation.
func (nb *numbering) next(numID string, ilvl int, hasIlvl bool, style string) (label, sep, problem string) {
	in := nb.nums[numID]
	if in == nil {
		return "", "", fmt.Sprintf("Word の自動番号（番号定義 %s）が見つからないため、番号を再現できませんでした。番号を確認してください。", numID)
	}
	an := nb.abstract[in.abstractID]
	if an != nil && an.styleLink != "" {
		if ref, ok := nb.styleRef(an.styleLink); ok && nb.nums[ref.numID] != nil && ref.numID != numID {
			in = nb.nums[ref.numID]
			an = nb.abstract[in.abstractID]
		}
	}
	if an == nil {
		return "", "", fmt.Sprintf("Word の自動番号（番号定義 %s）の書式が見つからないため、番号を再現できませんでした。番号を確認してください。", numID)
	}
	if !hasIlvl && style != "" {
		for i, l := range an.levels {
			if l.pStyle == style {
				ilvl = i
			}
		}
	}
	if ilvl < 0 || ilvl > 8 {
		ilvl = 0
	}
	lvl := func(i int) numLevel {
		if l, ok := in.levels[i]; ok {
			return l
		}
		l := an.levels[i]
		if !l.defined {
			l = numLevel{start: 1, format: "decimal", suff: "tab"}
		}
		return l
	}
	start := func(i int) int {
		if v, ok := in.starts[i]; ok {
			return v
		}
		return lvl(i).start
	}
	c := nb.counters[in.abstractID]
	if c == nil {
		c = &counter{}
		nb.counters[in.abstractID] = c
	}
	if !nb.started[numID] {
		// A list instance with start overrides restarts those levels.
		nb.started[numID] = true
		for i := range in.starts {
			c.set[i] = false
		}
	}
	if c.set[ilvl] {
		c.val[ilvl]++
	} else {
		c.val[ilvl], c.set[ilvl] = start(ilvl), true
	}
	for i := ilvl + 1; i < 9; i++ {
		c.set[i] = false
	}
	l := lvl(ilvl)
	if l.format == "bullet" || l.format == "none" || l.text == "" {
		return "", "", ""
	}
	var b strings.Builder
	for i := 0; i < len(l.text); i++ {
		ch := l.text[i]
		if ch == '%' && i+1 < len(l.text) && l.text[i+1] >= '1' && l.text[i+1] <= '9' {
			k := int(l.text[i+1] - '1')
			i++
			v := c.val[k]
			if !c.set[k] {
				v = start(k)
			}
			f := lvl(k).format
			if l.isLgl && k != ilvl {
				f = "decimal"
			}
			s, ok := formatWordNumber(v, f)
			if !ok {
				problem = fmt.Sprintf("Word の自動番号の形式「%s」には対応していないため、算用数字で表しました。番号を確認してください。", f)
			}
			b.WriteString(s)
			continue
		}
		b.WriteByte(ch)
	}
	label = b.String()
	switch l.suff {
	case "nothing":
		sep = ""
	default:
		sep = "　"
	}
	return label, sep, problem
}

// counter is the running numbers of one abstract numbering definition.
type counter struct {
	val [9]int
	set [9]bool // the level has started since the last shallower number
}

// formatWordNumber writes n in a w:numFmt. It reports false (and gives
// half-width digits) for formats it does not know.
func formatWordNumber(n int, f string) (string, bool) {
	switch f {
	case "decimal", "decimalHalfWidth", "":
		return strconv.Itoa(n), true
	case "decimalZero":
		if n < 10 {
			return "0" + strconv.Itoa(n), true
		}
		return strconv.Itoa(n), true
	case "decimalFullWidth", "decimalFullWidth2":
		return formatNumber(n, formFull), true
	case "decimalEnclosedCircle", "decimalEnclosedCircleChinese":
		if n >= 1 && n <= 50 {
			return formatNumber(n, formCircled), true
		}
	case "decimalEnclosedParen":
		if n >= 1 && n <= 20 {
			return formatNumber(n, formParen), true
		}
		return "(" + strconv.Itoa(n) + ")", true
	case "decimalEnclosedFullstop":
		if n >= 1 && n <= 20 {
			return string(rune('⒈' + n - 1)), true
		}
		return strconv.Itoa(n) + ".", true
	case "aiueo", "aiueoFullWidth":
		if n >= 1 && n <= len(aiueo) {
			return string(aiueo[n-1]), true
		}
	case "iroha", "irohaFullWidth":
		if n >= 1 && n <= len(iroha) {
			return string(iroha[n-1]), true
		}
	case "japaneseCounting", "chineseCounting", "chineseCountingThousand", "taiwaneseCounting", "taiwaneseCountingThousand", "koreanCounting":
		return kanjiString(n), true
	case "ideographDigital", "japaneseDigitalTenThousand", "taiwaneseDigital", "koreanDigital":
		var b strings.Builder
		for _, r := range strconv.Itoa(n) {
			b.WriteRune(kanjiDigits[r-'0'])
		}
		return b.String(), true
	case "ideographTraditional":
		if t := []rune("甲乙丙丁戊己庚辛壬癸"); n >= 1 && n <= len(t) {
			return string(t[n-1]), true
		}
	case "ideographZodiac":
		if t := []rune("子丑寅卯辰巳午未申酉戌亥"); n >= 1 && n <= len(t) {
			return string(t[n-1]), true
		}
	case "ideographEnclosedCircle":
		if n >= 1 && n <= 10 {
			return string(rune('㊀' + n - 1)), true
		}
	case "lowerLetter", "upperLetter":
		if n >= 1 {
			base := 'a'
			if f == "upperLetter" {
				base = 'A'
			}
			// Word repeats the letter: a … z, aa … zz.
			return strings.Repeat(string(base+rune((n-1)%26)), (n-1)/26+1), true
		}
	case "lowerRoman", "upperRoman":
		if n >= 1 && n < 4000 {
			s := roman(n)
			if f == "lowerRoman" {
				s = strings.ToLower(s)
			}
			return s, true
		}
	}
	return strconv.Itoa(n), false
}

func roman(n int) string {
	vals := []int{1000, 900, 500, 400, 100, 90, 50, 40, 10, 9, 5, 4, 1}
	syms := []string{"M", "CM", "D", "CD", "C", "XC", "L", "XL", "X", "IX", "V", "IV", "I"}
	var b strings.Builder
	for i, v := range vals {
		for n >= v {
			b.WriteString(syms[i])
			n -= v
		}
	}
	return b.String()
}
