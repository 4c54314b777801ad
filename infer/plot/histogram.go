package plot

import (
	"fmt"
	"image"
	"math"
	"strconv"
)

// Histogram layout, in pixels.
const (
	histMargin    = 6          // white space left, right and above the plot
	histLabelH    = glyphH + 6 // strip below the plot for the range labels
	histLegendRow = glyphH + 3 // height of one legend line
	histSwatch    = glyphH     // side of a legend colour square
	histMinPlot   = 16         // smallest plot height
	histFillAlpha = 0.3        // weight of a series colour in its bars' fill
	histMinWidth  = 2*histMargin + 1
)

// histLayout is where Histogram puts things: the plot area is columns [left, left+plotW) and
// rows [top, top+plotH), bars stand on the axis line at row top+plotH, and bin b covers the
// columns [left+b*plotW/bins, left+(b+1)*plotW/bins).
type histLayout struct {
	left, top, plotW, plotH int
	legend                  [][]int // series indices on each legend line
}

// layoutHistogram places the legend lines (when names is not nil) above the plot.
func layoutHistogram(names []string, width, height int) histLayout {
	l := histLayout{left: histMargin, top: histMargin, plotW: width - 2*histMargin}
	if names != nil {
		var line []int
		x := histMargin
		for i, n := range names {
			w := histSwatch + glyphAdv + textWidth(n, 1) + 2*glyphAdv
			if len(line) > 0 && x+w > width-histMargin {
				l.legend = append(l.legend, line)
				line, x = nil, histMargin
			}
			line = append(line, i)
			x += w
		}
		l.legend = append(l.legend, line)
		l.top += len(l.legend) * histLegendRow
	}
	l.plotH = height - l.top - histLabelH - 1
	return l
}

// Histogram draws overlaid histograms of the score sets sets[i], each in Palette(i), on a
// width x height picture, e.g. the scores of in-distribution and out-of-distribution inputs.
// The bins split the range of all finite values into bins equal parts (a range of one value v is
// widened by max(0.5, |v|/1024) on each side); a bar's height is the fraction of its set's finite values in the
// bin, the largest fraction reaching the top of the plot, so sets of different sizes compare.
// NaN and infinite values are left out. Bars are filled with a light tint and outlined in the
// full colour. names, when not nil, has one entry per set and is drawn as a legend above the
// plot; the lowest and highest bin edges are written below it.
func Histogram(sets [][]float64, names []string, bins, width, height int) (image.Image, error) {
	if len(sets) == 0 {
		return nil, fmt.Errorf("plot: histogram: no sets")
	}
	if names != nil && len(names) != len(sets) {
		return nil, fmt.Errorf("plot: histogram: %d names for %d sets", len(names), len(sets))
	}
	if bins <= 0 {
		return nil, fmt.Errorf("plot: histogram: bins %d must be positive", bins)
	}
	if width < histMinWidth {
		return nil, fmt.Errorf("plot: histogram: width %d is less than %d", width, histMinWidth)
	}
	if err := checkCanvas("histogram", width, height); err != nil {
		return nil, err
	}
	l := layoutHistogram(names, width, height)
	if l.plotH < histMinPlot {
		return nil, fmt.Errorf("plot: histogram: height %d leaves %d pixels for the bars, want at least %d", height, l.plotH, histMinPlot)
	}
	if bins > l.plotW {
		return nil, fmt.Errorf("plot: histogram: bins %d is more than the %d pixel columns of a %d wide plot", bins, l.plotW, width)
	}

	lo, hi := math.Inf(1), math.Inf(-1)
	for _, set := range sets {
		for _, v := range set {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				lo, hi = min(lo, v), max(hi, v)
			}
		}
	}
	if lo > hi {
		return nil, fmt.Errorf("plot: histogram: no finite values in %d sets", len(sets))
	}
	if lo == hi {
		// Widen by 0.5, or by a small fraction of a large value, which 0.5 would not change.
		d := max(0.5, math.Abs(lo)/1024)
		lo, hi = lo-d, hi+d
	}
	fracs, top := binFractions(sets, lo, hi, bins)

	img := newCanvas(width, height, background)
	base := l.top + l.plotH
	fillRect(img, image.Rect(l.left, base, l.left+l.plotW, base+1), axisLine)
	edge := func(b int) int { return l.left + b*l.plotW/bins }
	for s, f := range fracs {
		c := Palette(s)
		prev := base
		for b, v := range f {
			y := base
			if top > 0 {
				y = base - int(math.Round(v/top*float64(l.plotH)))
			}
			x0, x1 := edge(b), edge(b+1)
			if y < base {
				blendRect(img, image.Rect(x0, y+1, x1, base), c, histFillAlpha)
				fillRect(img, image.Rect(x0, y, x1, y+1), c)
			}
			// The step outline: a vertical stroke where the height changes.
			fillRect(img, image.Rect(x0, min(prev, y), x0+1, max(prev, y)+1), c)
			prev = y
		}
		x := edge(bins) - 1
		fillRect(img, image.Rect(x, prev, x+1, base+1), c)
	}
	// Redraw the axis so bars of height 0 do not hide it.
	fillRect(img, image.Rect(l.left, base, l.left+l.plotW, base+1), axisLine)

	loText, hiText := strconv.FormatFloat(lo, 'g', 4, 64), strconv.FormatFloat(hi, 'g', 4, 64)
	drawText(img, l.left, base+4, loText, labelInk, 1)
	if hx := l.left + l.plotW - textWidth(hiText, 1); hx > l.left+textWidth(loText, 1)+glyphAdv {
		drawText(img, hx, base+4, hiText, labelInk, 1)
	}
	for row, line := range l.legend {
		x, y := histMargin, histMargin+row*histLegendRow
		for _, s := range line {
			fillRect(img, image.Rect(x, y, x+histSwatch, y+histSwatch), Palette(s))
			x += histSwatch + glyphAdv
			name := fitText(names[s], width-histMargin-x, 1)
			drawText(img, x, y, name, ink, 1)
			x += textWidth(name, 1) + 2*glyphAdv
		}
	}
	return img, nil
}

// binFractions returns, for each set, the fraction of its finite values in each of bins equal
// bins of [lo, hi] (hi itself falls in the last bin), and the largest fraction over all sets.
func binFractions(sets [][]float64, lo, hi float64, bins int) ([][]float64, float64) {
	fracs := make([][]float64, len(sets))
	top := 0.0
	for s, set := range sets {
		counts := make([]float64, bins)
		total := 0.0
		for _, v := range set {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			b := int((v/2 - lo/2) / (hi/2 - lo/2) * float64(bins))
			counts[min(max(b, 0), bins-1)]++
			total++
		}
		if total > 0 {
			for b := range counts {
				counts[b] /= total
				top = max(top, counts[b])
			}
		}
		fracs[s] = counts
	}
	return fracs, top
}
