package chart

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/draw"
	"math"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
	"golang.org/x/image/vector"
)

// DocumentDPI is the resolution documents rasterise charts at: sharp when
// printed, and a 160 mm chart stays near one megapixel.
const DocumentDPI = 200

// PNG draws chart c in a w×h millimetre box (the same shapes as SVG and
// the PDF painter) and encodes it as an anti-aliased PNG on white at dpi
// dots per inch (≤ 0 means DocumentDPI). regular and bold are TrueType
// fonts for the text (the ゴシック faces of package fonts); bold may be
// nil to use regular. Parsed fonts are cached by their backing array, so
// pass the same slices for every chart.
//
// A panic while laying out the chart is returned as an error, so that a
// document renderer can fall back to the chart's data instead of failing.
func PNG(c Chart, w, h float64, dpi int, regular, bold []byte) (_ []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("chart png: %v", r)
		}
	}()
	if dpi <= 0 {
		dpi = DocumentDPI
	}
	if !(w > 0 && h > 0) || math.IsInf(w, 0) || math.IsInf(h, 0) {
		return nil, fmt.Errorf("chart png: bad size %g×%g mm", w, h)
	}
	scale := float64(dpi) / 25.4 // pixels per millimetre
	pw, ph := int(math.Round(w*scale)), int(math.Round(h*scale))
	if pw < 1 || ph < 1 || pw*ph > 64<<20 {
		return nil, fmt.Errorf("chart png: %d×%d pixels is out of range", pw, ph)
	}
	reg, err := parseFont(regular)
	if err != nil {
		return nil, err
	}
	bf := reg
	if len(bold) > 0 {
		if bf, err = parseFont(bold); err != nil {
			return nil, err
		}
	}
	img := image.NewRGBA(image.Rect(0, 0, pw, ph))
	img.Pix[0] = 0xff
	for n := 1; n < len(img.Pix); n *= 2 {
		copy(img.Pix[n:], img.Pix[:n])
	}
	p := &painter{img: img, scale: scale, dpi: float64(dpi), reg: reg, bold: bf, faces: map[faceKey]font.Face{}}
	for _, s := range Draw(c, w, h) {
		p.shape(s)
	}
	return encodePNG(img)
}

// encodePNG writes an opaque RGBA image as an 8-bit RGB PNG. Every row
// uses the Up filter, which turns the flat areas charts are made of into
// zeros, and deflate runs at its fastest level: image/png tries all five
// filters on every row, which costs more than drawing the chart.
func encodePNG(img *image.RGBA) ([]byte, error) {
	w, h := img.Rect.Dx(), img.Rect.Dy()
	var idat bytes.Buffer
	zw, err := zlib.NewWriterLevel(&idat, zlib.BestSpeed)
	if err != nil {
		return nil, err
	}
	prev, cur := make([]byte, 1+3*w), make([]byte, 1+3*w)
	for y := range h {
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		for x, i := 0, 1; x < w; x, i = x+1, i+3 {
			cur[i], cur[i+1], cur[i+2] = row[4*x], row[4*x+1], row[4*x+2]
		}
		// prev holds the previous row's raw bytes; filter a copy.
		// Filter into prev, which is then free: cur becomes the prior row.
		for i := 1; i < len(cur); i++ {
			prev[i] = cur[i] - prev[i]
		}
		prev[0] = 2
		if _, err := zw.Write(prev); err != nil {
			return nil, err
		}
		prev, cur = cur, prev
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(idat.Len() + 64)
	b.WriteString("\x89PNG\r\n\x1a\n")
	var ihdr [13]byte
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB, deflate, no filter method or interlace
	chunk(&b, "IHDR", ihdr[:])
	chunk(&b, "IDAT", idat.Bytes())
	chunk(&b, "IEND", nil)
	return b.Bytes(), nil
}

func chunk(b *bytes.Buffer, typ string, data []byte) {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(data)))
	b.Write(n[:])
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	b.WriteString(typ)
	b.Write(data)
	binary.BigEndian.PutUint32(n[:], crc.Sum32())
	b.Write(n[:])
}

// ---- fonts ----

type fontKey struct {
	p *byte
	n int
}

var (
	fontMu    sync.Mutex
	fontCache = map[fontKey]*opentype.Font{}
)

// parseFont parses a TrueType font once per backing array.
func parseFont(data []byte) (*opentype.Font, error) {
	if len(data) == 0 {
		return nil, errors.New("chart png: no font")
	}
	k := fontKey{&data[0], len(data)}
	fontMu.Lock()
	defer fontMu.Unlock()
	if f, ok := fontCache[k]; ok {
		return f, nil
	}
	f, err := opentype.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("chart png: font: %w", err)
	}
	if len(fontCache) >= 8 { // callers normally pass the same two fonts
		clear(fontCache)
	}
	fontCache[k] = f
	return f, nil
}

type faceKey struct {
	bold bool
	size float64
}

// ---- painting ----

type painter struct {
	img        *image.RGBA
	scale, dpi float64
	reg, bold  *opentype.Font
	faces      map[faceKey]font.Face // per call: opentype faces are not safe for concurrent use
	z          vector.Rasterizer
	mask       image.Alpha

	// the path being built, in pixels, and its bounds
	paths                  [][]pt
	minX, minY, maxX, maxY float64
}

type pt struct{ x, y float64 }

func (p *painter) px(q Point) pt { return pt{q.X * p.scale, q.Y * p.scale} }

func parseColor(hex string) (color.RGBA, bool) {
	if len(hex) != 6 {
		return color.RGBA{}, false
	}
	var v [3]uint8
	for i := range 3 {
		var b uint8
		for _, ch := range hex[2*i : 2*i+2] {
			b <<= 4
			switch {
			case ch >= '0' && ch <= '9':
				b |= uint8(ch - '0')
			case ch >= 'a' && ch <= 'f':
				b |= uint8(ch - 'a' + 10)
			case ch >= 'A' && ch <= 'F':
				b |= uint8(ch - 'A' + 10)
			default:
				return color.RGBA{}, false
			}
		}
		v[i] = b
	}
	return color.RGBA{v[0], v[1], v[2], 0xff}, true
}

func (p *painter) shape(s Shape) {
	fill, hasFill := parseColor(s.Fill)
	stroke, hasStroke := parseColor(s.Stroke)
	hasStroke = hasStroke && s.StrokeWidth > 0
	sw := s.StrokeWidth * p.scale
	switch s.Kind {
	case RectShape:
		a, b := p.px(Point{s.X, s.Y}), p.px(Point{s.X + s.W, s.Y + s.H})
		if hasFill {
			p.add([]pt{a, {b.x, a.y}, b, {a.x, b.y}})
			p.fill(fill)
		}
		if hasStroke {
			if s.Dash {
				p.strokePath([]pt{a, {b.x, a.y}, b, {a.x, b.y}}, true, sw, true, s.StrokeWidth)
			} else {
				// A mitred frame: the outer rectangle minus the inner one.
				h := sw / 2
				p.add([]pt{{a.x - h, a.y - h}, {b.x + h, a.y - h}, {b.x + h, b.y + h}, {a.x - h, b.y + h}})
				if b.x-a.x > sw && b.y-a.y > sw {
					p.add([]pt{{a.x + h, a.y + h}, {a.x + h, b.y - h}, {b.x - h, b.y - h}, {b.x - h, a.y + h}})
				}
			}
			p.fill(stroke)
		}
	case LineShape:
		if len(s.Points) >= 2 && hasStroke {
			p.strokePath([]pt{p.px(s.Points[0]), p.px(s.Points[1])}, false, sw, s.Dash, s.StrokeWidth)
			p.fill(stroke)
		}
	case PolylineShape, PolygonShape:
		if len(s.Points) < 2 {
			return
		}
		pts := make([]pt, len(s.Points))
		for i, q := range s.Points {
			pts[i] = p.px(q)
		}
		closed := s.Kind == PolygonShape
		if closed && hasFill {
			p.add(pts)
			p.fill(fill)
		}
		if hasStroke {
			p.strokePath(pts, closed, sw, s.Dash, s.StrokeWidth)
			p.fill(stroke)
		}
	case TextShape:
		p.text(s)
	}
}

// add appends a closed sub-path to the current path.
func (p *painter) add(pts []pt) {
	if len(pts) < 3 {
		return
	}
	if len(p.paths) == 0 {
		p.minX, p.minY, p.maxX, p.maxY = math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	}
	for _, q := range pts {
		p.minX, p.maxX = math.Min(p.minX, q.x), math.Max(p.maxX, q.x)
		p.minY, p.maxY = math.Min(p.minY, q.y), math.Max(p.maxY, q.y)
	}
	p.paths = append(p.paths, pts)
}

// addConvex appends a convex sub-path wound clockwise (on screen), so that
// overlapping pieces of one stroke add up instead of cancelling: the
// rasteriser sums signed coverage and clamps its magnitude to one.
func (p *painter) addConvex(pts []pt) {
	var a float64
	for i, q := range pts {
		r := pts[(i+1)%len(pts)]
		a += q.x*r.y - r.x*q.y
	}
	if a < 0 {
		for i, j := 0, len(pts)-1; i < j; i, j = i+1, j-1 {
			pts[i], pts[j] = pts[j], pts[i]
		}
	}
	p.add(pts)
}

// fill paints the current path in col and clears it. The rasteriser only
// covers the path's bounding box, clipped to the image.
func (p *painter) fill(col color.RGBA) {
	defer func() { p.paths = p.paths[:0] }()
	if len(p.paths) == 0 {
		return
	}
	r := image.Rect(int(math.Floor(p.minX)), int(math.Floor(p.minY)), int(math.Ceil(p.maxX))+1, int(math.Ceil(p.maxY))+1).
		Intersect(p.img.Bounds())
	if r.Empty() {
		return
	}
	dx, dy := r.Dx(), r.Dy()
	p.z.Reset(dx, dy)
	p.z.DrawOp = draw.Src
	ox, oy := float64(r.Min.X), float64(r.Min.Y)
	for _, path := range p.paths {
		p.z.MoveTo(float32(path[0].x-ox), float32(path[0].y-oy))
		for _, q := range path[1:] {
			p.z.LineTo(float32(q.x-ox), float32(q.y-oy))
		}
		p.z.ClosePath()
	}
	// Rasterise into a coverage mask (the rasteriser's fast path), then
	// blend only the covered pixels.
	if n := dx * dy; cap(p.mask.Pix) < n {
		p.mask.Pix = make([]uint8, n)
	}
	p.mask.Pix, p.mask.Stride, p.mask.Rect = p.mask.Pix[:dx*dy], dx, image.Rect(0, 0, dx, dy)
	p.z.Draw(&p.mask, p.mask.Rect, image.Opaque, image.Point{})
	cr, cg, cb := uint32(col.R), uint32(col.G), uint32(col.B)
	for y := range dy {
		m := p.mask.Pix[y*dx : (y+1)*dx]
		pix := p.img.Pix[p.img.PixOffset(r.Min.X, r.Min.Y+y):]
		for x, a := range m {
			if a == 0 {
				continue
			}
			d := pix[4*x : 4*x+3 : 4*x+3]
			if a == 0xff {
				d[0], d[1], d[2] = col.R, col.G, col.B
				continue
			}
			ia := 255 - uint32(a)
			d[0] = uint8((uint32(d[0])*ia + cr*uint32(a) + 127) / 255)
			d[1] = uint8((uint32(d[1])*ia + cg*uint32(a) + 127) / 255)
			d[2] = uint8((uint32(d[2])*ia + cb*uint32(a) + 127) / 255)
		}
	}
}

// strokePath outlines pts with a line of width sw pixels: a quad per
// segment (butt ends, as SVG draws) and a disc at every join. Dashed
// strokes follow DashPattern (in mm, hence swMM), continuing across
// vertices.
func (p *painter) strokePath(pts []pt, closed bool, sw float64, dash bool, swMM float64) {
	if closed {
		pts = append(pts[:len(pts):len(pts)], pts[0])
	}
	if !dash {
		p.strokeRun(pts, sw, closed)
		return
	}
	on, off := DashPattern(swMM)
	on, off = on*p.scale, off*p.scale
	var cur []pt
	drawing, left := true, on
	cur = append(cur, pts[0])
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		segLen := math.Hypot(b.x-a.x, b.y-a.y)
		pos := 0.0
		for segLen-pos > left {
			pos += left
			t := pos / segLen
			q := pt{a.x + (b.x-a.x)*t, a.y + (b.y-a.y)*t}
			if drawing {
				cur = append(cur, q)
				p.strokeRun(cur, sw, false)
				cur = cur[:0]
				left = off
			} else {
				cur = append(cur[:0], q)
				left = on
			}
			drawing = !drawing
		}
		left -= segLen - pos
		if drawing {
			cur = append(cur, b)
		}
	}
	if drawing && len(cur) >= 2 {
		p.strokeRun(cur, sw, false)
	}
}

// strokeRun strokes one continuous open run of points; joinEnds adds a
// join at the first (= last) point of a closed path.
func (p *painter) strokeRun(pts []pt, sw float64, joinEnds bool) {
	h := sw / 2
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		dx, dy := b.x-a.x, b.y-a.y
		l := math.Hypot(dx, dy)
		if l < 1e-9 {
			continue
		}
		nx, ny := -dy/l*h, dx/l*h
		p.addConvex([]pt{{a.x + nx, a.y + ny}, {b.x + nx, b.y + ny}, {b.x - nx, b.y - ny}, {a.x - nx, a.y - ny}})
		if i < len(pts)-1 || joinEnds {
			p.disc(b, h)
		}
	}
}

// disc adds a polygonal disc of radius r: the round join.
func (p *painter) disc(c pt, r float64) {
	n := max(8, min(32, int(r*2)))
	q := make([]pt, n)
	for k := range q {
		a := 2 * math.Pi * float64(k) / float64(n)
		q[k] = pt{c.x + r*math.Cos(a), c.y + r*math.Sin(a)}
	}
	p.addConvex(q)
}

func (p *painter) face(bold bool, size float64) font.Face {
	k := faceKey{bold, size}
	if f, ok := p.faces[k]; ok {
		return f
	}
	src := p.reg
	if bold {
		src = p.bold
	}
	f, err := opentype.NewFace(src, &opentype.FaceOptions{Size: size, DPI: p.dpi, Hinting: font.HintingNone})
	if err != nil {
		return nil
	}
	p.faces[k] = f
	return f
}

func (p *painter) text(s Shape) {
	if s.Text == "" {
		return
	}
	col, ok := parseColor(s.Fill)
	if !ok {
		if col, ok = parseColor(s.Stroke); !ok {
			col = color.RGBA{0, 0, 0, 0xff}
		}
	}
	size := s.Size
	if size <= 0 {
		size = 8
	}
	f := p.face(s.Bold, size)
	if f == nil {
		return
	}
	d := font.Drawer{Dst: p.img, Src: image.NewUniform(col), Face: f}
	x := s.X * p.scale
	tw := float64(d.MeasureString(s.Text)) / 64
	switch s.Anchor {
	case AnchorMiddle:
		x -= tw / 2
	case AnchorEnd:
		x -= tw
	}
	// Draw places text by estimated widths; the real glyphs may run a
	// little past the box, where a bitmap would cut them off.
	if iw := float64(p.img.Rect.Dx()); x+tw > iw {
		x = iw - tw
	}
	x = math.Max(0, x)
	d.Dot = fixed.Point26_6{X: fixed.Int26_6(math.Round(x * 64)), Y: fixed.Int26_6(math.Round(s.Y * p.scale * 64))}
	d.DrawString(s.Text)
}
