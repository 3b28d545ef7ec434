package chart

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"mamori/internal/jp"
)

// PtMM is one typographic point in millimetres; TextShape sizes are in
// points while every coordinate is in millimetres.
const PtMM = 0.3528

// FontFamily is the CSS font stack for chart text: the same ゴシック faces
// the PDF renderer embeds, then what browsers usually have.
const FontFamily = `"BIZ UDPGothic","Noto Sans JP","Noto Sans CJK JP",sans-serif`

// Palette is the series colour order (Okabe–Ito, safe for the common colour
// vision deficiencies). The order is fixed so the same series keeps its
// colour across charts, and the first three are dark, light and black (L*
// about 46, 70 and 0) so that they stay apart in greyscale print; yellow
// comes last because it vanishes as a line on white.
var Palette = []string{"0072B2", "E69F00", "000000", "009E73", "CC79A7", "56B4E9", "D55E00", "F0E442"}

// SeriesColor is the colour of the i-th series (or pie slice).
func SeriesColor(i int) string { return Palette[((i%len(Palette))+len(Palette))%len(Palette)] }

// Marker is the shape drawn on a line chart's points; each series gets a
// different one so that lines stay apart in greyscale.
type Marker int

// Markers, in series order.
const (
	MarkerCircle Marker = iota
	MarkerSquare
	MarkerTriangle
	MarkerDiamond
)

// SeriesMarker is the marker of the i-th line series.
func SeriesMarker(i int) Marker { return Marker(i % 4) }

// SeriesDashed reports whether the i-th line series is drawn dashed
// (every other series), a second greyscale cue beside the marker.
func SeriesDashed(i int) bool { return i%2 == 1 }

// DashPattern is the dash and gap length (mm) for a dashed stroke of width
// sw, so that the SVG writer and the PDF painter draw the same dashes.
func DashPattern(sw float64) (on, off float64) {
	on = math.Max(1.2, sw*4)
	return on, on * 0.6
}

// Colours of the frame, grid and text.
const (
	colText   = "222222"
	colSub    = "555555"
	colGrid   = "D9D9D9"
	colAxis   = "444444"
	colOutine = "333333"
	colEmpty  = "EEEEEE"
)

// textWidth estimates the width in mm of s set at size points: full-width
// characters one em, half-width ones half an em.
func textWidth(s string, size float64) float64 {
	return float64(jp.DisplayWidth(s)) * 0.5 * size * PtMM
}

// em is size points in millimetres.
func em(size float64) float64 { return size * PtMM }

// fitWidth cuts s with "…" so that it fits maxW mm at size points.
func fitWidth(s string, maxW, size float64) string {
	if textWidth(s, size) <= maxW {
		return s
	}
	cols := int(maxW / (0.5 * em(size)))
	return jp.TruncateWidth(s, cols)
}

// noLineStart are characters that must not begin a line (行頭禁則).
const noLineStart = "、。，．,.）)」』】〕］]｝}〉》ー・：:；;！!？?ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ%％"

// wrapText breaks s into at most maxLines lines no wider than maxW mm at
// size points, breaking between any two Japanese characters (keeping the
// 行頭禁則 characters on the previous line) or at spaces between ASCII
// words. The last line is cut with "…" if the text does not fit; the bool
// reports whether anything was cut.
func wrapText(s string, maxW, size float64, maxLines int) ([]string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, false
	}
	if maxLines < 1 {
		maxLines = 1
	}
	if textWidth(s, size) <= maxW {
		return []string{s}, false
	}
	rs := []rune(s)
	var lines []string
	start := 0
	for start < len(rs) && len(lines) < maxLines-1 {
		// greedy: take as many runes as fit
		end := start
		for end < len(rs) && textWidth(string(rs[start:end+1]), size) <= maxW {
			end++
		}
		if end == len(rs) {
			break
		}
		if end == start {
			end = start + 1
		}
		// prefer a space inside a run of ASCII
		if end < len(rs) && isASCIIWord(rs[end-1]) && isASCIIWord(rs[end]) {
			for k := end - 1; k > start; k-- {
				if rs[k] == ' ' {
					end = k + 1
					break
				}
				if !isASCIIWord(rs[k]) {
					end = k + 1
					break
				}
			}
		}
		// 行頭禁則: pull a forbidden first character back onto this line
		for end < len(rs) && strings.ContainsRune(noLineStart, rs[end]) {
			end++
		}
		lines = append(lines, strings.TrimSpace(string(rs[start:end])))
		start = end
		for start < len(rs) && rs[start] == ' ' {
			start++
		}
	}
	if start >= len(rs) {
		return lines, false
	}
	last := strings.TrimSpace(string(rs[start:]))
	cut := textWidth(last, size) > maxW
	lines = append(lines, fitWidth(last, maxW, size))
	return lines, cut
}

func isASCIIWord(r rune) bool { return r < 0x80 && r != ' ' }

// niceTicks returns tick values covering [lo, hi] with a 1-2-5 step and
// about n intervals.
func niceTicks(lo, hi float64, n int) []float64 {
	if n < 1 {
		n = 1
	}
	if hi <= lo {
		hi = lo + 1
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	// the 1-2-5 step whose interval count comes closest to n
	step, best := mag, math.Inf(1)
	for _, m := range []float64{1, 2, 5, 10} {
		st := m * mag
		cnt := math.Ceil(hi/st-1e-9) - math.Floor(lo/st+1e-9)
		if d := math.Abs(cnt - float64(n)); d < best {
			step, best = st, d
		}
	}
	first := math.Floor(lo/step+1e-9) * step
	last := math.Ceil(hi/step-1e-9) * step
	var ticks []float64
	for v := first; v <= last+step*1e-6; v += step {
		k := math.Round(v / step)
		t, _ := strconv.ParseFloat(strconv.FormatFloat(k*step, 'g', 12, 64), 64)
		ticks = append(ticks, cleanZero(t))
		if len(ticks) > 50 {
			break
		}
	}
	return ticks
}

func cleanZero(v float64) float64 {
	if math.Abs(v) < 1e-12 {
		return 0
	}
	return v
}

// decimalsFor is how many decimals tick labels with this step need.
func decimalsFor(ticks []float64) int {
	if len(ticks) < 2 {
		return 0
	}
	step := math.Abs(ticks[1] - ticks[0])
	d := 0
	for d < 6 && math.Abs(step*math.Pow(10, float64(d))-math.Round(step*math.Pow(10, float64(d)))) > 1e-6 {
		d++
	}
	return d
}

// formatNum prints v with dec decimals and thousands separators.
func formatNum(v float64, dec int) string {
	s := strconv.FormatFloat(cleanZero(v), 'f', dec, 64)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// formatValue prints a data value: up to two decimals, trailing zeros
// dropped, thousands separated.
func formatValue(v float64) string {
	s := formatNum(v, 2)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// withUnit appends the chart's unit to a number.
func withUnit(s, unit string) string { return s + unit }

// parseHex reads "RRGGBB".
func parseHex(c string) (r, g, b float64) {
	if len(c) != 6 {
		return 0, 0, 0
	}
	v, err := strconv.ParseUint(c, 16, 32)
	if err != nil {
		return 0, 0, 0
	}
	return float64(v>>16&0xff) / 255, float64(v>>8&0xff) / 255, float64(v&0xff) / 255
}

func lin(c float64) float64 {
	if c <= 0.04045 {
		return c / 12.92
	}
	return math.Pow((c+0.055)/1.055, 2.4)
}

// Luminance is the relative luminance (0 black – 1 white) of "RRGGBB",
// used to pick readable text on a fill and to check greyscale contrast.
func Luminance(c string) float64 {
	r, g, b := parseHex(c)
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// Lightness is CIE L* (0–100) of "RRGGBB": what a greyscale printout keeps.
func Lightness(c string) float64 {
	y := Luminance(c)
	if y <= 216.0/24389 {
		return y * 24389 / 27
	}
	return 116*math.Cbrt(y) - 16
}

// textOn is the text colour readable on fill.
func textOn(fill string) string {
	if Luminance(fill) < 0.3 {
		return "FFFFFF"
	}
	return colText
}

// heatScale is a sequential blue scale (light to dark, lightness falling
// steadily so it reads in greyscale too).
var heatScale = []string{"F7FBFF", "DEEBF7", "C6DBEF", "9ECAE1", "6BAED6", "4292C6", "2171B5", "08519C", "08306B"}

// heatColor maps t in [0,1] onto heatScale by linear interpolation.
func heatColor(t float64) string {
	if math.IsNaN(t) {
		return colEmpty
	}
	t = math.Max(0, math.Min(1, t))
	pos := t * float64(len(heatScale)-1)
	i := int(math.Floor(pos))
	if i >= len(heatScale)-1 {
		return heatScale[len(heatScale)-1]
	}
	f := pos - float64(i)
	r1, g1, b1 := parseHex(heatScale[i])
	r2, g2, b2 := parseHex(heatScale[i+1])
	mix := func(a, b float64) int { return int(math.Round((a + (b-a)*f) * 255)) }
	return fmt.Sprintf("%02X%02X%02X", mix(r1, r2), mix(g1, g2), mix(b1, b2))
}
