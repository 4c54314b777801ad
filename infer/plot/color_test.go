package plot

import (
	"image/color"
	"math"
	"testing"
)

func TestPaletteDistinct(t *testing.T) {
	const n = 12
	for i := range n {
		for j := i + 1; j < n; j++ {
			if d := okDistance(Palette(i), Palette(j)); d < 0.1 {
				t.Errorf("Palette(%d) = %v and Palette(%d) = %v are %.3f apart in OKLab, want >= 0.1", i, Palette(i), j, Palette(j), d)
			}
		}
	}
	for _, i := range []int{0, 1, -1, -7, math.MaxInt, math.MinInt} {
		if c := Palette(i); c.A != 255 {
			t.Errorf("Palette(%d) = %v, want opaque", i, c)
		}
	}
	if Palette(3) != Palette(3) {
		t.Error("Palette is not deterministic")
	}
}

func TestColorMap(t *testing.T) {
	tests := []struct {
		t    float64
		want color.RGBA
	}{
		{-5, ColorMap(0)},
		{math.Inf(-1), ColorMap(0)},
		{7, ColorMap(1)},
		{math.Inf(1), ColorMap(1)},
		{math.NaN(), NonFinite},
	}
	for _, tc := range tests {
		if got := ColorMap(tc.t); got != tc.want {
			t.Errorf("ColorMap(%v) = %v, want %v", tc.t, got, tc.want)
		}
	}
	// Dark violet to light yellow.
	if c := ColorMap(0); !(c.B > c.G && c.R > c.G && int(c.R)+int(c.G)+int(c.B) < 200) {
		t.Errorf("ColorMap(0) = %v, want a dark violet", c)
	}
	if c := ColorMap(1); !(c.R > 200 && c.G > 200 && c.B < c.G-60) {
		t.Errorf("ColorMap(1) = %v, want a light yellow", c)
	}
	// Lightness rises steadily: each of 32 steps adds about 0.66/32 of OKLab lightness.
	prev, _, _ := oklab(ColorMap(0))
	for i := 1; i <= 32; i++ {
		l, _, _ := oklab(ColorMap(float64(i) / 32))
		if step := l - prev; step < 0.01 || step > 0.03 {
			t.Errorf("ColorMap lightness step %d = %.4f, want about %.4f", i, step, 0.66/32)
		}
		prev = l
	}
}

// okDistance is the Euclidean distance of two colours in OKLab.
func okDistance(a, b color.RGBA) float64 {
	l1, a1, b1 := oklab(a)
	l2, a2, b2 := oklab(b)
	return math.Sqrt((l1-l2)*(l1-l2) + (a1-a2)*(a1-a2) + (b1-b2)*(b1-b2))
}

// decodeSRGB inverts the sRGB transfer curve for an 8-bit channel, giving linear light in [0, 1].
func decodeSRGB(c uint8) float64 {
	v := float64(c) / 255
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}

// oklab converts an 8-bit sRGB colour to OKLab.
func oklab(c color.RGBA) (light, a, b float64) {
	r, g, bl := decodeSRGB(c.R), decodeSRGB(c.G), decodeSRGB(c.B)
	l := math.Cbrt(0.4122214708*r + 0.5363325363*g + 0.0514459929*bl)
	m := math.Cbrt(0.2119034982*r + 0.6806995451*g + 0.1073969566*bl)
	s := math.Cbrt(0.0883024619*r + 0.2817188376*g + 0.6299787005*bl)
	light = 0.2104542553*l + 0.7936177850*m - 0.0040720468*s
	a = 1.9779984951*l - 2.4285922050*m + 0.4505937099*s
	b = 0.0259040371*l + 0.7827717662*m - 0.8086757660*s
	return light, a, b
}
