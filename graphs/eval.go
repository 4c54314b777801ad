package graphs

import (
	"fmt"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// array is the reference evaluator's tensor: float values are held in float64 whatever their
// graph dtype, integers in int64, booleans as 0/1 in f.
type array struct {
	dt    tensor.DType
	shape []int
	f     []float64
	i     []int64
}

func newArray(dt tensor.DType, shape []int) *array {
	n := 1
	for _, d := range shape {
		n *= d
	}
	a := &array{dt: dt, shape: append([]int{}, shape...)}
	if dt == tensor.Int64 {
		a.i = make([]int64, n)
	} else {
		a.f = make([]float64, n)
	}
	return a
}

func (a *array) size() int {
	n := 1
	for _, d := range a.shape {
		n *= d
	}
	return n
}

// ints returns the array's elements as int64 (for shape-like inputs).
func (a *array) ints() []int64 {
	if a.dt == tensor.Int64 {
		return a.i
	}
	out := make([]int64, len(a.f))
	for k, v := range a.f {
		out[k] = int64(v)
	}
	return out
}

func arrayFromTensor(t *tensor.Tensor) (*array, error) {
	if err := t.Validate(); err != nil {
		return nil, err
	}
	switch t.DType {
	case tensor.Int64:
		return &array{dt: tensor.Int64, shape: append([]int{}, t.Shape...), i: append([]int64{}, t.Int64...)}, nil
	default:
		return &array{dt: tensor.Float32, shape: append([]int{}, t.Shape...), f: t.AsFloat64()}, nil
	}
}

func (a *array) tensor() *tensor.Tensor {
	if a.dt == tensor.Int64 {
		return tensor.FromInt64(append([]int64{}, a.i...), a.shape...)
	}
	return tensor.FromFloat64(append([]float64{}, a.f...), a.shape...)
}

// Evaluate computes the given values with the pure-Go float64 reference evaluator. feeds maps
// input names (and, optionally, param names, overriding their initial values) to tensors.
// Float results come back as Float64 tensors, integer ones as Int64. It is slow and meant for
// tests and cross-checks, not for training.
func Evaluate(feeds map[string]*tensor.Tensor, outs ...*Value) ([]*tensor.Tensor, error) {
	g := graphOf(outs...)
	if g == nil {
		return nil, fmt.Errorf("graphs: evaluate: no outputs")
	}
	if g.err != nil {
		return nil, g.err
	}
	live := liveNodes(g, outs)
	vals := map[*Value]*array{}
	for _, n := range g.nodes {
		if !live[n] {
			continue
		}
		var res []*array
		switch n.Op {
		case "Input", "Param":
			name := n.Attrs.String("name", "")
			t, ok := feeds[name]
			if !ok && n.Op == "Param" {
				t = n.Attrs.Tensor("value")
			}
			if t == nil {
				return nil, fmt.Errorf("graphs: evaluate: no value fed for input %q", name)
			}
			a, err := arrayFromTensor(t)
			if err != nil {
				return nil, fmt.Errorf("graphs: evaluate: input %q: %w", name, err)
			}
			if err := checkFeedShape(n.Outputs[0], a); err != nil {
				return nil, fmt.Errorf("graphs: evaluate: input %q: %w", name, err)
			}
			res = []*array{a}
		default:
			in := make([]*array, len(n.Inputs))
			for k, v := range n.Inputs {
				in[k] = vals[v]
			}
			var err error
			res, err = safeEval(registry[n.Op], n, in)
			if err != nil {
				return nil, fmt.Errorf("graphs: evaluate %s#%d (%s): %w", n.Op, n.id, n.Site, err)
			}
		}
		for k, o := range n.Outputs {
			if o.dtype != tensor.Int64 && res[k].dt != tensor.Int64 {
				res[k].dt = o.dtype
			}
			vals[o] = res[k]
		}
	}
	out := make([]*tensor.Tensor, len(outs))
	for k, v := range outs {
		out[k] = vals[v].tensor()
	}
	return out, nil
}

func checkFeedShape(v *Value, a *array) error {
	if len(v.shape) != len(a.shape) {
		return fmt.Errorf("rank %d, graph expects shape %v", len(a.shape), v.shape)
	}
	for k, d := range v.shape {
		if d >= 0 && d != a.shape[k] {
			return fmt.Errorf("shape %v, graph expects %v", a.shape, v.shape)
		}
	}
	if (v.dtype == tensor.Int64) != (a.dt == tensor.Int64) {
		return fmt.Errorf("dtype mismatch: graph expects %v", v.dtype)
	}
	return nil
}

func safeEval(d *opDef, n *Node, in []*array) (out []*array, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v", r)
		}
	}()
	if d.eval == nil {
		return nil, fmt.Errorf("no reference evaluation")
	}
	return d.eval(n, in)
}

// liveNodes marks the nodes that the given values depend on.
func liveNodes(g *Graph, outs []*Value) map[*Node]bool {
	live := map[*Node]bool{}
	for _, v := range outs {
		live[v.node] = true
	}
	for k := len(g.nodes) - 1; k >= 0; k-- {
		n := g.nodes[k]
		if !live[n] {
			continue
		}
		for _, in := range n.Inputs {
			live[in.node] = true
		}
	}
	return live
}

// LiveNodes returns, in topological order, the nodes needed to compute outs.
func LiveNodes(outs ...*Value) []*Node {
	g := graphOf(outs...)
	if g == nil {
		return nil
	}
	live := liveNodes(g, outs)
	var res []*Node
	for _, n := range g.nodes {
		if live[n] {
			res = append(res, n)
		}
	}
	return res
}

// broadcastShapes returns the numpy-style broadcast of static shapes (unknown dims allowed).
func broadcastShapes(shapes ...tensor.Shape) (tensor.Shape, error) {
	rank := 0
	for _, s := range shapes {
		if len(s) > rank {
			rank = len(s)
		}
	}
	out := make(tensor.Shape, rank)
	for k := range out {
		out[k] = 1
	}
	for _, s := range shapes {
		off := rank - len(s)
		for k, d := range s {
			o := out[off+k]
			switch {
			case d == 1:
			case o == 1:
				out[off+k] = d
			case d < 0 && o < 0:
			case d < 0:
				// unknown against known: the known size wins (the unknown must equal it or be 1)
			case o < 0:
				out[off+k] = d
			case d != o:
				return nil, fmt.Errorf("shapes %v cannot broadcast (axis %d: %d vs %d)", shapes, off+k, o, d)
			}
		}
	}
	return out, nil
}

// broadcastIndex maps each flat index of the output shape to the flat index of an input of
// shape in (numpy broadcasting).
func broadcastIndex(out, in []int) []int {
	n := 1
	for _, d := range out {
		n *= d
	}
	idx := make([]int, n)
	rank := len(out)
	off := rank - len(in)
	strides := make([]int, rank)
	s := 1
	for k := len(in) - 1; k >= 0; k-- {
		if in[k] != 1 {
			strides[off+k] = s
		}
		s *= in[k]
	}
	coord := make([]int, rank)
	for f := 0; f < n; f++ {
		p := 0
		for k := 0; k < rank; k++ {
			p += coord[k] * strides[k]
		}
		idx[f] = p
		for k := rank - 1; k >= 0; k-- {
			coord[k]++
			if coord[k] < out[k] {
				break
			}
			coord[k] = 0
		}
	}
	return idx
}

func broadcastArrays(in []*array) ([]int, error) {
	shapes := make([]tensor.Shape, len(in))
	for k, a := range in {
		shapes[k] = a.shape
	}
	s, err := broadcastShapes(shapes...)
	return s, err
}
