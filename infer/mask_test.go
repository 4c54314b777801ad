package infer_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
)

const fixtures = "../testdata/infer"

// TestReadMaskFormats reads the same mask stored in different ways (testdata/infer/gen.go):
// the left half is kept (known), the right half generated; --invert-mask swaps them.
func TestReadMaskFormats(t *testing.T) {
	for _, name := range []string{"mask-gray.png", "mask-alpha.png", "mask-color.png", "mask-gray16.png", "mask-palette.png", "mask.jpg"} {
		for _, c := range []int{1, 3} {
			for _, invert := range []bool{false, true} {
				known, err := infer.ReadMask(filepath.Join(fixtures, name), c, 28, 28, invert)
				if err != nil {
					t.Fatal(err)
				}
				if len(known) != c*28*28 {
					t.Fatalf("%s: %d flags, want %d", name, len(known), c*28*28)
				}
				for i, k := range known {
					want := (i%28 < 14) != invert
					if k != want {
						t.Fatalf("%s, %d channels, invert %v: flag %d (channel %d, row %d, column %d) = %v, want %v",
							name, c, invert, i, i/784, i%784/28, i%28, k, want)
					}
				}
			}
		}
	}
}

func TestReadMaskErrors(t *testing.T) {
	for _, c := range []struct {
		file string
		want []string
	}{
		{"mask-small.png", []string{"mask-small.png", "27x28", "28x28"}},
		{"not-an-image.png", []string{"not-an-image.png", "not a PNG or JPEG image"}},
		{"missing.png", []string{"missing.png"}},
	} {
		_, err := infer.ReadMask(filepath.Join(fixtures, c.file), 1, 28, 28, false)
		if err == nil {
			t.Errorf("%s: no error", c.file)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.file, err, w)
			}
		}
	}
	if _, err := infer.ReadMask(filepath.Join(fixtures, "mask-gray.png"), 2, 28, 28, false); err == nil || !strings.Contains(err.Error(), "2 channels") {
		t.Errorf("2 channels: error %v", err)
	}
}

// TestReadImageRoundTrip checks that every 8-bit level survives ReadImage and ImageFromSample
// unchanged, in grey and in colour, which is what makes inpainting keep known pixels exactly.
func TestReadImageRoundTrip(t *testing.T) {
	dir := t.TempDir()
	gray := image.NewGray(image.Rect(0, 0, 16, 16))
	rgb := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for i := range 256 {
		gray.Pix[i] = uint8(i)
		rgb.Pix[4*i], rgb.Pix[4*i+1], rgb.Pix[4*i+2], rgb.Pix[4*i+3] = uint8(i), uint8(255-i), uint8(i*7), 255
	}
	for _, c := range []struct {
		name     string
		img      image.Image
		channels int
	}{{"gray.png", gray, 1}, {"rgb.png", rgb, 3}} {
		path := filepath.Join(dir, c.name)
		writePNGFile(t, path, c.img)
		x, err := infer.ReadImage(path, c.channels, 16, 16)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range x {
			if v < -1 || v > 1 {
				t.Fatalf("%s: value %d = %v outside [-1, 1]", c.name, i, v)
			}
		}
		back, err := infer.ImageFromSample(x, c.channels, 16, 16)
		if err != nil {
			t.Fatal(err)
		}
		for y := range 16 {
			for xx := range 16 {
				if a, b := color.NRGBAModel.Convert(c.img.At(xx, y)), color.NRGBAModel.Convert(back.At(xx, y)); a != b {
					t.Fatalf("%s: pixel (%d, %d) %v came back as %v", c.name, xx, y, a, b)
				}
			}
		}
	}
	// Level 0 is -1, 255 is 1, 128 is 0.5/127.5.
	x, err := infer.ReadImage(filepath.Join(dir, "gray.png"), 1, 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	if x[0] != -1 || x[255] != 1 || math.Abs(float64(x[128])-0.5/127.5) > 1e-7 {
		t.Errorf("levels 0, 128, 255 read as %v, %v, %v", x[0], x[128], x[255])
	}
	// A colour image read as grey, a grey one as colour.
	if g, err := infer.ReadImage(filepath.Join(dir, "rgb.png"), 1, 16, 16); err != nil || len(g) != 256 {
		t.Errorf("rgb as grey: %d values, %v", len(g), err)
	}
	if c, err := infer.ReadImage(filepath.Join(dir, "gray.png"), 3, 16, 16); err != nil || c[5] != c[256+5] || c[5] != c[512+5] {
		t.Errorf("grey as rgb: channels differ or %v", err)
	}
}

// TestReadImageAlpha checks that transparent pixels are composited onto black.
func TestReadImageAlpha(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	img.SetNRGBA(0, 0, color.NRGBA{R: 255, G: 255, B: 255, A: 0})
	img.SetNRGBA(1, 0, color.NRGBA{R: 255, G: 255, B: 255, A: 255})
	path := filepath.Join(t.TempDir(), "a.png")
	writePNGFile(t, path, img)
	x, err := infer.ReadImage(path, 1, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	if x[0] != -1 || x[1] != 1 {
		t.Errorf("transparent white, opaque white read as %v, want [-1 1]", x)
	}
}

func TestReadImageErrors(t *testing.T) {
	for _, c := range []struct {
		file string
		want []string
	}{
		{"mask-small.png", []string{"image", "mask-small.png", "27x28"}},
		{"not-an-image.png", []string{"not-an-image.png", "not a PNG or JPEG"}},
	} {
		_, err := infer.ReadImage(filepath.Join(fixtures, c.file), 1, 28, 28)
		if err == nil {
			t.Errorf("%s: no error", c.file)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.file, err, w)
			}
		}
	}
	if _, err := infer.ImageFromSample(make([]float32, 10), 1, 3, 3); err == nil {
		t.Errorf("ImageFromSample with 10 values for 3x3: no error")
	}
}

// TestDecodeColourModels decodes pictures of every colour model the PNG decoder returns and
// checks the levels DecodeImage gives in grey and colour, and the flags of DecodeMask, against
// hand-computed values: transparency composites onto black in images and is ignored in masks,
// 16-bit levels are truncated to 8 bits, colour turns grey with the weights 0.299, 0.587, 0.114.
func TestDecodeColourModels(t *testing.T) {
	palette := color.Palette{color.Black, color.White, color.NRGBA{R: 255, G: 255, B: 255}}
	gray := func(r image.Rectangle) draw.Image { return image.NewGray(r) }
	gray16 := func(r image.Rectangle) draw.Image { return image.NewGray16(r) }
	nrgba := func(r image.Rectangle) draw.Image { return image.NewNRGBA(r) }
	nrgba64 := func(r image.Rectangle) draw.Image { return image.NewNRGBA64(r) }
	rgba := func(r image.Rectangle) draw.Image { return image.NewRGBA(r) }
	paletted := func(r image.Rectangle) draw.Image { return image.NewPaletted(r, palette) }
	for _, c := range []struct {
		name     string
		picture  func(image.Rectangle) draw.Image // the colour model, encoded as PNG
		pixels   []color.Color                    // a picture of len(pixels) x 1
		grey     []uint8                          // DecodeImage's levels for 1 channel
		rgb      [][3]uint8                       // and for 3
		generate []bool                           // whether DecodeMask marks the pixel to generate
	}{
		{"gray", gray, []color.Color{color.Gray{Y: 0}, color.Gray{Y: 200}},
			[]uint8{0, 200}, [][3]uint8{{0, 0, 0}, {200, 200, 200}}, []bool{false, true}},
		{"gray16", gray16, []color.Color{color.Gray16{Y: 0x7fff}, color.Gray16{Y: 0x80ff}},
			[]uint8{127, 128}, [][3]uint8{{127, 127, 127}, {128, 128, 128}}, []bool{false, true}},
		// White at alpha 100: 78 when composited onto black, 200 with alpha ignored.
		{"nrgba transparent", nrgba, []color.Color{color.NRGBA{R: 255, G: 255, B: 255}, color.NRGBA{R: 200, G: 200, B: 200, A: 100}},
			[]uint8{0, 78}, [][3]uint8{{0, 0, 0}, {78, 78, 78}}, []bool{true, true}},
		// Opaque green is grey 150; (200, 100, 50) is grey 124, at alpha 128 (100, 50, 25).
		{"nrgba colour", nrgba, []color.Color{color.NRGBA{G: 255, A: 255}, color.NRGBA{R: 200, G: 100, B: 50, A: 128}},
			[]uint8{150, 62}, [][3]uint8{{0, 255, 0}, {100, 50, 25}}, []bool{true, false}},
		// 16-bit (255, 0, 128) is grey 91; transparent mid-grey is black, and generated.
		{"nrgba64", nrgba64, []color.Color{color.NRGBA64{R: 0xffff, B: 0x80ff, A: 0xffff}, color.NRGBA64{R: 0x8000, G: 0x8000, B: 0x8000}},
			[]uint8{91, 0}, [][3]uint8{{255, 0, 128}, {0, 0, 0}}, []bool{false, true}},
		{"rgb", rgba, []color.Color{color.RGBA{R: 10, G: 20, B: 30, A: 255}},
			[]uint8{18}, [][3]uint8{{10, 20, 30}}, []bool{false}},
		{"paletted", paletted, []color.Color{palette[1], palette[2]},
			[]uint8{255, 0}, [][3]uint8{{255, 255, 255}, {0, 0, 0}}, []bool{true, true}},
	} {
		w := len(c.pixels)
		img := c.picture(image.Rect(0, 0, w, 1))
		for x, p := range c.pixels {
			img.Set(x, 0, p)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		level := func(v uint8) float32 { return float32(float64(v)/127.5 - 1) }
		grey, err := infer.DecodeImage(bytes.NewReader(buf.Bytes()), c.name, 1, 1, w)
		if err != nil {
			t.Fatal(err)
		}
		rgb, err := infer.DecodeImage(bytes.NewReader(buf.Bytes()), c.name, 3, 1, w)
		if err != nil {
			t.Fatal(err)
		}
		for x := range w {
			if got, want := grey[x], level(c.grey[x]); got != want {
				t.Errorf("%s: pixel %d in grey is %v, want %v (level %d)", c.name, x, got, want, c.grey[x])
			}
			for ch := range 3 {
				if got, want := rgb[ch*w+x], level(c.rgb[x][ch]); got != want {
					t.Errorf("%s: pixel %d channel %d is %v, want %v (level %d)", c.name, x, ch, got, want, c.rgb[x][ch])
				}
			}
		}
		for _, invert := range []bool{false, true} {
			known, err := infer.DecodeMask(bytes.NewReader(buf.Bytes()), c.name, 3, 1, w, invert)
			if err != nil {
				t.Fatal(err)
			}
			for i, k := range known {
				if want := c.generate[i%w] == invert; k != want {
					t.Errorf("%s, invert %v: flag %d is %v, want %v", c.name, invert, i, k, want)
				}
			}
		}
	}
}

// TestDecodeErrors checks that problems of the data are *ImageError values naming the role and
// name, that the size is checked from the header before the pixels are decoded, and that an
// impossible channel count is another error.
func TestDecodeErrors(t *testing.T) {
	encode := func(w, h int) []byte {
		var buf bytes.Buffer
		if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	for _, c := range []struct {
		name    string
		data    []byte
		problem string
		cause   bool // Err is set
	}{
		{"empty", nil, "empty file; want a PNG or JPEG image of 28x28 pixels", false},
		{"text", []byte("hello, not a picture"), "not a PNG or JPEG image: image: unknown format", true},
		// The signature and IHDR chunk only (33 bytes): the size is known, the pixels are not.
		{"wrong size, header only", encode(27, 28)[:40], "png of 27x28 pixels, the model's samples are 28x28", false},
		{"truncated", encode(28, 28)[:40], "corrupt png image: unexpected EOF", true},
	} {
		for _, role := range []string{"image", "mask"} {
			var err error
			if role == "image" {
				_, err = infer.DecodeImage(bytes.NewReader(c.data), "upload.png", 1, 28, 28)
			} else {
				_, err = infer.DecodeMask(bytes.NewReader(c.data), "upload.png", 1, 28, 28, false)
			}
			var ie *infer.ImageError
			if !errors.As(err, &ie) {
				t.Errorf("%s, %s: error %v (%T), want an *infer.ImageError", c.name, role, err, err)
				continue
			}
			if ie.Role != role || ie.Name != "upload.png" || ie.Problem != c.problem || (ie.Err != nil) != c.cause {
				t.Errorf("%s, %s: got role %q, name %q, problem %q, cause %v; want %q, %q, %q, cause set %v",
					c.name, role, ie.Role, ie.Name, ie.Problem, ie.Err, role, "upload.png", c.problem, c.cause)
			}
			if want := "infer: " + role + " upload.png: " + c.problem; err.Error() != want {
				t.Errorf("%s, %s: error %q, want %q", c.name, role, err, want)
			}
		}
	}
	_, err := infer.DecodeImage(bytes.NewReader(encode(28, 28)), "upload.png", 2, 28, 28)
	var ie *infer.ImageError
	if err == nil || errors.As(err, &ie) || !strings.Contains(err.Error(), "2 channels") {
		t.Errorf("2 channels: error %v (%T), want a plain error about the channels", err, err)
	}
}

func writePNGFile(t *testing.T, path string, img image.Image) {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A mask file marks the pixels to generate in white and the pixels to keep in black; ReadMask
// turns it into the known flags Inpaint takes (true = keep).
func ExampleReadMask() {
	known, err := infer.ReadMask("../testdata/infer/mask-gray.png", 1, 28, 28, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	kept := 0
	for _, k := range known {
		if k {
			kept++
		}
	}
	fmt.Printf("%d of %d pixels kept; pixel (0,0) kept: %v, pixel (27,0) kept: %v\n", kept, len(known), known[0], known[27])
	// Output:
	// 392 of 784 pixels kept; pixel (0,0) kept: true, pixel (27,0) kept: false
}
