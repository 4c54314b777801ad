package nn

import (
	"fmt"
	"math"
	"strings"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
	"gonum.org/v1/gonum/mat"
)

// Suffixes of the names of a spectral-normalised weight's power-iteration vectors.
const (
	snUSuffix = "/sn_u"
	snVSuffix = "/sn_v"
)

// SpectralNormalize returns w / sigma with sigma = u^T W_mat v, where W_mat is w, of shape
// (out, ...), seen as an (out, cols) matrix, u has shape (out) and v shape (cols). u and v are
// meant to be graph inputs or constants refreshed by PowerIteration outside the graph: they
// then carry no gradient, and the gradient with respect to w is PyTorch's
//
//	dL/dW = G/sigma - (<G, W>/sigma^2) u v^T,  G = dL/d(W/sigma).
func SpectralNormalize(w, u, v *graphs.Value) *graphs.Value {
	if w == nil || u == nil || v == nil {
		return nil
	}
	g := w.Graph()
	s := w.Shape()
	if len(s) < 2 || !s.Known() {
		return fail(g, fmt.Errorf("nn: SpectralNormalize: weight %v needs rank 2 or more and a known shape", w))
	}
	rows, cols := s[0], s.Size()/s[0]
	if !u.Shape().Equal(tensor.Shape{rows}) || !v.Shape().Equal(tensor.Shape{cols}) {
		return fail(g, fmt.Errorf("nn: SpectralNormalize: weight %v needs u (%d) and v (%d), got %v and %v", w, rows, cols, u, v))
	}
	// u as (out, 1, ...) and v as (1, in, kh, kw) broadcast against w without reshaping it.
	uShape := make([]int, len(s))
	for k := range uShape {
		uShape[k] = 1
	}
	uShape[0] = rows
	vShape := append([]int{1}, s[1:]...)
	uv := graphs.Mul(graphs.ReshapeTo(u, uShape...), graphs.ReshapeTo(v, vShape...))
	sigma := graphs.ReduceSum(graphs.Mul(w, uv), nil, false)
	return graphs.Div(w, sigma)
}

// spectralWeight normalises the weight w of the layer in s with power-iteration vectors fed as
// the graph inputs "<weight>/sn_u" and "<weight>/sn_v".
func spectralWeight(s Scope, w *graphs.Value, name string) *graphs.Value {
	if s.G.Err() != nil {
		return w // creating w failed; the graph already holds the error
	}
	sh := w.Shape()
	rows := sh[0]
	full := s.Name(name)
	input := func(name string, size int) *graphs.Value {
		if s.Reuse {
			if v := s.G.Lookup(name); v != nil {
				return v
			}
		}
		return graphs.Input(s.G, name, tensor.Float32, size)
	}
	return SpectralNormalize(w, input(full+snUSuffix, rows), input(full+snVSuffix, sh.Size()/rows))
}

// SpectralWeight names a spectral-normalised weight of a graph and the inputs that carry its
// power-iteration vectors; the weight is seen as a Rows x Cols matrix (out, in*kh*kw).
type SpectralWeight struct {
	Weight     string // the parameter
	U, V       string // the graph inputs for u (Rows) and v (Cols)
	Rows, Cols int
}

// SpectralParams lists, in creation order, the spectral-normalised weights that Dense and
// Conv2D created in g. The caller keeps u and v per weight (initially normalised N(0,1)
// draws), refreshes them with PowerIteration when PyTorch's train mode would, and feeds them.
func SpectralParams(g *graphs.Graph) []SpectralWeight {
	params := map[string]bool{}
	for _, p := range g.Params() {
		params[p.Name()] = true
	}
	inputs := map[string]*graphs.Value{}
	for _, in := range g.Inputs() {
		inputs[in.Name()] = in
	}
	var out []SpectralWeight
	for _, in := range g.Inputs() {
		weight, ok := strings.CutSuffix(in.Name(), snUSuffix)
		if !ok || !params[weight] {
			continue
		}
		v := inputs[weight+snVSuffix]
		if v == nil || in.Rank() != 1 || v.Rank() != 1 {
			continue
		}
		out = append(out, SpectralWeight{Weight: weight, U: in.Name(), V: v.Name(),
			Rows: in.Shape()[0], Cols: v.Shape()[0]})
	}
	return out
}

// snEps bounds the norms divided by in PowerIteration, as PyTorch's normalize does.
const snEps = 1e-12

// PowerIteration runs iters rounds (at least one) of the power iteration of PyTorch's spectral
// norm on the row-major rows x cols matrix w, starting from u: v = normalize(W^T u), then
// u = normalize(W v), with normalize(x) = x / max(||x||, 1e-12). It returns the new u and v
// and sigma = u^T W v, computed in float64. u is not modified. It returns nil vectors and a
// NaN sigma when the lengths do not match rows and cols.
func PowerIteration(w []float32, rows, cols int, u []float32, iters int) (u2, v2 []float32, sigma float64) {
	if rows <= 0 || cols <= 0 || len(w) != rows*cols || len(u) != rows {
		return nil, nil, math.NaN()
	}
	wm := mat.NewDense(rows, cols, toFloat64(w))
	uv := mat.NewVecDense(rows, toFloat64(u))
	vv := mat.NewVecDense(cols, nil)
	normalize := func(x *mat.VecDense) {
		x.ScaleVec(1/math.Max(mat.Norm(x, 2), snEps), x)
	}
	for i := 0; i < max(iters, 1); i++ {
		vv.MulVec(wm.T(), uv)
		normalize(vv)
		uv.MulVec(wm, vv)
		normalize(uv)
	}
	return toFloat32(uv.RawVector().Data), toFloat32(vv.RawVector().Data), mat.Inner(uv, wm, vv)
}

func toFloat64(x []float32) []float64 {
	out := make([]float64, len(x))
	for k, v := range x {
		out[k] = float64(v)
	}
	return out
}

func toFloat32(x []float64) []float32 {
	out := make([]float32, len(x))
	for k, v := range x {
		out[k] = float32(v)
	}
	return out
}
