package plot

import (
	"fmt"
	"image"
	"math"
)

// Heatmap renders values, a function sampled on a gw x gh grid (row-major, row 0 at the top), as
// a gw x gh picture with one pixel per sample coloured by ColorMap. The colours are normalised to
// the smallest and largest finite values, which get ColorMap(0) and ColorMap(1); when all finite
// values are equal they get ColorMap(0.5). NaN and infinite values are drawn in NonFinite grey.
// Enlarge makes a coarse heatmap bigger.
func Heatmap(values []float64, gw, gh int) (image.Image, error) {
	if gw <= 0 || gh <= 0 {
		return nil, fmt.Errorf("plot: heatmap: grid %dx%d must have positive sides", gw, gh)
	}
	if err := checkCanvas("heatmap", gw, gh); err != nil {
		return nil, err
	}
	if len(values) != gw*gh {
		return nil, fmt.Errorf("plot: heatmap: %d values, want gw*gh = %d*%d = %d", len(values), gw, gh, gw*gh)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	// Halving first keeps the span finite even for values near the float64 limits.
	span := hi/2 - lo/2
	img := image.NewRGBA(image.Rect(0, 0, gw, gh))
	for i, v := range values {
		c := NonFinite
		switch {
		case math.IsNaN(v) || math.IsInf(v, 0):
		case hi > lo:
			c = ColorMap((v/2 - lo/2) / span)
		default:
			c = ColorMap(0.5)
		}
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = c.R, c.G, c.B, c.A
	}
	return img, nil
}
