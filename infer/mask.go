package infer

import (
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // ReadImage and ReadMask decode JPEG files
	_ "image/png"  // and PNG files
	"math"
	"os"
)

// MaskThreshold is the grey level from which a mask pixel means "generate": grey >= 128 marks a
// pixel to generate (unknown), grey < 128 a pixel to keep (known).
const MaskThreshold = 128

// ReadMask reads an inpainting mask image (PNG or JPEG) for samples of c channels of h x w
// pixels and returns the known flags Inpaint takes, c*h*w of them in CHW order. The mask is
// converted to grayscale with its alpha channel ignored: a pixel whose grey level is
// >= MaskThreshold (white) is generated, one below it (black) is kept, in every channel.
// invert swaps the two. The mask must be w x h pixels; errors name the file.
func ReadMask(path string, c, h, w int, invert bool) ([]bool, error) {
	img, err := decodeFile(path, "mask", c, h, w)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	known := make([]bool, c*h*w)
	for y := range h {
		for x := range w {
			generate := opaqueGrey(img.At(b.Min.X+x, b.Min.Y+y)) >= MaskThreshold
			for ch := range c {
				known[ch*h*w+y*w+x] = generate == invert
			}
		}
	}
	return known, nil
}

// opaqueGrey returns the 8-bit grey level of a colour with its alpha ignored: the colour's
// straight (not premultiplied) red, green and blue are weighed as color.GrayModel does.
func opaqueGrey(c color.Color) uint8 {
	var r, g, b uint8
	switch v := c.(type) {
	case color.Gray:
		return v.Y
	case color.Gray16:
		return uint8(v.Y >> 8)
	case color.NRGBA:
		r, g, b = v.R, v.G, v.B
	case color.NRGBA64:
		r, g, b = uint8(v.R>>8), uint8(v.G>>8), uint8(v.B>>8)
	default:
		// Premultiplied colours lose what is under alpha 0; un-premultiply the rest.
		n := color.NRGBAModel.Convert(c).(color.NRGBA)
		r, g, b = n.R, n.G, n.B
	}
	return color.GrayModel.Convert(color.NRGBA{R: r, G: g, B: b, A: 255}).(color.Gray).Y
}

// ReadImage reads a PNG or JPEG image of w x h pixels as c*h*w float32 values in [-1, 1]
// (8-bit level v becomes v/127.5 - 1, as the training data), CHW order: grayscale for c = 1,
// RGB for c = 3. Transparent pixels are composited onto black, as the training data loader
// does; 16-bit images are reduced to 8 bits. Errors name the file, also when its size is not
// w x h.
func ReadImage(path string, c, h, w int) ([]float32, error) {
	img, err := decodeFile(path, "image", c, h, w)
	if err != nil {
		return nil, err
	}
	b := img.Bounds()
	out := make([]float32, c*h*w)
	for y := range h {
		for x := range w {
			col := img.At(b.Min.X+x, b.Min.Y+y)
			if c == 1 {
				out[y*w+x] = pixelValue(color.GrayModel.Convert(col).(color.Gray).Y)
				continue
			}
			r, g, bl, _ := col.RGBA() // premultiplied: composited onto black
			for ch, v := range []uint32{r, g, bl} {
				out[ch*h*w+y*w+x] = pixelValue(uint8(v >> 8))
			}
		}
	}
	return out, nil
}

// pixelValue maps an 8-bit level to [-1, 1] exactly as the training data does; ImageFromSample
// (and infer/plot) map it back with round((v+1)*127.5), which gives the same level again.
func pixelValue(v uint8) float32 { return float32(float64(v)/127.5 - 1) }

// decodeFile decodes the image at path and checks its size; what names it in errors.
func decodeFile(path, what string, c, h, w int) (image.Image, error) {
	if c != 1 && c != 3 {
		return nil, fmt.Errorf("infer: %s %s: the model has %d channels; images need 1 or 3", what, path, c)
	}
	if h < 1 || w < 1 {
		return nil, fmt.Errorf("infer: %s %s: size %dx%d is not positive", what, path, w, h)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("infer: %s: %w", what, err)
	}
	defer f.Close()
	img, format, err := image.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("infer: %s %s: not a PNG or JPEG image: %w", what, path, err)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		return nil, fmt.Errorf("infer: %s %s: %s of %dx%d pixels, the model's samples are %dx%d", what, path, format, b.Dx(), b.Dy(), w, h)
	}
	return img, nil
}

// ImageFromSample converts one sample of c*h*w values in [-1, 1] (CHW) to an 8-bit picture of
// w x h pixels: an *image.Gray for c = 1, an opaque *image.NRGBA for c = 3. Level
// round((v+1)*127.5), values outside [-1, 1] clamped, NaN drawn black; a value ReadImage made
// from level L gives L back.
func ImageFromSample(x []float32, c, h, w int) (image.Image, error) {
	if (c != 1 && c != 3) || h < 1 || w < 1 || len(x) != c*h*w {
		return nil, fmt.Errorf("infer: image from sample: %d values for %d channels of %dx%d pixels (channels must be 1 or 3)", len(x), c, w, h)
	}
	if c == 1 {
		img := image.NewGray(image.Rect(0, 0, w, h))
		for i, v := range x {
			img.Pix[(i/w)*img.Stride+i%w] = toLevel(v)
		}
		return img, nil
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	plane := h * w
	for p := range plane {
		off := (p/w)*img.Stride + (p%w)*4
		for ch := range 3 {
			img.Pix[off+ch] = toLevel(x[ch*plane+p])
		}
		img.Pix[off+3] = 255
	}
	return img, nil
}

// toLevel maps a value in [-1, 1] to an 8-bit level, as infer/plot's grids do.
func toLevel(v float32) uint8 {
	switch {
	case !(v > -1): // also NaN
		return 0
	case v >= 1:
		return 255
	}
	return uint8(math.Round(float64(v+1) * 127.5))
}
