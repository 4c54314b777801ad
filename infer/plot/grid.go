package plot

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
)

// GridBorder is the width in pixels of the border around and between the tiles of ImageGrid.
const GridBorder = 2

// gridBorderGrey is the grey level of the ImageGrid border: neutral between the black
// background and the white strokes of digit-like images.
const gridBorderGrey = 128

// ImageGrid tiles the first n images of images, an NCHW float32 array of shape (n, c, h, w) with
// values in [-1, 1], into a grid of nrow images per row (fewer when n < nrow) with a
// GridBorder-pixel grey border around and between the tiles. Each value v becomes the 8-bit level
// round((v+1)/2*255), so -1 is black and 1 is white; values outside [-1, 1] are clamped and NaN
// is drawn as -1. scale > 1 enlarges every image pixel to a scale x scale block.
//
// With cols = min(n, nrow) and rows = ceil(n/cols) the picture is
// GridBorder + cols*(w*scale+GridBorder) pixels wide and GridBorder + rows*(h*scale+GridBorder)
// high; the unused slots of a partial last row are border grey. c must be 1 (the result is an
// *image.Gray) or 3 (RGB channels; an *image.RGBA).
func ImageGrid(images []float32, n, c, h, w, nrow, scale int) (image.Image, error) {
	if err := checkGridArgs(n, h, w, nrow, scale); err != nil {
		return nil, err
	}
	if c != 1 && c != 3 {
		return nil, fmt.Errorf("plot: image grid: channels %d must be 1 or 3", c)
	}
	// The partial products only grow, so stopping once one passes len(images) avoids overflow.
	want := 1
	for _, d := range []int{n, c, h, w} {
		if d > len(images)/want {
			want = -1
			break
		}
		want *= d
	}
	if want != len(images) {
		return nil, fmt.Errorf("plot: image grid: %d values, want n*c*h*w = %d*%d*%d*%d", len(images), n, c, h, w)
	}
	width, height, err := ImageGridSize(n, h, w, nrow, scale)
	if err != nil {
		return nil, err
	}
	cols := min(n, nrow)
	tileW, tileH := w*scale, h*scale
	rect := image.Rect(0, 0, width, height)
	var (
		pix         []uint8
		stride, bpp int
		out         image.Image
	)
	if c == 1 {
		img := image.NewGray(rect)
		pix, stride, bpp, out = img.Pix, img.Stride, 1, img
	} else {
		img := image.NewRGBA(rect)
		pix, stride, bpp, out = img.Pix, img.Stride, 4, img
	}
	// Paint everything border grey (opaque); the tiles then cover all but the border.
	for i := range pix {
		pix[i] = gridBorderGrey
	}
	if bpp == 4 {
		for i := 3; i < len(pix); i += 4 {
			pix[i] = 255
		}
	}
	plane := h * w
	for k := range n {
		x0 := GridBorder + (k%cols)*(tileW+GridBorder)
		y0 := GridBorder + (k/cols)*(tileH+GridBorder)
		img := images[k*c*plane : (k+1)*c*plane]
		for y := range h {
			for x := range w {
				var px [3]uint8
				for ch := range c {
					px[ch] = toByte(img[ch*plane+y*w+x])
				}
				for dy := range scale {
					off := (y0+y*scale+dy)*stride + (x0+x*scale)*bpp
					for dx := range scale {
						copy(pix[off+dx*bpp:off+dx*bpp+c], px[:c])
					}
				}
			}
		}
	}
	return out, nil
}

// ImageGridSize returns the width and height in pixels of ImageGrid's picture of n images of
// h x w pixels, nrow per row, at scale, or ImageGrid's error for a size that is not positive or
// a picture larger than MaxPixels. It allocates nothing, so a caller can refuse a grid before
// making its images.
func ImageGridSize(n, h, w, nrow, scale int) (width, height int, err error) {
	if err := checkGridArgs(n, h, w, nrow, scale); err != nil {
		return 0, 0, err
	}
	cols := min(n, nrow)
	rows := (n + cols - 1) / cols
	tileW, tileH, err := scaledTile(w, h, scale)
	if err != nil {
		return 0, 0, err
	}
	return gridSize(cols, rows, tileW, tileH)
}

// checkGridArgs reports the first of ImageGrid's sizes that is not positive.
func checkGridArgs(n, h, w, nrow, scale int) error {
	for _, d := range []struct {
		name string
		v    int
	}{{"n", n}, {"height", h}, {"width", w}, {"nrow", nrow}, {"scale", scale}} {
		if d.v <= 0 {
			return fmt.Errorf("plot: image grid: %s %d must be positive", d.name, d.v)
		}
	}
	return nil
}

// toByte maps a value in [-1, 1] to an 8-bit level, clamping outside values; NaN gives 0.
func toByte(v float32) uint8 {
	switch {
	case !(v > -1): // also NaN
		return 0
	case v >= 1:
		return 255
	}
	return uint8(math.Round(float64(v+1) * 127.5))
}

// scaledTile returns w*scale and h*scale, or an error when either would exceed MaxPixels.
func scaledTile(w, h, scale int) (int, int, error) {
	if w > MaxPixels/scale || h > MaxPixels/scale {
		return 0, 0, fmt.Errorf("plot: image grid: %dx%d images at scale %d exceed %d pixels", w, h, scale, MaxPixels)
	}
	return w * scale, h * scale, nil
}

// gridSize returns the size of a grid of cols x rows tiles of tileW x tileH pixels with
// GridBorder borders, checked against MaxPixels.
func gridSize(cols, rows, tileW, tileH int) (int, int, error) {
	if cols > MaxPixels/(tileW+GridBorder) || rows > MaxPixels/(tileH+GridBorder) {
		return 0, 0, fmt.Errorf("plot: image grid: %dx%d tiles of %dx%d pixels exceed %d pixels", cols, rows, tileW, tileH, MaxPixels)
	}
	width := GridBorder + cols*(tileW+GridBorder)
	height := GridBorder + rows*(tileH+GridBorder)
	if err := checkCanvas("image grid", width, height); err != nil {
		return 0, 0, err
	}
	return width, height, nil
}

// Enlarge returns img enlarged k times by nearest-neighbour sampling as an RGBA picture whose
// bounds start at (0, 0); k = 1 gives a copy. It is meant for pictures with one pixel per datum,
// such as a Heatmap of a coarse grid.
func Enlarge(img image.Image, k int) (*image.RGBA, error) {
	if img == nil {
		return nil, fmt.Errorf("plot: enlarge: nil picture")
	}
	if k <= 0 {
		return nil, fmt.Errorf("plot: enlarge: factor %d must be positive", k)
	}
	b := img.Bounds()
	if b.Dx() > MaxPixels/k || b.Dy() > MaxPixels/k {
		return nil, fmt.Errorf("plot: enlarge: %dx%d picture times %d exceeds %d pixels", b.Dx(), b.Dy(), k, MaxPixels)
	}
	if err := checkCanvas("enlarge", b.Dx()*k, b.Dy()*k); err != nil {
		return nil, err
	}
	src := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(src, src.Rect, img, b.Min, draw.Src)
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx()*k, b.Dy()*k))
	for y := range b.Dy() {
		for x := range b.Dx() {
			c := color.RGBA{}
			o := src.PixOffset(x, y)
			c.R, c.G, c.B, c.A = src.Pix[o], src.Pix[o+1], src.Pix[o+2], src.Pix[o+3]
			fillRect(dst, image.Rect(x*k, y*k, (x+1)*k, (y+1)*k), c)
		}
	}
	return dst, nil
}
