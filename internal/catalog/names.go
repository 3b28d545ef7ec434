package catalog

import (
	"regexp"
	"strings"
)

// This file names frameworks and clauses as people say them: a standard's
// short Japanese name (総務省ガイドライン) and a clause number in the
// standard's own words (基本方針1, 第4章, 対策基準第19条), so that pages show
// 「総務省ガイドライン 基本方針1」 rather than the catalogue's codes
// (mic-policy B1). The codes stay the keys of the data and of the Excel
// round trip.

// frameworkName is how one framework code is named on screen.
type frameworkName struct {
	Short string
	// Number turns a stored clause number into the standard's wording
	// (nil: the number as stored); Stored turns it back (nil: as typed).
	Number, Stored func(string) string
}

var (
	digitsRe      = regexp.MustCompile(`^[0-9]+$`)
	basicRe       = regexp.MustCompile(`^B([0-9]+)$`)
	basicLabelRe  = regexp.MustCompile(`^基本方針([0-9]+)$`)
	chapterRe     = regexp.MustCompile(`^第([0-9]+)章$`)
	rankRe        = regexp.MustCompile(`^第([0-9]+)位$`)
	wardArticleRe = regexp.MustCompile(`^第[0-9]+[条章]`)
)

// storedChapter turns 第N章 back into N.
func storedChapter(n string) string {
	if m := chapterRe.FindStringSubmatch(n); m != nil {
		return m[1]
	}
	return n
}

// chapterNumber writes a bare chapter number as 第N章.
func chapterNumber(n string) string {
	if digitsRe.MatchString(n) {
		return "第" + n + "章"
	}
	return n
}

// frameworkNames are the short names of the frameworks of content/catalog,
// keyed by framework code. A framework not listed here is named by its
// title.
var frameworkNames = map[string]frameworkName{
	"mic-policy": {Short: "総務省ガイドライン", Number: func(n string) string {
		if m := basicRe.FindStringSubmatch(n); m != nil {
			return "基本方針" + m[1]
		}
		return chapterNumber(n)
	}, Stored: func(n string) string {
		if m := basicLabelRe.FindStringSubmatch(n); m != nil {
			return "B" + m[1]
		}
		return storedChapter(n)
	}},
	"mic-audit":    {Short: "総務省監査ガイドライン", Number: chapterNumber, Stored: storedChapter},
	"ppc-mynumber": {Short: "特定個人情報ガイドライン"},
	"meti-sms": {Short: "システム管理基準", Number: func(n string) string {
		head, rest, _ := strings.Cut(n, ".")
		switch head {
		case "I":
			head = "Ⅰ"
		case "II":
			head = "Ⅱ"
		}
		if rest != "" {
			return head + "." + rest
		}
		return head
	}, Stored: func(n string) string {
		return strings.NewReplacer("Ⅱ", "II", "Ⅰ", "I").Replace(n)
	}},
	"ipa-top10": {Short: "IPA 10大脅威", Number: func(n string) string {
		if digitsRe.MatchString(n) {
			return "第" + n + "位"
		}
		return n
	}, Stored: func(n string) string {
		if m := rankRe.FindStringSubmatch(n); m != nil {
			return m[1]
		}
		return n
	}},
	"hinode-policy": {Short: "区のポリシー", Number: func(n string) string {
		if wardArticleRe.MatchString(n) {
			return "対策基準" + n
		}
		return n
	}, Stored: func(n string) string {
		if r, ok := strings.CutPrefix(n, "対策基準"); ok && wardArticleRe.MatchString(r) {
			return r
		}
		return n
	}},
}

// shortRef reads a reference written with a short name (「総務省ガイドライン
// 基本方針1」, 「区のポリシー 対策基準第19条」, also without the space) as
// the framework code and the stored number; ok is false when s does not
// start with a short name.
func shortRef(s string) (code, number string, ok bool) {
	best := ""
	for c, n := range frameworkNames {
		if strings.HasPrefix(s, n.Short) && len(n.Short) > len(frameworkNames[best].Short) {
			best = c
		}
	}
	if best == "" {
		return "", "", false
	}
	n := frameworkNames[best]
	number = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(s, n.Short)), ":"))
	if n.Stored != nil {
		number = n.Stored(number)
	}
	return best, number, true
}

// FrameworkShortName is a framework's short Japanese name: the table's
// entry for code, else the framework's title, else the code itself.
func FrameworkShortName(code, title string) string {
	if n, ok := frameworkNames[code]; ok {
		return n.Short
	}
	if title != "" {
		return title
	}
	return code
}

// ClauseNumberLabel is a clause number as the standard words it (B1 of
// the policy guideline is 基本方針1).
func ClauseNumberLabel(code, number string) string {
	if n, ok := frameworkNames[code]; ok && n.Number != nil {
		return n.Number(number)
	}
	return number
}

// ClauseRefLabel names a clause for pages: 「総務省ガイドライン 基本方針1」.
func ClauseRefLabel(code, title, number string) string {
	return FrameworkShortName(code, title) + " " + ClauseNumberLabel(code, number)
}

// ShortName is the framework's short Japanese name (総務省ガイドライン).
func (f StoredFramework) ShortName() string { return FrameworkShortName(f.Code, f.Title) }

// Ref names the clause with its framework's short name: 「総務省ガイドライン 4.1」.
func (c StoredClause) Ref() string { return ClauseRefLabel(c.Framework, c.FrameworkTitle, c.Number) }

// NumberLabel is the clause's number as the standard words it.
func (c StoredClause) NumberLabel() string { return ClauseNumberLabel(c.Framework, c.Number) }

// FrameworkShort is the other clause's framework short name.
func (c MappedClause) FrameworkShort() string {
	return FrameworkShortName(c.FrameworkCode, c.FrameworkTitle)
}

// Name names the clause with its framework's short name: 「区のポリシー 対策基準第19条」.
func (c MappedClause) Name() string {
	return ClauseRefLabel(c.FrameworkCode, c.FrameworkTitle, c.Number)
}

// NumberLabel is the clause's number as the standard words it.
func (c MappedClause) NumberLabel() string { return ClauseNumberLabel(c.FrameworkCode, c.Number) }

// RefLabel rewrites a typed or stored reference ("mic-policy:4.1") with
// the standard's short name (「総務省ガイドライン 4.1」) when it has one;
// anything else is returned as it is.
func RefLabel(ref string) string {
	code, number, err := ParseRef(ref)
	if _, ok := frameworkNames[code]; err != nil || !ok {
		return ref
	}
	return ClauseRefLabel(code, "", number)
}

// nameOrder is the order StandardNames lists the short names in.
var nameOrder = []string{"mic-policy", "mic-audit", "ppc-mynumber", "meti-sms", "ipa-top10", "hinode-policy"}

// StandardNames lists the short names a reference may begin with, for the
// hints of the forms that take references.
func StandardNames() string {
	out := make([]string, 0, len(nameOrder))
	for _, c := range nameOrder {
		out = append(out, frameworkNames[c].Short)
	}
	return strings.Join(out, "、")
}

// StandardNames lists the standards' short names (for the form's hint).
func (f mappingForm) StandardNames() string { return StandardNames() }

// StandardNames lists the standards' short names (for the form's hint).
func (f itemForm) StandardNames() string { return StandardNames() }
