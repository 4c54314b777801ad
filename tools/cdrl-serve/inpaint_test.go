package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/models/bundle"
	"github.com/cdrl-go/cdrl/train/traintest"
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
	_, url, _ := startServer(t, bundles.Digits(t), testLimits())
	in := traintest.DigitImage("3", 12)
	// Grey levels that are not only 0 and 255, so exactness is tested on in-between levels.
	for i := range in.Pix {
		in.Pix[i] = uint8(int(in.Pix[i])*3/4 + i%50)
	}
	img, mask := pngBytes(t, in), pngBytes(t, halfMask(28, 28))
	var plain []byte
	for _, c := range []struct {
		invert   bool
		resample string
	}{{false, "0"}, {true, "0"}, {false, "2"}} {
		invert := c.invert
		parts := []part{file("image", img), file("mask", mask), field("seed", "5"), field("class", "3"),
			field("guidance", "1"), field("invert_mask", strconv.FormatBool(invert)), field("resample", c.resample)}
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
		switch {
		case plain == nil:
			plain = r.body
		case c.resample != "0" && bytes.Equal(r.body, plain):
			t.Errorf("resample %s gave plain replacement's picture", c.resample)
		}
	}
}

// Without class (or with class auto) a conditional model completes with the class inferred
// from the known pixels and names it in X-Cdrl-Class, its probability in
// X-Cdrl-Class-Probability: the answer is the one for that class given outright. Class none is
// the null class and sends no header.
func TestInpaintInferredClass(t *testing.T) {
	_, url, _ := startServer(t, bundles.Digits(t), testLimits())
	img, mask := pngBytes(t, traintest.DigitImage("7", 4)), pngBytes(t, halfMask(28, 28))
	ask := func(class string) response {
		t.Helper()
		parts := []part{file("image", img), file("mask", mask), field("seed", "9")}
		switch class {
		case "none":
			parts = append(parts, field("class", class))
		case "":
			parts = append(parts, field("guidance", "2"))
		default:
			parts = append(parts, field("class", class), field("guidance", "2"))
		}
		r := postInpaint(t, url, parts...)
		if r.status != http.StatusOK {
			t.Fatalf("class %q: status %d; body %.300s", class, r.status, r.body)
		}
		return r
	}
	auto := ask("auto")
	label := auto.header.Get(classHeader)
	if label != "3" && label != "7" {
		t.Fatalf("class auto: %s %q, want one of the model's classes 3, 7", classHeader, label)
	}
	// The most probable of the two classes has a probability of at least 1/2.
	if p, err := strconv.ParseFloat(auto.header.Get(probHeader), 64); err != nil || p < 0.5 || p > 1 {
		t.Errorf("class auto: %s %q, want a probability in [0.5, 1]", probHeader, auto.header.Get(probHeader))
	}
	for _, class := range []string{label, ""} {
		r := ask(class)
		if got := r.header.Get(classHeader); got != label {
			t.Errorf("class %q: %s %q, want %q", class, classHeader, got, label)
		}
		if got, inferred := r.header.Get(probHeader), class == ""; (got != "") != inferred {
			t.Errorf("class %q: %s %q; want it only for an inferred class", class, probHeader, got)
		}
		if !bytes.Equal(auto.body, r.body) {
			t.Errorf("class auto (inferred %s) and class %q gave different pictures", label, class)
		}
	}
	if null := ask("none"); null.header.Get(classHeader) != "" {
		t.Errorf("null class: %s %q, want none", classHeader, null.header.Get(classHeader))
	}
	e := errorOf(t, postInpaint(t, url, file("image", img), file("mask", mask), field("class", "none"), field("guidance", "1")), http.StatusBadRequest)
	if e.Field != "guidance" {
		t.Errorf("class none with guidance: error %q on field %q, want field guidance", e.Error, e.Field)
	}
	e = errorOf(t, postJSON(t, url, `{"n":1,"class":"auto"}`), http.StatusBadRequest)
	if e.Field != "class" {
		t.Errorf("sample with class auto: error %q on field %q, want field class", e.Error, e.Field)
	}
}

func TestBadInpaintRequests(t *testing.T) {
	_, url, _ := startServer(t, bundles.Digits(t), testLimits())
	img, mask := pngBytes(t, traintest.DigitImage("7", 10)), pngBytes(t, halfMask(28, 28))
	cases := []struct {
		name  string
		parts []part
		field string
	}{
		{"wrong mask size", []part{file("image", img), file("mask", pngBytes(t, halfMask(20, 20)))}, "mask"},
		{"wrong image size", []part{file("image", pngBytes(t, halfMask(28, 27))), file("mask", mask)}, "image"},
		{"non-image upload", []part{file("image", []byte("hello, not a picture")), file("mask", mask)}, "image"},
		{"truncated image", []part{file("image", img[:40]), file("mask", mask)}, "image"},
		{"empty mask", []part{file("image", img), file("mask", nil)}, "mask"},
		{"missing mask", []part{file("image", img)}, "mask"},
		{"missing image", []part{file("mask", mask)}, "image"},
		{"unknown part", []part{file("image", img), file("mask", mask), field("n", "4")}, "n"},
		{"image twice", []part{file("image", img), file("image", img), file("mask", mask)}, "image"},
		{"bad seed", []part{file("image", img), file("mask", mask), field("seed", "x")}, "seed"},
		{"bad steps", []part{file("image", img), file("mask", mask), field("steps", "-2")}, "steps"},
		{"bad resample", []part{file("image", img), file("mask", mask), field("resample", "-1")}, "resample"},
		{"resample past --max-resample", []part{file("image", img), file("mask", mask), field("resample", "17")}, "resample"},
		{"unknown class", []part{file("image", img), file("mask", mask), field("class", "9")}, "class"},
		{"bad guidance", []part{file("image", img), file("mask", mask), field("class", "3"), field("guidance", "lots")}, "guidance"},
		{"guidance 1e30", []part{file("image", img), file("mask", mask), field("class", "3"), field("guidance", "1e30")}, "guidance"},
		{"guidance past float64", []part{file("image", img), file("mask", mask), field("class", "3"), field("guidance", "1e309")}, "guidance"},
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
		_, small, _ := startServer(t, bundles.Digits(t), lim)
		errorOf(t, postInpaint(t, small, file("image", img), file("mask", mask)), http.StatusRequestEntityTooLarge)
	})
}

// Without a guidance field, inpainting with a class uses the manifest's inpaint_guidance where
// it is set and guidance_default where not.
func TestInpaintGuidanceDefault(t *testing.T) {
	dig := bundles.Digits(t)
	withW := filepath.Join(t.TempDir(), "with-inpaint-guidance")
	if err := os.CopyFS(withW, os.DirFS(dig)); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(withW, bundle.ManifestFile)
	var m map[string]any
	data, err := os.ReadFile(manifest)
	if err == nil {
		err = json.Unmarshal(data, &m)
	}
	if err != nil {
		t.Fatal(err)
	}
	m["inpaint_guidance"] = 2.5
	if data, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, plainURL, _ := startServer(t, dig, testLimits())
	_, withURL, _ := startServer(t, withW, testLimits())
	img, mask := pngBytes(t, traintest.DigitImage("7", 4)), pngBytes(t, halfMask(28, 28))
	ask := func(url string, extra ...part) []byte {
		t.Helper()
		r := postInpaint(t, url, append([]part{file("image", img), file("mask", mask), field("seed", "9"), field("class", "3"), field("steps", "2")}, extra...)...)
		if r.status != http.StatusOK {
			t.Fatalf("status %d; body %.300s", r.status, r.body)
		}
		return r.body
	}
	plain, with := ask(plainURL), ask(withURL)
	if !bytes.Equal(with, ask(plainURL, field("guidance", "2.5"))) {
		t.Errorf("inpaint_guidance 2.5: no guidance field differs from guidance 2.5")
	}
	if bytes.Equal(plain, with) {
		t.Errorf("inpaint_guidance 2.5 gives the same picture as guidance_default")
	}
}
