package traintest_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/cdrl-go/cdrl/train/traintest"
)

// TestDigitImage checks the bar of each class: horizontal for "3", vertical for "7".
func TestDigitImage(t *testing.T) {
	for _, c := range []struct {
		label string
		off   int
		white [][2]int // (x, y) pixels that are white
		dark  [][2]int // (x, y) pixels that are black
	}{
		{"3", 10, [][2]int{{4, 10}, {23, 13}, {12, 11}}, [][2]int{{3, 10}, {24, 10}, {12, 9}, {12, 14}}},
		{"7", 10, [][2]int{{10, 4}, {13, 23}, {11, 12}}, [][2]int{{10, 3}, {10, 24}, {9, 12}, {14, 12}}},
	} {
		img := traintest.DigitImage(c.label, c.off)
		if got := img.Bounds(); got != image.Rect(0, 0, traintest.DigitSize, traintest.DigitSize) {
			t.Fatalf("%s: bounds %v, want 28x28", c.label, got)
		}
		for _, p := range c.white {
			if got := img.GrayAt(p[0], p[1]).Y; got != 255 {
				t.Errorf("%s: pixel %v is %d, want 255", c.label, p, got)
			}
		}
		for _, p := range c.dark {
			if got := img.GrayAt(p[0], p[1]).Y; got != 0 {
				t.Errorf("%s: pixel %v is %d, want 0", c.label, p, got)
			}
		}
		white := 0
		for _, v := range img.Pix {
			if v == 255 {
				white++
			}
		}
		if white != 20*4 {
			t.Errorf("%s: %d white pixels, want 80", c.label, white)
		}
	}
}

// TestWriteDigits checks the files WriteDigits writes and that two calls write the same data.
func TestWriteDigits(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := traintest.WriteDigits(dir, 3); err != nil {
			t.Fatal(err)
		}
	}
	for _, label := range []string{"3", "7"} {
		names, err := os.ReadDir(filepath.Join(a, label))
		if err != nil {
			t.Fatal(err)
		}
		if len(names) != 3 {
			t.Fatalf("class %s: %d files, want 3", label, len(names))
		}
		for _, n := range names {
			data, err := os.ReadFile(filepath.Join(a, label, n.Name()))
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("%s/%s: %v", label, n.Name(), err)
			}
			if g, ok := img.(*image.Gray); !ok || g.Bounds().Dx() != 28 || g.Bounds().Dy() != 28 {
				t.Errorf("%s/%s: a %T of %v, want a 28x28 *image.Gray", label, n.Name(), img, img.Bounds())
			}
			again, err := os.ReadFile(filepath.Join(b, label, n.Name()))
			if err != nil || !bytes.Equal(again, data) {
				t.Errorf("%s/%s: a second call wrote other bytes (%v)", label, n.Name(), err)
			}
		}
	}
}
