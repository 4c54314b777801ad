package infer

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // DecodeImage and DecodeMask decode JPEG images
	_ "image/png"  // and PNG images
	"io"
	"math"
	"os"
)

// MaskThreshold is the grey level from which a mask pixel means "generate": grey >= 128 marks a
// pixel to generate (unknown), grey < 128 a pixel to keep (known).
const MaskThreshold = 128

// ImageError reports an image or mask that DecodeImage, DecodeMask, ReadImage or ReadMask
// cannot use: empty, not a PNG or JPEG image, not of the model's size, or corrupt. They
// return other errors only for a channel count or size that no image can have and, in
// ReadImage and ReadMask, for a file that cannot be opened.
type ImageError struct {
	// Role is what the picture is for: "image" or "mask".
	Role string
	// Name names the picture: the path given to ReadImage or ReadMask, the name given to
	// DecodeImage or DecodeMask.
	Name string
	// Problem says what is wrong and what was expected, without naming the picture, for
	// callers that name it their own way.
	Problem string
	// Err is the image decoder's error, if any.
	Err error
}

// Error returns "infer: ROLE NAME: PROBLEM".
func (e *ImageError) Error() string { return "infer: " + e.Role + " " + e.Name + ": " + e.Problem }

// Unwrap returns the decoder's error.
func (e *ImageError) Unwrap() error { return e.Err }

// ReadMask reads an inpainting mask file (PNG or JPEG) as DecodeMask does; errors name the
// file.
func ReadMask(path string, c, h, w int, invert bool) ([]bool, error) {
	f, err := openPicture("mask", path, c, h, w)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodeMask(f, path, c, h, w, invert)
}

// DecodeMask decodes an inpainting mask image (PNG or JPEG) from r for samples of c channels
// of h x w pixels and returns the known flags Inpaint takes, c*h*w of them in CHW order. The
// mask is converted to grayscale with its alpha channel ignored: a pixel whose grey level is
// >= MaskThreshold (white) is generated, one below it (black) is kept, in every channel.
// invert swaps the two. The mask must be w x h pixels, which is checked before its pixels are
// decoded; errors name it name, and a problem of the data is an *ImageError.
func DecodeMask(r io.Reader, name string, c, h, w int, invert bool) ([]bool, error) {
	img, err := decodePicture(r, "mask", name, c, h, w)
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

// ReadImage reads a PNG or JPEG image file as DecodeImage does; errors name the file.
func ReadImage(path string, c, h, w int) ([]float32, error) {
	f, err := openPicture("image", path, c, h, w)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return DecodeImage(f, path, c, h, w)
}

// HasColor reports whether the PNG or JPEG image file of w x h pixels has a pixel whose red,
// green and blue differ. For a grayscale model DecodeImage keeps only the luma of such an image.
func HasColor(path string, h, w int) (bool, error) {
	f, err := openPicture("image", path, 3, h, w)
	if err != nil {
		return false, err
	}
	defer f.Close()
	img, err := decodePicture(f, "image", path, 3, h, w)
	if err != nil {
		return false, err
	}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, g, bl, _ := img.At(x, y).RGBA(); r != g || g != bl {
				return true, nil
			}
		}
	}
	return false, nil
}

// DecodeImage decodes a PNG or JPEG image of w x h pixels from r as c*h*w float32 values in
// [-1, 1] (8-bit level v becomes v/127.5 - 1, as the training data), CHW order: grayscale for
// c = 1, RGB for c = 3. Transparent pixels are composited onto black, as the training data
// loader does; 16-bit images are reduced to 8 bits. The size is checked before the pixels are
// decoded; errors name the image name, and a problem of the data is an *ImageError.
func DecodeImage(r io.Reader, name string, c, h, w int) ([]float32, error) {
	img, err := decodePicture(r, "image", name, c, h, w)
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

// checkShape checks that samples of c channels of h x w pixels can be pictures; role and name
// name the picture in errors.
func checkShape(role, name string, c, h, w int) error {
	if c != 1 && c != 3 {
		return fmt.Errorf("infer: %s %s: the model has %d channels; images need 1 or 3", role, name, c)
	}
	if h < 1 || w < 1 {
		return fmt.Errorf("infer: %s %s: size %dx%d is not positive", role, name, w, h)
	}
	return nil
}

// openPicture checks the shape, then opens the picture file at path; role names it in errors.
func openPicture(role, path string, c, h, w int) (*os.File, error) {
	if err := checkShape(role, path, c, h, w); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("infer: %s: %w", role, err)
	}
	return f, nil
}

// decodePicture decodes a PNG or JPEG image from r and checks that it is w x h pixels. The
// size is read from the header first, so a picture of the wrong size is refused before its
// pixels are decoded (an upload declaring a huge picture costs nothing). role and name name it
// in errors.
func decodePicture(r io.Reader, role, name string, c, h, w int) (image.Image, error) {
	if err := checkShape(role, name, c, h, w); err != nil {
		return nil, err
	}
	fail := func(err error, format string, args ...any) error {
		return &ImageError{Role: role, Name: name, Problem: fmt.Sprintf(format, args...), Err: err}
	}
	var head bytes.Buffer // what DecodeConfig read, decoded again with the rest
	cfg, format, err := image.DecodeConfig(io.TeeReader(r, &head))
	switch {
	case err != nil && head.Len() == 0 && errors.Is(err, image.ErrFormat):
		return nil, fail(nil, "empty file; want a PNG or JPEG image of %dx%d pixels", w, h)
	case err != nil:
		return nil, fail(err, "not a PNG or JPEG image: %v", err)
	case cfg.Width != w || cfg.Height != h:
		return nil, fail(nil, "%s of %dx%d pixels, the model's samples are %dx%d", format, cfg.Width, cfg.Height, w, h)
	}
	img, _, err := image.Decode(io.MultiReader(&head, r))
	if err != nil {
		return nil, fail(err, "corrupt %s image: %v", format, err)
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
