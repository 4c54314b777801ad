package infer_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
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
