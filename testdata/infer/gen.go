//go:build ignore

// gen writes the image and mask fixtures of testdata/infer, used by the tests of infer and
// tools/cdrl-infer. Run it from this folder: go run gen.go
//
// Every mask is 28x28 with the same meaning: the left 14 columns are kept (black), the right
// 14 generated (white); they differ in how the file stores it.
package main

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"log"
	"os"
)

const size = 28

// generate reports whether the mask marks column x as "generate".
func generate(x int) bool { return x >= size/2 }

func main() {
	// digit.png: 8-bit grey, a white bar on black with a grey ramp, so every kept level differs.
	digit := image.NewGray(image.Rect(0, 0, size, size))
	for y := range size {
		for x := range size {
			v := uint8((x*9 + y*7) % 64)
			if y >= 10 && y < 16 {
				v = 255 - uint8(x)
			}
			digit.SetGray(x, y, color.Gray{Y: v})
		}
	}
	writePNG("digit.png", digit)

	// mask-gray.png: 8-bit grey, levels 127 (keep) and 128 (generate), the threshold's edges.
	gray := image.NewGray(image.Rect(0, 0, size, size))
	each(func(x, y int, gen bool) {
		gray.SetGray(x, y, color.Gray{Y: pick(gen, 128, 127)})
	})
	writePNG("mask-gray.png", gray)

	// mask-alpha.png: RGBA with straight (non-premultiplied) colours; alpha varies and is 0 on
	// some white and some black pixels, which must not change their meaning.
	alpha := image.NewNRGBA(image.Rect(0, 0, size, size))
	each(func(x, y int, gen bool) {
		v := pick(gen, 255, 0)
		alpha.SetNRGBA(x, y, color.NRGBA{R: v, G: v, B: v, A: uint8((x * y * 37) % 256)})
	})
	writePNG("mask-alpha.png", alpha)

	// mask-color.png: RGB colours whose grey levels fall on either side of 128: pure green
	// (grey 150) generates, pure red (grey 76) keeps.
	col := image.NewRGBA(image.Rect(0, 0, size, size))
	each(func(x, y int, gen bool) {
		c := color.RGBA{R: 255, A: 255}
		if gen {
			c = color.RGBA{G: 255, A: 255}
		}
		col.SetRGBA(x, y, c)
	})
	writePNG("mask-color.png", col)

	// mask-gray16.png: 16-bit grey.
	g16 := image.NewGray16(image.Rect(0, 0, size, size))
	each(func(x, y int, gen bool) {
		g16.SetGray16(x, y, color.Gray16{Y: map[bool]uint16{true: 0xffff, false: 0x1000}[gen]})
	})
	writePNG("mask-gray16.png", g16)

	// mask-palette.png: paletted, with a transparent white entry.
	pal := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.NRGBA{A: 255}, color.NRGBA{R: 255, G: 255, B: 255, A: 0}})
	each(func(x, y int, gen bool) {
		if gen {
			pal.SetColorIndex(x, y, 1)
		}
	})
	writePNG("mask-palette.png", pal)

	// mask.jpg: the grey mask as a JPEG (black and white, far from the threshold).
	var buf bytes.Buffer
	bw := image.NewGray(image.Rect(0, 0, size, size))
	each(func(x, y int, gen bool) { bw.SetGray(x, y, color.Gray{Y: pick(gen, 255, 0)}) })
	if err := jpeg.Encode(&buf, bw, &jpeg.Options{Quality: 95}); err != nil {
		log.Fatal(err)
	}
	write("mask.jpg", buf.Bytes())

	// mask-small.png: the wrong size (27x28).
	writePNG("mask-small.png", image.NewGray(image.Rect(0, 0, size-1, size)))

	// not-an-image.png: text with a .png name.
	write("not-an-image.png", []byte("this is not a PNG file\n"))
}

func each(f func(x, y int, gen bool)) {
	for y := range size {
		for x := range size {
			f(x, y, generate(x))
		}
	}
}

func pick(gen bool, a, b uint8) uint8 {
	if gen {
		return a
	}
	return b
}

func writePNG(name string, img image.Image) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		log.Fatal(err)
	}
	write(name, buf.Bytes())
}

func write(name string, data []byte) {
	if err := os.WriteFile(name, data, 0o644); err != nil {
		log.Fatal(err)
	}
}
