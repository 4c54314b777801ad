package plot

import (
	"image"
	"image/color"
	"math"
	"testing"
)

func TestScatterPoints(t *testing.T) {
	// Box [-2, 2] on 101 pixels: 25 pixels per unit, ticks at pixels 0, 25, 50, 75, 100.
	nan := float32(math.NaN())
	series := [][]float32{
		{0.5, 0.5, 1.5, -1.5},              // -> (62.5->63, 38), (88, 88)
		{-1.2, 1.2, 5, 0, 0, nan, 0, -2.5}, // (20, 20); the rest are out of the box or NaN
		{},
	}
	img, err := Scatter(series, -2, 2, 101)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, 101, 101) {
		t.Fatalf("bounds %v, want 101x101", img.Bounds())
	}
	got := roundTrip(t, img)
	tests := []struct {
		name string
		x, y int
		want color.RGBA
	}{
		{"series 0 first point", 63, 38, Palette(0)},
		{"dot radius 1 (corner)", 64, 39, Palette(0)},
		{"series 0 second point", 88, 88, Palette(0)},
		{"series 1 point", 20, 20, Palette(1)},
		{"background", 40, 40, background},
		{"outside the dot", 65, 38, background},
		{"x=5 left out (clamped would be 100)", 100, 50, axisLine},
		{"grid line x=-1", 25, 10, gridLine},
		{"grid line y=1", 10, 25, gridLine},
		{"axis x=0", 50, 10, axisLine},
		{"axis y=0", 10, 50, axisLine},
		{"grid line at the box edge", 0, 10, gridLine},
	}
	for _, tc := range tests {
		if c := rgbaAt(got, tc.x, tc.y); c != tc.want {
			t.Errorf("%s: pixel (%d,%d) = %v, want %v", tc.name, tc.x, tc.y, c, tc.want)
		}
	}
}

func TestScatterExtremeBox(t *testing.T) {
	// A box whose span overflows float64 still maps 0 to the centre and draws no grid lines.
	img, err := Scatter([][]float32{{0, 0}}, -math.MaxFloat64, math.MaxFloat64, 33)
	if err != nil {
		t.Fatal(err)
	}
	got := roundTrip(t, img)
	if c := rgbaAt(got, 16, 16); c != Palette(0) {
		t.Errorf("centre = %v, want %v", c, Palette(0))
	}
	if c := rgbaAt(got, 0, 0); c != background {
		t.Errorf("corner = %v, want background", c)
	}
}

func TestScatterLaterSeriesOnTop(t *testing.T) {
	img, err := Scatter([][]float32{{0, 0}, {0, 0}}, -1, 1, 64)
	if err != nil {
		t.Fatal(err)
	}
	got := roundTrip(t, img)
	c := int(math.Round(0.5 * 63))
	if px := rgbaAt(got, c, c); px != Palette(1) {
		t.Errorf("shared point = %v, want the later series' %v", px, Palette(1))
	}
}

func TestScatterTicks(t *testing.T) {
	tests := []struct {
		span float64
		want float64
	}{{0.5, 1}, {8, 1}, {20, 1}, {21, 2}, {40, 2}, {41, 5}, {100, 5}, {101, 10}, {1e6, 5e4}, {1.1e6, 1e5}, {math.Inf(1), math.Inf(1)}}
	for _, tc := range tests {
		if got := tickStep(tc.span); got != tc.want {
			t.Errorf("tickStep(%g) = %g, want %g", tc.span, got, tc.want)
		}
	}
	// From size 128 the ticks carry labels: some label ink must appear in the bottom strip
	// between the grid lines, and none in a small canvas.
	for _, tc := range []struct {
		size   int
		labels bool
	}{{100, false}, {256, true}} {
		img, err := Scatter(nil, -4, 4, tc.size)
		if err != nil {
			t.Fatal(err)
		}
		got := roundTrip(t, img)
		found := false
		for y := tc.size - glyphH - 2; y < tc.size; y++ {
			for x := range tc.size {
				found = found || rgbaAt(got, x, y) == labelInk
			}
		}
		if found != tc.labels {
			t.Errorf("size %d: labels drawn = %v, want %v", tc.size, found, tc.labels)
		}
	}
}

func TestScatterErrors(t *testing.T) {
	tests := []struct {
		name   string
		series [][]float32
		lo, hi float64
		size   int
		want   []string
	}{
		{"odd series", [][]float32{{1, 2}, {1, 2, 3}}, -1, 1, 64, []string{"series 1 has 3 values"}},
		{"empty box", nil, 1, 1, 64, []string{"[1, 1]"}},
		{"reversed box", nil, 2, -2, 64, []string{"[2, -2]"}},
		{"NaN box", nil, math.NaN(), 1, 64, []string{"NaN"}},
		{"infinite box", nil, -1, math.Inf(1), 64, []string{"+Inf"}},
		{"small", nil, -1, 1, 15, []string{"size 15"}},
		{"huge", nil, -1, 1, 1 << 14, []string{"16384x16384"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Scatter(tc.series, tc.lo, tc.hi, tc.size)
			checkErr(t, err, tc.want...)
		})
	}
}
