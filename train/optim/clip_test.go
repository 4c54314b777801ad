package optim

import (
	"math"
	"testing"
)

func TestClipGlobalNorm(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, tc := range []struct {
		name     string
		grads    [][]float32
		maxNorm  float64
		wantNorm float64
		want     [][]float64 // nil: grads unchanged
	}{
		{"below", [][]float32{{0.25}, {0, -0.5}}, 1, math.Sqrt(0.3125), nil},
		// norm 5: coefficient 1/(5+1e-6).
		{"above", [][]float32{{3}, {-4}}, 1, 5, [][]float64{{3 / 5.000001}, {-4 / 5.000001}}},
		{"above max 2", [][]float32{{6, 8}}, 2, 10, [][]float64{{12 / 10.000001, 16 / 10.000001}}},
		// PyTorch clips when maxNorm/(norm+1e-6) < 1, so a norm equal to maxNorm shrinks a little.
		{"at max", [][]float32{{1}}, 1, 1, [][]float64{{1 / 1.000001}}},
		{"zero", [][]float32{{0, 0}, {0}}, 1, 0, nil},
		{"empty", nil, 1, 0, nil},
		{"off at 0", [][]float32{{3}, {4}}, 0, 5, nil},
		{"off at -1", [][]float32{{3}, {4}}, -1, 5, nil},
		{"off at NaN", [][]float32{{3}, {4}}, math.NaN(), 5, nil},
		{"NaN", [][]float32{{3}, {4, nan}}, 1, math.NaN(), nil},
		{"Inf", [][]float32{{inf, 4}}, 1, math.Inf(1), nil},
		{"-Inf", [][]float32{{-inf, 4}}, 1, math.Inf(1), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := cloneData(tc.grads)
			norm := ClipGlobalNorm(tc.grads, tc.maxNorm)
			switch {
			case math.IsNaN(tc.wantNorm):
				if !math.IsNaN(norm) {
					t.Errorf("norm %v, want NaN", norm)
				}
			case math.Abs(norm-tc.wantNorm) > 1e-7*tc.wantNorm:
				t.Errorf("norm %.9g, want %.9g", norm, tc.wantNorm)
			}
			if tc.want == nil {
				if d := sameBits(tc.grads, before); d != "" {
					t.Errorf("grads changed at %s, want them unchanged", d)
				}
				return
			}
			for i := range tc.want {
				for j, w := range tc.want[i] {
					if !near(tc.grads[i][j], w, 1e-7) {
						t.Errorf("grads[%d][%d] = %.9g, want %.9g", i, j, tc.grads[i][j], w)
					}
				}
			}
		})
	}
}

// The global norm accumulates in float64, so float32 values near the top of their range do not
// overflow it.
func TestGlobalNormLarge(t *testing.T) {
	x := [][]float32{{3e38}, {2e38}}
	want := math.Hypot(float64(x[0][0]), float64(x[1][0]))
	if got := GlobalNorm(x); got != want {
		t.Errorf("GlobalNorm = %g, want %g", got, want)
	}
}

func TestAllFinite(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, tc := range []struct {
		name          string
		xs            [][]float32
		ok            bool
		tensor, index int
	}{
		{"finite", [][]float32{{1, -2}, {3e38}}, true, -1, -1},
		{"empty", nil, true, -1, -1},
		{"NaN", [][]float32{{1, 2}, {}, {0, 1, nan, inf}}, false, 2, 2},
		{"+Inf first", [][]float32{{inf}}, false, 0, 0},
		{"-Inf", [][]float32{{0}, {-inf}}, false, 1, 0},
	} {
		ok, tensor, index := AllFinite(tc.xs)
		if ok != tc.ok || tensor != tc.tensor || index != tc.index {
			t.Errorf("%s: AllFinite = %v, %d, %d, want %v, %d, %d",
				tc.name, ok, tensor, index, tc.ok, tc.tensor, tc.index)
		}
	}
}

func BenchmarkClipGlobalNorm(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			g := benchLayout(sz.n, 3)
			b.SetBytes(int64(4 * sz.n))
			for b.Loop() {
				// A maxNorm above the norm: measures the norm without shrinking g every time.
				ClipGlobalNorm(g, 1e9)
			}
		})
	}
}
