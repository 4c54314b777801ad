package gradcheck

import (
	"math"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

func init() {
	Add(
		Case{Name: "Reshape dynamic batch", Inputs: []Input{{Name: "x", Shape: []int{2, 3, 4}, Dynamic: true}},
			Build: func(v []*graphs.Value) *graphs.Value {
				return graphs.Tanh(graphs.ReshapeTo(v[0], 0, -1))
			}},
		Case{Name: "Reshape via Shape-Gather-Concat", Inputs: []Input{{Name: "x", Shape: []int{2, 3, 4}, Dynamic: true}},
			Build: func(v []*graphs.Value) *graphs.Value {
				g := v[0].Graph()
				n := graphs.Gather(graphs.ShapeOf(v[0]), graphs.ConstInts(g, 0), 0)
				sh := graphs.Concat([]*graphs.Value{n, graphs.ConstInts(g, 12)}, 0)
				return graphs.Sin(graphs.Reshape(v[0], sh))
			}},
		Case{Name: "Expand", Inputs: []Input{{Name: "x", Shape: []int{3, 1}}},
			Build: func(v []*graphs.Value) *graphs.Value {
				return graphs.Expand(v[0], graphs.ConstInts(v[0].Graph(), 2, 3, 4))
			}},
		Case{Name: "Unsqueeze and Squeeze", Inputs: []Input{{Name: "x", Shape: []int{3, 4}}},
			Build: func(v []*graphs.Value) *graphs.Value {
				u := graphs.Unsqueeze(v[0], []int{0, 3})
				return graphs.Squeeze(graphs.Mul(u, u), 0)
			}},
		Case{Name: "Gather rows (embedding)", Inputs: []Input{{Name: "table", Shape: []int{5, 3}}, {Name: "idx", Shape: []int{4}, Ints: []int64{0, 3, 3, 1}}},
			Build: func(v []*graphs.Value) *graphs.Value { return graphs.Gather(v[0], v[1], 0) }},
		Case{Name: "Gather 2-D indices", Inputs: []Input{{Name: "table", Shape: []int{5, 2}}, {Name: "idx", Shape: []int{2, 2}, Ints: []int64{4, 0, 4, 2}}},
			Build: func(v []*graphs.Value) *graphs.Value { return graphs.Gather(v[0], v[1], 0) }},
		Case{Name: "Cast float to float", Inputs: []Input{{Name: "x", Shape: []int{3}}},
			Build: func(v []*graphs.Value) *graphs.Value {
				return graphs.Mul(graphs.Cast(v[0], tensor.Float32), graphs.Cast(graphs.Cast(v[0], tensor.Int64), tensor.Float32))
			}},
	)
}

func init() {
	Add(
		Case{Name: "Concat dynamic batch", Inputs: []Input{{Name: "a", Shape: []int{2, 3}, Dynamic: true}, {Name: "b", Shape: []int{2, 2}, Dynamic: true}},
			Build: func(v []*graphs.Value) *graphs.Value {
				return graphs.Sin(graphs.Concat([]*graphs.Value{v[0], v[1], v[0]}, 1))
			}},
		Case{Name: "Concat along dynamic axis", Inputs: []Input{{Name: "a", Shape: []int{2, 3}, Dynamic: true}, {Name: "b", Shape: []int{1, 3}}},
			Build: func(v []*graphs.Value) *graphs.Value {
				return graphs.Exp(graphs.Concat([]*graphs.Value{v[0], v[1]}, 0))
			}},
		Case{Name: "Slice one axis", Inputs: []Input{{Name: "x", Shape: []int{3, 5}}},
			Build: func(v []*graphs.Value) *graphs.Value { return graphs.SliceAxis(v[0], 1, 1, -1) }},
		Case{Name: "Slice two axes", Inputs: []Input{{Name: "x", Shape: []int{4, 5, 2}}},
			Build: func(v []*graphs.Value) *graphs.Value {
				g := v[0].Graph()
				return graphs.Slice(v[0], graphs.ConstInts(g, 1, 0), graphs.ConstInts(g, 3, 2), graphs.ConstInts(g, 0, 2), nil)
			}},
		Case{Name: "Pad", Inputs: []Input{{Name: "x", Shape: []int{2, 3}}},
			Build: func(v []*graphs.Value) *graphs.Value {
				return graphs.Pad(v[0], graphs.ConstInts(v[0].Graph(), 1, 0, 0, 2))
			}},
	)
}

func init() {
	Add(Case{Name: "Slice reversing two axes", Inputs: []Input{{Name: "x", Shape: []int{2, 3, 4}}},
		Build: func(v []*graphs.Value) *graphs.Value {
			g := v[0].Graph()
			r := graphs.Slice(v[0], graphs.ConstInts(g, -1, -1), graphs.ConstInts(g, math.MinInt64, math.MinInt64),
				graphs.ConstInts(g, 1, 2), graphs.ConstInts(g, -1, -1))
			return graphs.Mul(r, graphs.Sin(v[0]))
		}})
}
