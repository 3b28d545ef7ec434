// Package chart is Mamori's one chart model: a chart is described once and
// drawn as a list of vector shapes, which the SVG writer (web pages) and
// the PDF renderer (documents) both paint, so a page and its printed
// report show the same chart.
package chart

// Kind is the chart type.
type Kind int

// Chart kinds.
const (
	Bar        Kind = iota // vertical bars, series side by side
	StackedBar             // vertical bars, series stacked
	HBar                   // horizontal bars
	Line
	Radar
	Heatmap // Series are rows, Categories are columns
	Pie
	Donut
)

// Chart is what to draw.
type Chart struct {
	Kind       Kind
	Title      string
	Categories []string // x axis (or slices, or radar axes, or heatmap columns)
	Series     []Series
	Unit       string  // e.g. "%", "件"
	Max        float64 // axis maximum; 0 = from the data
	ValueLabel bool    // print each value on its bar/point/slice
	Legend     bool
}

// Series is one named row of values, one per category.
type Series struct {
	Name   string
	Values []float64
}
