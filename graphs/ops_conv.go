package graphs

import (
	"fmt"
	"math"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Convolutions: Conv and ConvTranspose over any number of spatial axes (1-D and 2-D in
// practice), with strides, explicit pads, dilations and groups, following ONNX semantics.
//
// Layouts: Conv takes x (N, C, S...) and weight (M, C/group, K...) and gives (N, M, O...);
// ConvTranspose takes x (N, C, S...) and weight (C, M/group, K...) and gives (N, M, O...).
// Channel c of x belongs to group c/(C/group) and meets the weight rows of that group only.
//
// Gradients (each again a convolution, so they can be differentiated once more):
//
//   - Conv, input: a ConvTranspose of dy with the same weight, strides, pads, dilations and
//     group, whose output_padding is the remainder (S + pads - dilated kernel) mod stride, so
//     the result has exactly the input's size.
//   - Conv, weight: a Conv whose batch axis is the input's per-group channels and whose channel
//     axis is (group, N): x is regrouped to (C/group, group*N, S...) and dy transposed to
//     (M, N, O...) serves as the weight, with group = group, strides = the dilations,
//     dilations = the strides and the same begin pads; the end pads lose the stride
//     remainder so that the result is (C/group, M, K...) (cropped if pads could not absorb
//     it), transposed to (M, C/group, K...).
//   - ConvTranspose, input: a Conv of dy with the same weight, strides, pads, dilations and
//     group, cropped to the input's size when output_padding reaches the stride.
//   - ConvTranspose, weight: a Conv of dy regrouped to (M/group, group*N, O...) with x
//     transposed to (C, N, S...) as weight, group = group, strides = the dilations,
//     dilations = the strides, the end pads reduced by output_padding; the (M/group, C, K...)
//     result is transposed to (C, M/group, K...).
//   - bias (both): the sum of dy over the batch and spatial axes.
//
// The gradient rules need the spatial sizes of x known when the graph is built (the batch
// may be dynamic).

func init() {
	for _, op := range []string{"Conv", "ConvTranspose"} {
		op := op
		d := &opDef{
			typ:    op,
			inputs: []GradState{Differentiable, Differentiable, Differentiable},
			infer: func(n *Node) ([]outSpec, error) {
				if err := errInputs(n, 2, 3); err != nil {
					return nil, err
				}
				x := n.Inputs[0]
				for _, v := range n.Inputs {
					if !isFloat(v.dtype) || v.dtype != x.dtype {
						return nil, fmt.Errorf("needs float inputs of one dtype, got %v and %v", x.dtype, v.dtype)
					}
				}
				var bs tensor.Shape
				if len(n.Inputs) == 3 {
					bs = n.Inputs[2].shape
				}
				_, out, err := convShapes(n, x.shape, n.Inputs[1].shape, bs)
				if err != nil {
					return nil, err
				}
				return []outSpec{{dtype: x.dtype, shape: out}}, nil
			},
			eval: convEval,
			grad: convGrad,
		}
		if op == "ConvTranspose" {
			d.grad = convTransposeGrad
		}
		register(d)
	}
}

// convGeom is the resolved geometry of a Conv or ConvTranspose node.
type convGeom struct {
	transpose bool
	group     int
	// One entry per spatial axis; kernel entries may be unknown (negative) at build time.
	strides, dilations, padBegin, padEnd, outPad, kernel []int
}

// pads returns the pads in ONNX order (all begins, then all ends).
func (c convGeom) pads() []int {
	return append(append([]int{}, c.padBegin...), c.padEnd...)
}

// dilatedKernel returns the extent of the dilated kernel along spatial axis t.
func (c convGeom) dilatedKernel(t int) int {
	return (c.kernel[t]-1)*c.dilations[t] + 1
}

// outSize returns the output length along spatial axis t for an input of length in
// (-1 when unknown).
func (c convGeom) outSize(t, in int) (int, error) {
	if in < 0 || c.kernel[t] < 0 {
		return -1, nil
	}
	dk := c.dilatedKernel(t)
	if c.transpose {
		o := c.strides[t]*(in-1) + c.outPad[t] + dk - c.padBegin[t] - c.padEnd[t]
		if o < 1 {
			return 0, fmt.Errorf("spatial axis %d: output length %d is not positive (input %d, pads %d+%d)", t, o, in, c.padBegin[t], c.padEnd[t])
		}
		return o, nil
	}
	padded := in + c.padBegin[t] + c.padEnd[t]
	if padded < dk {
		return 0, fmt.Errorf("spatial axis %d: dilated kernel (%d) is longer than the padded input (%d)", t, dk, padded)
	}
	return (padded-dk)/c.strides[t] + 1, nil
}

// convIntsAttr reads an INTS attribute with count entries, each at least lo (def when absent).
func convIntsAttr(n *Node, name string, count, def, lo int) ([]int, error) {
	raw := n.Attrs.Ints(name, nil)
	if raw == nil {
		out := make([]int, count)
		for k := range out {
			out[k] = def
		}
		return out, nil
	}
	if len(raw) != count {
		return nil, fmt.Errorf("%s %v has %d entries, want %d", name, raw, len(raw), count)
	}
	for _, v := range raw {
		if v < int64(lo) {
			return nil, fmt.Errorf("%s %v: entries must be at least %d", name, raw, lo)
		}
	}
	return toInts(raw), nil
}

// convGeometry resolves a node's attributes against the input and weight shapes.
func convGeometry(n *Node, xs, ws tensor.Shape) (convGeom, error) {
	geo := convGeom{transpose: n.Op == "ConvTranspose"}
	if len(xs) < 3 {
		return geo, fmt.Errorf("input must be (N, C, spatial...) with at least one spatial axis, got shape %v", xs)
	}
	if len(ws) != len(xs) {
		return geo, fmt.Errorf("weight rank %d (shape %v) does not match input rank %d (shape %v)", len(ws), ws, len(xs), xs)
	}
	r := len(xs) - 2
	geo.kernel = ws[2:].Clone()
	var err error
	if geo.strides, err = convIntsAttr(n, "strides", r, 1, 1); err != nil {
		return geo, err
	}
	if geo.dilations, err = convIntsAttr(n, "dilations", r, 1, 1); err != nil {
		return geo, err
	}
	pads, err := convIntsAttr(n, "pads", 2*r, 0, 0)
	if err != nil {
		return geo, err
	}
	geo.padBegin, geo.padEnd = pads[:r], pads[r:]
	geo.outPad = make([]int, r)
	if geo.transpose {
		if geo.outPad, err = convIntsAttr(n, "output_padding", r, 0, 0); err != nil {
			return geo, err
		}
		if _, ok := n.Attrs["output_shape"]; ok {
			return geo, fmt.Errorf("the output_shape attribute is not supported; give pads and output_padding")
		}
	}
	g := n.Attrs.Int("group", 1)
	if g < 1 {
		return geo, fmt.Errorf("group must be positive, got %d", g)
	}
	geo.group = int(g)
	if ks := n.Attrs.Ints("kernel_shape", nil); ks != nil {
		if len(ks) != r {
			return geo, fmt.Errorf("kernel_shape %v has %d entries for %d spatial axes", ks, len(ks), r)
		}
		for t, k := range ks {
			if geo.kernel[t] >= 0 && int64(geo.kernel[t]) != k {
				return geo, fmt.Errorf("kernel_shape %v does not match the weight's spatial shape %v", ks, ws[2:])
			}
		}
	}
	switch ap := n.Attrs.String("auto_pad", "NOTSET"); ap {
	case "NOTSET":
	case "VALID":
		for t := range geo.padBegin {
			geo.padBegin[t], geo.padEnd[t] = 0, 0
		}
	default:
		return geo, fmt.Errorf("auto_pad %q is not supported; give explicit pads", ap)
	}
	return geo, nil
}

// convShapes checks the input, weight and optional bias shapes (bs nil when there is no bias)
// of a Conv or ConvTranspose node and returns its geometry and output shape. Unknown
// (negative) dimensions pass the checks they take part in.
func convShapes(n *Node, xs, ws, bs tensor.Shape) (convGeom, tensor.Shape, error) {
	geo, err := convGeometry(n, xs, ws)
	if err != nil {
		return geo, nil, err
	}
	g, c := geo.group, xs[1]
	if c >= 0 && c%g != 0 {
		return geo, nil, fmt.Errorf("input channels %d are not divisible by group %d", c, g)
	}
	var m int
	if geo.transpose {
		if cw := ws[0]; c >= 0 && cw >= 0 && c != cw {
			return geo, nil, fmt.Errorf("channel mismatch: input has %d channels, weight has %d input channels (its dim 0)", c, cw)
		}
		m = -1
		if ws[1] >= 0 {
			m = ws[1] * g
		}
	} else {
		m = ws[0]
		if m >= 0 && m%g != 0 {
			return geo, nil, fmt.Errorf("output channels %d (weight dim 0) are not divisible by group %d", m, g)
		}
		if cg := ws[1]; c >= 0 && cg >= 0 && cg*g != c {
			return geo, nil, fmt.Errorf("channel mismatch: input has %d channels, weight expects %d (%d per group x group %d)", c, cg*g, cg, g)
		}
	}
	if bs != nil {
		if len(bs) != 1 || (bs[0] >= 0 && m >= 0 && bs[0] != m) {
			return geo, nil, fmt.Errorf("bias shape %v: want one entry per output channel (%d)", bs, m)
		}
	}
	out := tensor.Shape{xs[0], m}
	for t := range geo.kernel {
		o, err := geo.outSize(t, xs[2+t])
		if err != nil {
			return geo, nil, err
		}
		out = append(out, o)
	}
	return geo, out, nil
}

// convTable maps every pair (position a in the a-grid, kernel position k) to the flat index of
// position a*stride + k*dilation - pad_begin in the b-grid, or -1 where that falls outside.
// For Conv the a-grid is the output and the b-grid the input; for ConvTranspose the reverse.
func convTable(geo convGeom, aGrid, bGrid []int) []int {
	aSize, kSize := tensor.Shape(aGrid).Size(), tensor.Shape(geo.kernel).Size()
	bStr := rowMajorStrides(bGrid)
	tab := make([]int, 0, aSize*kSize)
	if aSize == 0 || kSize == 0 {
		return tab
	}
	ai := make([]int, len(aGrid))
	for {
		ki := make([]int, len(geo.kernel))
		for {
			p := 0
			for t := range ai {
				b := ai[t]*geo.strides[t] + ki[t]*geo.dilations[t] - geo.padBegin[t]
				if b < 0 || b >= bGrid[t] {
					p = -1
					break
				}
				p += b * bStr[t]
			}
			tab = append(tab, p)
			if nextIndex(ki, geo.kernel) {
				break
			}
		}
		if nextIndex(ai, aGrid) {
			break
		}
	}
	return tab
}

func convEval(n *Node, in []*array) ([]*array, error) {
	x, w := in[0], in[1]
	var bs tensor.Shape
	if len(in) == 3 {
		bs = in[2].shape
	}
	geo, outShape, err := convShapes(n, x.shape, w.shape, bs)
	if err != nil {
		return nil, err
	}
	y := newArray(x.dt, outShape)
	batch, g := x.shape[0], geo.group
	cin, cout := x.shape[1], outShape[1]
	cg, mg := cin/g, cout/g
	inGrid, outGrid := x.shape[2:], outShape[2:]
	inSize, outSize := tensor.Shape(inGrid).Size(), tensor.Shape(outGrid).Size()
	kSize := tensor.Shape(geo.kernel).Size()
	if geo.transpose {
		// y[n, grp*mg+j, o] += x[n, c, s] * w[c, j, k] where o = s*stride + k*dilation - pad.
		tab := convTable(geo, inGrid, outGrid)
		for b := 0; b < batch; b++ {
			for c := 0; c < cin; c++ {
				grp := c / cg
				xo := (b*cin + c) * inSize
				for j := 0; j < mg; j++ {
					wo := (c*mg + j) * kSize
					yo := (b*cout + grp*mg + j) * outSize
					for s := 0; s < inSize; s++ {
						xv := x.f[xo+s]
						for k := 0; k < kSize; k++ {
							if o := tab[s*kSize+k]; o >= 0 {
								y.f[yo+o] += xv * w.f[wo+k]
							}
						}
					}
				}
			}
		}
	} else {
		// y[n, m, o] = sum over the group's channels c and kernel positions k of
		// x[n, grp*cg+c, o*stride + k*dilation - pad] * w[m, c, k].
		tab := convTable(geo, outGrid, inGrid)
		for b := 0; b < batch; b++ {
			for m := 0; m < cout; m++ {
				grp := m / mg
				yo := (b*cout + m) * outSize
				for c := 0; c < cg; c++ {
					xo := (b*cin + grp*cg + c) * inSize
					wo := (m*cg + c) * kSize
					for o := 0; o < outSize; o++ {
						s := 0.0
						for k := 0; k < kSize; k++ {
							if p := tab[o*kSize+k]; p >= 0 {
								s += x.f[xo+p] * w.f[wo+k]
							}
						}
						y.f[yo+o] += s
					}
				}
			}
		}
	}
	if len(in) == 3 {
		for b := 0; b < batch; b++ {
			for m := 0; m < cout; m++ {
				yo := (b*cout + m) * outSize
				for o := 0; o < outSize; o++ {
					y.f[yo+o] += in[2].f[m]
				}
			}
		}
	}
	return []*array{y}, nil
}

// convGradSetup resolves the geometry for a gradient rule and checks that the spatial sizes it
// needs are known; on failure it records the error and returns false.
func convGradSetup(n *Node) (convGeom, bool) {
	x, w := n.Inputs[0], n.Inputs[1]
	geo, err := convGeometry(n, x.shape, w.shape)
	if err == nil && (!x.shape[2:].Known() || !w.shape[2:].Known()) {
		err = fmt.Errorf("gradient needs known spatial sizes, got input %v and weight %v", x.shape, w.shape)
	}
	if err != nil {
		x.g.fail(fmt.Errorf("%s#%d: %w", n.Op, n.id, err))
		return geo, false
	}
	return geo, true
}

// convGradZeros returns zero gradients for the needed inputs (after a recorded error).
func convGradZeros(n *Node, need []bool) []*Value {
	out := make([]*Value, len(n.Inputs))
	for i, v := range n.Inputs {
		if need[i] {
			out[i] = ZerosLike(v)
		}
	}
	return out
}

func convGrad(n *Node, dys []*Value, need []bool) []*Value {
	geo, ok := convGradSetup(n)
	if !ok {
		return convGradZeros(n, need)
	}
	x, w, dy := n.Inputs[0], n.Inputs[1], dys[0]
	r := len(geo.kernel)
	// rem counts the input positions (padding included) past the last stride step.
	rem := make([]int, r)
	for t := range rem {
		rem[t] = (x.shape[2+t] + geo.padBegin[t] + geo.padEnd[t] - geo.dilatedKernel(t)) % geo.strides[t]
	}
	out := make([]*Value, len(n.Inputs))
	if need[0] {
		if c := convInputGradAsConv(dy, w, geo); c != nil {
			out[0] = c
		} else {
			// The output_padding restores the positions past the last stride step.
			out[0] = ConvTranspose(dy, w, nil, ConvTransposeOpts{
				ConvOpts:      ConvOpts{Strides: geo.strides, Pads: geo.pads(), Dilations: geo.dilations, Group: geo.group},
				OutputPadding: rem,
			})
		}
	}
	if need[1] {
		out[1] = convWeightGradAsMatMul(x, dy, geo)
	}
	if need[1] && out[1] == nil {
		// Positions past the last stride step never meet the kernel: drop them from the
		// end pads where the pads cover them.
		endPad := make([]int, r)
		for t := range endPad {
			endPad[t] = geo.padEnd[t] - min(rem[t], geo.padEnd[t])
		}
		xt := convRegroup(x, geo.group, w.shape[1]) // (C/group, group*N, S...)
		dyt := Transpose(dy, convSwapPerm(r+2)...)  // (M, N, O...)
		k := Conv(xt, dyt, nil, ConvOpts{
			Strides:   geo.dilations,
			Dilations: geo.strides,
			Pads:      append(append([]int{}, geo.padBegin...), endPad...),
			Group:     geo.group,
		})
		out[1] = convCrop(Transpose(k, convSwapPerm(r+2)...), geo.kernel)
	}
	if len(need) == 3 && need[2] {
		out[2] = ReduceSum(dy, convNonChannelAxes(r), false)
	}
	return out
}

// convInputGradAsConv returns the input gradient of a stride-1, single-group convolution as
// a plain Conv of dy with the kernel flipped and its channel axes swapped, padded by
// dilation*(k-1) - pad on each side; ONNX Runtime's Conv kernel runs this about twice as fast as
// the equivalent ConvTranspose. It returns nil where the form does not apply (strides > 1,
// groups, or pads larger than the dilated kernel).
func convInputGradAsConv(dy, w *Value, geo convGeom) *Value {
	if geo.group != 1 {
		return nil
	}
	r := len(geo.kernel)
	pads := make([]int, 2*r)
	for t := 0; t < r; t++ {
		if geo.strides[t] != 1 {
			return nil
		}
		span := geo.dilations[t] * (geo.kernel[t] - 1)
		pads[t], pads[r+t] = span-geo.padBegin[t], span-geo.padEnd[t]
		if pads[t] < 0 || pads[r+t] < 0 {
			return nil
		}
	}
	g := w.g
	axes, starts, ends, steps := make([]int64, r), make([]int64, r), make([]int64, r), make([]int64, r)
	for t := 0; t < r; t++ {
		axes[t], starts[t], ends[t], steps[t] = int64(2+t), -1, math.MinInt64, -1
	}
	flipped := Slice(w, ConstInts(g, starts...), ConstInts(g, ends...), ConstInts(g, axes...), ConstInts(g, steps...))
	return Conv(dy, Transpose(flipped, convSwapPerm(r+2)...), nil, ConvOpts{Pads: pads, Dilations: geo.dilations})
}

// convWeightGradAsMatMul returns the weight gradient of a single-group convolution as one
// batched MatMul of an im2col and dy, summed over the batch. The im2col (N, C*K, P), for K
// kernel offsets and P output positions, is itself a convolution: grouped by input channel, with
// a constant one-hot kernel per offset, and the convolution's strides, pads and dilations.
// ONNX Runtime runs this 4 to 5 times faster than the equivalent Conv over transposed tensors,
// whose kernel is the whole feature map and whose output is the small kernel (measured at 16-32
// channels, 14x14 and 28x28, batch 32-64), at the price of a transient buffer K/stride^2 times
// the input's size. Making the im2col with a Slice per kernel offset (strided for a strided
// convolution) and a Concat took longer: the MNIST reference networks' EBM step ran 1.45x
// faster and the initializer's step 1.15x with the one-hot convolution, alternating in one
// process. It returns nil where the form does not apply (groups, or input channels or spatial
// sizes unknown at build time).
func convWeightGradAsMatMul(x, dy *Value, geo convGeom) *Value {
	r := len(geo.kernel)
	c, m := x.shape[1], dy.shape[1]
	if geo.group != 1 || c < 0 || m < 0 || !x.shape[2:].Known() || !dy.shape[2:].Known() {
		return nil
	}
	k := tensor.Shape(geo.kernel).Size()
	// Output channel c*K + o copies kernel offset o (row-major, as Conv's weights) of input
	// channel c.
	onehot := make([]float32, c*k*k)
	for ci := range c {
		for o := range k {
			onehot[(ci*k+o)*k+o] = 1
		}
	}
	kernel := Const(x.g, tensor.FromFloat32(onehot, append([]int{c * k, 1}, geo.kernel...)...))
	cols := Conv(x, kernel, nil, ConvOpts{Strides: geo.strides, Pads: geo.pads(), Dilations: geo.dilations, Group: c})
	positions := tensor.Shape(dy.shape[2:]).Size()
	dyt := Transpose(ReshapeTo(dy, 0, m, positions), 0, 2, 1)                           // (N, P, M)
	prod := ReduceSum(MatMul(ReshapeTo(cols, 0, c*k, positions), dyt), []int{0}, false) // (C*K, M)
	perm := []int{r + 1, 0}                                                             // (C, k..., M) -> (M, C, k...)
	for t := range r {
		perm = append(perm, 1+t)
	}
	return Transpose(ReshapeTo(prod, append(append([]int{c}, geo.kernel...), m)...), perm...)
}

func convTransposeGrad(n *Node, dys []*Value, need []bool) []*Value {
	geo, ok := convGradSetup(n)
	if !ok {
		return convGradZeros(n, need)
	}
	x, w, dy := n.Inputs[0], n.Inputs[1], dys[0]
	r := len(geo.kernel)
	out := make([]*Value, len(n.Inputs))
	if need[0] {
		c := Conv(dy, w, nil, ConvOpts{Strides: geo.strides, Pads: geo.pads(), Dilations: geo.dilations, Group: geo.group})
		out[0] = convCrop(c, x.shape[2:])
	}
	if need[1] {
		// The output_padding positions lie past every input's reach: drop them from the
		// end pads where the pads cover them.
		endPad := make([]int, r)
		for t := range endPad {
			endPad[t] = geo.padEnd[t] - min(geo.outPad[t], geo.padEnd[t])
		}
		dyt := convRegroup(dy, geo.group, w.shape[1]) // (M/group, group*N, O...)
		xt := Transpose(x, convSwapPerm(r+2)...)      // (C, N, S...)
		k := Conv(dyt, xt, nil, ConvOpts{
			Strides:   geo.dilations,
			Dilations: geo.strides,
			Pads:      append(append([]int{}, geo.padBegin...), endPad...),
			Group:     geo.group,
		})
		out[1] = convCrop(Transpose(k, convSwapPerm(r+2)...), geo.kernel)
	}
	if len(need) == 3 && need[2] {
		out[2] = ReduceSum(dy, convNonChannelAxes(r), false)
	}
	return out
}

// convSwapPerm returns the permutation of a rank-r tensor that swaps its first two axes.
func convSwapPerm(rank int) []int {
	perm := make([]int, rank)
	for k := range perm {
		perm[k] = k
	}
	perm[0], perm[1] = 1, 0
	return perm
}

// convNonChannelAxes returns the batch and spatial axes (all but axis 1) of a tensor with r
// spatial axes.
func convNonChannelAxes(r int) []int {
	axes := []int{0}
	for t := 0; t < r; t++ {
		axes = append(axes, 2+t)
	}
	return axes
}

// convRegroup turns v (N, group*P, S...) into (P, group*N, S...) with entry [p, j*N+n] =
// v[n, j*P+p]: per-group channels become the batch and (group, batch) the channels. per is P
// when known (negative otherwise); the spatial sizes of v must be known.
func convRegroup(v *Value, group, per int) *Value {
	r := len(v.shape)
	if group == 1 {
		return Transpose(v, convSwapPerm(r)...)
	}
	sp := toInt64s(v.shape[2:])
	if per < 0 {
		per = -1
	}
	split := Reshape(v, ConstInts(v.g, append([]int64{0, int64(group), int64(per)}, sp...)...))
	perm := []int{2, 1, 0}
	for k := 3; k <= r; k++ {
		perm = append(perm, k)
	}
	return Reshape(Transpose(split, perm...), ConstInts(v.g, append([]int64{0, -1}, sp...)...))
}

// convCrop slices the spatial axes of v down to sizes where v is longer.
func convCrop(v *Value, sizes []int) *Value {
	var starts, ends, axes []int64
	for t, s := range sizes {
		if d := v.shape[2+t]; d > s {
			starts, ends, axes = append(starts, 0), append(ends, int64(s)), append(axes, int64(2+t))
		}
	}
	if axes == nil {
		return v
	}
	g := v.g
	return Slice(v, ConstInts(g, starts...), ConstInts(g, ends...), ConstInts(g, axes...), nil)
}

// ConvOpts are the options of Conv. Zero values mean stride 1, no padding, dilation 1 and one
// group.
type ConvOpts struct {
	// Strides has one entry per spatial axis.
	Strides []int
	// Pads has two entries per spatial axis in ONNX order: all begins, then all ends
	// (for 2-D: h_begin, w_begin, h_end, w_end).
	Pads []int
	// Dilations has one entry per spatial axis.
	Dilations []int
	// Group splits the channels into groups convolved separately (depthwise: the channels).
	Group int
}

// ConvTransposeOpts are the options of ConvTranspose: those of Conv, and OutputPadding (one
// entry per spatial axis) added at the end of each output axis.
type ConvTransposeOpts struct {
	ConvOpts
	OutputPadding []int
}

// convAttrs turns options into node attributes; kernel_shape is added when w's spatial shape is
// known.
func convAttrs(o ConvOpts, w *Value) Attrs {
	group := o.Group
	if group == 0 {
		group = 1
	}
	a := Attrs{"group": int64(group)} // a negative group is reported by the shape rule
	if len(o.Strides) > 0 {
		a["strides"] = toInt64s(o.Strides)
	}
	if len(o.Pads) > 0 {
		a["pads"] = toInt64s(o.Pads)
	}
	if len(o.Dilations) > 0 {
		a["dilations"] = toInt64s(o.Dilations)
	}
	if w != nil && len(w.shape) > 2 && w.shape[2:].Known() {
		a["kernel_shape"] = toInt64s(w.shape[2:])
	}
	return a
}

func convNode(op string, x, w, b *Value, a Attrs) *Value {
	g := graphOf(x, w, b)
	if g == nil {
		return nil
	}
	if b == nil {
		return g.add1(op, a, x, w)
	}
	return g.add1(op, a, x, w, b)
}

// Conv convolves x (N, C, H, W), or (N, C, L) for 1-D, with weight (M, C/group, kH, kW) and
// adds the optional bias b (M); b may be nil. The output is (N, M, outH, outW) with
// out = (in + pad_begin + pad_end - ((k-1)*dilation+1)) / stride + 1 (rounded down).
func Conv(x, w, b *Value, o ConvOpts) *Value {
	return convNode("Conv", x, w, b, convAttrs(o, w))
}

// ConvTranspose is the transpose (gradient) of a convolution: x (N, C, H, W) with weight
// (C, M/group, kH, kW) and optional bias b (M) gives (N, M, outH, outW) with
// out = stride*(in-1) + output_padding + ((k-1)*dilation+1) - pad_begin - pad_end.
func ConvTranspose(x, w, b *Value, o ConvTransposeOpts) *Value {
	a := convAttrs(o.ConvOpts, w)
	if len(o.OutputPadding) > 0 {
		a["output_padding"] = toInt64s(o.OutputPadding)
	}
	return convNode("ConvTranspose", x, w, b, a)
}
