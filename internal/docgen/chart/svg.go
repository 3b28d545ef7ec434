package chart

import (
	"encoding/xml"
	"strconv"
	"strings"
)

// SVG draws chart c in a w×h millimetre box as a standalone <svg> element
// (viewBox in millimetres, width and height in mm, role="img" with the
// title as <title> and aria-label, a <desc> listing the data). It has no
// external references, so HTML pages inline it as it is.
func SVG(c Chart, w, h float64) string {
	shapes := Draw(c, w, h)
	var b strings.Builder
	b.Grow(256 + len(shapes)*120)
	title := strings.TrimSpace(c.Title)
	if title == "" {
		title = "グラフ"
	}
	b.WriteString(`<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 `)
	b.WriteString(num(w) + " " + num(h))
	b.WriteString(`" width="` + num(w) + `mm" height="` + num(h) + `mm" aria-label="`)
	esc(&b, title)
	b.WriteString(`"><title>`)
	esc(&b, title)
	b.WriteString(`</title>`)
	if desc := Describe(c); desc != "" {
		b.WriteString(`<desc>`)
		esc(&b, desc)
		b.WriteString(`</desc>`)
	}
	b.WriteString(`<g font-family="`)
	esc(&b, FontFamily)
	b.WriteString(`" stroke-linejoin="round">`)
	if len(shapes) > 0 {
		b.WriteString(`<rect x="0" y="0" width="` + num(w) + `" height="` + num(h) + `" fill="#FFFFFF"/>`)
	}
	for _, s := range shapes {
		writeShape(&b, s)
	}
	b.WriteString(`</g></svg>`)
	return b.String()
}

func writeShape(b *strings.Builder, s Shape) {
	switch s.Kind {
	case RectShape:
		b.WriteString(`<rect x="` + num(s.X) + `" y="` + num(s.Y) + `" width="` + num(s.W) + `" height="` + num(s.H) + `"`)
		paint(b, s, true)
		b.WriteString(`/>`)
	case LineShape:
		if len(s.Points) < 2 {
			return
		}
		p, q := s.Points[0], s.Points[1]
		b.WriteString(`<line x1="` + num(p.X) + `" y1="` + num(p.Y) + `" x2="` + num(q.X) + `" y2="` + num(q.Y) + `"`)
		paint(b, s, false)
		b.WriteString(`/>`)
	case PolylineShape, PolygonShape:
		if len(s.Points) < 2 {
			return
		}
		tag := "polyline"
		if s.Kind == PolygonShape {
			tag = "polygon"
		}
		b.WriteString(`<` + tag + ` points="`)
		for i, p := range s.Points {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(num(p.X) + "," + num(p.Y))
		}
		b.WriteString(`"`)
		paint(b, s, s.Kind == PolygonShape)
		b.WriteString(`/>`)
	case TextShape:
		b.WriteString(`<text x="` + num(s.X) + `" y="` + num(s.Y) + `" font-size="` + num(s.Size*PtMM) + `"`)
		switch s.Anchor {
		case AnchorMiddle:
			b.WriteString(` text-anchor="middle"`)
		case AnchorEnd:
			b.WriteString(` text-anchor="end"`)
		}
		if s.Bold {
			b.WriteString(` font-weight="bold"`)
		}
		col := s.Fill
		if col == "" {
			col = "000000"
		}
		b.WriteString(` fill="#` + col + `">`)
		esc(b, s.Text)
		b.WriteString(`</text>`)
	}
}

// paint writes fill and stroke attributes.
func paint(b *strings.Builder, s Shape, fillable bool) {
	if fillable && s.Fill != "" {
		b.WriteString(` fill="#` + s.Fill + `"`)
	} else {
		b.WriteString(` fill="none"`)
	}
	if s.Stroke != "" && s.StrokeWidth > 0 {
		b.WriteString(` stroke="#` + s.Stroke + `" stroke-width="` + num(s.StrokeWidth) + `"`)
		if s.Dash {
			on, off := DashPattern(s.StrokeWidth)
			b.WriteString(` stroke-dasharray="` + num(on) + ` ` + num(off) + `"`)
		}
	}
}

// num prints a coordinate with at most two decimals (0.01 mm is finer
// than any printer).
func num(v float64) string {
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" || s == "" {
		return "0"
	}
	return s
}

func esc(b *strings.Builder, s string) {
	var sb strings.Builder
	_ = xml.EscapeText(&sb, []byte(s))
	b.WriteString(strings.ReplaceAll(sb.String(), `"`, "&#34;"))
}

// Describe is a plain-text account of the chart's data (title, then each
// series with its values per category), for screen readers (<desc>) and
// for formats that cannot draw the chart.
func Describe(c Chart) string {
	var parts []string
	if t := strings.TrimSpace(c.Title); t != "" {
		parts = append(parts, t+"。")
	}
	for i, s := range c.Series {
		name := s.Name
		if name == "" {
			name = "系列" + strconv.Itoa(i+1)
		}
		var vs []string
		for k, v := range s.Values {
			if !finite(v) {
				continue
			}
			cat := ""
			if k < len(c.Categories) {
				cat = c.Categories[k] + " "
			}
			vs = append(vs, cat+formatValue(v)+c.Unit)
		}
		if len(vs) > 0 {
			parts = append(parts, name+"："+strings.Join(vs, "、")+"。")
		}
	}
	return strings.Join(parts, "")
}
