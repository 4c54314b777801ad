package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/infer"
)

// part is one part of a multipart body: a file when filename is set, else a field.
type part struct {
	name, filename string
	data           []byte
}

func postInpaint(tb testing.TB, url string, parts ...part) response {
	tb.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, p := range parts {
		var w io.Writer
		var err error
		if p.filename != "" {
			w, err = mw.CreateFormFile(p.name, p.filename)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err == nil {
			_, err = w.Write(p.data)
		}
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		tb.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url+"/v1/inpaint", &body)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return do(tb, req)
}

func file(name string, data []byte) part {
	return part{name: name, filename: name + ".png", data: data}
}
func field(name, value string) part { return part{name: name, data: []byte(value)} }

// halfMask returns a w x h mask, white (generate) on the left half, black on the right.
func halfMask(w, h int) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w / 2 {
			m.Pix[y*m.Stride+x] = 255
		}
	}
	return m
}

// The inpainted picture has the input's size and mode and keeps the known pixels exactly; the
// same request gives the same bytes.
func TestInpaint(t *testing.T) {
	_, url, _ := startServer(t, digitsBundle(t), testLimits())
	in := digitImage("3", 12)
	// Grey levels that are not only 0 and 255, so exactness is tested on in-between levels.
	for i := range in.Pix {
		in.Pix[i] = uint8(int(in.Pix[i])*3/4 + i%50)
	}
	img, mask := pngBytes(t, in), pngBytes(t, halfMask(28, 28))
	for _, invert := range []bool{false, true} {
		parts := []part{file("image", img), file("mask", mask), field("seed", "5"), field("class", "3"),
			field("guidance", "1"), field("invert_mask", strconv.FormatBool(invert))}
		r := postInpaint(t, url, parts...)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "image/png" {
			t.Fatalf("invert %v: status %d, Content-Type %q; body %.300s", invert, r.status, r.header.Get("Content-Type"), r.body)
		}
		out, err := png.Decode(bytes.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		g, ok := out.(*image.Gray)
		if !ok || g.Bounds() != in.Bounds() {
			t.Fatalf("invert %v: got a %T of %v, want a grey picture of %v", invert, out, out.Bounds(), in.Bounds())
		}
		changed := 0
		for y := range 28 {
			for x := range 28 {
				keep := (x >= 14) != invert
				got, want := g.GrayAt(x, y).Y, in.GrayAt(x, y).Y
				if keep && got != want {
					t.Fatalf("invert %v: kept pixel (%d, %d) is %d, want %d", invert, x, y, got, want)
				}
				if !keep && got != want {
					changed++
				}
			}
		}
		if changed == 0 {
			t.Errorf("invert %v: no generated pixel differs from the input", invert)
		}
		if again := postInpaint(t, url, parts...); !bytes.Equal(again.body, r.body) {
			t.Errorf("invert %v: the same request gave different bytes", invert)
		}
	}
}

func TestBadInpaintRequests(t *testing.T) {
	_, url, _ := startServer(t, digitsBundle(t), testLimits())
	img, mask := pngBytes(t, digitImage("7", 10)), pngBytes(t, halfMask(28, 28))
	cases := []struct {
		name  string
		parts []part
		field string
	}{
		{"wrong mask size", []part{file("image", img), file("mask", pngBytes(t, halfMask(20, 20)))}, "mask"},
		{"wrong image size", []part{file("image", pngBytes(t, halfMask(28, 27))), file("mask", mask)}, "image"},
		{"non-image upload", []part{file("image", []byte("hello, not a picture")), file("mask", mask)}, "image"},
		{"empty mask", []part{file("image", img), file("mask", nil)}, "mask"},
		{"missing mask", []part{file("image", img)}, "mask"},
		{"missing image", []part{file("mask", mask)}, "image"},
		{"unknown part", []part{file("image", img), file("mask", mask), field("n", "4")}, "n"},
		{"image twice", []part{file("image", img), file("image", img), file("mask", mask)}, "image"},
		{"bad seed", []part{file("image", img), file("mask", mask), field("seed", "x")}, "seed"},
		{"bad steps", []part{file("image", img), file("mask", mask), field("steps", "-2")}, "steps"},
		{"unknown class", []part{file("image", img), file("mask", mask), field("class", "9")}, "class"},
		{"bad guidance", []part{file("image", img), file("mask", mask), field("class", "3"), field("guidance", "lots")}, "guidance"},
		{"bad invert_mask", []part{file("image", img), file("mask", mask), field("invert_mask", "maybe")}, "invert_mask"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := errorOf(t, postInpaint(t, url, c.parts...), http.StatusBadRequest)
			if e.Field != c.field || !strings.HasPrefix(e.Error, c.field+": ") {
				t.Errorf("error %q, field %q; want field %q named first", e.Error, e.Field, c.field)
			}
		})
	}
	t.Run("not multipart", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, url+"/v1/inpaint", strings.NewReader(`{"image": "x"}`))
		req.Header.Set("Content-Type", "application/json")
		errorOf(t, do(t, req), http.StatusUnsupportedMediaType)
	})
	t.Run("points model", func(t *testing.T) {
		_, toyURL, _ := startServer(t, "toy2d", testLimits())
		e := errorOf(t, postInpaint(t, toyURL, file("image", img), file("mask", mask)), http.StatusBadRequest)
		if !strings.Contains(e.Error, "image model") {
			t.Errorf("error %q does not say inpainting needs an image model", e.Error)
		}
	})
	t.Run("too large", func(t *testing.T) {
		lim := testLimits()
		lim.MaxBody = 200
		_, small, _ := startServer(t, digitsBundle(t), lim)
		errorOf(t, postInpaint(t, small, file("image", img), file("mask", mask)), http.StatusRequestEntityTooLarge)
	})
}

// The in-memory decoding of uploads agrees with infer.ReadImage and infer.ReadMask on files,
// for every colour model the image packages decode to.
func TestUploadDecodingMatchesInfer(t *testing.T) {
	const w, h = 5, 4
	at := func(x, y int) uint8 { return uint8((x*53 + y*97) % 256) }
	pics := map[string]image.Image{}
	gray := image.NewGray(image.Rect(0, 0, w, h))
	gray16 := image.NewGray16(image.Rect(0, 0, w, h))
	nrgba := image.NewNRGBA(image.Rect(0, 0, w, h))
	rgba := image.NewRGBA(image.Rect(0, 0, w, h))
	nrgba64 := image.NewNRGBA64(image.Rect(0, 0, w, h))
	pal := image.NewPaletted(image.Rect(0, 0, w, h), color.Palette{color.Black, color.White, color.NRGBA{200, 10, 90, 120}, color.Gray{127}})
	for y := range h {
		for x := range w {
			v := at(x, y)
			gray.SetGray(x, y, color.Gray{v})
			gray16.SetGray16(x, y, color.Gray16{uint16(v)<<8 | uint16(x)})
			nrgba.SetNRGBA(x, y, color.NRGBA{v, 255 - v, v / 2, uint8(x * 60)})
			rgba.SetRGBA(x, y, color.RGBA{v / 2, v / 3, v / 4, 128})
			nrgba64.SetNRGBA64(x, y, color.NRGBA64{uint16(v) << 8, 0x7fff, uint16(255-v) << 8, 0xffff})
			pal.SetColorIndex(x, y, uint8((x+y)%4))
		}
	}
	pics["gray"], pics["gray16"], pics["nrgba"], pics["rgba"], pics["nrgba64"], pics["paletted"] = gray, gray16, nrgba, rgba, nrgba64, pal
	dir := t.TempDir()
	for name, pic := range pics {
		data := pngBytes(t, pic)
		path := filepath.Join(dir, name+".png")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		for _, c := range []int{1, 3} {
			dec, err := decodeUpload("image", data, c, h, w)
			if err != nil {
				t.Fatal(err)
			}
			want, err := infer.ReadImage(path, c, h, w)
			if err != nil {
				t.Fatal(err)
			}
			if got := imageValues(dec, c, h, w); !slices.Equal(got, want) {
				t.Errorf("%s, %d channels: values %v, infer.ReadImage %v", name, c, got, want)
			}
			for _, invert := range []bool{false, true} {
				want, err := infer.ReadMask(path, c, h, w, invert)
				if err != nil {
					t.Fatal(err)
				}
				if got := maskKnown(dec, c, h, w, invert); !slices.Equal(got, want) {
					t.Errorf("%s, %d channels, invert %v: known %v, infer.ReadMask %v", name, c, invert, got, want)
				}
			}
		}
	}
}
