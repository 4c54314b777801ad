package plot

import (
	"image"
	"image/color"
	"math"
	"testing"
)

// mix is the colour blendRect gives when it mixes c into dst with weight alpha.
func mix(dst, c color.RGBA, alpha float64) color.RGBA {
	m := func(d, s uint8) uint8 { return uint8(float64(d)*(1-alpha) + float64(s)*alpha + 0.5) }
	return color.RGBA{R: m(dst.R, c.R), G: m(dst.G, c.G), B: m(dst.B, c.B), A: 255}
}

func TestHistogramBars(t *testing.T) {
	// Range [0, 3] in 4 bins of 0.75. A has fractions 3/6, 1/6, 1/6, 1/6 and B has 0, 0, 0, 1
	// (its NaN is left out), so B's last bar is the tallest and reaches the top.
	sets := [][]float64{{0, 0, 0, 1, 2, 3}, {3, 3, 3, 3, math.NaN()}}
	const bins, width, height = 4, 2*histMargin + 100, 120
	img, err := Histogram(sets, []string{"in", "ood"}, bins, width, height)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, width, height) {
		t.Fatalf("bounds %v, want %dx%d", img.Bounds(), width, height)
	}
	l := layoutHistogram([]string{"in", "ood"}, width, height)
	if l.left != histMargin || l.plotW != 100 || l.top != histMargin+histLegendRow || len(l.legend) != 1 {
		t.Fatalf("layout %+v, want one legend line and a 100 pixel wide plot", l)
	}
	base := l.top + l.plotH
	barTop := func(frac float64) int { return base - int(math.Round(frac*float64(l.plotH))) }
	mid := func(b int) int { return l.left + b*25 + 12 }
	p0, p1 := Palette(0), Palette(1)
	got := roundTrip(t, img)
	tests := []struct {
		name string
		x, y int
		want color.RGBA
	}{
		{"A bin 0 top", mid(0), barTop(0.5), p0},
		{"above A bin 0", mid(0), barTop(0.5) - 1, background},
		{"inside A bin 0", mid(0), barTop(0.5) + 5, mix(background, p0, histFillAlpha)},
		{"axis under A bin 0", mid(0), base, axisLine},
		{"A bin 1 top", mid(1), barTop(1.0 / 6), p0},
		{"above A bin 1", mid(1), barTop(1.0/6) - 1, background},
		{"A bin 2 top", mid(2), barTop(1.0 / 6), p0},
		{"B bin 3 top", mid(3), l.top, p1},
		{"A bin 3 top under B's tint", mid(3), barTop(1.0 / 6), mix(p0, p1, histFillAlpha)},
		{"inside both in bin 3", mid(3), base - 1, mix(mix(background, p0, histFillAlpha), p1, histFillAlpha)},
		{"B empty in bin 2", mid(2), barTop(1.0/6) - 1, background},
		{"left edge of A bin 0", l.left, base - 10, p0},
		{"step down A bin 0 to 1", l.left + 25, barTop(0.5) + 1, p0},
		{"legend swatch A", histMargin, histMargin, p0},
	}
	for _, tc := range tests {
		if c := rgbaAt(got, tc.x, tc.y); c != tc.want {
			t.Errorf("%s: pixel (%d,%d) = %v, want %v", tc.name, tc.x, tc.y, c, tc.want)
		}
	}
	// The range labels sit below the axis.
	labels := 0
	for y := base + 1; y < height; y++ {
		for x := range width {
			if rgbaAt(got, x, y) == labelInk {
				labels++
			}
		}
	}
	if labels == 0 {
		t.Error("no range labels below the axis")
	}
}

func TestHistogramBins(t *testing.T) {
	tests := []struct {
		name   string
		sets   [][]float64
		lo, hi float64
		bins   int
		want   [][]float64
		top    float64
	}{
		{"edges", [][]float64{{0, 0.49, 0.5, 1}}, 0, 1, 2, [][]float64{{0.5, 0.5}}, 0.5},
		{"different sizes", [][]float64{{0, 1}, {1, 1, 1, 0}}, 0, 1, 2, [][]float64{{0.5, 0.5}, {0.25, 0.75}}, 0.75},
		{"empty and non-finite", [][]float64{{}, {math.Inf(1), 0}}, 0, 1, 1, [][]float64{{0}, {1}}, 1},
	}
	for _, tc := range tests {
		got, top := binFractions(tc.sets, tc.lo, tc.hi, tc.bins)
		if top != tc.top {
			t.Errorf("%s: top %v, want %v", tc.name, top, tc.top)
		}
		for s := range tc.want {
			for b := range tc.want[s] {
				if got[s][b] != tc.want[s][b] {
					t.Errorf("%s: set %d bin %d = %v, want %v", tc.name, s, b, got[s][b], tc.want[s][b])
				}
			}
		}
	}
}

func TestHistogramSingleValueAndNoNames(t *testing.T) {
	// One distinct value: the range widens around it and the value fills the middle bin.
	l := layoutHistogram(nil, 2*histMargin+30, 60)
	if l.top != histMargin || l.legend != nil {
		t.Fatalf("layout without names %+v, want no legend", l)
	}
	for _, v := range []float64{2, -3e20} {
		img, err := Histogram([][]float64{{v, v}}, nil, 3, 2*histMargin+30, 60)
		if err != nil {
			t.Fatal(err)
		}
		got := roundTrip(t, img)
		for b, want := range []color.RGBA{background, Palette(0), background} {
			if c := rgbaAt(got, l.left+b*10+5, l.top); c != want {
				t.Errorf("value %g: bin %d top = %v, want %v", v, b, c, want)
			}
		}
	}
}

func TestHistogramLegendWraps(t *testing.T) {
	names := []string{"first set", "second set", "third set"}
	l := layoutHistogram(names, 120, 100)
	if len(l.legend) < 2 || l.top != histMargin+len(l.legend)*histLegendRow {
		t.Errorf("legend lines %v, top %d: want the names wrapped over several lines above the plot", l.legend, l.top)
	}
	if _, err := Histogram([][]float64{{1}, {2}, {3}}, names, 10, 120, 100); err != nil {
		t.Error(err)
	}
}

func TestHistogramErrors(t *testing.T) {
	one := [][]float64{{1, 2}}
	tests := []struct {
		name       string
		sets       [][]float64
		names      []string
		bins, w, h int
		want       []string
	}{
		{"no sets", nil, nil, 4, 100, 100, []string{"no sets"}},
		{"names mismatch", one, []string{"a", "b"}, 4, 100, 100, []string{"2 names for 1 sets"}},
		{"bins 0", one, nil, 0, 100, 100, []string{"bins 0"}},
		{"narrow", one, nil, 1, 12, 100, []string{"width 12"}},
		{"low", one, nil, 4, 100, 30, []string{"height 30"}},
		{"too many bins", one, nil, 89, 100, 100, []string{"bins 89", "88 pixel columns"}},
		{"huge", one, nil, 4, 1 << 14, 1 << 14, []string{"16384x16384"}},
		{"nothing finite", [][]float64{{math.NaN()}, {}}, nil, 4, 100, 100, []string{"no finite values in 2 sets"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Histogram(tc.sets, tc.names, tc.bins, tc.w, tc.h)
			checkErr(t, err, tc.want...)
		})
	}
}
