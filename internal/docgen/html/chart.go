package html

import (
	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
)

// Text widths in millimetres of the A4 pages BaseCSS sets up.
const (
	portraitWidthMM  = 210 - 2*marginSideMM
	landscapeWidthMM = 297 - 2*marginSideMM
)

// chart inlines the chart as SVG drawn by the chart package (which
// escapes its text and uses presentation attributes, not style, so it is
// safe under CSP), sized in millimetres like the printed page.
func (r *renderer) chart(c docgen.Chart) {
	w := c.Width
	if w <= 0 {
		w = portraitWidthMM
		if r.landscape {
			w = landscapeWidthMM
		}
	}
	h := c.Height
	if h <= 0 {
		h = w * 0.6
	}
	r.s(`<figure class="mdoc-figure mdoc-chart">`)
	r.s(chart.SVG(c.Chart, w, h))
	if c.Caption != "" {
		r.s(`<figcaption>`)
		r.text(c.Caption)
		r.s(`</figcaption>`)
	}
	r.s("</figure>\n")
}
