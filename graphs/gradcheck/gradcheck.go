// Package gradcheck holds the table of gradient-check cases for every graph op and composite,
// and the finite-difference checker that runs them with the float64 reference evaluator.
//
// # Overview
//
// A Case builds a small graph y = f(inputs). The checker draws the inputs from the case's
// domain, forms the scalar L = sum(y * R) with a fixed random R, and compares the directional
// derivative <dL/dx, u> from the graph's own gradient (graphs.Grad) with the central difference
// (L(x + h u) - L(x - h u)) / 2h along a random direction u covering all float inputs at once
// (a numerical JVP: two evaluations whatever the tensor sizes). Both sides are computed in
// float64, so tolerances are tight (Case.Tol, default 1e-6 relative).
//
// The same cases serve the ONNX round-trip tests, which run the forward and gradient graphs in
// ONNX Runtime and compare with the reference evaluator.
package gradcheck

import (
	"fmt"
	"math"
	"math/rand"
	"sort"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Input describes one input of a case and the domain it is drawn from.
type Input struct {
	Name  string
	Shape []int
	// Lo and Hi bound the uniform draw (default [-2, 2]).
	Lo, Hi float64
	// Gap keeps draws at least this far from every entry of Kinks (for relu-like kinks).
	Gap   float64
	Kinks []float64
	// Ints, when set, makes the input int64 with these fixed values (indices, classes).
	Ints []int64
	// Dynamic makes the first dimension symbolic in the graph (fed at its Shape[0]).
	Dynamic bool
}

// Case is one gradient check.
type Case struct {
	Name   string
	Inputs []Input
	// Build returns y from the graph inputs (in Inputs order).
	Build func(in []*graphs.Value) *graphs.Value
	// Tol is the relative tolerance of the directional derivative (default 1e-6).
	Tol float64
}

var cases []Case

// Add registers cases; op-family files call it from init.
func Add(cs ...Case) { cases = append(cases, cs...) }

// Cases returns all registered cases sorted by name.
func Cases() []Case {
	out := append([]Case(nil), cases...)
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Built is a case's graph with its loss, gradients and a feed drawn from the case's domain.
type Built struct {
	Graph *graphs.Graph
	Y     *graphs.Value
	// Loss is sum(Y * R) for a fixed random R.
	Loss *graphs.Value
	// Wrt are the float inputs and Grads the loss gradients with respect to them.
	Wrt, Grads []*graphs.Value
	Feeds      map[string]*tensor.Tensor
	inputs     []Input
}

// Build constructs the case's graph and draws a feed with rng.
func Build(c Case, rng *rand.Rand) (*Built, error) {
	g := graphs.New(c.Name)
	vals := make([]*graphs.Value, len(c.Inputs))
	b := &Built{Graph: g, Feeds: map[string]*tensor.Tensor{}, inputs: c.Inputs}
	for k, in := range c.Inputs {
		shape := append([]int(nil), in.Shape...)
		if in.Dynamic {
			shape[0] = -1
		}
		if in.Ints != nil {
			vals[k] = graphs.Input(g, in.Name, tensor.Int64, shape...)
			b.Feeds[in.Name] = tensor.FromInt64(append([]int64(nil), in.Ints...), in.Shape...)
			continue
		}
		vals[k] = graphs.Input(g, in.Name, tensor.Float32, shape...)
		b.Wrt = append(b.Wrt, vals[k])
		b.Feeds[in.Name] = tensor.FromFloat64(draw(in, rng), in.Shape...)
	}
	b.Y = c.Build(vals)
	if err := g.Err(); err != nil {
		return nil, err
	}
	ys, err := graphs.Evaluate(b.Feeds, b.Y)
	if err != nil {
		return nil, err
	}
	r := make([]float32, len(ys[0].Float64))
	for k := range r {
		r[k] = float32(rng.NormFloat64())
	}
	rc := graphs.Const(g, tensor.FromFloat32(r, ys[0].Shape...))
	b.Loss = graphs.ReduceSum(graphs.Mul(b.Y, rc), nil, false)
	b.Grads, err = graphs.Grad(b.Loss, b.Wrt...)
	if err != nil {
		return nil, err
	}
	return b, g.Err()
}

func draw(in Input, rng *rand.Rand) []float64 {
	lo, hi := in.Lo, in.Hi
	if lo == 0 && hi == 0 {
		lo, hi = -2, 2
	}
	n := 1
	for _, d := range in.Shape {
		n *= d
	}
	out := make([]float64, n)
	for k := range out {
		for {
			v := lo + (hi-lo)*rng.Float64()
			ok := true
			for _, kink := range in.Kinks {
				if math.Abs(v-kink) < in.Gap {
					ok = false
				}
			}
			if ok {
				out[k] = v
				break
			}
		}
	}
	return out
}

// Result is the outcome of one check.
type Result struct {
	Analytic, Numeric float64
	RelErr            float64
}

// Check runs the finite-difference check of case c with the given seed.
func Check(c Case, seed int64) (Result, error) {
	rng := rand.New(rand.NewSource(seed))
	b, err := Build(c, rng)
	if err != nil {
		return Result{}, err
	}
	if len(b.Wrt) == 0 {
		return Result{}, fmt.Errorf("case %s has no float input", c.Name)
	}
	return Directional(b.Loss, b.Grads, b.Wrt, b.Feeds, rng)
}

// Gradient checks the gradient of any graph output y with respect to wrt (graph inputs fed in
// feeds, or params at their value in feeds or else their initial value): it forms
// L = sum(y * R) with a random R drawn from rng, differentiates it with graphs.Grad and runs
// Directional. Network tests use it for gradients with respect to parameters.
func Gradient(y *graphs.Value, feeds map[string]*tensor.Tensor, wrt []*graphs.Value, rng *rand.Rand) (Result, error) {
	g := y.Graph()
	ys, err := graphs.Evaluate(feeds, y)
	if err != nil {
		return Result{}, err
	}
	r := make([]float32, len(ys[0].Float64))
	for k := range r {
		r[k] = float32(rng.NormFloat64())
	}
	loss := graphs.ReduceSum(graphs.Mul(y, graphs.Const(g, tensor.FromFloat32(r, ys[0].Shape...))), nil, false)
	grads, err := graphs.Grad(loss, wrt...)
	if err != nil {
		return Result{}, err
	}
	return Directional(loss, grads, wrt, feeds, rng)
}

// Directional compares the directional derivative of the scalar loss along a random unit
// direction over all of wrt, computed from grads (the loss gradients with respect to wrt), with
// the central difference (L(x + h u) - L(x - h u)) / 2h, both with the float64 evaluator. wrt
// are graph inputs fed in feeds, or params at their value in feeds or else their initial value.
func Directional(loss *graphs.Value, grads, wrt []*graphs.Value, feeds map[string]*tensor.Tensor, rng *rand.Rand) (Result, error) {
	base := make([]*tensor.Tensor, len(wrt))
	for k, w := range wrt {
		if base[k] = feeds[w.Name()]; base[k] == nil {
			base[k] = w.Node().Attrs.Tensor("value")
		}
		if base[k] == nil {
			return Result{}, fmt.Errorf("gradcheck: no value for %s", w.Name())
		}
	}
	gv, err := graphs.Evaluate(feeds, grads...)
	if err != nil {
		return Result{}, err
	}
	// Random unit direction over all of wrt.
	dirs := make([][]float64, len(wrt))
	norm := 0.0
	for k := range wrt {
		dirs[k] = make([]float64, base[k].Len())
		for j := range dirs[k] {
			dirs[k][j] = rng.NormFloat64()
			norm += dirs[k][j] * dirs[k][j]
		}
	}
	norm = math.Sqrt(norm)
	analytic := 0.0
	for k := range wrt {
		for j := range dirs[k] {
			dirs[k][j] /= norm
			analytic += gv[k].Float64[j] * dirs[k][j]
		}
	}
	const h = 1e-5
	at := func(sign float64) (float64, error) {
		f := make(map[string]*tensor.Tensor, len(feeds)+len(wrt))
		for name, t := range feeds {
			f[name] = t
		}
		for k, w := range wrt {
			x := base[k].AsFloat64()
			p := make([]float64, len(x))
			for j := range p {
				p[j] = x[j] + sign*h*dirs[k][j]
			}
			f[w.Name()] = tensor.FromFloat64(p, base[k].Shape...)
		}
		out, err := graphs.Evaluate(f, loss)
		if err != nil {
			return 0, err
		}
		return out[0].Float64[0], nil
	}
	lp, err := at(1)
	if err != nil {
		return Result{}, err
	}
	lm, err := at(-1)
	if err != nil {
		return Result{}, err
	}
	numeric := (lp - lm) / (2 * h)
	scale := math.Max(math.Abs(numeric), math.Max(math.Abs(analytic), 1e-3))
	return Result{Analytic: analytic, Numeric: numeric, RelErr: math.Abs(analytic-numeric) / scale}, nil
}
