package docx

import (
	"fmt"

	"mamori/internal/docgen"
	"mamori/internal/docgen/chart"
	docfonts "mamori/internal/docgen/fonts"
)

// loadFonts is docfonts.Load; tests replace it to render as a binary
// built without fonts does.
var loadFonts = docfonts.Load

// chartSize is the chart's box in millimetres as the model defines it
// (Width 0 = text width, Height 0 = Width × 0.6), no wider than the text
// and scaled down to leave room for the caption on one page.
func (r *renderer) chartSize(c docgen.Chart) (w, h float64) {
	tw := twipsToMM(r.width)
	w = c.Width
	if !(w > 0) || w > tw {
		w = tw
	}
	h = c.Height
	if !(h > 0) {
		h = w * 0.6
	}
	// The page's text height: the page is portrait when the text width
	// is the portrait one.
	o := docgen.Portrait
	if r.width > textWidth(docgen.Portrait) {
		o = docgen.Landscape
	}
	if maxH := twipsToMM(textHeight(o)) - 25; h > maxH {
		w, h = w*maxH/h, maxH
	}
	return w, h
}

func twipsToMM(t int) float64 { return float64(t) / 1440 * 25.4 }

// chart writes a chart as an inline PNG picture (drawn by chart.PNG at
// chart.DocumentDPI with the embedded ゴシック faces, so it matches the
// PDF) with the chart's data as the picture's alternative text, then its
// caption. Without the fonts it writes the data table instead.
func (r *renderer) chart(c docgen.Chart) {
	w, h := r.chartSize(c)
	data, err := r.chartPNG(c, w, h)
	if err != nil {
		r.chartTable(c)
		return
	}
	file := fmt.Sprintf("chart%d.png", r.charts+1)
	r.charts++
	r.media = append(r.media, media{file: file, data: data})
	rid := r.addRel(relImage, "media/"+file)
	descr := chart.Describe(c.Chart)
	if descr == "" {
		descr = c.Caption
	}
	r.b.WriteString(`<w:p><w:pPr><w:pStyle w:val="Body"/><w:keepNext/><w:spacing w:before="120" w:line="240" w:lineRule="auto"/><w:jc w:val="center"/></w:pPr>`)
	r.drawing(rid, file, mmToEMU(w), mmToEMU(h), descr)
	r.b.WriteString(`</w:p>`)
	r.caption(c.Caption, false)
}

// chartPNG draws a chart, or returns the error that sends it to the data
// table (docfonts.ErrMissing in a binary built without fonts).
func (r *renderer) chartPNG(c docgen.Chart, w, h float64) ([]byte, error) {
	set, err := loadFonts()
	if err != nil {
		return nil, err
	}
	return chart.PNG(c.Chart, w, h, chart.DocumentDPI, set.GothicRegular.Data, set.GothicBold.Data)
}
