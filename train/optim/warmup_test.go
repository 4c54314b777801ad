package optim

import "testing"

func TestWarmupFactor(t *testing.T) {
	for _, tc := range []struct {
		name string
		w    Warmup
		n    []int
		want []float64
	}{
		// The official EBM warmup: the first step has rate 0.
		{"ebm", Warmup{Steps: 10000}, []int{0, 1, 2, 3, 9999, 10000, 20000},
			[]float64{0, 1e-4, 2e-4, 3e-4, 0.9999, 1, 1}},
		// The official initializer warmup starts at 5%.
		{"initializer", Warmup{Steps: 10000, Offset: 500}, []int{0, 1, 2, 9499, 9500, 9501},
			[]float64{0.05, 0.0501, 0.0502, 0.9999, 1, 1}},
		// The small-scale suggestion for the initializer.
		{"small initializer", Warmup{Steps: 200, Offset: 10}, []int{0, 1, 189, 190, 1000},
			[]float64{0.05, 0.055, 0.995, 1, 1}},
		{"none", Warmup{}, []int{0, 1, 100}, []float64{1, 1, 1}},
		{"negative steps", Warmup{Steps: -5}, []int{0}, []float64{1}},
		{"clamped at 0", Warmup{Steps: 100}, []int{-1, -100}, []float64{0, 0}},
	} {
		for i, n := range tc.n {
			if got := tc.w.Factor(n); got != tc.want[i] {
				t.Errorf("%s: %+v.Factor(%d) = %v, want %v", tc.name, tc.w, n, got, tc.want[i])
			}
		}
	}
}
