package nn

import (
	"math"
	"math/rand"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
	"gonum.org/v1/gonum/mat"
)

// unitVector draws a normalised N(0, 1) vector, as PyTorch initialises u and v.
func unitVector(rng *rand.Rand, n int) []float32 {
	v := make([]float64, n)
	norm := 0.0
	for k := range v {
		v[k] = rng.NormFloat64()
		norm += v[k] * v[k]
	}
	out := make([]float32, n)
	for k := range v {
		out[k] = float32(v[k] / math.Sqrt(norm))
	}
	return out
}

func TestPowerIterationConverges(t *testing.T) {
	rng := newTestRand(t)
	for _, dims := range [][2]int{{4, 3}, {8, 27}, {16, 16}, {1, 5}} {
		rows, cols := dims[0], dims[1]
		w := make([]float32, rows*cols)
		for k := range w {
			w[k] = float32(rng.NormFloat64())
		}
		var svd mat.SVD
		if !svd.Factorize(mat.NewDense(rows, cols, toFloat64(w)), mat.SVDThin) {
			t.Fatal("SVD failed")
		}
		top := svd.Values(nil)[0]
		u, v, sigma := PowerIteration(w, rows, cols, unitVector(rng, rows), 500)
		if math.Abs(sigma-top)/top > 1e-6 {
			t.Errorf("%dx%d: sigma %.9g, top singular value %.9g", rows, cols, sigma, top)
		}
		// u and v are the top singular vectors (up to sign) and unit length.
		var us, vs mat.Dense
		svd.UTo(&us)
		svd.VTo(&vs)
		du, dv := 0.0, 0.0
		for k := range u {
			du += float64(u[k]) * us.At(k, 0)
		}
		for k := range v {
			dv += float64(v[k]) * vs.At(k, 0)
		}
		if math.Abs(math.Abs(du)-1) > 1e-5 || math.Abs(math.Abs(dv)-1) > 1e-5 {
			t.Errorf("%dx%d: |<u, u1>| = %.7f, |<v, v1>| = %.7f, want 1", rows, cols, math.Abs(du), math.Abs(dv))
		}
	}
}

func TestPowerIterationOneStep(t *testing.T) {
	// W = diag(3, 1) from u = (0.6, 0.8): W^T u = (1.8, 0.8) -> v; W v -> u; sigma = u^T W v
	// (the expected values use u as rounded to float32).
	w := []float32{3, 0, 0, 1}
	u, v, sigma := PowerIteration(w, 2, 2, []float32{0.6, 0.8}, 1)
	a, b := float64(float32(0.6)), float64(float32(0.8))
	nv := math.Hypot(3*a, b)
	v0, v1 := 3*a/nv, b/nv
	nu := math.Hypot(3*v0, v1)
	u0, u1 := 3*v0/nu, v1/nu
	checkClose(t, "v", f64(v), []float64{v0, v1}, 1e-7)
	checkClose(t, "u", f64(u), []float64{u0, u1}, 1e-7)
	if want := 3*u0*v0 + u1*v1; math.Abs(sigma-want) > 1e-12 {
		t.Errorf("sigma %.12g, want %.12g", sigma, want)
	}
	// A zero matrix leaves zero vectors instead of dividing by zero.
	u, v, sigma = PowerIteration(make([]float32, 6), 2, 3, []float32{1, 0}, 3)
	if sigma != 0 || relErr(f64(u), []float64{0, 0}) != 0 || relErr(f64(v), []float64{0, 0, 0}) != 0 {
		t.Errorf("zero matrix: u %v, v %v, sigma %g", u, v, sigma)
	}
}

func TestPowerIterationBadSizes(t *testing.T) {
	tests := []struct {
		name       string
		w, u       []float32
		rows, cols int
	}{
		{"w length", make([]float32, 5), make([]float32, 2), 2, 3},
		{"u length", make([]float32, 6), make([]float32, 3), 2, 3},
		{"zero rows", nil, nil, 0, 3},
	}
	for _, tc := range tests {
		u, v, sigma := PowerIteration(tc.w, tc.rows, tc.cols, tc.u, 1)
		if u != nil || v != nil || !math.IsNaN(sigma) {
			t.Errorf("%s: got %v, %v, %g; want nil, nil, NaN", tc.name, u, v, sigma)
		}
	}
}

// TestSpectralNormalizeGradient checks autodiff's gradient of W/sigma against the closed form
// of cdrl-method.md 5.2: dL/dW = G/sigma - (<G, W>/sigma^2) u v^T.
func TestSpectralNormalizeGradient(t *testing.T) {
	rng := newTestRand(t)
	for _, shape := range [][]int{{5, 3}, {4, 3, 2, 2}} {
		rows := shape[0]
		cols := tensor.Shape(shape).Size() / rows
		g := graphs.New("sn grad")
		w := graphs.Input(g, "w", tensor.Float32, shape...)
		wsData := randData(rng, rows*cols)
		// u, v from a few power iterations, as in training; the closed form holds for any u, v.
		u, v, _ := PowerIteration(toFloat32(wsData), rows, cols, unitVector(rng, rows), 3)
		uc := graphs.Const(g, tensor.FromFloat32(u, rows))
		vc := graphs.Const(g, tensor.FromFloat32(v, cols))
		gd := randData(rng, rows*cols)
		gc := graphs.Const(g, tensor.FromFloat32(toFloat32(gd), shape...))
		y := SpectralNormalize(w, uc, vc)
		loss := graphs.ReduceSum(graphs.Mul(y, gc), nil, false)
		grads, err := graphs.Grad(loss, w)
		if err != nil {
			t.Fatal(err)
		}
		got := evaluate(t, map[string]*tensor.Tensor{"w": tensor.FromFloat64(wsData, shape...)}, grads[0])[0]

		// Closed form in float64 from the same (float32-rounded) constants.
		g32 := f64(toFloat32(gd))
		sigma, gw := 0.0, 0.0
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				sigma += float64(u[r]) * wsData[r*cols+c] * float64(v[c])
				gw += g32[r*cols+c] * wsData[r*cols+c]
			}
		}
		want := make([]float64, rows*cols)
		for r := 0; r < rows; r++ {
			for c := 0; c < cols; c++ {
				want[r*cols+c] = g32[r*cols+c]/sigma - gw/(sigma*sigma)*float64(u[r])*float64(v[c])
			}
		}
		checkClose(t, "gradient vs closed form", got.Float64, want, 1e-12)
	}
}

func TestSpectralNormalizeUnitNorm(t *testing.T) {
	// With converged u, v the normalised weight has spectral norm 1.
	rng := newTestRand(t)
	const rows, cols = 6, 4
	ws := toFloat32(randData(rng, rows*cols))
	u, v, _ := PowerIteration(ws, rows, cols, unitVector(rng, rows), 500)
	g := graphs.New("unit")
	y := SpectralNormalize(graphs.Const(g, tensor.FromFloat32(ws, rows, cols)),
		graphs.Const(g, tensor.FromFloat32(u, rows)), graphs.Const(g, tensor.FromFloat32(v, cols)))
	got := evaluate(t, nil, y)[0]
	var svd mat.SVD
	if !svd.Factorize(mat.NewDense(rows, cols, got.Float64), mat.SVDNone) {
		t.Fatal("SVD failed")
	}
	if top := svd.Values(nil)[0]; math.Abs(top-1) > 1e-6 {
		t.Errorf("spectral norm of W/sigma = %.9f, want 1", top)
	}
}

func TestSpectralNormalizeErrors(t *testing.T) {
	tests := []struct {
		name    string
		w, u, v []int
		want    string
	}{
		{"rank 1", []int{4}, []int{4}, []int{1}, "rank 2 or more"},
		{"dynamic", []int{-1, 3}, []int{4}, []int{3}, "known shape"},
		{"u size", []int{4, 3}, []int{3}, []int{3}, "needs u (4) and v (3)"},
		{"v size", []int{4, 3, 2, 2}, []int{4}, []int{3}, "needs u (4) and v (12)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graphs.New(tc.name)
			SpectralNormalize(graphs.Input(g, "w", tensor.Float32, tc.w...),
				graphs.Input(g, "u", tensor.Float32, tc.u...), graphs.Input(g, "v", tensor.Float32, tc.v...))
			wantErr(t, g, tc.want)
		})
	}
}
