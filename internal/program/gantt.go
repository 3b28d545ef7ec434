package program

import (
	"fmt"
	"html"
	"strings"
	"time"
	"unicode/utf8"

	"mamori/internal/jp"
)

// Gantt draws the schedule as SVG (server-side, so that the page, its
// print and a document show the same chart): one line per task under its
// workstream, the year's months across, the plan as a bar with its
// progress filled, a re-planned task's baseline as a thin line under it,
// milestones as diamonds, and today as a red line.
func Gantt(sc Schedule) string {
	const (
		width  = 1120.0
		labelW = 330.0
		top    = 34.0
		rowH   = 20.0
		groupH = 22.0
	)
	start := jp.FiscalYearStart(sc.FiscalYear)
	end := jp.FiscalYearEnd(sc.FiscalYear).AddDate(0, 0, 1)
	days := end.Sub(start).Hours() / 24
	plotW := width - labelW - 10
	x := func(t time.Time) float64 {
		d := t.Sub(start).Hours() / 24
		d = max(0, min(d, days))
		return labelW + d/days*plotW
	}
	height := top + 22 // room for the 今日 label under the last row
	for _, g := range sc.Groups {
		height += groupH + rowH*float64(len(g.Rows))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="100%%" role="img" aria-labelledby="gantt-title" class="gantt" font-family="sans-serif">`, width, height)
	fmt.Fprintf(&b, `<title id="gantt-title">%s の工程表（%d 件、遅延・要注意 %d 件）</title>`, html.EscapeString(jp.FiscalYearLabel(sc.FiscalYear)), len(sc.Rows), len(sc.Delayed))
	// Months.
	for m := 0; m < 12; m++ {
		ms := start.AddDate(0, m, 0)
		x0, x1 := x(ms), x(ms.AddDate(0, 1, 0))
		fill := "#ffffff"
		if m%2 == 1 {
			fill = "#f4f6f9"
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>`, x0, top-22, x1-x0, height-top+14, fill)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle" fill="#333">%d月</text>`, (x0+x1)/2, top-8, int(ms.Month()))
	}
	y := top
	for _, g := range sc.Groups {
		head := g.Label
		if g.Workstream > 0 {
			head = fmt.Sprintf("%d %s", g.Workstream, g.Label)
		}
		fmt.Fprintf(&b, `<text x="4" y="%.1f" font-size="13" font-weight="bold" fill="#13365d">%s</text>`, y+15, html.EscapeString(head))
		fmt.Fprintf(&b, `<line x1="0" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#c9d1dc" stroke-width="0.8"/>`, y+groupH-1, width, y+groupH-1)
		y += groupH
		for _, r := range g.Rows {
			label := r.Title
			if utf8.RuneCountInString(label) > 24 {
				label = string([]rune(label)[:23]) + "…"
			}
			color, done := "#9fb6d3", "#2a5d9f"
			switch r.Status {
			case StatusLate:
				color, done = "#f2b8be", "#a3192b"
			case StatusRisk:
				color, done = "#f7dd9b", "#8a6100"
			case StatusDone:
				color, done = "#b9dcc5", "#2c7a4b"
			}
			fmt.Fprintf(&b, `<g><title>%s</title>`, html.EscapeString(fmt.Sprintf("%s（%s〜%s、進捗 %d%%、%s）%s", r.Title, jp.FormatWareki(r.Start), jp.FormatWareki(r.End), r.Percent(), r.StatusLabel(), r.Why)))
			fmt.Fprintf(&b, `<text x="14" y="%.1f" font-size="12" fill="#1b1f24">%s</text>`, y+14, html.EscapeString(label))
			if r.Milestone || r.Start.Equal(r.End) && !r.Start.IsZero() {
				cx := x(r.Start.Add(12 * time.Hour))
				fmt.Fprintf(&b, `<path d="M%.1f %.1f l6 6 l-6 6 l-6 -6 z" fill="%s"/>`, cx, y+4, done)
			} else if !r.Start.IsZero() {
				x0, x1 := x(r.Start), x(r.End.AddDate(0, 0, 1))
				w := max(x1-x0, 2)
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="11" rx="2" fill="%s"/>`, x0, y+4, w, color)
				fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="11" rx="2" fill="%s"/>`, x0, y+4, w*min(r.Done, 1), done)
			}
			if r.Replanned() {
				fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#555" stroke-width="1.5" stroke-dasharray="3 2"/>`,
					x(r.BaseStart), y+18, x(r.BaseEnd.AddDate(0, 0, 1)), y+18)
			}
			b.WriteString(`</g>`)
			y += rowH
		}
	}
	if now := sc.Now; !now.Before(start) && now.Before(end) {
		nx := x(now)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#c8102e" stroke-width="1.5"/><text x="%.1f" y="%.1f" font-size="11" fill="#c8102e" text-anchor="middle">今日</text>`,
			nx, top-4, nx, height-14, nx, height-3)
	}
	b.WriteString(`</svg>`)
	return b.String()
}
