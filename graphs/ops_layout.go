package graphs

import (
	"fmt"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Layout ops: Concat (and, in this file, the other ops that move data without arithmetic).

func init() {
	register(&opDef{
		typ:    "Concat",
		inputs: []GradState{Differentiable},
		infer: func(n *Node) ([]outSpec, error) {
			if len(n.Inputs) == 0 {
				return nil, fmt.Errorf("needs at least one input")
			}
			first := n.Inputs[0]
			ax, err := normAxis(n.Attrs.Int("axis", 0), len(first.shape))
			if err != nil {
				return nil, err
			}
			out := first.shape.Clone()
			out[ax] = 0
			for _, v := range n.Inputs {
				if v.dtype != first.dtype || len(v.shape) != len(first.shape) {
					return nil, fmt.Errorf("inputs differ in dtype or rank: %v%v vs %v%v", first.dtype, first.shape, v.dtype, v.shape)
				}
				for k, d := range v.shape {
					if k == ax {
						if d < 0 || out[ax] < 0 {
							out[ax] = -1
						} else {
							out[ax] += d
						}
					} else if d >= 0 && out[k] >= 0 && d != out[k] {
						return nil, fmt.Errorf("axis %d sizes differ: %d vs %d", k, out[k], d)
					} else if out[k] < 0 {
						out[k] = d
					}
				}
			}
			spec := outSpec{dtype: first.dtype, shape: out}
			if first.dtype == tensor.Int64 && len(out) == 1 {
				for _, v := range n.Inputs {
					if v.ints == nil || len(v.shape) != 1 || v.shape[0] < 0 {
						spec.ints, spec.intsOK = nil, nil
						break
					}
					spec.ints = append(spec.ints, v.ints...)
					spec.intsOK = append(spec.intsOK, v.intsOK...)
				}
			}
			return []outSpec{spec}, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			ax, _ := normAxis(n.Attrs.Int("axis", 0), len(in[0].shape))
			s := append([]int{}, in[0].shape...)
			s[ax] = 0
			for _, a := range in {
				s[ax] += a.shape[ax]
			}
			out := newArray(in[0].dt, s)
			outer := 1
			for _, d := range s[:ax] {
				outer *= d
			}
			p := 0
			for o := 0; o < outer; o++ {
				for _, a := range in {
					chunk := a.size() / outer
					if a.dt == tensor.Int64 {
						copy(out.i[p:], a.i[o*chunk:(o+1)*chunk])
					} else {
						copy(out.f[p:], a.f[o*chunk:(o+1)*chunk])
					}
					p += chunk
				}
			}
			return []*array{out}, nil
		},
		grad: func(n *Node, dys []*Value, need []bool) []*Value {
			ax, _ := normAxis(n.Attrs.Int("axis", 0), len(n.Outputs[0].shape))
			out := make([]*Value, len(n.Inputs))
			// Slice the output gradient back into the inputs' pieces; offsets are run-time
			// values when a piece's size along the axis is unknown.
			g := n.Outputs[0].g
			var start *Value = ConstInts(g, 0)
			for k, in := range n.Inputs {
				var size *Value
				if d := in.shape[ax]; d >= 0 {
					size = ConstInts(g, int64(d))
				} else {
					size = Gather(ShapeOf(in), ConstInts(g, int64(ax)), 0)
				}
				end := Add(start, size)
				if need[k] {
					out[k] = Slice(dys[0], start, end, ConstInts(g, int64(ax)), nil)
				}
				start = end
			}
			return out
		},
	})
}

// Concat joins values along axis.
func Concat(vs []*Value, axis int) *Value {
	g := graphOf(vs...)
	if g == nil {
		return nil
	}
	return g.add1("Concat", Attrs{"axis": int64(axis)}, vs...)
}

func init() {
	register(&opDef{
		typ:    "Slice",
		inputs: []GradState{Differentiable, NonDifferentiable},
		infer: func(n *Node) ([]outSpec, error) {
			if err := errInputs(n, 3, 4, 5); err != nil {
				return nil, err
			}
			x := n.Inputs[0]
			for k, v := range n.Inputs[1:] {
				if v.dtype != tensor.Int64 || len(v.shape) != 1 || v.shape[0] != n.Inputs[1].shape[0] {
					return nil, fmt.Errorf("starts, ends, axes and steps must be 1-D int64 of one length; input %d is %v%v", k+1, v.dtype, v.shape)
				}
			}
			out := x.shape.Clone()
			axes, starts, ends, steps, known := sliceParams(n)
			for k, ax := range axes {
				a, err := normAxis(ax, len(x.shape))
				if err != nil {
					return nil, err
				}
				if !known[k] || x.shape[a] < 0 {
					out[a] = -1
					continue
				}
				b, e := clampSlice(starts[k], ends[k], steps[k], x.shape[a])
				out[a] = sliceLen(b, e, steps[k])
			}
			if axes == nil {
				for k := range out {
					out[k] = -1
				}
			}
			spec := outSpec{dtype: x.dtype, shape: out}
			if x.ints != nil && len(axes) == 1 && known[0] && steps[0] == 1 && out[0] >= 0 {
				b, _ := clampSlice(starts[0], ends[0], 1, len(x.ints))
				spec.ints, spec.intsOK = x.ints[b:b+out[0]], x.intsOK[b:b+out[0]]
			}
			return []outSpec{spec}, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			x := in[0]
			rank := len(x.shape)
			starts, ends := in[1].ints(), in[2].ints()
			axes := make([]int64, len(starts))
			for k := range axes {
				axes[k] = int64(k)
			}
			if len(in) > 3 && in[3] != nil {
				axes = in[3].ints()
			}
			steps := make([]int64, len(starts))
			for k := range steps {
				steps[k] = 1
			}
			if len(in) > 4 && in[4] != nil {
				steps = in[4].ints()
			}
			b, st := make([]int, rank), make([]int, rank)
			out := append([]int{}, x.shape...)
			for k := range st {
				st[k] = 1
			}
			for k, ax := range axes {
				a, err := normAxis(ax, rank)
				if err != nil {
					return nil, err
				}
				if steps[k] == 0 {
					return nil, fmt.Errorf("step 0")
				}
				bb, e := clampSlice(starts[k], ends[k], steps[k], x.shape[a])
				b[a], st[a], out[a] = bb, int(steps[k]), sliceLen(bb, e, steps[k])
			}
			res := newArray(x.dt, out)
			strides := make([]int, rank)
			s := 1
			for k := rank - 1; k >= 0; k-- {
				strides[k] = s
				s *= x.shape[k]
			}
			coord := make([]int, rank)
			for f := 0; f < res.size(); f++ {
				p := 0
				for k := range coord {
					p += (b[k] + coord[k]*st[k]) * strides[k]
				}
				if x.dt == tensor.Int64 {
					res.i[f] = x.i[p]
				} else {
					res.f[f] = x.f[p]
				}
				for k := rank - 1; k >= 0; k-- {
					coord[k]++
					if coord[k] < out[k] {
						break
					}
					coord[k] = 0
				}
			}
			return []*array{res}, nil
		},
		grad: func(n *Node, dys []*Value, need []bool) []*Value {
			x := n.Inputs[0]
			g := x.g
			axes, starts, ends, steps, known := sliceParams(n)
			rank := len(x.shape)
			before := make([]*Value, rank)
			after := make([]*Value, rank)
			zero := ConstInts(g, 0)
			for k := range before {
				before[k], after[k] = zero, zero
			}
			if fullReversal(x, axes, starts, ends, steps, known) {
				// Reversing whole axes is its own inverse: the gradient reverses them back.
				return []*Value{Slice(dys[0], n.Inputs[1], n.Inputs[2], n.Inputs[3], n.Inputs[4]), nil, nil, nil, nil}
			}
			for k, ax := range axes {
				a, _ := normAxis(ax, rank)
				if known[k] && steps[k] != 1 {
					g.fail(fmt.Errorf("Slice#%d: gradient needs step 1, got %d", n.id, steps[k]))
					return []*Value{ZerosLike(x)}
				}
				if known[k] && x.shape[a] >= 0 {
					b, e := clampSlice(starts[k], ends[k], 1, x.shape[a])
					before[a] = ConstInts(g, int64(b))
					after[a] = ConstInts(g, int64(x.shape[a]-e))
					continue
				}
				// Run-time bounds: assumed non-negative and within the axis (as Concat's
				// gradient produces them).
				dim := Gather(ShapeOf(x), ConstInts(g, int64(a)), 0)
				st := Slice(n.Inputs[1], ConstInts(g, int64(k)), ConstInts(g, int64(k+1)), nil, nil)
				en := Slice(n.Inputs[2], ConstInts(g, int64(k)), ConstInts(g, int64(k+1)), nil, nil)
				before[a], after[a] = st, Sub(dim, en)
			}
			pads := Concat(append(before, after...), 0)
			return []*Value{Pad(dys[0], pads), nil, nil, nil, nil}
		},
	})
	register(&opDef{
		typ:    "Pad",
		inputs: []GradState{Differentiable, NonDifferentiable, NonDifferentiable},
		infer: func(n *Node) ([]outSpec, error) {
			if err := errInputs(n, 2); err != nil {
				return nil, err
			}
			if m := n.Attrs.String("mode", "constant"); m != "constant" {
				return nil, fmt.Errorf("only constant padding is supported, got %q", m)
			}
			x, p := n.Inputs[0], n.Inputs[1]
			rank := len(x.shape)
			if p.dtype != tensor.Int64 || len(p.shape) != 1 || p.shape[0] != 2*rank {
				return nil, fmt.Errorf("pads must be int64 of length %d", 2*rank)
			}
			out := x.shape.Clone()
			for k := range out {
				if p.ints == nil || !p.intsOK[k] || !p.intsOK[k+rank] || out[k] < 0 {
					out[k] = -1
				} else {
					out[k] += int(p.ints[k] + p.ints[k+rank])
				}
			}
			return []outSpec{{dtype: x.dtype, shape: out}}, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			x, pads := in[0], in[1].ints()
			rank := len(x.shape)
			out := append([]int{}, x.shape...)
			for k := range out {
				if pads[k] < 0 || pads[k+rank] < 0 {
					return nil, fmt.Errorf("negative pads are not supported")
				}
				out[k] += int(pads[k] + pads[k+rank])
			}
			res := newArray(x.dt, out)
			coord := make([]int, rank)
			ostr := make([]int, rank)
			s := 1
			for k := rank - 1; k >= 0; k-- {
				ostr[k] = s
				s *= out[k]
			}
			for f := 0; f < x.size(); f++ {
				p := 0
				for k := range coord {
					p += (coord[k] + int(pads[k])) * ostr[k]
				}
				if x.dt == tensor.Int64 {
					res.i[p] = x.i[f]
				} else {
					res.f[p] = x.f[f]
				}
				for k := rank - 1; k >= 0; k-- {
					coord[k]++
					if coord[k] < x.shape[k] {
						break
					}
					coord[k] = 0
				}
			}
			return []*array{res}, nil
		},
		grad: func(n *Node, dys []*Value, need []bool) []*Value {
			x, pads := n.Inputs[0], n.Inputs[1]
			g := x.g
			rank := len(x.shape)
			starts := Slice(pads, ConstInts(g, 0), ConstInts(g, int64(rank)), nil, nil)
			ends := Add(starts, shapeOrConst(x))
			axes := make([]int64, rank)
			for k := range axes {
				axes[k] = int64(k)
			}
			return []*Value{Slice(dys[0], starts, ends, ConstInts(g, axes...), nil), nil}
		},
	})
}

// fullReversal reports whether a Slice reverses every axis it touches end to end (step -1 over
// the whole, statically known axis).
func fullReversal(x *Value, axes, starts, ends, steps []int64, known []bool) bool {
	if len(axes) == 0 {
		return false
	}
	for k, ax := range axes {
		a, err := normAxis(ax, len(x.shape))
		if err != nil || !known[k] || steps[k] != -1 || x.shape[a] < 0 {
			return false
		}
		b, e := clampSlice(starts[k], ends[k], -1, x.shape[a])
		if b != x.shape[a]-1 || e != -1 {
			return false
		}
	}
	return true
}

// sliceParams returns a Slice node's axes, starts, ends and steps when known at build time.
func sliceParams(n *Node) (axes, starts, ends, steps []int64, known []bool) {
	st, okS := n.Inputs[1].KnownInts()
	en, okE := n.Inputs[2].KnownInts()
	cnt := n.Inputs[1].shape[0]
	if cnt < 0 {
		return nil, nil, nil, nil, nil
	}
	axes = make([]int64, cnt)
	for k := range axes {
		axes[k] = int64(k)
	}
	if len(n.Inputs) > 3 {
		a, ok := n.Inputs[3].KnownInts()
		if !ok {
			return nil, nil, nil, nil, nil
		}
		axes = a
	}
	steps = make([]int64, cnt)
	for k := range steps {
		steps[k] = 1
	}
	if len(n.Inputs) > 4 {
		s, ok := n.Inputs[4].KnownInts()
		if !ok {
			return nil, nil, nil, nil, nil
		}
		steps = s
	}
	known = make([]bool, cnt)
	for k := range known {
		known[k] = okS && okE
	}
	if st == nil {
		st = make([]int64, cnt)
	}
	if en == nil {
		en = make([]int64, cnt)
	}
	return axes, st, en, steps, known
}

// clampSlice applies ONNX Slice rules to one axis of size dim.
func clampSlice(start, end, step int64, dim int) (int, int) {
	d := int64(dim)
	if start < 0 {
		start += d
	}
	if end < 0 {
		end += d
	}
	if step > 0 {
		start = min(max(start, 0), d)
		end = min(max(end, 0), d)
	} else {
		start = min(max(start, 0), d-1)
		end = min(max(end, -1), d-1)
	}
	return int(start), int(end)
}

func sliceLen(b, e int, step int64) int {
	if step > 0 {
		if e <= b {
			return 0
		}
		return (e - b + int(step) - 1) / int(step)
	}
	if b <= e {
		return 0
	}
	s := int(-step)
	return (b - e + s - 1) / s
}

// Slice takes x[starts:ends:steps] along axes (int64 vectors; axes and steps may be nil for
// all axes and unit steps). Its gradient needs unit steps.
func Slice(x, starts, ends, axes, steps *Value) *Value {
	g := graphOf(x, starts, ends)
	if g == nil {
		return nil
	}
	in := []*Value{x, starts, ends}
	if axes != nil || steps != nil {
		if axes == nil {
			g.fail(fmt.Errorf("Slice: steps given without axes"))
		}
		in = append(in, axes)
	}
	if steps != nil {
		in = append(in, steps)
	}
	return g.add1("Slice", nil, in...)
}

// SliceAxis is Slice with constant bounds on one axis.
func SliceAxis(x *Value, axis, start, end int) *Value {
	if x == nil {
		return nil
	}
	g := x.g
	return Slice(x, ConstInts(g, int64(start)), ConstInts(g, int64(end)), ConstInts(g, int64(axis)), nil)
}

// Pad pads x with zeros; pads holds [begin_0..begin_r-1, end_0..end_r-1] (int64).
func Pad(x, pads *Value) *Value {
	g := graphOf(x, pads)
	if g == nil {
		return nil
	}
	return g.add1("Pad", Attrs{"mode": "constant"}, x, pads)
}
