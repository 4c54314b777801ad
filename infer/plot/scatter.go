package plot

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"
)

// Minimum canvas sizes; below them the plots cannot be read.
const (
	minScatterSize = 16
	// labelledScatterSize is the smallest Scatter canvas that gets tick labels.
	labelledScatterSize = 128
	// maxTicks bounds the number of grid lines per axis.
	maxTicks = 20
)

// Scatter draws 2-D points on a size x size canvas that shows the box [lo, hi]^2, x to the
// right and y upwards. series[s] holds the points of series s as x, y pairs (x0, y0, x1, y1, ...)
// and is drawn in Palette(s), later series on top, e.g. one series per noise level. Points
// outside the box and points with a NaN coordinate are left out. Each point is a dot of radius
// max(1, size/256) pixels centred on the pixel round((x-lo)/(hi-lo)*(size-1)),
// round((hi-y)/(hi-lo)*(size-1)).
//
// Light grid lines mark the integer ticks (every 2, 5, 10, ... units when more than 20 would
// fit), the lines through 0 are darker, and from size 128 up the ticks are labelled along the
// bottom and left edges.
func Scatter(series [][]float32, lo, hi float64, size int) (image.Image, error) {
	if math.IsNaN(lo) || math.IsInf(lo, 0) || math.IsNaN(hi) || math.IsInf(hi, 0) || !(lo < hi) {
		return nil, fmt.Errorf("plot: scatter: box [%g, %g] must be finite with lo < hi", lo, hi)
	}
	if size < minScatterSize {
		return nil, fmt.Errorf("plot: scatter: size %d is less than %d", size, minScatterSize)
	}
	if err := checkCanvas("scatter", size, size); err != nil {
		return nil, err
	}
	for s, pts := range series {
		if len(pts)%2 != 0 {
			return nil, fmt.Errorf("plot: scatter: series %d has %d values, want x, y pairs", s, len(pts))
		}
	}
	img := newCanvas(size, size, background)
	// Halving first keeps the spans finite even for boxes near the float64 limits.
	span, pixels := hi/2-lo/2, float64(size-1)
	toPx := func(v float64) int { return int(math.Round((v/2 - lo/2) / span * pixels)) }
	toPy := func(v float64) int { return int(math.Round((hi/2 - v/2) / span * pixels)) }

	var ticks []float64
	if step := tickStep(2 * span); !math.IsInf(step, 0) {
		first := math.Ceil(lo/step) * step
		for k := 0; k <= maxTicks; k++ {
			v := first + float64(k)*step
			if v > hi {
				break
			}
			ticks = append(ticks, v)
		}
	}
	line := func(v float64, c color.RGBA) {
		px, py := toPx(v), toPy(v)
		fillRect(img, image.Rect(px, 0, px+1, size), c)
		fillRect(img, image.Rect(0, py, size, py+1), c)
	}
	for _, v := range ticks {
		line(v, gridLine)
	}
	if lo <= 0 && hi >= 0 {
		line(0, axisLine)
	}
	if size >= labelledScatterSize {
		labelTicks(img, ticks, toPx, toPy)
	}

	r := max(1, size/256)
	for s, pts := range series {
		c := Palette(s)
		for i := 0; i < len(pts); i += 2 {
			x, y := float64(pts[i]), float64(pts[i+1])
			if !(x >= lo && x <= hi && y >= lo && y <= hi) {
				continue
			}
			cx, cy := toPx(x), toPy(y)
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					if dx*dx+dy*dy <= r*r+r {
						fillRect(img, image.Rect(cx+dx, cy+dy, cx+dx+1, cy+dy+1), c)
					}
				}
			}
		}
	}
	return img, nil
}

// tickStep returns the spacing of the grid lines for a box of the given span: 1, or the
// smallest of 2, 5, 10, 20, 50, ... that leaves at most maxTicks intervals (+Inf for a span
// that is itself infinite).
func tickStep(span float64) float64 {
	step := 1.0
	for mult := 0; span/step > maxTicks; mult = (mult + 1) % 3 {
		step *= [3]float64{2, 2.5, 2}[mult]
	}
	return step
}

// labelTicks writes the tick values along the bottom edge (x) and the left edge (y) of a
// square scatter canvas, skipping labels that would overlap a neighbour or leave the canvas.
func labelTicks(img *image.RGBA, ticks []float64, toPx, toPy func(float64) int) {
	size := img.Rect.Dx()
	bottom := size - glyphH - 2
	nextX := 0
	for _, v := range ticks {
		s := strconv.FormatFloat(v, 'g', 6, 64)
		x := toPx(v) + 2
		if x < nextX || x+textWidth(s, 1) > size {
			continue
		}
		drawText(img, x, bottom, s, labelInk, 1)
		nextX = x + textWidth(s, 1) + glyphAdv
	}
	// y labels sit just below their line, so the ones that would reach the x labels are dropped.
	nextY := 0
	for i := len(ticks) - 1; i >= 0; i-- {
		y := toPy(ticks[i]) + 2
		if y < nextY || y+glyphH > bottom-2 {
			continue
		}
		drawText(img, 2, y, strconv.FormatFloat(ticks[i], 'g', 6, 64), labelInk, 1)
		nextY = y + glyphH + 2
	}
}
