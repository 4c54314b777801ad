package graphs

import (
	"fmt"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Grad appends to y's graph the reverse-mode derivative of sum(y) with respect to each of wrt
// and returns the gradient values, each with the shape of its wrt value. Values that y does not
// depend on get a zero gradient. Integer and boolean paths carry no gradient; nodes off the path
// from wrt to y are not visited.
func Grad(y *Value, wrt ...*Value) ([]*Value, error) {
	if y == nil {
		return nil, fmt.Errorf("graphs: grad: nil output")
	}
	return GradSeed(y, OnesLike(y), wrt...)
}

// GradSeed is Grad with an explicit output gradient dy (same shape as y): it returns the
// vector-Jacobian products dy^T dy/dwrt.
func GradSeed(y, dy *Value, wrt ...*Value) ([]*Value, error) {
	if y == nil || dy == nil {
		return nil, fmt.Errorf("graphs: grad: nil output or seed")
	}
	g := y.g
	if g.err != nil {
		return nil, g.err
	}
	if !isFloat(y.dtype) {
		return nil, fmt.Errorf("graphs: grad: output %v is not floating point", y)
	}
	for i, w := range wrt {
		if w == nil || w.g != g {
			return nil, fmt.Errorf("graphs: grad: wrt[%d] is nil or from another graph", i)
		}
	}
	// Forward reachability: which float values depend on any wrt.
	depends := map[*Value]bool{}
	for _, w := range wrt {
		depends[w] = true
	}
	for _, n := range g.nodes {
		for _, in := range n.Inputs {
			if depends[in] {
				for _, o := range n.Outputs {
					if isFloat(o.dtype) {
						depends[o] = true
					}
				}
				break
			}
		}
	}
	grads := map[*Value]*Value{y: dy}
	last := y.node.id
	for k := last; k >= 0; k-- {
		n := g.nodes[k]
		dys := make([]*Value, len(n.Outputs))
		any := false
		for j, o := range n.Outputs {
			if d := grads[o]; d != nil && depends[o] {
				dys[j] = d
				any = true
			}
		}
		if !any || n.Op == "Input" || n.Op == "Param" {
			continue
		}
		def := registry[n.Op]
		need := make([]bool, len(n.Inputs))
		anyNeed := false
		for i, in := range n.Inputs {
			if !depends[in] || !isFloat(in.dtype) {
				continue
			}
			switch def.inputState(i) {
			case Differentiable:
				need[i] = true
				anyNeed = true
			case NotImplemented:
				return nil, fmt.Errorf("graphs: grad: %s#%d (%s): gradient with respect to input %d is not implemented", n.Op, n.id, n.Site, i)
			}
		}
		if !anyNeed {
			continue
		}
		dxs := def.grad(n, dys, need)
		if g.err != nil {
			return nil, fmt.Errorf("graphs: grad of %s#%d (%s): %w", n.Op, n.id, n.Site, g.err)
		}
		for i, in := range n.Inputs {
			if !need[i] {
				continue
			}
			if i >= len(dxs) || dxs[i] == nil {
				return nil, fmt.Errorf("graphs: grad: %s#%d: rule returned no gradient for input %d", n.Op, n.id, i)
			}
			dx := unbroadcast(dxs[i], in)
			if err := checkGradShape(dx, in); err != nil {
				return nil, fmt.Errorf("graphs: grad: %s#%d (%s) input %d: %w", n.Op, n.id, n.Site, i, err)
			}
			if prev := grads[in]; prev != nil {
				dx = Add(prev, dx)
			}
			grads[in] = dx
		}
	}
	out := make([]*Value, len(wrt))
	for i, w := range wrt {
		if d := grads[w]; d != nil {
			out[i] = d
		} else {
			out[i] = ZerosLike(w)
		}
	}
	if g.err != nil {
		return nil, g.err
	}
	return out, nil
}

func isFloat(dt tensor.DType) bool { return dt == tensor.Float32 || dt == tensor.Float64 }

// unbroadcast sums a gradient that has the broadcast shape back to the shape of x.
func unbroadcast(dx, x *Value) *Value {
	ds, xs := dx.shape, x.shape
	if ds.Equal(xs) {
		return dx
	}
	off := len(ds) - len(xs)
	if off < 0 {
		return dx // a rule returned a smaller gradient: checkGradShape reports it
	}
	var axes []int
	for k := 0; k < off; k++ {
		axes = append(axes, k)
	}
	for k, d := range xs {
		if d == 1 && ds[off+k] != 1 {
			axes = append(axes, off+k)
		}
	}
	r := dx
	if len(axes) > 0 {
		r = ReduceSum(dx, axes, true)
	}
	if off > 0 {
		if xs.Known() {
			r = Reshape(r, ConstInts(dx.g, toInt64s(xs)...))
		} else {
			r = Reshape(r, ShapeOf(x))
		}
	}
	return r
}

func checkGradShape(dx, x *Value) error {
	if len(dx.shape) != len(x.shape) {
		return fmt.Errorf("gradient shape %v does not match input shape %v", dx.shape, x.shape)
	}
	for k := range dx.shape {
		if dx.shape[k] >= 0 && x.shape[k] >= 0 && dx.shape[k] != x.shape[k] {
			return fmt.Errorf("gradient shape %v does not match input shape %v", dx.shape, x.shape)
		}
	}
	return nil
}

// OnesLike returns a float tensor of ones with x's (run-time) shape.
func OnesLike(x *Value) *Value { return filledLike(x, 1) }

// ZerosLike returns a float tensor of zeros with x's (run-time) shape.
func ZerosLike(x *Value) *Value { return filledLike(x, 0) }

func filledLike(x *Value, v float32) *Value {
	if x.shape.Known() {
		return ConstantOfShape(ConstInts(x.g, toInt64s(x.shape)...), v)
	}
	return ConstantOfShape(ShapeOf(x), v)
}
