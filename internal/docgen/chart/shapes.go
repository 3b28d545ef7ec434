package chart

// Point is a position in the chart's own coordinates: millimetres from the
// top-left corner, y growing downwards.
type Point struct{ X, Y float64 }

// ShapeKind is what a Shape draws.
type ShapeKind int

// Shape kinds. Pie and donut slices are polygons (arcs approximated by
// short segments), so every painter only needs these five.
const (
	RectShape     ShapeKind = iota // X, Y, W, H
	LineShape                      // Points[0] → Points[1]
	PolylineShape                  // open path through Points
	PolygonShape                   // closed path through Points
	TextShape                      // Text at X, Y (baseline), Size in points, Anchor
)

// Anchor is how text is placed relative to its point.
type Anchor int

// Anchors.
const (
	AnchorStart Anchor = iota
	AnchorMiddle
	AnchorEnd
)

// Shape is one element of a drawn chart. Colours are "RRGGBB"; an empty
// Fill or Stroke means none.
type Shape struct {
	Kind        ShapeKind
	X, Y, W, H  float64
	Points      []Point
	Fill        string
	Stroke      string
	StrokeWidth float64 // millimetres
	Dash        bool
	Text        string
	Size        float64 // font size in points
	Bold        bool
	Anchor      Anchor
}
