package gradcheck

import "github.com/cdrl-go/cdrl/graphs"

// Cases for MatMul and Gemm: 2-D, batched and broadcast products, 1-D operands, every
// transposition of Gemm with alpha/beta and the broadcast shapes of its C, dynamic batches,
// and a second-order case (the gradient of a product differentiated again).

func matmulCase(name string, a, b []int, dynamic bool) Case {
	return Case{
		Name:   name,
		Inputs: []Input{{Name: "a", Shape: a, Dynamic: dynamic}, {Name: "b", Shape: b, Dynamic: dynamic && len(b) > 2}},
		Build:  func(v []*graphs.Value) *graphs.Value { return graphs.MatMul(v[0], v[1]) },
	}
}

func gemmCase(name string, a, b, c []int, o graphs.GemmOpts, dynamic bool) Case {
	in := []Input{{Name: "a", Shape: a, Dynamic: dynamic}, {Name: "b", Shape: b}}
	if c != nil {
		in = append(in, Input{Name: "c", Shape: c})
	}
	return Case{Name: name, Inputs: in, Build: func(v []*graphs.Value) *graphs.Value {
		var c *graphs.Value
		if len(v) == 3 {
			c = v[2]
		}
		return graphs.Gemm(v[0], v[1], c, o)
	}}
}

// secondOrder returns a case whose output is the gradient of sum(tanh(f(inputs))) with respect
// to the first input, so the check differentiates f's gradient rules once more.
func secondOrder(name string, in []Input, f func(v []*graphs.Value) *graphs.Value) Case {
	return Case{Name: name, Inputs: in, Build: func(v []*graphs.Value) *graphs.Value {
		e := graphs.ReduceSum(graphs.Tanh(f(v)), nil, false)
		gs, err := graphs.Grad(e, v[0])
		if err != nil {
			return nil
		}
		return gs[0]
	}}
}

func init() {
	Add(
		matmulCase("MatMul 2-D", []int{3, 4}, []int{4, 5}, false),
		matmulCase("MatMul batched 3-D x 2-D", []int{2, 3, 4}, []int{4, 5}, false),
		matmulCase("MatMul 2-D x batched 3-D", []int{3, 4}, []int{2, 4, 5}, false),
		matmulCase("MatMul batched 3-D x 3-D", []int{2, 3, 4}, []int{2, 4, 2}, false),
		matmulCase("MatMul broadcast batch dims", []int{2, 1, 3, 4}, []int{3, 4, 2}, false),
		matmulCase("MatMul 1-D x 2-D", []int{4}, []int{4, 3}, false),
		matmulCase("MatMul 2-D x 1-D", []int{3, 4}, []int{4}, false),
		matmulCase("MatMul 1-D x 1-D", []int{4}, []int{4}, false),
		matmulCase("MatMul 1-D x batched 3-D", []int{4}, []int{2, 4, 3}, false),
		matmulCase("MatMul batched 4-D x 1-D", []int{2, 2, 3, 4}, []int{4}, false),
		matmulCase("MatMul dynamic batch x 2-D", []int{3, 2, 4}, []int{4, 5}, true),
		matmulCase("MatMul dynamic batch x dynamic batch", []int{3, 2, 4}, []int{3, 4, 2}, true),
		matmulCase("MatMul dynamic rows", []int{3, 4}, []int{4, 2}, true),
		secondOrder("MatMul second order", []Input{{Name: "x", Shape: []int{3, 4}, Dynamic: true}, {Name: "w", Shape: []int{4, 3}}},
			func(v []*graphs.Value) *graphs.Value { return graphs.MatMul(v[0], v[1]) }),
		secondOrder("MatMul batched second order", []Input{{Name: "x", Shape: []int{2, 3, 4}, Dynamic: true}, {Name: "w", Shape: []int{4, 3}}},
			func(v []*graphs.Value) *graphs.Value { return graphs.MatMul(v[0], v[1]) }),

		gemmCase("Gemm plain", []int{3, 4}, []int{4, 5}, nil, graphs.GemmOpts{}, false),
		gemmCase("Gemm transA", []int{4, 3}, []int{4, 5}, []int{3, 5}, graphs.GemmOpts{TransA: true}, false),
		gemmCase("Gemm transB", []int{3, 4}, []int{5, 4}, []int{3, 5}, graphs.GemmOpts{TransB: true}, false),
		gemmCase("Gemm transA transB", []int{4, 3}, []int{5, 4}, []int{3, 5}, graphs.GemmOpts{TransA: true, TransB: true}, false),
		gemmCase("Gemm alpha beta", []int{3, 4}, []int{4, 5}, []int{3, 5}, graphs.GemmOpts{Alpha: 0.5, Beta: -1.5}, false),
		gemmCase("Gemm transA transB alpha beta", []int{4, 3}, []int{5, 4}, []int{5}, graphs.GemmOpts{TransA: true, TransB: true, Alpha: 2, Beta: 0.25}, false),
		gemmCase("Gemm bias (N)", []int{3, 4}, []int{4, 5}, []int{5}, graphs.GemmOpts{}, false),
		gemmCase("Gemm bias (1,N)", []int{3, 4}, []int{4, 5}, []int{1, 5}, graphs.GemmOpts{Beta: 2}, false),
		gemmCase("Gemm bias (M,1)", []int{3, 4}, []int{5, 4}, []int{3, 1}, graphs.GemmOpts{TransB: true}, false),
		gemmCase("Gemm bias scalar", []int{3, 4}, []int{4, 5}, []int{}, graphs.GemmOpts{Beta: 0.5}, false),
		gemmCase("Gemm dynamic batch", []int{3, 4}, []int{5, 4}, []int{5}, graphs.GemmOpts{TransB: true, Alpha: 0.5}, true),
		secondOrder("Gemm second order", []Input{{Name: "x", Shape: []int{3, 4}, Dynamic: true}, {Name: "w", Shape: []int{5, 4}}, {Name: "c", Shape: []int{5}}},
			func(v []*graphs.Value) *graphs.Value {
				return graphs.Gemm(v[0], v[1], v[2], graphs.GemmOpts{TransB: true, Alpha: 1.5, Beta: 0.5})
			}),
		secondOrder("Gemm transA second order", []Input{{Name: "x", Shape: []int{4, 3}}, {Name: "w", Shape: []int{4, 5}}},
			func(v []*graphs.Value) *graphs.Value {
				return graphs.Gemm(v[0], v[1], nil, graphs.GemmOpts{TransA: true})
			}),
	)
}
