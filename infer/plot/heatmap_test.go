package plot

import (
	"image"
	"image/color"
	"math"
	"testing"
)

func TestHeatmap(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name   string
		values []float64
		gw, gh int
		want   []color.RGBA // row-major, one per value
	}{
		{
			name:   "min max middle and non-finite",
			values: []float64{-3, 1, 5, nan, inf, math.Inf(-1)},
			gw:     3, gh: 2,
			want: []color.RGBA{ColorMap(0), ColorMap(0.5), ColorMap(1), NonFinite, NonFinite, NonFinite},
		},
		{
			name:   "constant",
			values: []float64{2, 2, nan, 2},
			gw:     1, gh: 4,
			want: []color.RGBA{ColorMap(0.5), ColorMap(0.5), NonFinite, ColorMap(0.5)},
		},
		{
			name:   "all NaN",
			values: []float64{nan, nan},
			gw:     2, gh: 1,
			want: []color.RGBA{NonFinite, NonFinite},
		},
		{
			name:   "extreme range",
			values: []float64{-math.MaxFloat64, 0, math.MaxFloat64},
			gw:     3, gh: 1,
			want: []color.RGBA{ColorMap(0), ColorMap(0.5), ColorMap(1)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Heatmap(tc.values, tc.gw, tc.gh)
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds() != image.Rect(0, 0, tc.gw, tc.gh) {
				t.Fatalf("bounds %v, want %dx%d", img.Bounds(), tc.gw, tc.gh)
			}
			got := roundTrip(t, img)
			for i, want := range tc.want {
				x, y := i%tc.gw, i/tc.gw
				if c := rgbaAt(got, x, y); c != want {
					t.Errorf("pixel (%d,%d) for %v = %v, want %v", x, y, tc.values[i], c, want)
				}
			}
		})
	}
}

func TestHeatmapErrors(t *testing.T) {
	tests := []struct {
		name   string
		n      int
		gw, gh int
		want   []string
	}{
		{"length", 5, 2, 3, []string{"5 values", "2*3 = 6"}},
		{"zero width", 0, 0, 3, []string{"grid 0x3"}},
		{"negative height", 0, 3, -1, []string{"grid 3x-1"}},
		{"huge", 0, 1 << 30, 1 << 30, []string{"1073741824x1073741824"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Heatmap(make([]float64, tc.n), tc.gw, tc.gh)
			checkErr(t, err, tc.want...)
		})
	}
}
