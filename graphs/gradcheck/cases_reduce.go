package gradcheck

import "github.com/cdrl-go/cdrl/graphs"

func init() {
	one := func(name string, shape []int, f func(*graphs.Value) *graphs.Value) Case {
		return Case{Name: name, Inputs: []Input{{Name: "x", Shape: shape}}, Build: func(v []*graphs.Value) *graphs.Value { return f(v[0]) }}
	}
	Add(
		one("ReduceSum axes keepdims", []int{2, 3, 4}, func(x *graphs.Value) *graphs.Value { return graphs.ReduceSum(x, []int{0, 2}, true) }),
		one("ReduceSum axis dropped", []int{2, 3, 4}, func(x *graphs.Value) *graphs.Value { return graphs.ReduceSum(x, []int{1}, false) }),
		one("ReduceSum all", []int{2, 3}, func(x *graphs.Value) *graphs.Value { return graphs.ReduceSum(x, nil, false) }),
		one("ReduceMean keepdims", []int{2, 3, 4}, func(x *graphs.Value) *graphs.Value { return graphs.ReduceMean(x, []int{-1}, true) }),
		one("ReduceMean dropped", []int{2, 3, 4}, func(x *graphs.Value) *graphs.Value { return graphs.ReduceMean(x, []int{0, 1}, false) }),
		Case{Name: "ReduceMean dynamic batch", Inputs: []Input{{Name: "x", Shape: []int{3, 4}, Dynamic: true}},
			Build: func(v []*graphs.Value) *graphs.Value { return graphs.ReduceMean(v[0], []int{0}, false) }},
		one("Softmax last axis", []int{3, 5}, func(x *graphs.Value) *graphs.Value { return graphs.Softmax(x, -1) }),
		one("Softmax axis 1", []int{2, 3, 4}, func(x *graphs.Value) *graphs.Value { return graphs.Softmax(x, 1) }),
	)
}
