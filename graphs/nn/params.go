package nn

import (
	"fmt"
	"math"
	"math/rand"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Init says how a parameter's initial values are drawn. Make one with Uniform, Zeros, Ones or
// Normal.
type Init struct {
	kind  initKind
	scale float64 // uniform bound or normal standard deviation
}

type initKind int

const (
	initZeros initKind = iota
	initOnes
	initUniform
	initNormal
)

// Uniform draws from U(-1/sqrt(fanIn), 1/sqrt(fanIn)), PyTorch's default for the weights and
// biases of linear and convolution layers. fanIn must be positive.
func Uniform(fanIn int) Init {
	if fanIn <= 0 {
		return Init{kind: initUniform, scale: math.NaN()}
	}
	return Init{kind: initUniform, scale: 1 / math.Sqrt(float64(fanIn))}
}

// Zeros fills the parameter with 0.
func Zeros() Init { return Init{kind: initZeros} }

// Ones fills the parameter with 1.
func Ones() Init { return Init{kind: initOnes} }

// Normal draws from N(0, std^2).
func Normal(std float64) Init { return Init{kind: initNormal, scale: std} }

// random reports whether the init draws from the generator.
func (in Init) random() bool { return in.kind == initUniform || in.kind == initNormal }

// Scope creates named parameters in a graph. Names are hierarchical: a Scope with Prefix
// "ebm/block0" creates "ebm/block0/conv1/w" for Sub("conv1").Param("w", ...). Random
// initial values come from Rng in creation order, so building the same network twice from
// generators with the same seed gives the same parameters. A Scope is a small value; Sub
// returns a new one sharing the graph and the generator.
type Scope struct {
	G      *graphs.Graph
	Prefix string
	Rng    *rand.Rand
	// Reuse makes Param return the graph's existing param of the same name (and shape) instead
	// of creating it, so a network can be applied several times in one graph with shared
	// weights (e.g. K unrolled Langevin steps).
	Reuse bool
}

// Sub returns the scope for a named part, e.g. s.Sub("conv1").
func (s Scope) Sub(name string) Scope {
	return Scope{G: s.G, Prefix: s.Name(name), Rng: s.Rng, Reuse: s.Reuse}
}

// Name returns the full name of name in the scope: Prefix + "/" + name, or name alone when the
// prefix is empty.
func (s Scope) Name(name string) string {
	if s.Prefix == "" {
		return name
	}
	return s.Prefix + "/" + name
}

// Param creates the float32 parameter s.Name(name) with the given shape and initial values.
// A random init with a nil Rng, a non-positive fan-in or an unknown dimension is recorded as a
// build error in the graph. It returns nil when the scope has no graph.
func (s Scope) Param(name string, shape []int, init Init) *graphs.Value {
	if s.G == nil {
		return nil
	}
	full := s.Name(name)
	if s.Reuse {
		if p := s.G.Lookup(full); p != nil && p.Node().Op == "Param" {
			if !p.Shape().Equal(tensor.Shape(shape)) {
				return fail(s.G, fmt.Errorf("nn: param %s: reused with shape %v, created with %v", full, shape, p.Shape()))
			}
			return p
		}
	}
	n := tensor.Shape(shape).Size()
	switch {
	case n < 0:
		return fail(s.G, fmt.Errorf("nn: param %s: shape %v has an unknown dimension", full, shape))
	case init.random() && s.Rng == nil:
		return fail(s.G, fmt.Errorf("nn: param %s: random init needs Scope.Rng", full))
	case init.kind == initUniform && math.IsNaN(init.scale):
		return fail(s.G, fmt.Errorf("nn: param %s: uniform init needs a positive fan-in", full))
	}
	data := make([]float32, n)
	for k := range data {
		switch init.kind {
		case initOnes:
			data[k] = 1
		case initUniform:
			data[k] = float32(init.scale * (2*s.Rng.Float64() - 1))
		case initNormal:
			data[k] = float32(init.scale * s.Rng.NormFloat64())
		}
	}
	return graphs.Param(s.G, full, tensor.FromFloat32(data, shape...))
}

// fail records err as g's build error and returns a placeholder value (a scalar constant);
// once the graph holds an error, the ops built on the placeholder record nothing further.
func fail(g *graphs.Graph, err error) *graphs.Value {
	g.Fail(err)
	return graphs.Scalar(g, 0)
}

// check reports an error when s does not build in x's graph (x is not nil).
func (s Scope) check(x *graphs.Value, layer string) error {
	if s.G != x.Graph() {
		return fmt.Errorf("nn: %s %s: the scope's graph is not the input's graph", layer, s.Prefix)
	}
	return nil
}
