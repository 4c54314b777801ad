package nn

import (
	"math"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

func TestEmbeddingTableVector(t *testing.T) {
	// cdrl-method.md 5.1: D = 128 at level k = 0 (lambda_0 = 9.8, tau = 0.0047406).
	emb := EmbeddingTable(9.8, 128)
	tau := math.Atan(math.Exp(-0.5*9.8)) / (math.Pi / 2)
	if math.Abs(tau-0.0047406) > 5e-8 {
		t.Errorf("tau = %.7f, want 0.0047406", tau)
	}
	wantSin := []float64{-0.999603, -0.815847, -0.386762}
	wantCos := []float64{0.028162, -0.578268, -0.922180}
	for j := range wantSin {
		if got := float64(emb[j]); math.Abs(got-wantSin[j]) > 1e-6 {
			t.Errorf("sin[%d] = %.6f, want %.6f", j, got, wantSin[j])
		}
		if got := float64(emb[64+j]); math.Abs(got-wantCos[j]) > 1e-6 {
			t.Errorf("cos[%d] = %.6f, want %.6f", j, got, wantCos[j])
		}
	}
}

func TestEmbeddingTableClampAndSize(t *testing.T) {
	if a, b := EmbeddingTable(35, 8), EmbeddingTable(20, 8); relErr(f64(a), f64(b)) != 0 {
		t.Errorf("lambda 35 gives %v, want the clamped value %v", a, b)
	}
	if a, b := EmbeddingTable(-35, 8), EmbeddingTable(-20, 8); relErr(f64(a), f64(b)) != 0 {
		t.Errorf("lambda -35 gives %v, want the clamped value %v", a, b)
	}
	for _, d := range []int{0, 2, 7} {
		if e := EmbeddingTable(1, d); e != nil {
			t.Errorf("size %d: got %v, want nil", d, e)
		}
	}
}

func f64(x []float32) []float64 {
	out := make([]float64, len(x))
	for k, v := range x {
		out[k] = float64(v)
	}
	return out
}

func TestTimeEmbeddingMatchesTable(t *testing.T) {
	levels := []float64{9.8, 2.688820, 1.196880, 0.141071, -0.876073, -2.172388, -5.1, 25, -30}
	for _, dim := range []int{4, 64, 128} {
		g := graphs.New("temb")
		l := graphs.Input(g, "logsnr", tensor.Float32, -1)
		e := TimeEmbedding(l, dim)
		if got := e.Shape(); !got.Equal(tensor.Shape{-1, dim}) {
			t.Fatalf("dim %d: shape %v", dim, got)
		}
		in := make([]float32, len(levels))
		var want []float64
		for k, v := range levels {
			in[k] = float32(v)
			want = append(want, f64(EmbeddingTable(float64(in[k]), dim))...)
		}
		got := evaluate(t, map[string]*tensor.Tensor{"logsnr": tensor.FromFloat32(in, len(in))}, e)[0]
		// The graph's constants are float32; the angles reach 1000, so they agree to a few 1e-5.
		checkClose(t, "graph vs table", got.Float64, want, 5e-5)
	}
}

func TestTimeEmbeddingErrors(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		dim   int
		want  string
	}{
		{"odd", []int{-1}, 7, "size 7"},
		{"too small", []int{-1}, 2, "size 2"},
		{"rank 2", []int{-1, 1}, 8, "shape (N)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graphs.New(tc.name)
			TimeEmbedding(graphs.Input(g, "l", tensor.Float32, tc.shape...), tc.dim)
			wantErr(t, g, tc.want)
		})
	}
}
