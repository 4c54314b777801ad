package graphs

import (
	"fmt"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Linear algebra: MatMul (numpy matmul semantics) and Gemm (alpha*op(A)*op(B) + beta*C).
// Their gradients are products of the same kinds, so they can be differentiated again.

func init() {
	register(&opDef{
		typ:    "MatMul",
		inputs: []GradState{Differentiable, Differentiable},
		infer: func(n *Node) ([]outSpec, error) {
			if err := errInputs(n, 2); err != nil {
				return nil, err
			}
			a, b := n.Inputs[0], n.Inputs[1]
			if !isFloat(a.dtype) || a.dtype != b.dtype {
				return nil, fmt.Errorf("needs two float inputs of one dtype, got %v and %v", a.dtype, b.dtype)
			}
			out, err := matmulShape(a.shape, b.shape)
			if err != nil {
				return nil, err
			}
			return []outSpec{{dtype: a.dtype, shape: out}}, nil
		},
		eval: func(n *Node, in []*array) ([]*array, error) {
			return matmulEval(in[0], in[1])
		},
		grad: matmulGrad,
	})
	register(&opDef{
		typ:    "Gemm",
		inputs: []GradState{Differentiable, Differentiable, Differentiable},
		infer: func(n *Node) ([]outSpec, error) {
			if err := errInputs(n, 2, 3); err != nil {
				return nil, err
			}
			a, b := n.Inputs[0], n.Inputs[1]
			for _, v := range n.Inputs[1:] {
				if v.dtype != a.dtype {
					return nil, fmt.Errorf("inputs differ in dtype: %v and %v", a.dtype, v.dtype)
				}
			}
			if !isFloat(a.dtype) {
				return nil, fmt.Errorf("needs float inputs, got %v", a.dtype)
			}
			if len(a.shape) != 2 || len(b.shape) != 2 {
				return nil, fmt.Errorf("A and B must be 2-D, got shapes %v and %v", a.shape, b.shape)
			}
			m, k := a.shape[0], a.shape[1]
			if n.Attrs.Int("transA", 0) != 0 {
				m, k = k, m
			}
			kb, nn := b.shape[0], b.shape[1]
			if n.Attrs.Int("transB", 0) != 0 {
				kb, nn = nn, kb
			}
			if k >= 0 && kb >= 0 && k != kb {
				return nil, fmt.Errorf("inner dimensions differ: op(A) is %dx%d, op(B) is %dx%d", m, k, kb, nn)
			}
			if len(n.Inputs) == 3 {
				c := n.Inputs[2].shape
				if len(c) > 2 {
					return nil, fmt.Errorf("C must have rank at most 2, got shape %v", c)
				}
				mn := []int{m, nn}
				for j, d := range c {
					want := mn[2-len(c)+j]
					if d >= 0 && d != 1 && want >= 0 && d != want {
						return nil, fmt.Errorf("C of shape %v does not broadcast to (M, N) = (%d, %d)", c, m, nn)
					}
				}
			}
			return []outSpec{{dtype: a.dtype, shape: tensor.Shape{m, nn}}}, nil
		},
		eval: gemmEval,
		grad: gemmGrad,
	})
}

// matmulShape applies numpy matmul shape rules: a 1-D a gets a leading 1 and a 1-D b a trailing
// 1 (both removed from the result); the leading (batch) dims broadcast.
func matmulShape(as, bs tensor.Shape) (tensor.Shape, error) {
	if len(as) == 0 || len(bs) == 0 {
		return nil, fmt.Errorf("operands must have rank 1 or more, got shapes %v and %v", as, bs)
	}
	a2, b2 := as, bs
	if len(as) == 1 {
		a2 = tensor.Shape{1, as[0]}
	}
	if len(bs) == 1 {
		b2 = tensor.Shape{bs[0], 1}
	}
	ka, kb := a2[len(a2)-1], b2[len(b2)-2]
	if ka >= 0 && kb >= 0 && ka != kb {
		return nil, fmt.Errorf("inner dimensions differ: a %v has %d columns, b %v has %d rows", as, ka, bs, kb)
	}
	batch, err := broadcastShapes(a2[:len(a2)-2], b2[:len(b2)-2])
	if err != nil {
		return nil, fmt.Errorf("batch dimensions: %w", err)
	}
	out := batch
	if len(as) > 1 {
		out = append(out, a2[len(a2)-2])
	}
	if len(bs) > 1 {
		out = append(out, b2[len(b2)-1])
	}
	return out, nil
}

func matmulEval(a, b *array) ([]*array, error) {
	out, err := matmulShape(a.shape, b.shape)
	if err != nil {
		return nil, err
	}
	a2, b2 := a.shape, b.shape
	if len(a2) == 1 {
		a2 = []int{1, a2[0]}
	}
	if len(b2) == 1 {
		b2 = []int{b2[0], 1}
	}
	ba, bb := a2[:len(a2)-2], b2[:len(b2)-2]
	batch, err := broadcastShapes(ba, bb)
	if err != nil {
		return nil, err
	}
	m, k, nn := a2[len(a2)-2], a2[len(a2)-1], b2[len(b2)-1]
	ia, ib := broadcastIndex(batch, ba), broadcastIndex(batch, bb)
	res := newArray(a.dt, out)
	for t := range ia {
		ao, bo, oo := ia[t]*m*k, ib[t]*k*nn, t*m*nn
		for i := 0; i < m; i++ {
			for j := 0; j < nn; j++ {
				s := 0.0
				for p := 0; p < k; p++ {
					s += a.f[ao+i*k+p] * b.f[bo+p*nn+j]
				}
				res.f[oo+i*nn+j] = s
			}
		}
	}
	return []*array{res}, nil
}

// matmulGrad: with 1-D operands promoted to matrices, dA = dY B^T and dB = A^T dY (batched);
// batch dims that were broadcast are summed back by the sweep.
func matmulGrad(n *Node, dys []*Value, need []bool) []*Value {
	a, b, dy := n.Inputs[0], n.Inputs[1], dys[0]
	ra, rb := len(a.shape), len(b.shape)
	a2, b2, dy2 := a, b, dy
	ry := len(dy.shape)
	var ins []int
	if ra == 1 {
		a2 = Unsqueeze(a, []int{0})
		ry++
	}
	if rb == 1 {
		b2 = Unsqueeze(b, []int{1})
		ry++
	}
	if ra == 1 {
		ins = append(ins, ry-2)
	}
	if rb == 1 {
		ins = append(ins, ry-1)
	}
	if len(ins) > 0 {
		dy2 = Unsqueeze(dy, ins)
	}
	out := make([]*Value, 2)
	if need[0] {
		da := MatMul(dy2, swapLastTwo(b2))
		if ra == 1 {
			da = Squeeze(da, len(da.shape)-2)
		}
		out[0] = da
	}
	if need[1] {
		if rb == 2 && ra >= 3 && b.shape.Known() {
			k, nn := b.shape[0], b.shape[1]
			// A shared matrix against a batch: fold the batch into the rows, one product.
			af := Reshape(a, ConstInts(a.g, -1, int64(k)))
			dyf := Reshape(dy, ConstInts(a.g, -1, int64(nn)))
			out[1] = Gemm(af, dyf, nil, GemmOpts{TransA: true})
		} else {
			db := MatMul(swapLastTwo(a2), dy2)
			if rb == 1 {
				db = Squeeze(db, len(db.shape)-1)
			}
			out[1] = db
		}
	}
	return out
}

// swapLastTwo transposes the last two axes of x (rank 2 or more).
func swapLastTwo(x *Value) *Value {
	r := len(x.shape)
	perm := make([]int, r)
	for k := range perm {
		perm[k] = k
	}
	perm[r-2], perm[r-1] = r-1, r-2
	return Transpose(x, perm...)
}

func gemmEval(n *Node, in []*array) ([]*array, error) {
	a, b := in[0], in[1]
	if len(a.shape) != 2 || len(b.shape) != 2 {
		return nil, fmt.Errorf("A and B must be 2-D, got shapes %v and %v", a.shape, b.shape)
	}
	ta, tb := n.Attrs.Int("transA", 0) != 0, n.Attrs.Int("transB", 0) != 0
	alpha, beta := float64(n.Attrs.Float("alpha", 1)), float64(n.Attrs.Float("beta", 1))
	m, k := a.shape[0], a.shape[1]
	if ta {
		m, k = k, m
	}
	kb, nn := b.shape[0], b.shape[1]
	if tb {
		kb, nn = nn, kb
	}
	if k != kb {
		return nil, fmt.Errorf("inner dimensions differ: op(A) is %dx%d, op(B) is %dx%d", m, k, kb, nn)
	}
	at := func(i, p int) float64 {
		if ta {
			return a.f[p*m+i]
		}
		return a.f[i*k+p]
	}
	bt := func(p, j int) float64 {
		if tb {
			return b.f[j*k+p]
		}
		return b.f[p*nn+j]
	}
	res := newArray(a.dt, []int{m, nn})
	for i := 0; i < m; i++ {
		for j := 0; j < nn; j++ {
			s := 0.0
			for p := 0; p < k; p++ {
				s += at(i, p) * bt(p, j)
			}
			res.f[i*nn+j] = alpha * s
		}
	}
	if len(in) == 3 {
		c := in[2]
		for j, d := range c.shape {
			if len(c.shape) > 2 || (d != 1 && d != res.shape[2-len(c.shape)+j]) {
				return nil, fmt.Errorf("C of shape %v does not broadcast to (M, N) = (%d, %d)", c.shape, m, nn)
			}
		}
		ic := broadcastIndex(res.shape, c.shape)
		for f := range res.f {
			res.f[f] += beta * c.f[ic[f]]
		}
	}
	return []*array{res}, nil
}

// gemmGrad differentiates Y = alpha*op(A)*op(B) + beta*C with Gemms: d op(A) = alpha dY op(B)^T
// and d op(B) = alpha op(A)^T dY, transposed back where A or B was transposed; dC = beta dY in
// the output shape (the sweep sums it back to C's shape).
func gemmGrad(n *Node, dys []*Value, need []bool) []*Value {
	a, b, dy := n.Inputs[0], n.Inputs[1], dys[0]
	ta, tb := n.Attrs.Int("transA", 0) != 0, n.Attrs.Int("transB", 0) != 0
	alpha, beta := n.Attrs.Float("alpha", 1), n.Attrs.Float("beta", 1)
	out := make([]*Value, len(n.Inputs))
	if need[0] {
		switch {
		case !ta:
			out[0] = Gemm(dy, b, nil, GemmOpts{TransB: !tb, Alpha: alpha})
		default:
			out[0] = Gemm(b, dy, nil, GemmOpts{TransA: tb, TransB: true, Alpha: alpha})
		}
	}
	if need[1] {
		switch {
		case !tb:
			out[1] = Gemm(a, dy, nil, GemmOpts{TransA: !ta, Alpha: alpha})
		default:
			out[1] = Gemm(dy, a, nil, GemmOpts{TransA: true, TransB: ta, Alpha: alpha})
		}
	}
	if len(need) == 3 && need[2] {
		out[2] = dy
		if beta != 1 {
			out[2] = Mul(dy, Scalar(dy.g, beta))
		}
	}
	return out
}

// MatMul returns the matrix product of a and b with numpy matmul semantics: a 1-D operand is
// promoted to a row (a) or column (b) vector and the added axis removed from the result, and
// leading batch dimensions broadcast.
func MatMul(a, b *Value) *Value {
	g := graphOf(a, b)
	if g == nil {
		return nil
	}
	return g.add1("MatMul", nil, a, b)
}

// GemmOpts are the options of Gemm. A zero Alpha or Beta means 1.
type GemmOpts struct {
	// TransA and TransB transpose A and B before the product.
	TransA, TransB bool
	// Alpha scales the product and Beta scales C.
	Alpha, Beta float32
}

// Gemm returns alpha*op(A)*op(B) + beta*C for 2-D a and b, where op transposes when asked.
// c may be nil; otherwise it broadcasts to the (M, N) result (e.g. a bias of shape (N),
// (1, N) or a scalar).
func Gemm(a, b, c *Value, o GemmOpts) *Value {
	g := graphOf(a, b)
	if g == nil {
		return nil
	}
	attrs := Attrs{}
	if o.TransA {
		attrs["transA"] = int64(1)
	}
	if o.TransB {
		attrs["transB"] = int64(1)
	}
	if o.Alpha != 0 && o.Alpha != 1 {
		attrs["alpha"] = o.Alpha
	}
	if o.Beta != 0 && o.Beta != 1 {
		attrs["beta"] = o.Beta
	}
	if c == nil {
		return g.add1("Gemm", attrs, a, b)
	}
	return g.add1("Gemm", attrs, a, b, c)
}
