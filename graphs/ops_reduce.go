package graphs

import (
	"fmt"
	"math"
	"sort"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Reductions (ReduceSum, ReduceMean) and Softmax. In opset 17 ReduceSum takes its axes as an
// int64 input and ReduceMean as an attribute; the builder hides the difference.

func init() {
	for _, op := range []string{"ReduceSum", "ReduceMean"} {
		op := op
		states := []GradState{Differentiable}
		if op == "ReduceSum" {
			states = []GradState{Differentiable, NonDifferentiable}
		}
		register(&opDef{
			typ:    op,
			inputs: states,
			infer: func(n *Node) ([]outSpec, error) {
				x := n.Inputs[0]
				if !isFloat(x.dtype) && x.dtype != tensor.Int64 {
					return nil, fmt.Errorf("unsupported dtype %v", x.dtype)
				}
				axes, err := reduceAxes(n)
				if err != nil {
					return nil, err
				}
				return []outSpec{{dtype: x.dtype, shape: reducedShape(x.shape, axes, n.Attrs.Int("keepdims", 1) != 0)}}, nil
			},
			eval: func(n *Node, in []*array) ([]*array, error) {
				axes, err := reduceAxesRank(n, len(in[0].shape))
				if err != nil {
					return nil, err
				}
				return []*array{reduceArray(in[0], axes, n.Attrs.Int("keepdims", 1) != 0, op == "ReduceMean")}, nil
			},
			grad: func(n *Node, dys []*Value, need []bool) []*Value {
				x, dy := n.Inputs[0], dys[0]
				axes, _ := reduceAxes(n)
				if n.Attrs.Int("keepdims", 1) == 0 {
					dy = Unsqueeze(dy, axes)
				}
				if op == "ReduceMean" { // scale the small tensor, then expand
					count := 1
					for _, a := range axes {
						count *= x.shape[a]
					}
					if count > 0 {
						dy = Mul(dy, Scalar(x.g, float32(1/float64(count))))
					} else {
						dy = Div(dy, Cast(reduceCount(x, axes), tensor.Float32))
					}
				}
				return []*Value{Expand(dy, shapeOrConst(x)), nil}
			},
		})
	}
	register(&opDef{
		typ:    "Softmax",
		inputs: []GradState{Differentiable},
		infer: func(n *Node) ([]outSpec, error) {
			if err := errInputs(n, 1); err != nil {
				return nil, err
			}
			x := n.Inputs[0]
			if !isFloat(x.dtype) {
				return nil, fmt.Errorf("needs a float input")
			}
			if _, err := normAxis(n.Attrs.Int("axis", -1), len(x.shape)); err != nil {
				return nil, err
			}
			return []outSpec{{dtype: x.dtype, shape: x.shape.Clone()}}, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			x := in[0]
			ax, _ := normAxis(n.Attrs.Int("axis", -1), len(x.shape))
			mx := reduceArray(x, []int{ax}, true, false)
			for k := range mx.f { // max, not sum: recompute
				mx.f[k] = math.Inf(-1)
			}
			idx := broadcastIndex(x.shape, mx.shape)
			for k, v := range x.f {
				mx.f[idx[k]] = math.Max(mx.f[idx[k]], v)
			}
			out := newArray(x.dt, x.shape)
			for k, v := range x.f {
				out.f[k] = math.Exp(v - mx.f[idx[k]])
			}
			sum := reduceArray(out, []int{ax}, true, false)
			for k := range out.f {
				out.f[k] /= sum.f[idx[k]]
			}
			return []*array{out}, nil
		},
		grad: func(n *Node, dys []*Value, need []bool) []*Value {
			y, dy := n.Outputs[0], dys[0]
			ax, _ := normAxis(n.Attrs.Int("axis", -1), len(y.shape))
			s := ReduceSum(Mul(dy, y), []int{ax}, true)
			return []*Value{Mul(y, Sub(dy, s))}
		},
	})
}

func normAxis(a int64, rank int) (int, error) {
	if a < -int64(rank) || a >= int64(rank) {
		return 0, fmt.Errorf("axis %d out of range for rank %d", a, rank)
	}
	if a < 0 {
		a += int64(rank)
	}
	return int(a), nil
}

// reduceAxes returns the sorted, normalised axes of a reduction node (all axes when none given).
func reduceAxes(n *Node) ([]int, error) {
	return reduceAxesRank(n, len(n.Inputs[0].shape))
}

func reduceAxesRank(n *Node, rank int) ([]int, error) {
	var raw []int64
	if n.Op == "ReduceSum" {
		if len(n.Inputs) > 1 {
			v, ok := n.Inputs[1].KnownInts()
			if !ok {
				return nil, fmt.Errorf("axes must be known when the graph is built")
			}
			raw = v
		}
	} else {
		raw = n.Attrs.Ints("axes", nil)
	}
	if len(raw) == 0 {
		if n.Attrs.Int("noop_with_empty_axes", 0) != 0 {
			return nil, nil
		}
		all := make([]int, rank)
		for k := range all {
			all[k] = k
		}
		return all, nil
	}
	seen := map[int]bool{}
	var axes []int
	for _, a := range raw {
		k, err := normAxis(a, rank)
		if err != nil {
			return nil, err
		}
		if seen[k] {
			return nil, fmt.Errorf("axis %d repeated", a)
		}
		seen[k] = true
		axes = append(axes, k)
	}
	sort.Ints(axes)
	return axes, nil
}

func reducedShape(s tensor.Shape, axes []int, keep bool) tensor.Shape {
	red := map[int]bool{}
	for _, a := range axes {
		red[a] = true
	}
	var out tensor.Shape
	for k, d := range s {
		switch {
		case !red[k]:
			out = append(out, d)
		case keep:
			out = append(out, 1)
		}
	}
	if out == nil {
		out = tensor.Shape{}
	}
	return out
}

func reduceArray(x *array, axes []int, keep, mean bool) *array {
	keptShape := reducedShape(x.shape, axes, true)
	out := newArray(x.dt, keptShape)
	idx := broadcastIndex(x.shape, keptShape)
	if x.dt == tensor.Int64 {
		for k, v := range x.i {
			out.i[idx[k]] += v
		}
	} else {
		for k, v := range x.f {
			out.f[idx[k]] += v
		}
	}
	if mean && x.size() > 0 {
		cnt := float64(x.size()) / float64(out.size())
		for k := range out.f {
			out.f[k] /= cnt
		}
	}
	if !keep {
		out.shape = reducedShape(x.shape, axes, false)
	}
	return out
}

// reduceCount returns, at run time, the number of elements reduced over axes of x.
func reduceCount(x *Value, axes []int) *Value {
	sh := ShapeOf(x)
	var c *Value
	for _, a := range axes {
		d := Gather(sh, ConstInts(x.g, int64(a)), 0)
		if c == nil {
			c = d
		} else {
			c = Mul(c, d)
		}
	}
	return ReduceSum(c, nil, false)
}

// shapeOrConst returns x's shape as a constant when fully known, else as a Shape node.
func shapeOrConst(x *Value) *Value {
	if x.shape.Known() {
		return ConstInts(x.g, toInt64s(x.shape)...)
	}
	return ShapeOf(x)
}

// ReduceSum sums x over axes (all axes when empty), keeping reduced axes as size 1 if keepdims.
func ReduceSum(x *Value, axes []int, keepdims bool) *Value {
	if x == nil {
		return nil
	}
	inputs := []*Value{x}
	if len(axes) > 0 {
		inputs = append(inputs, ConstInts(x.g, toInt64s(axes)...))
	}
	return x.g.add1("ReduceSum", Attrs{"keepdims": boolInt(keepdims)}, inputs...)
}

// ReduceMean averages x over axes (all axes when empty).
func ReduceMean(x *Value, axes []int, keepdims bool) *Value {
	if x == nil {
		return nil
	}
	a := Attrs{"keepdims": boolInt(keepdims)}
	if len(axes) > 0 {
		a["axes"] = toInt64s(axes)
	}
	return x.g.add1("ReduceMean", a, x)
}

// Softmax normalises exp(x) along axis.
func Softmax(x *Value, axis int) *Value {
	if x == nil {
		return nil
	}
	return x.g.add1("Softmax", Attrs{"axis": int64(axis)}, x)
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func init() {
	register(&opDef{
		typ:    "ArgMin",
		inputs: []GradState{NonDifferentiable},
		infer: func(n *Node) ([]outSpec, error) {
			if err := errInputs(n, 1); err != nil {
				return nil, err
			}
			x := n.Inputs[0]
			if !isFloat(x.dtype) {
				return nil, fmt.Errorf("needs a float input")
			}
			ax, err := normAxis(n.Attrs.Int("axis", 0), len(x.shape))
			if err != nil {
				return nil, err
			}
			return []outSpec{{dtype: tensor.Int64, shape: reducedShape(x.shape, []int{ax}, n.Attrs.Int("keepdims", 1) != 0)}}, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			x := in[0]
			ax, _ := normAxis(n.Attrs.Int("axis", 0), len(x.shape))
			keep := n.Attrs.Int("keepdims", 1) != 0
			out := newArray(tensor.Int64, reducedShape(x.shape, []int{ax}, keep))
			best := make([]float64, out.size())
			for k := range best {
				best[k] = math.Inf(1)
			}
			idx := broadcastIndex(x.shape, reducedShape(x.shape, []int{ax}, true))
			inner := 1
			for _, d := range x.shape[ax+1:] {
				inner *= d
			}
			for k, v := range x.f {
				pos := int64((k / inner) % x.shape[ax])
				if v < best[idx[k]] { // first minimum wins, as ONNX's select_last_index = 0
					best[idx[k]], out.i[idx[k]] = v, pos
				}
			}
			return []*array{out}, nil
		},
	})
}

// ArgMin returns the int64 index of the smallest entry of x along axis (the first on ties).
func ArgMin(x *Value, axis int, keepdims bool) *Value {
	if x == nil {
		return nil
	}
	return x.g.add1("ArgMin", Attrs{"axis": int64(axis), "keepdims": boolInt(keepdims)}, x)
}
