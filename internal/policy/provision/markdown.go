package provision

import (
	"regexp"
	"strings"
)

var (
	mdHeading   = regexp.MustCompile(`^#{1,6}(?:[ \t\x{3000}]+|$)`)
	mdClosing   = regexp.MustCompile(`[ \t\x{3000}]+#+$`)
	mdList      = regexp.MustCompile(`^(?:[-*+]|[0-9]+[.)])[ \t\x{3000}]+`)
	mdRule      = regexp.MustCompile(`^(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,}|(?:=[ \t]*){3,})$`)
	mdImage     = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	mdLink      = regexp.MustCompile(`\[([^\]]+)\]\([^)]*\)`)
	mdStrong    = regexp.MustCompile(`\*\*([^*]+)\*\*`)
	mdStrongU   = regexp.MustCompile(`__([^_]+)__`)
	mdEm        = regexp.MustCompile(`\*([^*]+)\*`)
	mdStrike    = regexp.MustCompile(`~~([^~]+)~~`)
	mdCode      = regexp.MustCompile("`([^`]+)`")
	mdBreakTag  = regexp.MustCompile(`(?i)<br\s*/?>`)
	mdEscapable = "\\`*_{}[]()#+-.!|>~"
)

// escape placeholders live in the private use area while emphasis is
// removed, so that \* stays a literal asterisk.
const escBase = 0xF0000

// markdownLines turns Markdown into the lines the drafting parser reads:
// heading marks (#) removed and the line flagged as a heading, list marks
// (-, *, 1.) removed where a drafting number follows, emphasis, code and
// link marks removed, block quotes unwrapped; tables kept verbatim; front
// matter, code fences, comments and rules dropped. Line numbers stay those
// of the Markdown file.
func markdownLines(text string) []srcLine {
	in := splitLines(text)
	out := make([]srcLine, 0, len(in))
	front, fence, comment := false, "", false
	for i, l := range in {
		t := trimSpace(l.text)
		switch {
		case i == 0 && t == "---":
			front = true
			continue
		case front:
			if t == "---" || t == "..." {
				front = false
			}
			continue
		case fence != "":
			if strings.HasPrefix(t, fence) {
				fence = ""
				continue
			}
			out = append(out, srcLine{text: l.text, line: l.line})
			continue
		case strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~"):
			fence = t[:3]
			continue
		case comment:
			if strings.Contains(t, "-->") {
				comment = false
			}
			continue
		case strings.HasPrefix(t, "<!--"):
			comment = !strings.Contains(t, "-->")
			continue
		case mdRule.MatchString(t):
			continue
		}
		for strings.HasPrefix(t, ">") {
			t = trimSpace(t[1:])
		}
		if strings.HasPrefix(t, "|") {
			out = append(out, srcLine{text: t, line: l.line})
			continue
		}
		heading := false
		if m := mdHeading.FindString(t); m != "" {
			t = trimSpace(mdClosing.ReplaceAllString(t[len(m):], ""))
			heading = true
		}
		t = mdInline(t)
		if !heading {
			if m := mdList.FindString(t); m != "" {
				if rest := trimSpace(t[len(m):]); classify(rest, false).kind != Text {
					t = rest
				}
			}
		}
		out = append(out, srcLine{text: t, line: l.line, heading: heading && t != ""})
	}
	return out
}

// mdInline removes inline Markdown: emphasis, strike-through, code spans,
// links (the text is kept), <br>, backslash escapes and the two trailing
// spaces or backslash of a hard line break.
func mdInline(s string) string {
	s = strings.TrimSuffix(s, "\\")
	if !strings.ContainsAny(s, "\\`*_[]~<") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(mdEscapable, s[i+1]) >= 0 {
			b.WriteRune(rune(escBase + int(s[i+1])))
			i++
			continue
		}
		b.WriteByte(s[i])
	}
	s = b.String()
	s = mdCode.ReplaceAllString(s, "$1")
	s = mdImage.ReplaceAllString(s, "$1")
	s = mdLink.ReplaceAllString(s, "$1")
	s = mdStrong.ReplaceAllString(s, "$1")
	s = mdStrongU.ReplaceAllString(s, "$1")
	s = mdEm.ReplaceAllString(s, "$1")
	s = mdStrike.ReplaceAllString(s, "$1")
	s = mdBreakTag.ReplaceAllString(s, "")
	return strings.Map(func(r rune) rune {
		if r >= escBase && r < escBase+128 {
			return r - escBase
		}
		return r
	}, s)
}
