package graphs

import (
	"fmt"
	"math"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Element-wise binary ops with numpy broadcasting. Gradients are returned in the broadcast
// shape; the autodiff sweep sums them back to each input's shape.
type binaryRule struct {
	f    func(a, b float64) float64
	i    func(a, b int64) int64 // integer version (nil: floats only)
	grad func(a, b, y, dy *Value, need []bool) []*Value
}

var binaryOps = map[string]binaryRule{
	"Add": {func(a, b float64) float64 { return a + b }, func(a, b int64) int64 { return a + b },
		func(a, b, y, dy *Value, need []bool) []*Value { return []*Value{dy, dy} }},
	"Sub": {func(a, b float64) float64 { return a - b }, func(a, b int64) int64 { return a - b },
		func(a, b, y, dy *Value, need []bool) []*Value {
			return []*Value{dy, when(need[1], func() *Value { return Neg(unbroadcast(dy, b)) })}
		}},
	"Mul": {func(a, b float64) float64 { return a * b }, func(a, b int64) int64 { return a * b },
		func(a, b, y, dy *Value, need []bool) []*Value {
			return []*Value{when(need[0], func() *Value { return Mul(dy, b) }), when(need[1], func() *Value { return Mul(dy, a) })}
		}},
	"Div": {func(a, b float64) float64 { return a / b }, func(a, b int64) int64 {
		if b == 0 {
			return 0
		}
		return a / b
	},
		func(a, b, y, dy *Value, need []bool) []*Value {
			return []*Value{when(need[0], func() *Value { return Div(dy, b) }),
				// Summing over b's broadcast axes before dividing keeps the work on b's size.
				when(need[1], func() *Value { return Neg(Div(unbroadcast(Mul(dy, y), b), b)) })}
		}},
	"Pow": {math.Pow, nil,
		func(a, b, y, dy *Value, need []bool) []*Value {
			// d/da a^b = b a^(b-1); d/db a^b = a^b log a (defined for a > 0).
			return []*Value{
				when(need[0], func() *Value { return Mul(dy, Mul(b, Pow(a, Sub(b, Scalar(a.g, 1))))) }),
				when(need[1], func() *Value { return Mul(dy, Mul(y, Log(a))) }),
			}
		}},
}

// comparisonOps produce booleans and carry no gradient.
var comparisonOps = map[string]func(a, b float64) bool{
	"Greater": func(a, b float64) bool { return a > b },
	"Less":    func(a, b float64) bool { return a < b },
	"Equal":   func(a, b float64) bool { return a == b },
}

func when(ok bool, f func() *Value) *Value {
	if !ok {
		return nil
	}
	return f()
}

func init() {
	for name, rule := range binaryOps {
		rule := rule
		register(&opDef{
			typ:    name,
			inputs: []GradState{Differentiable, Differentiable},
			infer: func(n *Node) ([]outSpec, error) {
				if err := errInputs(n, 2); err != nil {
					return nil, err
				}
				a, b := n.Inputs[0], n.Inputs[1]
				if a.dtype != b.dtype {
					return nil, fmt.Errorf("dtypes differ: %v and %v", a.dtype, b.dtype)
				}
				if a.dtype == tensor.Bool || (a.dtype == tensor.Int64 && rule.i == nil) {
					return nil, fmt.Errorf("unsupported dtype %v", a.dtype)
				}
				s, err := broadcastShapes(a.shape, b.shape)
				if err != nil {
					return nil, err
				}
				spec := outSpec{dtype: a.dtype, shape: s}
				if a.dtype == tensor.Int64 && len(s) <= 1 {
					spec.ints, spec.intsOK = foldInts(a, b, s, rule.i)
				}
				return []outSpec{spec}, nil
			},
			eval: func(n *Node, in []*array) ([]*array, error) {
				s, err := broadcastArrays(in)
				if err != nil {
					return nil, err
				}
				ia, ib := broadcastIndex(s, in[0].shape), broadcastIndex(s, in[1].shape)
				out := newArray(in[0].dt, s)
				if in[0].dt == tensor.Int64 {
					for k := range out.i {
						out.i[k] = rule.i(in[0].i[ia[k]], in[1].i[ib[k]])
					}
				} else {
					for k := range out.f {
						out.f[k] = rule.f(in[0].f[ia[k]], in[1].f[ib[k]])
					}
				}
				return []*array{out}, nil
			},
			grad: func(n *Node, dys []*Value, need []bool) []*Value {
				return rule.grad(n.Inputs[0], n.Inputs[1], n.Outputs[0], dys[0], need)
			},
		})
	}
	for name, cmp := range comparisonOps {
		cmp := cmp
		register(&opDef{
			typ:    name,
			inputs: []GradState{NonDifferentiable, NonDifferentiable},
			infer: func(n *Node) ([]outSpec, error) {
				if err := errInputs(n, 2); err != nil {
					return nil, err
				}
				a, b := n.Inputs[0], n.Inputs[1]
				if a.dtype != b.dtype {
					return nil, fmt.Errorf("dtypes differ: %v and %v", a.dtype, b.dtype)
				}
				s, err := broadcastShapes(a.shape, b.shape)
				return []outSpec{{dtype: tensor.Bool, shape: s}}, err
			},
			eval: func(n *Node, in []*array) ([]*array, error) {
				s, err := broadcastArrays(in)
				if err != nil {
					return nil, err
				}
				ia, ib := broadcastIndex(s, in[0].shape), broadcastIndex(s, in[1].shape)
				out := newArray(tensor.Bool, s)
				get := func(a *array, k int) float64 {
					if a.dt == tensor.Int64 {
						return float64(a.i[k])
					}
					return a.f[k]
				}
				for k := range out.f {
					if cmp(get(in[0], ia[k]), get(in[1], ib[k])) {
						out.f[k] = 1
					}
				}
				return []*array{out}, nil
			},
		})
	}
	register(&opDef{
		typ:    "Where",
		inputs: []GradState{NonDifferentiable, Differentiable, Differentiable},
		infer: func(n *Node) ([]outSpec, error) {
			if err := errInputs(n, 3); err != nil {
				return nil, err
			}
			c, a, b := n.Inputs[0], n.Inputs[1], n.Inputs[2]
			if c.dtype != tensor.Bool {
				return nil, fmt.Errorf("condition must be bool, got %v", c.dtype)
			}
			if a.dtype != b.dtype {
				return nil, fmt.Errorf("dtypes differ: %v and %v", a.dtype, b.dtype)
			}
			s, err := broadcastShapes(c.shape, a.shape, b.shape)
			return []outSpec{{dtype: a.dtype, shape: s}}, err
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			s, err := broadcastArrays(in)
			if err != nil {
				return nil, err
			}
			ic, ia, ib := broadcastIndex(s, in[0].shape), broadcastIndex(s, in[1].shape), broadcastIndex(s, in[2].shape)
			out := newArray(in[1].dt, s)
			for k := 0; k < out.size(); k++ {
				pick, idx := in[2], ib[k]
				if in[0].f[ic[k]] != 0 {
					pick, idx = in[1], ia[k]
				}
				if out.dt == tensor.Int64 {
					out.i[k] = pick.i[idx]
				} else {
					out.f[k] = pick.f[idx]
				}
			}
			return []*array{out}, nil
		},
		grad: func(n *Node, dys []*Value, need []bool) []*Value {
			c, dy := n.Inputs[0], dys[0]
			return []*Value{nil,
				when(need[1], func() *Value { return Where(c, dy, ZerosLike(dy)) }),
				when(need[2], func() *Value { return Where(c, ZerosLike(dy), dy) })}
		},
	})
}

// foldInts computes the build-time contents of an integer op on small vectors, where known.
func foldInts(a, b *Value, s tensor.Shape, f func(a, b int64) int64) ([]int64, []bool) {
	if a.ints == nil || b.ints == nil || len(s) > 1 {
		return nil, nil
	}
	n := 1
	if len(s) == 1 {
		n = s[0]
	}
	if n < 0 {
		return nil, nil
	}
	pick := func(v *Value, k int) (int64, bool) {
		if len(v.ints) == 1 {
			return v.ints[0], v.intsOK[0]
		}
		return v.ints[k], v.intsOK[k]
	}
	ints, ok := make([]int64, n), make([]bool, n)
	for k := 0; k < n; k++ {
		x, okx := pick(a, k)
		y, oky := pick(b, k)
		if okx && oky {
			ints[k], ok[k] = f(x, y), true
		}
	}
	return ints, ok
}

func binary(op string, a, b *Value) *Value {
	g := graphOf(a, b)
	if g == nil {
		return nil
	}
	return g.add1(op, nil, a, b)
}

// Add returns a + b (broadcasting).
func Add(a, b *Value) *Value { return binary("Add", a, b) }

// Sub returns a - b (broadcasting).
func Sub(a, b *Value) *Value { return binary("Sub", a, b) }

// Mul returns a * b (broadcasting).
func Mul(a, b *Value) *Value { return binary("Mul", a, b) }

// Div returns a / b (broadcasting).
func Div(a, b *Value) *Value { return binary("Div", a, b) }

// Pow returns a ^ b (broadcasting); its gradient with respect to b needs a > 0.
func Pow(a, b *Value) *Value { return binary("Pow", a, b) }

// Greater returns the boolean a > b (broadcasting).
func Greater(a, b *Value) *Value { return binary("Greater", a, b) }

// Less returns the boolean a < b (broadcasting).
func Less(a, b *Value) *Value { return binary("Less", a, b) }

// Equal returns the boolean a == b (broadcasting).
func Equal(a, b *Value) *Value { return binary("Equal", a, b) }

// Where picks a where cond is true and b elsewhere (broadcasting).
func Where(cond, a, b *Value) *Value {
	g := graphOf(cond, a, b)
	if g == nil {
		return nil
	}
	return g.add1("Where", nil, cond, a, b)
}
