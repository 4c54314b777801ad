package plot

import (
	"fmt"
	"image"
	"image/color"
)

// MaxPixels is the largest picture, in pixels, that any function of this package creates
// (8192 x 8192); larger requests are errors rather than huge allocations.
const MaxPixels = 1 << 26

// Colours shared by the plots.
var (
	background = color.RGBA{R: 255, G: 255, B: 255, A: 255}
	ink        = color.RGBA{R: 0, G: 0, B: 0, A: 255}
	gridLine   = color.RGBA{R: 228, G: 228, B: 228, A: 255}
	axisLine   = color.RGBA{R: 170, G: 170, B: 170, A: 255}
	labelInk   = color.RGBA{R: 110, G: 110, B: 110, A: 255}
)

// checkCanvas reports an error, prefixed by what, when a w x h picture is empty or larger than
// MaxPixels. It is written so that it cannot overflow for any int inputs.
func checkCanvas(what string, w, h int) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("plot: %s: picture size %dx%d is empty", what, w, h)
	}
	if w > MaxPixels/h {
		return fmt.Errorf("plot: %s: picture size %dx%d is more than %d pixels", what, w, h, MaxPixels)
	}
	return nil
}

// newCanvas returns a w x h RGBA picture filled with c.
func newCanvas(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	fillRect(img, img.Rect, c)
	return img
}

// fillRect paints the part of r inside img with c.
func fillRect(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = c.R, c.G, c.B, c.A
		}
	}
}

// blendRect mixes c into the part of r inside img with weight alpha in [0, 1], leaving the
// picture opaque.
func blendRect(img *image.RGBA, r image.Rectangle, c color.RGBA, alpha float64) {
	r = r.Intersect(img.Rect)
	mix := func(dst, src uint8) uint8 {
		return uint8(float64(dst)*(1-alpha) + float64(src)*alpha + 0.5)
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Pix[img.PixOffset(r.Min.X, y):img.PixOffset(r.Max.X, y)]
		for i := 0; i < len(row); i += 4 {
			row[i], row[i+1], row[i+2], row[i+3] = mix(row[i], c.R), mix(row[i+1], c.G), mix(row[i+2], c.B), 255
		}
	}
}
