package traintest

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"path/filepath"
)

// DigitSize is the width and height of the digit pictures.
const DigitSize = 28

// DigitImage returns a DigitSize x DigitSize grey picture of class "3", a white horizontal
// bar 4 pixels thick from row off, or of any other label, a vertical bar from column off; the
// bar spans pixels 4..23 along its length. off must be in 0..24.
func DigitImage(label string, off int) *image.Gray {
	const n = DigitSize
	img := image.NewGray(image.Rect(0, 0, n, n))
	for a := 4; a < 24; a++ {
		for b := off; b < off+4; b++ {
			if label == "3" {
				img.Pix[b*n+a] = 255
			} else {
				img.Pix[a*n+b] = 255
			}
		}
	}
	return img
}

// WriteDigits writes perClass PNG pictures of DigitImage into each of the class folders dir/3
// and dir/7 (made as needed), named 00.png, 01.png, ..., with bar positions in 8..19 drawn
// from a fixed seed, so the data set is the same on every call.
func WriteDigits(dir string, perClass int) error {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, label := range []string{"3", "7"} {
		if err := os.MkdirAll(filepath.Join(dir, label), 0o755); err != nil {
			return err
		}
		for i := range perClass {
			var buf bytes.Buffer
			if err := png.Encode(&buf, DigitImage(label, 8+rng.IntN(12))); err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, label, fmt.Sprintf("%02d.png", i)), buf.Bytes(), 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}
