package plot

import (
	"image/color"
	"math"
)

// NonFinite is the grey that Heatmap and ColorMap use for NaN and infinite values.
var NonFinite = color.RGBA{R: 128, G: 128, B: 128, A: 255}

// Palette returns the colour of series i. Consecutive series are a golden angle apart in hue
// and cycle through three lightness levels, so neighbouring series stay easy to tell apart;
// any i is accepted (negative i counts backwards around the same hue circle).
func Palette(i int) color.RGBA {
	hue := math.Mod(35+float64(i)*137.50776405, 360)
	if hue < 0 {
		hue += 360
	}
	level := i % 3
	if level < 0 {
		level += 3
	}
	return oklch([3]float64{0.55, 0.68, 0.80}[level], 0.17, hue)
}

// colorMapSize is the number of precomputed ColorMap entries; 8-bit output needs no more.
const colorMapSize = 256

// colorMapTable holds ColorMap sampled at colorMapSize evenly spaced points of [0, 1].
var colorMapTable = func() [colorMapSize]color.RGBA {
	var tab [colorMapSize]color.RGBA
	for i := range tab {
		t := float64(i) / (colorMapSize - 1)
		// Lightness rises linearly from dark to light, the hue turns from violet through blue,
		// teal and green to yellow, and the chroma is as high as sRGB allows up to 0.15.
		tab[i] = oklch(0.27+0.66*t, 0.15, 300-200*t)
	}
	return tab
}()

// ColorMap maps t in [0, 1] to a perceptually ordered colour running from dark violet (0)
// through blue, teal and green to light yellow (1); its lightness rises evenly, so the map
// reads correctly in greyscale too. t outside [0, 1] is clamped; NaN gives NonFinite.
func ColorMap(t float64) color.RGBA {
	switch {
	case math.IsNaN(t):
		return NonFinite
	case t <= 0:
		return colorMapTable[0]
	case t >= 1:
		return colorMapTable[colorMapSize-1]
	}
	return colorMapTable[int(math.Round(t*(colorMapSize-1)))]
}

// oklch converts a colour given as OKLab lightness, chroma and hue (degrees) to 8-bit sRGB.
// A chroma that sRGB cannot show at that lightness and hue is reduced until it fits.
func oklch(light, chroma, hueDeg float64) color.RGBA {
	h := hueDeg * math.Pi / 180
	cos, sin := math.Cos(h), math.Sin(h)
	r, g, b, ok := oklabToLinear(light, chroma*cos, chroma*sin)
	if !ok {
		lo, hi := 0.0, chroma
		for range 30 {
			mid := (lo + hi) / 2
			if _, _, _, fits := oklabToLinear(light, mid*cos, mid*sin); fits {
				lo = mid
			} else {
				hi = mid
			}
		}
		r, g, b, _ = oklabToLinear(light, lo*cos, lo*sin)
	}
	return color.RGBA{R: encodeSRGB(r), G: encodeSRGB(g), B: encodeSRGB(b), A: 255}
}

// oklabToLinear converts OKLab to linear-light sRGB and reports whether the result lies in the
// sRGB gamut.
func oklabToLinear(light, a, b float64) (r, g, bl float64, ok bool) {
	l := light + 0.3963377774*a + 0.2158037573*b
	m := light - 0.1055613458*a - 0.0638541728*b
	s := light - 0.0894841775*a - 1.2914855480*b
	l, m, s = l*l*l, m*m*m, s*s*s
	r = 4.0767416621*l - 3.3077115913*m + 0.2309699292*s
	g = -1.2684380046*l + 2.6097574011*m - 0.3413193965*s
	bl = -0.0041960863*l - 0.7034186147*m + 1.7076147010*s
	const eps = 1e-9
	ok = r >= -eps && r <= 1+eps && g >= -eps && g <= 1+eps && bl >= -eps && bl <= 1+eps
	return r, g, bl, ok
}

// encodeSRGB applies the sRGB transfer curve to a linear value and rounds it to 8 bits.
func encodeSRGB(v float64) uint8 {
	v = max(0, min(1, v))
	if v <= 0.0031308 {
		v *= 12.92
	} else {
		v = 1.055*math.Pow(v, 1/2.4) - 0.055
	}
	return uint8(math.Round(v * 255))
}
