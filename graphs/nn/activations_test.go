package nn

import (
	"math"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

func TestSiLU(t *testing.T) {
	xs := []float64{-6, -1, -0.25, 0, 0.5, 2, 8}
	want := make([]float64, len(xs))
	for k, x := range xs {
		want[k] = x / (1 + math.Exp(-x))
	}
	g := graphs.New("silu")
	y := SiLU(graphs.Input(g, "x", tensor.Float32, -1))
	got := evaluate(t, map[string]*tensor.Tensor{"x": tensor.FromFloat64(xs, len(xs))}, y)[0]
	checkClose(t, "SiLU", got.Float64, want, 1e-15)
	if SiLU(nil) != nil {
		t.Error("SiLU(nil) is not nil")
	}
}
