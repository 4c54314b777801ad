package nn

import (
	"math"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// refLinear returns x w^T + b for x (n, in), w (out, in) and b (out) or nil.
func refLinear(x, w, b []float64, n, in, out int) []float64 {
	y := make([]float64, n*out)
	for i := 0; i < n; i++ {
		for o := 0; o < out; o++ {
			s := 0.0
			if b != nil {
				s = b[o]
			}
			for k := 0; k < in; k++ {
				s += x[i*in+k] * w[o*in+k]
			}
			y[i*out+o] = s
		}
	}
	return y
}

func TestDense(t *testing.T) {
	rng := newTestRand(t)
	const n, in, out = 3, 4, 5
	xs := randData(rng, n*in)
	feeds := map[string]*tensor.Tensor{"x": tensor.FromFloat64(xs, n, in)}
	tests := []struct {
		name string
		opts DenseOpts
	}{
		{"plain", DenseOpts{}},
		{"bias", DenseOpts{Bias: true}},
		{"zero init", DenseOpts{Bias: true, ZeroInit: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graphs.New(tc.name)
			s := Scope{G: g, Prefix: "m", Rng: rng}
			y := Dense(s.Sub("lin"), graphs.Input(g, "x", tensor.Float32, -1, in), out, tc.opts)
			if got := y.Shape(); !got.Equal(tensor.Shape{-1, out}) {
				t.Errorf("shape %v", got)
			}
			w := paramValue(t, g, "m/lin/w")
			if !w.Shape.Equal(tensor.Shape{out, in}) {
				t.Errorf("weight shape %v, want (%d,%d)", w.Shape, out, in)
			}
			bound := 1 / math.Sqrt(in)
			for _, v := range w.Float32 {
				if tc.opts.ZeroInit && v != 0 || math.Abs(float64(v)) > bound {
					t.Fatalf("weight %g: zero init %v, bound %g", v, tc.opts.ZeroInit, bound)
				}
			}
			var b []float64
			if tc.opts.Bias {
				b = paramValue(t, g, "m/lin/b").AsFloat64()
			} else if len(g.Params()) != 1 {
				t.Errorf("%d params, want the weight only", len(g.Params()))
			}
			got := evaluate(t, feeds, y)[0]
			checkClose(t, "Dense", got.Float64, refLinear(xs, w.AsFloat64(), b, n, in, out), 1e-15)
		})
	}
}

func TestDenseSpectral(t *testing.T) {
	rng := newTestRand(t)
	const n, in, out = 2, 3, 4
	g := graphs.New("sn")
	s := Scope{G: g, Prefix: "ebm", Rng: rng}
	y := Dense(s.Sub("lin1"), graphs.Input(g, "x", tensor.Float32, -1, in), out, DenseOpts{Bias: true, Spectral: true})
	sp := SpectralParams(g)
	want := SpectralWeight{Weight: "ebm/lin1/w", U: "ebm/lin1/w/sn_u", V: "ebm/lin1/w/sn_v", Rows: out, Cols: in}
	if len(sp) != 1 || sp[0] != want {
		t.Fatalf("SpectralParams = %+v, want [%+v]", sp, want)
	}
	w := paramValue(t, g, want.Weight)
	u, v, sigma := PowerIteration(w.Float32, out, in, unitVector(rng, out), 50)
	xs := randData(rng, n*in)
	got := evaluate(t, map[string]*tensor.Tensor{
		"x":    tensor.FromFloat64(xs, n, in),
		want.U: tensor.FromFloat32(u, out),
		want.V: tensor.FromFloat32(v, in),
	}, y)[0]
	// sigma from the graph uses the float32-rounded u, v: agreement to ~1e-7.
	ws := w.AsFloat64()
	for k := range ws {
		ws[k] /= sigma
	}
	checkClose(t, "spectral Dense", got.Float64, refLinear(xs, ws, paramValue(t, g, "ebm/lin1/b").AsFloat64(), n, in, out), 1e-6)
}

func TestDenseErrors(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		out   int
		want  string
	}{
		{"rank 3", []int{-1, 2, 3}, 4, "must be (N, in)"},
		{"unknown in", []int{2, -1}, 4, "known in"},
		{"no outputs", []int{2, 3}, 0, "to 0 outputs"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graphs.New(tc.name)
			Dense(Scope{G: g, Prefix: "d", Rng: newTestRand(t)}, graphs.Input(g, "x", tensor.Float32, tc.shape...), tc.out, DenseOpts{})
			wantErr(t, g, tc.want)
		})
	}
	g := graphs.New("nil rng with spectral")
	Dense(Scope{G: g, Prefix: "d"}, graphs.Input(g, "x", tensor.Float32, -1, 3), 2, DenseOpts{Spectral: true})
	wantErr(t, g, "needs Scope.Rng")
}
