package plot

import (
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// roundTrip writes img with WritePNG to a fresh file in t.TempDir() and decodes it back, so
// every pixel test also checks that the picture survives PNG encoding.
func roundTrip(t *testing.T, img image.Image) image.Image {
	t.Helper()
	path := filepath.Join(t.TempDir(), "out.png")
	if err := WritePNG(path, img); err != nil {
		t.Fatalf("WritePNG: %v", err)
	}
	got := decodeFile(t, path)
	if got.Bounds() != img.Bounds() {
		t.Fatalf("decoded bounds %v, want %v", got.Bounds(), img.Bounds())
	}
	return got
}

// decodeFile decodes the PNG file at path.
func decodeFile(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	return img
}

// rgbaAt returns the colour of img at (x, y) as 8-bit RGBA.
func rgbaAt(img image.Image, x, y int) color.RGBA {
	return color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
}

// checkErr fails unless err is non-nil, starts with "plot: " and contains every want string.
func checkErr(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one containing %q", want)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "plot: ") {
		t.Errorf("error %q does not start with \"plot: \"", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not contain %q", msg, w)
		}
	}
}

// grey returns an opaque grey of level v.
func grey(v uint8) color.RGBA { return color.RGBA{R: v, G: v, B: v, A: 255} }
