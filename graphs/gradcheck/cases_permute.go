package gradcheck

import "github.com/cdrl-go/cdrl/graphs"

// Cases for Transpose, Flatten and Split, including a Split whose middle piece is unused (it
// receives no gradient and the rule fills in zeros).

func init() {
	one := func(name string, shape []int, dynamic bool, f func(*graphs.Value) *graphs.Value) Case {
		return Case{Name: name, Inputs: []Input{{Name: "x", Shape: shape, Dynamic: dynamic}},
			Build: func(v []*graphs.Value) *graphs.Value { return f(v[0]) }}
	}
	Add(
		one("Transpose 4-D perm", []int{2, 3, 4, 5}, false, func(x *graphs.Value) *graphs.Value {
			return graphs.Transpose(x, 0, 2, 3, 1)
		}),
		one("Transpose reversed axes", []int{2, 3, 4}, false, func(x *graphs.Value) *graphs.Value {
			return graphs.Sin(graphs.Transpose(x))
		}),
		one("Transpose dynamic batch", []int{2, 3, 4}, true, func(x *graphs.Value) *graphs.Value {
			return graphs.Transpose(x, 2, 0, 1)
		}),
		one("Flatten axis 1", []int{2, 3, 4}, false, func(x *graphs.Value) *graphs.Value { return graphs.Flatten(x, 1) }),
		one("Flatten axis 2", []int{2, 3, 4, 5}, false, func(x *graphs.Value) *graphs.Value { return graphs.Flatten(x, 2) }),
		one("Flatten axis 0", []int{2, 3}, false, func(x *graphs.Value) *graphs.Value { return graphs.Flatten(x, 0) }),
		one("Flatten axis -1 dynamic batch", []int{2, 3, 4}, true, func(x *graphs.Value) *graphs.Value {
			return graphs.Exp(graphs.Flatten(x, -1))
		}),
		one("Split unequal pieces, middle unused", []int{2, 7}, false, func(x *graphs.Value) *graphs.Value {
			p := graphs.Split(x, 1, 2, 4, 1)
			return graphs.Concat([]*graphs.Value{graphs.Sin(p[0]), graphs.Exp(p[2])}, 1)
		}),
		one("Split axis 0, last unused", []int{5, 3}, false, func(x *graphs.Value) *graphs.Value {
			p := graphs.Split(x, 0, 1, 3, 1)
			return graphs.Add(graphs.Tanh(p[1]), p[0])
		}),
		one("Split dynamic batch, all used", []int{3, 6}, true, func(x *graphs.Value) *graphs.Value {
			p := graphs.Split(x, -1, 3, 3)
			return graphs.Mul(p[0], p[1])
		}),
	)
}
