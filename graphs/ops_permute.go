package graphs

import (
	"fmt"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Permutation ops: Transpose, Flatten and Split. They move data without arithmetic; their
// gradients move it back (the inverse permutation, a reshape, a concatenation).

func init() {
	register(&opDef{
		typ:    "Transpose",
		inputs: []GradState{Differentiable},
		infer: func(n *Node) ([]outSpec, error) {
			if err := errInputs(n, 1); err != nil {
				return nil, err
			}
			x := n.Inputs[0]
			perm, err := transposePerm(n, len(x.shape))
			if err != nil {
				return nil, err
			}
			out := make(tensor.Shape, len(perm))
			for k, p := range perm {
				out[k] = x.shape[p]
			}
			return []outSpec{{dtype: x.dtype, shape: out}}, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			perm, err := transposePerm(n, len(in[0].shape))
			if err != nil {
				return nil, err
			}
			return []*array{transposeArray(in[0], perm)}, nil
		},
		grad: func(n *Node, dys []*Value, need []bool) []*Value {
			perm, _ := transposePerm(n, len(n.Inputs[0].shape))
			inv := make([]int, len(perm))
			for k, p := range perm {
				inv[p] = k
			}
			return []*Value{Transpose(dys[0], inv...)}
		},
	})
	register(&opDef{
		typ:    "Flatten",
		inputs: []GradState{Differentiable},
		infer: func(n *Node) ([]outSpec, error) {
			if err := errInputs(n, 1); err != nil {
				return nil, err
			}
			x := n.Inputs[0]
			ax, err := flattenAxis(n, len(x.shape))
			if err != nil {
				return nil, err
			}
			return []outSpec{{dtype: x.dtype, shape: tensor.Shape{x.shape[:ax].Size(), x.shape[ax:].Size()}}}, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			x := in[0]
			ax, err := flattenAxis(n, len(x.shape))
			if err != nil {
				return nil, err
			}
			out := *x
			out.shape = []int{tensor.Shape(x.shape[:ax]).Size(), tensor.Shape(x.shape[ax:]).Size()}
			return []*array{&out}, nil
		},
		grad: func(n *Node, dys []*Value, need []bool) []*Value {
			return []*Value{Reshape(dys[0], shapeOrConst(n.Inputs[0]))}
		},
	})
	register(&opDef{
		typ:    "Split",
		inputs: []GradState{Differentiable, NonDifferentiable},
		numOutputs: func(n *Node) int {
			// The number of outputs is the length of the split-sizes input; the shape rule
			// reports a missing or malformed one.
			if len(n.Inputs) == 2 && n.Inputs[1] != nil && len(n.Inputs[1].shape) == 1 && n.Inputs[1].shape[0] > 0 {
				return n.Inputs[1].shape[0]
			}
			return 1
		},
		infer: func(n *Node) ([]outSpec, error) {
			if len(n.Inputs) != 2 {
				return nil, fmt.Errorf("needs the input and the int64 split sizes, got %d inputs", len(n.Inputs))
			}
			x, sp := n.Inputs[0], n.Inputs[1]
			if sp.dtype != tensor.Int64 || len(sp.shape) != 1 || sp.shape[0] <= 0 {
				return nil, fmt.Errorf("split sizes must be a non-empty 1-D int64 vector, got %v%v", sp.dtype, sp.shape)
			}
			sizes, ok := sp.KnownInts()
			if !ok {
				return nil, fmt.Errorf("split sizes must be known when the graph is built")
			}
			ax, err := normAxis(n.Attrs.Int("axis", 0), len(x.shape))
			if err != nil {
				return nil, err
			}
			total := int64(0)
			for _, s := range sizes {
				if s < 0 {
					return nil, fmt.Errorf("negative split size in %v", sizes)
				}
				total += s
			}
			if d := x.shape[ax]; d >= 0 && int64(d) != total {
				return nil, fmt.Errorf("split sizes %v sum to %d, but axis %d has length %d", sizes, total, ax, d)
			}
			specs := make([]outSpec, len(sizes))
			for k, s := range sizes {
				sh := x.shape.Clone()
				sh[ax] = int(s)
				specs[k] = outSpec{dtype: x.dtype, shape: sh}
			}
			return specs, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			x, sizes := in[0], in[1].ints()
			ax, err := normAxis(n.Attrs.Int("axis", 0), len(x.shape))
			if err != nil {
				return nil, err
			}
			total := int64(0)
			for _, s := range sizes {
				total += s
			}
			if total != int64(x.shape[ax]) {
				return nil, fmt.Errorf("split sizes %v sum to %d, but axis %d has length %d", sizes, total, ax, x.shape[ax])
			}
			outer := tensor.Shape(x.shape[:ax]).Size()
			inner := tensor.Shape(x.shape[ax+1:]).Size()
			outs := make([]*array, len(sizes))
			start := 0
			for k, s := range sizes {
				sh := append([]int{}, x.shape...)
				sh[ax] = int(s)
				o := newArray(x.dt, sh)
				chunk := int(s) * inner
				for r := 0; r < outer; r++ {
					src := (r*x.shape[ax] + start) * inner
					if x.dt == tensor.Int64 {
						copy(o.i[r*chunk:(r+1)*chunk], x.i[src:src+chunk])
					} else {
						copy(o.f[r*chunk:(r+1)*chunk], x.f[src:src+chunk])
					}
				}
				outs[k] = o
				start += int(s)
			}
			return outs, nil
		},
		grad: func(n *Node, dys []*Value, need []bool) []*Value {
			ax, _ := normAxis(n.Attrs.Int("axis", 0), len(n.Inputs[0].shape))
			pieces := make([]*Value, len(dys))
			for k, dy := range dys {
				if dy == nil {
					// An output that gets no gradient contributes zeros of its own shape.
					dy = ZerosLike(n.Outputs[k])
				}
				pieces[k] = dy
			}
			return []*Value{Concat(pieces, ax), nil}
		},
	})
}

// transposePerm returns a Transpose node's permutation (reversed axes when absent), checked
// against the input rank.
func transposePerm(n *Node, rank int) ([]int, error) {
	raw := n.Attrs.Ints("perm", nil)
	if raw == nil {
		perm := make([]int, rank)
		for k := range perm {
			perm[k] = rank - 1 - k
		}
		return perm, nil
	}
	if len(raw) != rank {
		return nil, fmt.Errorf("perm %v has %d entries for an input of rank %d", raw, len(raw), rank)
	}
	perm := make([]int, rank)
	seen := make([]bool, rank)
	for k, p := range raw {
		if p < 0 || p >= int64(rank) || seen[p] {
			return nil, fmt.Errorf("perm %v is not a permutation of 0..%d", raw, rank-1)
		}
		seen[p] = true
		perm[k] = int(p)
	}
	return perm, nil
}

// flattenAxis returns a Flatten node's axis in [0, rank].
func flattenAxis(n *Node, rank int) (int, error) {
	a := n.Attrs.Int("axis", 1)
	if a < -int64(rank) || a > int64(rank) {
		return 0, fmt.Errorf("axis %d out of range [%d, %d] for rank %d", a, -rank, rank, rank)
	}
	if a < 0 {
		a += int64(rank)
	}
	return int(a), nil
}

// rowMajorStrides returns the element strides of a dense row-major array of the given shape.
func rowMajorStrides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for k := len(shape) - 1; k >= 0; k-- {
		st[k] = s
		s *= shape[k]
	}
	return st
}

// nextIndex advances the multi-index idx over shape in row-major order and reports whether it
// wrapped around past the last element.
func nextIndex(idx, shape []int) bool {
	for k := len(shape) - 1; k >= 0; k-- {
		idx[k]++
		if idx[k] < shape[k] {
			return false
		}
		idx[k] = 0
	}
	return true
}

// transposeArray returns x with its axes permuted: output axis k is input axis perm[k].
func transposeArray(x *array, perm []int) *array {
	shape := make([]int, len(perm))
	for k, p := range perm {
		shape[k] = x.shape[p]
	}
	out := newArray(x.dt, shape)
	if out.size() == 0 {
		return out
	}
	inStr := rowMajorStrides(x.shape)
	src := make([]int, len(perm)) // input stride of each output axis
	for k, p := range perm {
		src[k] = inStr[p]
	}
	idx := make([]int, len(shape))
	for f := 0; f < out.size(); f++ {
		p := 0
		for k, c := range idx {
			p += c * src[k]
		}
		if x.dt == tensor.Int64 {
			out.i[f] = x.i[p]
		} else {
			out.f[f] = x.f[p]
		}
		nextIndex(idx, shape)
	}
	return out
}

// Transpose permutes the axes of x: output axis k is input axis perm[k]. With no perm the axes
// are reversed.
func Transpose(x *Value, perm ...int) *Value {
	if x == nil {
		return nil
	}
	var a Attrs
	if len(perm) > 0 {
		a = Attrs{"perm": toInt64s(perm)}
	}
	return x.g.add1("Transpose", a, x)
}

// Flatten reshapes x to 2-D: the axes before axis form the rows and the rest the columns
// (ONNX Flatten; axis may be negative, and 0 gives a single row).
func Flatten(x *Value, axis int) *Value {
	if x == nil {
		return nil
	}
	return x.g.add1("Flatten", Attrs{"axis": int64(axis)}, x)
}

// Split cuts x along axis into consecutive pieces of the given sizes, which must sum to the
// axis length. It is one node with one output per piece (the sizes travel as an int64 input,
// as in ONNX opset 13 and later). A nil x gives nil pieces.
func Split(x *Value, axis int, sizes ...int) []*Value {
	if x == nil {
		return make([]*Value, len(sizes))
	}
	if len(sizes) == 0 {
		x.g.fail(fmt.Errorf("Split: needs at least one piece size"))
		return nil
	}
	return x.g.add("Split", Attrs{"axis": int64(axis)}, x, ConstInts(x.g, toInt64s(sizes)...))
}
