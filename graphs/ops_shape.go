package graphs

import (
	"fmt"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Shape-only ops: Shape, Reshape, ConstantOfShape, Expand, Unsqueeze, Squeeze, Gather, Cast.
// Shape-valued int64 vectors carry their build-time contents (Value.KnownInts) so that static
// shapes survive the Shape -> Gather -> Concat -> Reshape chains that exporters emit.

func init() {
	register(&opDef{
		typ:    "Shape",
		inputs: []GradState{NonDifferentiable},
		infer: func(n *Node) ([]outSpec, error) {
			x := n.Inputs[0]
			ints, ok := make([]int64, len(x.shape)), make([]bool, len(x.shape))
			for k, d := range x.shape {
				ints[k], ok[k] = int64(d), d >= 0
			}
			return []outSpec{{dtype: tensor.Int64, shape: tensor.Shape{len(x.shape)}, ints: ints, intsOK: ok}}, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			out := newArray(tensor.Int64, []int{len(in[0].shape)})
			for k, d := range in[0].shape {
				out.i[k] = int64(d)
			}
			return []*array{out}, nil
		},
	})
	register(&opDef{
		typ:    "Reshape",
		inputs: []GradState{Differentiable, NonDifferentiable},
		infer: func(n *Node) ([]outSpec, error) {
			if err := errInputs(n, 2); err != nil {
				return nil, err
			}
			x, sh := n.Inputs[0], n.Inputs[1]
			if sh.dtype != tensor.Int64 || len(sh.shape) != 1 || sh.shape[0] < 0 {
				return nil, fmt.Errorf("shape input must be a 1-D int64 of known length, got %v%v", sh.dtype, sh.shape)
			}
			out, err := reshapeTarget(x.shape, sh.ints, sh.intsOK, sh.shape[0])
			if err != nil {
				return nil, err
			}
			spec := outSpec{dtype: x.dtype, shape: out}
			if len(out) <= 1 && x.ints != nil {
				spec.ints, spec.intsOK = x.ints, x.intsOK
			}
			return []outSpec{spec}, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			target := in[1].ints()
			known := make([]bool, len(target))
			for k := range known {
				known[k] = true
			}
			s, err := reshapeTarget(in[0].shape, target, known, len(target))
			if err != nil {
				return nil, err
			}
			if s.Size() != in[0].size() {
				return nil, fmt.Errorf("cannot reshape %v to %v", in[0].shape, target)
			}
			out := *in[0]
			out.shape = s
			return []*array{&out}, nil
		},
		grad: func(n *Node, dys []*Value, need []bool) []*Value {
			return []*Value{Reshape(dys[0], shapeOrConst(n.Inputs[0])), nil}
		},
	})
	register(&opDef{
		typ:    "ConstantOfShape",
		inputs: []GradState{NonDifferentiable},
		infer: func(n *Node) ([]outSpec, error) {
			sh := n.Inputs[0]
			if sh.dtype != tensor.Int64 || len(sh.shape) != 1 || sh.shape[0] < 0 {
				return nil, fmt.Errorf("shape input must be a 1-D int64 of known length")
			}
			dt := tensor.Float32
			if t := n.Attrs.Tensor("value"); t != nil {
				dt = t.DType
			}
			return []outSpec{{dtype: dt, shape: intsAsShape(sh, sh.shape[0])}}, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			s := toInts(in[0].ints())
			t := n.Attrs.Tensor("value")
			dt := tensor.Float32
			if t != nil {
				dt = t.DType
			}
			out := newArray(dt, s)
			if t != nil {
				v, err := arrayFromTensor(t)
				if err != nil {
					return nil, err
				}
				for k := range out.f {
					out.f[k] = v.f[0]
				}
				for k := range out.i {
					out.i[k] = v.i[0]
				}
			}
			return []*array{out}, nil
		},
	})
	register(&opDef{
		typ:    "Expand",
		inputs: []GradState{Differentiable, NonDifferentiable},
		infer: func(n *Node) ([]outSpec, error) {
			if err := errInputs(n, 2); err != nil {
				return nil, err
			}
			x, sh := n.Inputs[0], n.Inputs[1]
			if sh.dtype != tensor.Int64 || len(sh.shape) != 1 || sh.shape[0] < 0 {
				return nil, fmt.Errorf("shape input must be a 1-D int64 of known length")
			}
			s, err := broadcastShapes(x.shape, intsAsShape(sh, sh.shape[0]))
			return []outSpec{{dtype: x.dtype, shape: s}}, err
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			s, err := broadcastShapes(in[0].shape, toInts(in[1].ints()))
			if err != nil {
				return nil, err
			}
			idx := broadcastIndex(s, in[0].shape)
			out := newArray(in[0].dt, s)
			for k, j := range idx {
				if out.dt == tensor.Int64 {
					out.i[k] = in[0].i[j]
				} else {
					out.f[k] = in[0].f[j]
				}
			}
			return []*array{out}, nil
		},
		grad: func(n *Node, dys []*Value, need []bool) []*Value {
			return []*Value{dys[0], nil} // summed back to the input's shape centrally
		},
	})
	for _, op := range []string{"Unsqueeze", "Squeeze"} {
		op := op
		register(&opDef{
			typ:    op,
			inputs: []GradState{Differentiable, NonDifferentiable},
			infer: func(n *Node) ([]outSpec, error) {
				x := n.Inputs[0]
				s, err := squeezeShape(op, x.shape, n)
				if err != nil {
					return nil, err
				}
				spec := outSpec{dtype: x.dtype, shape: s}
				if len(s) <= 1 && x.ints != nil {
					spec.ints, spec.intsOK = x.ints, x.intsOK
				}
				return []outSpec{spec}, nil
			},
			eval: func(n *Node, in []*array) ([]*array, error) {
				s, err := squeezeShape(op, in[0].shape, n)
				if err != nil {
					return nil, err
				}
				out := *in[0]
				out.shape = s
				return []*array{&out}, nil
			},
			grad: func(n *Node, dys []*Value, need []bool) []*Value {
				return []*Value{Reshape(dys[0], shapeOrConst(n.Inputs[0])), nil}
			},
		})
	}
	register(&opDef{
		typ:    "Gather",
		inputs: []GradState{Differentiable, NonDifferentiable},
		infer: func(n *Node) ([]outSpec, error) {
			if err := errInputs(n, 2); err != nil {
				return nil, err
			}
			x, idx := n.Inputs[0], n.Inputs[1]
			if idx.dtype != tensor.Int64 {
				return nil, fmt.Errorf("indices must be int64, got %v", idx.dtype)
			}
			ax, err := normAxis(n.Attrs.Int("axis", 0), len(x.shape))
			if err != nil {
				return nil, err
			}
			s := append(append(x.shape[:ax:ax].Clone(), idx.shape...), x.shape[ax+1:]...)
			spec := outSpec{dtype: x.dtype, shape: s}
			if x.ints != nil && len(x.shape) == 1 && len(s) <= 1 {
				if ii, ok := idx.KnownInts(); ok {
					spec.ints, spec.intsOK = make([]int64, len(ii)), make([]bool, len(ii))
					for k, j := range ii {
						if j < 0 {
							j += int64(len(x.ints))
						}
						if j < 0 || j >= int64(len(x.ints)) {
							return nil, fmt.Errorf("index %d out of range for %d entries", ii[k], len(x.ints))
						}
						spec.ints[k], spec.intsOK[k] = x.ints[j], x.intsOK[j]
					}
				}
			}
			return []outSpec{spec}, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			x, idx := in[0], in[1].ints()
			ax, _ := normAxis(n.Attrs.Int("axis", 0), len(x.shape))
			outer, inner := 1, 1
			for _, d := range x.shape[:ax] {
				outer *= d
			}
			for _, d := range x.shape[ax+1:] {
				inner *= d
			}
			dim := x.shape[ax]
			s := append(append(append([]int{}, x.shape[:ax]...), in[1].shape...), x.shape[ax+1:]...)
			out := newArray(x.dt, s)
			p := 0
			for o := 0; o < outer; o++ {
				for _, j := range idx {
					if j < 0 {
						j += int64(dim)
					}
					if j < 0 || j >= int64(dim) {
						return nil, fmt.Errorf("index %d out of range [0,%d)", j, dim)
					}
					src := (o*dim + int(j)) * inner
					if x.dt == tensor.Int64 {
						copy(out.i[p:p+inner], x.i[src:src+inner])
					} else {
						copy(out.f[p:p+inner], x.f[src:src+inner])
					}
					p += inner
				}
			}
			return []*array{out}, nil
		},
		grad: func(n *Node, dys []*Value, need []bool) []*Value {
			x, idx, dy := n.Inputs[0], n.Inputs[1], dys[0]
			if n.Attrs.Int("axis", 0) != 0 {
				x.g.fail(fmt.Errorf("Gather#%d: gradient only for axis 0", n.id))
				return []*Value{ZerosLike(x), nil}
			}
			// Scatter-add the rows of dy back into a zero table of x's shape.
			inner := x.shape[1:]
			rows := Reshape(dy, ConstInts(x.g, append([]int64{-1}, toInt64s(inner)...)...))
			ind := Reshape(idx, ConstInts(x.g, -1, 1))
			return []*Value{ScatterNDAdd(ZerosLike(x), ind, rows), nil}
		},
	})
	register(&opDef{
		typ:    "ScatterND",
		inputs: []GradState{NotImplemented, NonDifferentiable, NotImplemented},
		infer: func(n *Node) ([]outSpec, error) {
			if err := errInputs(n, 3); err != nil {
				return nil, err
			}
			return []outSpec{{dtype: n.Inputs[0].dtype, shape: n.Inputs[0].shape.Clone()}}, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			data, ind, upd := in[0], in[1], in[2]
			out := *data
			out.f = append([]float64{}, data.f...)
			q := ind.shape[len(ind.shape)-1]
			inner := 1
			for _, d := range data.shape[q:] {
				inner *= d
			}
			ii := ind.ints()
			for r := 0; r*q < len(ii); r++ {
				off := 0
				for k := 0; k < q; k++ {
					j := int(ii[r*q+k])
					if j < 0 {
						j += data.shape[k]
					}
					if j < 0 || j >= data.shape[k] {
						return nil, fmt.Errorf("index %d out of range", ii[r*q+k])
					}
					off = off*data.shape[k] + j
				}
				for c := 0; c < inner; c++ {
					if n.Attrs.String("reduction", "none") == "add" {
						out.f[off*inner+c] += upd.f[r*inner+c]
					} else {
						out.f[off*inner+c] = upd.f[r*inner+c]
					}
				}
			}
			return []*array{&out}, nil
		},
	})
	register(&opDef{
		typ:    "Cast",
		inputs: []GradState{Differentiable},
		infer: func(n *Node) ([]outSpec, error) {
			to := tensor.DType(n.Attrs.Int("to", int64(tensor.Float32)))
			switch to {
			case tensor.Float32, tensor.Int64, tensor.Bool:
			default:
				return nil, fmt.Errorf("cast to %v is not supported", to)
			}
			x := n.Inputs[0]
			spec := outSpec{dtype: to, shape: x.shape.Clone()}
			if to == tensor.Int64 && x.dtype == tensor.Int64 {
				spec.ints, spec.intsOK = x.ints, x.intsOK
			}
			return []outSpec{spec}, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			to := tensor.DType(n.Attrs.Int("to", int64(tensor.Float32)))
			x := in[0]
			out := newArray(to, x.shape)
			for k := 0; k < x.size(); k++ {
				var v float64
				if x.dt == tensor.Int64 {
					v = float64(x.i[k])
				} else {
					v = x.f[k]
				}
				switch to {
				case tensor.Int64:
					out.i[k] = int64(v)
				case tensor.Bool:
					if v != 0 {
						out.f[k] = 1
					}
				default:
					out.f[k] = v
				}
			}
			return []*array{out}, nil
		},
		grad: func(n *Node, dys []*Value, need []bool) []*Value {
			// Only float-to-float casts reach here: integer paths carry no gradient.
			return []*Value{Cast(dys[0], n.Inputs[0].dtype)}
		},
	})
}

// intsAsShape turns a shape-valued vector into a static shape (unknown entries negative).
func intsAsShape(v *Value, n int) tensor.Shape {
	s := make(tensor.Shape, n)
	for k := range s {
		s[k] = -1
		if v.ints != nil && v.intsOK[k] {
			s[k] = int(v.ints[k])
		}
	}
	return s
}

// reshapeTarget applies ONNX Reshape rules (0 copies the input dim, -1 is inferred) to static
// shapes; entries not known at build time stay unknown.
func reshapeTarget(in tensor.Shape, target []int64, known []bool, n int) (tensor.Shape, error) {
	out := make(tensor.Shape, n)
	infer := -1
	for k := 0; k < n; k++ {
		if target == nil || !known[k] {
			out[k] = -2 // unknown
			continue
		}
		switch t := target[k]; {
		case t == 0:
			if k >= len(in) {
				return nil, fmt.Errorf("0 at position %d copies a missing input dim", k)
			}
			out[k] = in[k]
		case t == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("more than one -1 in target %v", target)
			}
			infer = k
		case t < -1:
			return nil, fmt.Errorf("invalid target dim %d", t)
		default:
			out[k] = int(t)
		}
	}
	if infer >= 0 {
		total := in.Size()
		rest := 1
		for k, d := range out {
			if k != infer {
				if d < 0 {
					rest = -1
					break
				}
				rest *= d
			}
		}
		switch {
		case total >= 0 && rest > 0:
			if total%rest != 0 {
				return nil, fmt.Errorf("cannot reshape %v to %v", in, target)
			}
			out[infer] = total / rest
		case rest == 0:
			out[infer] = 0
		default:
			out[infer] = -1
		}
	}
	for k := range out {
		if out[k] < -1 {
			out[k] = -1
		}
	}
	if in.Known() && out.Known() && in.Size() != out.Size() {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, in.Size(), out)
	}
	return out, nil
}

func squeezeShape(op string, s tensor.Shape, n *Node) (tensor.Shape, error) {
	var axes []int64
	if len(n.Inputs) > 1 {
		v, ok := n.Inputs[1].KnownInts()
		if !ok {
			return nil, fmt.Errorf("axes must be known when the graph is built")
		}
		axes = v
	}
	if op == "Unsqueeze" {
		rank := len(s) + len(axes)
		ins := map[int]bool{}
		for _, a := range axes {
			k, err := normAxis(a, rank)
			if err != nil {
				return nil, err
			}
			ins[k] = true
		}
		out := make(tensor.Shape, 0, rank)
		j := 0
		for k := 0; k < rank; k++ {
			if ins[k] {
				out = append(out, 1)
			} else {
				out = append(out, s[j])
				j++
			}
		}
		return out, nil
	}
	drop := map[int]bool{}
	if len(axes) == 0 {
		for k, d := range s {
			if d == 1 {
				drop[k] = true
			}
		}
	}
	for _, a := range axes {
		k, err := normAxis(a, len(s))
		if err != nil {
			return nil, err
		}
		if s[k] > 1 {
			return nil, fmt.Errorf("cannot squeeze axis %d of size %d", k, s[k])
		}
		drop[k] = true
	}
	out := tensor.Shape{}
	for k, d := range s {
		if !drop[k] {
			out = append(out, d)
		}
	}
	return out, nil
}

// ShapeOf returns the run-time shape of x as a 1-D int64 value (the ONNX Shape op).
func ShapeOf(x *Value) *Value {
	if x == nil {
		return nil
	}
	return x.g.add1("Shape", nil, x)
}

// Reshape gives x the shape held by the int64 vector shape (ONNX rules: 0 copies, -1 infers).
func Reshape(x, shape *Value) *Value {
	g := graphOf(x, shape)
	if g == nil {
		return nil
	}
	return g.add1("Reshape", nil, x, shape)
}

// ReshapeTo is Reshape with a constant target shape.
func ReshapeTo(x *Value, dims ...int) *Value {
	if x == nil {
		return nil
	}
	return Reshape(x, ConstInts(x.g, toInt64s(dims)...))
}

// ConstantOfShape returns a float32 tensor filled with v whose shape is the int64 vector shape.
func ConstantOfShape(shape *Value, v float32) *Value {
	if shape == nil {
		return nil
	}
	return shape.g.add1("ConstantOfShape", Attrs{"value": tensor.FromFloat32([]float32{v}, 1)}, shape)
}

// Expand broadcasts x to the shape held by the int64 vector shape.
func Expand(x, shape *Value) *Value {
	g := graphOf(x, shape)
	if g == nil {
		return nil
	}
	return g.add1("Expand", nil, x, shape)
}

// Unsqueeze inserts size-1 axes at the given positions of the output.
func Unsqueeze(x *Value, axes []int) *Value {
	if x == nil {
		return nil
	}
	return x.g.add1("Unsqueeze", nil, x, ConstInts(x.g, toInt64s(axes)...))
}

// Squeeze removes the given size-1 axes (all size-1 axes when none are given).
func Squeeze(x *Value, axes ...int) *Value {
	if x == nil {
		return nil
	}
	if len(axes) == 0 {
		return x.g.add1("Squeeze", nil, x)
	}
	return x.g.add1("Squeeze", nil, x, ConstInts(x.g, toInt64s(axes)...))
}

// Gather picks entries of x along axis by the int64 indices (e.g. rows of an embedding table).
func Gather(x, indices *Value, axis int) *Value {
	g := graphOf(x, indices)
	if g == nil {
		return nil
	}
	return g.add1("Gather", Attrs{"axis": int64(axis)}, x, indices)
}

// ScatterNDAdd returns data with updates added at the index tuples of indices (ONNX ScatterND
// with reduction "add"). It serves as Gather's gradient and has no gradient of its own.
func ScatterNDAdd(data, indices, updates *Value) *Value {
	g := graphOf(data, indices, updates)
	if g == nil {
		return nil
	}
	return g.add1("ScatterND", Attrs{"reduction": "add"}, data, indices, updates)
}

// Cast converts x to another element type.
func Cast(x *Value, to tensor.DType) *Value {
	if x == nil {
		return nil
	}
	return x.g.add1("Cast", Attrs{"to": int64(to)}, x)
}
