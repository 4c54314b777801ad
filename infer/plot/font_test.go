package plot

import (
	"strings"
	"testing"
)

func TestGlyphsWellFormed(t *testing.T) {
	for r, g := range glyphs {
		for y, row := range g {
			if len(row) != glyphW || strings.Trim(row, ".#") != "" {
				t.Errorf("glyph %q row %d = %q, want %d characters of '.' and '#'", r, y, row, glyphW)
			}
		}
	}
	// Everything strconv.FormatFloat writes for tick and range labels ('e' is drawn as 'E').
	for _, r := range "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ.-+ " {
		if _, ok := glyphs[r]; !ok {
			t.Errorf("no glyph for %q", r)
		}
	}
}

func TestDrawText(t *testing.T) {
	tests := []struct {
		text  string
		scale int
		want  string // the glyph of want's first rune is expected at (1, 2)
	}{
		{"1", 1, "1"},
		{"a", 2, "A"},  // lower case drawn as upper case
		{"é", 1, "?"},  // no glyph
		{"-3", 1, "-"}, // first of two
	}
	for _, tc := range tests {
		img := newCanvas(20, 20, background)
		drawText(img, 1, 2, tc.text, ink, tc.scale)
		got := roundTrip(t, img)
		g := glyphs[rune(tc.want[0])]
		for y := range glyphH * tc.scale {
			for x := range glyphW * tc.scale {
				want := background
				if g[y/tc.scale][x/tc.scale] == '#' {
					want = ink
				}
				if c := rgbaAt(got, 1+x, 2+y); c != want {
					t.Errorf("%q: pixel (%d,%d) = %v, want %v", tc.text, x, y, c, want)
				}
			}
		}
	}
	// Text running off the edge is clipped, not a panic: "W" at x=-3, scale 3 keeps its second
	// column of font pixels (x 0..2), which is ink only in the last row of the glyph.
	img := newCanvas(8, 30, background)
	drawText(img, -3, 0, "WIDE TEXT", ink, 3)
	for y := range 30 {
		want := background
		if y >= 18 && y < 21 {
			want = ink
		}
		if c := img.RGBAAt(1, y); c != want {
			t.Errorf("clipped text: pixel (1,%d) = %v, want %v", y, c, want)
		}
	}
}

func TestFitText(t *testing.T) {
	tests := []struct {
		s            string
		width, scale int
		want         string
	}{
		{"ABC", 17, 1, "ABC"},
		{"ABC", 16, 1, ""},
		{"ABCDEFGH", 29, 1, "ABC.."},
		{"ABCDEFGH", 58, 2, "ABC.."},
		{"ABCDEFGH", 0, 1, ""},
		{"", 0, 1, ""},
	}
	for _, tc := range tests {
		got := fitText(tc.s, tc.width, tc.scale)
		if got != tc.want {
			t.Errorf("fitText(%q, %d, %d) = %q, want %q", tc.s, tc.width, tc.scale, got, tc.want)
		}
		if w := textWidth(got, tc.scale); w > tc.width {
			t.Errorf("fitText(%q, %d, %d) is %d pixels wide", tc.s, tc.width, tc.scale, w)
		}
	}
	if got := textWidth("AB", 3); got != 33 {
		t.Errorf("textWidth(AB, 3) = %d, want 33", got)
	}
}
