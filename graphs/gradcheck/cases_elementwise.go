package gradcheck

import (
	"github.com/cdrl-go/cdrl/graphs"
)

func unaryCase(name string, f func(*graphs.Value) *graphs.Value, in Input) Case {
	in.Name = "x"
	if in.Shape == nil {
		in.Shape = []int{3, 4}
	}
	return Case{Name: name, Inputs: []Input{in}, Build: func(v []*graphs.Value) *graphs.Value { return f(v[0]) }}
}

func binaryCase(name string, f func(a, b *graphs.Value) *graphs.Value, sa, sb []int, lo, hi float64) Case {
	return Case{Name: name,
		Inputs: []Input{{Name: "a", Shape: sa, Lo: lo, Hi: hi}, {Name: "b", Shape: sb, Lo: lo, Hi: hi}},
		Build:  func(v []*graphs.Value) *graphs.Value { return f(v[0], v[1]) }}
}

func init() {
	Add(
		unaryCase("Identity", graphs.Identity, Input{}),
		unaryCase("Neg", graphs.Neg, Input{}),
		unaryCase("Exp", graphs.Exp, Input{}),
		unaryCase("Log", graphs.Log, Input{Lo: 0.2, Hi: 3}),
		unaryCase("Sqrt", graphs.Sqrt, Input{Lo: 0.2, Hi: 3}),
		unaryCase("Sin", graphs.Sin, Input{}),
		unaryCase("Cos", graphs.Cos, Input{}),
		unaryCase("Tanh", graphs.Tanh, Input{}),
		unaryCase("Sigmoid", graphs.Sigmoid, Input{}),
		unaryCase("Softplus", graphs.Softplus, Input{Lo: -4, Hi: 4}),
		unaryCase("Relu", graphs.Relu, Input{Gap: 0.05, Kinks: []float64{0}}),
		unaryCase("LeakyRelu", func(x *graphs.Value) *graphs.Value { return graphs.LeakyRelu(x, 0.2) }, Input{Gap: 0.05, Kinks: []float64{0}}),
		unaryCase("Atan", graphs.Atan, Input{}),
		unaryCase("Abs", graphs.Abs, Input{Gap: 0.05, Kinks: []float64{0}}),
		unaryCase("Reciprocal", graphs.Reciprocal, Input{Lo: 0.3, Hi: 3}),
		unaryCase("Dynamic batch Tanh", graphs.Tanh, Input{Dynamic: true}),
		binaryCase("Add", graphs.Add, []int{3, 4}, []int{3, 4}, -2, 2),
		binaryCase("Add broadcast row", graphs.Add, []int{3, 4}, []int{4}, -2, 2),
		binaryCase("Add broadcast both", graphs.Add, []int{3, 1}, []int{1, 4}, -2, 2),
		binaryCase("Sub broadcast", graphs.Sub, []int{2, 3, 4}, []int{3, 1}, -2, 2),
		binaryCase("Mul broadcast", graphs.Mul, []int{2, 1, 4}, []int{3, 1}, -2, 2),
		binaryCase("Mul scalar", graphs.Mul, []int{2, 3}, []int{}, -2, 2),
		binaryCase("Div broadcast", graphs.Div, []int{2, 3}, []int{2, 1}, 0.5, 2),
		binaryCase("Pow broadcast", graphs.Pow, []int{2, 3}, []int{3}, 0.5, 2),
		Case{Name: "Where broadcast", Inputs: []Input{{Name: "c", Shape: []int{3, 4}}, {Name: "a", Shape: []int{3, 4}}, {Name: "b", Shape: []int{4}}},
			Build: func(v []*graphs.Value) *graphs.Value {
				return graphs.Where(graphs.Greater(v[0], graphs.Scalar(v[0].Graph(), 0)), v[1], v[2])
			}},
		Case{Name: "Where with Less and Equal conditions", Inputs: []Input{{Name: "a", Shape: []int{3, 4}}, {Name: "b", Shape: []int{3, 4}}},
			Build: func(v []*graphs.Value) *graphs.Value {
				g := v[0].Graph()
				c := graphs.Less(v[0], graphs.Scalar(g, 0))
				e := graphs.Where(graphs.Equal(v[0], graphs.Scalar(g, 100)), v[0], v[1])
				return graphs.Add(graphs.Where(c, v[0], v[1]), graphs.Mul(e, graphs.Sign(v[1])))
			}},
		Case{Name: "Reused value (accumulation)", Inputs: []Input{{Name: "x", Shape: []int{2, 3}}},
			Build: func(v []*graphs.Value) *graphs.Value {
				return graphs.Mul(graphs.Sin(v[0]), graphs.Add(v[0], graphs.Exp(v[0])))
			}},
	)
}
