package onnx

import (
	"fmt"

	gtensor "gorgonia.org/tensor"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// The ONNX operators Import converts, each with the inputs it differentiates (which decide
// what initializers are trainable) and its conversion into graph ops. Operators the IR has
// map one to one; Clip, InstanceNormalization and BatchNormalization become composites of
// primitives, so their gradients come from the primitives' rules.

// opImporter converts one ONNX operator type.
type opImporter struct {
	// minIn is the number of leading inputs that must be present.
	minIn int
	// diff reports whether a gradient flows through input slot i of the node.
	diff func(op *decodedOp, i int) bool
	// build returns the node's outputs; errors go to c.fail or to the graph.
	build func(c *nodeCtx) []*graphs.Value
}

// nodeCtx is what an op importer sees of one node.
type nodeCtx struct {
	g     *graphs.Graph
	opset int64
	op    *decodedOp
	// in holds the inputs by slot, nil for an absent optional input.
	in   []*graphs.Value
	nout int
	err  error
}

func (c *nodeCtx) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf(format, args...)
	}
}

// input returns input slot i, or nil when it is absent.
func (c *nodeCtx) input(i int) *graphs.Value {
	if i < len(c.in) {
		return c.in[i]
	}
	return nil
}

func (c *nodeCtx) attr(name string) (any, bool) {
	v, ok := c.op.attrs[name]
	return v, ok
}

// attrInt returns an INT attribute, or def when absent.
func (c *nodeCtx) attrInt(name string, def int64) int64 {
	v, ok := c.attr(name)
	if !ok {
		return def
	}
	i, ok := v.(int64)
	if !ok {
		c.fail("attribute %s: want an int, got %T", name, v)
		return def
	}
	return i
}

// attrFloat returns a FLOAT attribute, or def when absent.
func (c *nodeCtx) attrFloat(name string, def float32) float32 {
	v, ok := c.attr(name)
	if !ok {
		return def
	}
	f, ok := v.(float32)
	if !ok {
		c.fail("attribute %s: want a float, got %T", name, v)
		return def
	}
	return f
}

// attrInts returns an INTS attribute as ints, or nil when absent.
func (c *nodeCtx) attrInts(name string) []int {
	v, ok := c.attr(name)
	if !ok {
		return nil
	}
	is, ok := v.([]int64)
	if !ok {
		c.fail("attribute %s: want a list of ints, got %T", name, v)
		return nil
	}
	return intsOf(is)
}

// attrString returns a STRING attribute, or def when absent.
func (c *nodeCtx) attrString(name, def string) string {
	v, ok := c.attr(name)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		c.fail("attribute %s: want a string, got %T", name, v)
		return def
	}
	return s
}

// attrTensor returns a TENSOR attribute, or nil when absent.
func (c *nodeCtx) attrTensor(name string) *tensor.Tensor {
	v, ok := c.attr(name)
	if !ok {
		return nil
	}
	gt, ok := v.(gtensor.Tensor)
	if !ok {
		c.fail("attribute %s: want a tensor, got %T", name, v)
		return nil
	}
	t, err := fromGorgonia(gt)
	if err != nil {
		c.fail("attribute %s: %v", name, err)
		return nil
	}
	return t
}

// knownInts returns the build-time contents of input slot i, which must be a constant int64
// vector (axes, sizes).
func (c *nodeCtx) knownInts(i int, what string) []int {
	v := c.input(i)
	if v == nil {
		return nil
	}
	ints, ok := v.KnownInts()
	if !ok {
		c.fail("%s (input %d) must be known when the graph is built", what, i)
		return nil
	}
	return intsOf(ints)
}

func intsOf(v []int64) []int {
	out := make([]int, len(v))
	for k, x := range v {
		out[k] = int(x)
	}
	return out
}

func single(v *graphs.Value) []*graphs.Value { return []*graphs.Value{v} }

// slots returns a diff function for the given input slots.
func slots(s ...int) func(*decodedOp, int) bool {
	return func(_ *decodedOp, i int) bool {
		for _, k := range s {
			if k == i {
				return true
			}
		}
		return false
	}
}

func allSlots(*decodedOp, int) bool { return true }

func noSlots(*decodedOp, int) bool { return false }

var importOps = map[string]opImporter{}

func init() {
	unary := map[string]func(*graphs.Value) *graphs.Value{
		"Identity": graphs.Identity, "Neg": graphs.Neg, "Exp": graphs.Exp, "Log": graphs.Log,
		"Sqrt": graphs.Sqrt, "Sin": graphs.Sin, "Cos": graphs.Cos, "Atan": graphs.Atan,
		"Tanh": graphs.Tanh, "Sigmoid": graphs.Sigmoid, "Softplus": graphs.Softplus,
		"Relu": graphs.Relu, "Abs": graphs.Abs, "Reciprocal": graphs.Reciprocal,
	}
	for name, f := range unary {
		importOps[name] = opImporter{1, slots(0), func(c *nodeCtx) []*graphs.Value { return single(f(c.in[0])) }}
	}
	importOps["Sign"] = opImporter{1, noSlots, func(c *nodeCtx) []*graphs.Value { return single(graphs.Sign(c.in[0])) }}
	importOps["Dropout"] = opImporter{1, slots(0), func(c *nodeCtx) []*graphs.Value {
		return single(c.in[0]) // inference: the identity; a requested mask output is reported as unsupported
	}}
	importOps["LeakyRelu"] = opImporter{1, slots(0), func(c *nodeCtx) []*graphs.Value {
		return single(graphs.LeakyRelu(c.in[0], c.attrFloat("alpha", 0.01)))
	}}
	binary := map[string]func(a, b *graphs.Value) *graphs.Value{
		"Add": graphs.Add, "Sub": graphs.Sub, "Mul": graphs.Mul, "Div": graphs.Div,
	}
	for name, f := range binary {
		importOps[name] = opImporter{2, slots(0, 1), func(c *nodeCtx) []*graphs.Value { return single(f(c.in[0], c.in[1])) }}
	}
	importOps["Pow"] = opImporter{2, slots(0, 1), func(c *nodeCtx) []*graphs.Value {
		a, b := c.in[0], c.in[1]
		if b.DType() != a.DType() { // ONNX allows an exponent of another type
			b = graphs.Cast(b, a.DType())
		}
		return single(graphs.Pow(a, b))
	}}
	compare := map[string]func(a, b *graphs.Value) *graphs.Value{
		"Equal": graphs.Equal, "Greater": graphs.Greater, "Less": graphs.Less,
	}
	for name, f := range compare {
		importOps[name] = opImporter{2, noSlots, func(c *nodeCtx) []*graphs.Value { return single(f(c.in[0], c.in[1])) }}
	}
	importOps["Where"] = opImporter{3, slots(1, 2), func(c *nodeCtx) []*graphs.Value {
		return single(graphs.Where(c.in[0], c.in[1], c.in[2]))
	}}
	importOps["Clip"] = opImporter{1, slots(0), importClip}
	importOps["Gemm"] = opImporter{2, allSlots, importGemm}
	importOps["MatMul"] = opImporter{2, allSlots, func(c *nodeCtx) []*graphs.Value {
		return single(graphs.MatMul(c.in[0], c.in[1]))
	}}
	importOps["Conv"] = opImporter{2, allSlots, func(c *nodeCtx) []*graphs.Value {
		return single(graphs.Conv(c.in[0], c.in[1], c.input(2), c.convOpts()))
	}}
	importOps["ConvTranspose"] = opImporter{2, allSlots, func(c *nodeCtx) []*graphs.Value {
		if _, ok := c.attr("output_shape"); ok {
			c.fail("the output_shape attribute is not supported; export with explicit pads and output_padding")
		}
		o := graphs.ConvTransposeOpts{ConvOpts: c.convOpts(), OutputPadding: c.attrInts("output_padding")}
		return single(graphs.ConvTranspose(c.in[0], c.in[1], c.input(2), o))
	}}
	importOps["InstanceNormalization"] = opImporter{3, allSlots, importInstanceNorm}
	importOps["BatchNormalization"] = opImporter{5, slots(0, 1, 2), importBatchNorm}
	importOps["Softmax"] = opImporter{1, slots(0), func(c *nodeCtx) []*graphs.Value {
		return single(graphs.Softmax(c.in[0], int(c.attrInt("axis", -1))))
	}}
	importOps["ReduceSum"] = opImporter{1, slots(0), func(c *nodeCtx) []*graphs.Value {
		return c.reduce(graphs.ReduceSum, c.knownInts(1, "axes"))
	}}
	importOps["ReduceMean"] = opImporter{1, slots(0), func(c *nodeCtx) []*graphs.Value {
		axes := c.attrInts("axes")
		if c.opset >= 18 {
			axes = c.knownInts(1, "axes")
		}
		return c.reduce(graphs.ReduceMean, axes)
	}}
	importLayoutOps()
}

// reduce builds ReduceSum or ReduceMean with ONNX's keepdims and noop_with_empty_axes.
func (c *nodeCtx) reduce(f func(*graphs.Value, []int, bool) *graphs.Value, axes []int) []*graphs.Value {
	keep := c.attrInt("keepdims", 1) != 0
	if len(axes) == 0 && c.attrInt("noop_with_empty_axes", 0) != 0 {
		return single(graphs.Identity(c.in[0]))
	}
	return single(f(c.in[0], axes, keep))
}

// importClip clamps with the optional min and max inputs as min(max(x, lo), hi), built from
// Where so that the gradient with respect to x is zero outside [lo, hi].
func importClip(c *nodeCtx) []*graphs.Value {
	y := c.in[0]
	if lo := c.input(1); lo != nil {
		y = graphs.Where(graphs.Less(y, lo), lo, y)
	}
	if hi := c.input(2); hi != nil {
		y = graphs.Where(graphs.Greater(y, hi), hi, y)
	}
	return single(y)
}

func importGemm(c *nodeCtx) []*graphs.Value {
	alpha, beta := c.attrFloat("alpha", 1), c.attrFloat("beta", 1)
	if alpha == 0 {
		c.fail("alpha 0 is not supported")
		return nil
	}
	bias := c.input(2)
	if beta == 0 {
		bias, beta = nil, 1
	}
	o := graphs.GemmOpts{TransA: c.attrInt("transA", 0) != 0, TransB: c.attrInt("transB", 0) != 0, Alpha: alpha, Beta: beta}
	return single(graphs.Gemm(c.in[0], c.in[1], bias, o))
}

// convOpts reads the attributes Conv and ConvTranspose share. kernel_shape is checked against
// the weight by the graph's shape rule.
func (c *nodeCtx) convOpts() graphs.ConvOpts {
	o := graphs.ConvOpts{
		Strides:   c.attrInts("strides"),
		Pads:      c.attrInts("pads"),
		Dilations: c.attrInts("dilations"),
		Group:     int(c.attrInt("group", 1)),
	}
	switch ap := c.attrString("auto_pad", "NOTSET"); ap {
	case "NOTSET":
	case "VALID":
		o.Pads = nil
	default:
		c.fail("auto_pad %q is not supported; export with explicit pads", ap)
	}
	if ks := c.attrInts("kernel_shape"); ks != nil {
		ws := c.in[1].Shape()
		if len(ws) != len(ks)+2 {
			c.fail("kernel_shape %v does not fit the weight shape %v", ks, ws)
		}
		for k, d := range ks {
			if k+2 < len(ws) && ws[k+2] >= 0 && ws[k+2] != d {
				c.fail("kernel_shape %v does not match the weight shape %v", ks, ws)
			}
		}
	}
	return o
}

// channelVector reshapes a per-channel vector (C) so that it broadcasts against (N, C, ...)
// of the given rank.
func channelVector(v *graphs.Value, rank int) *graphs.Value {
	if rank <= 2 {
		return v
	}
	axes := make([]int, rank-2)
	for k := range axes {
		axes[k] = k + 1
	}
	return graphs.Unsqueeze(v, axes)
}

// importInstanceNorm normalises each (sample, channel) over the spatial axes:
// (x - mean) / sqrt(var + epsilon) * scale + bias, with the biased variance.
func importInstanceNorm(c *nodeCtx) []*graphs.Value {
	x, scale, bias := c.in[0], c.in[1], c.in[2]
	rank := x.Rank()
	if rank < 3 {
		c.fail("input rank %d: needs (N, C, D1, ...)", rank)
		return nil
	}
	axes := make([]int, rank-2)
	for k := range axes {
		axes[k] = k + 2
	}
	d := graphs.Sub(x, graphs.ReduceMean(x, axes, true))
	v := graphs.ReduceMean(graphs.Mul(d, d), axes, true)
	y := graphs.Div(d, graphs.Sqrt(graphs.Add(v, graphs.Scalar(c.g, c.attrFloat("epsilon", 1e-5)))))
	return single(graphs.Add(graphs.Mul(y, channelVector(scale, rank)), channelVector(bias, rank)))
}

// importBatchNorm applies inference-mode batch normalisation with the stored statistics:
// (x - mean) / sqrt(var + epsilon) * scale + bias per channel.
func importBatchNorm(c *nodeCtx) []*graphs.Value {
	if c.attrInt("training_mode", 0) != 0 {
		c.fail("training_mode 1 is not supported; export the model in eval mode")
		return nil
	}
	x := c.in[0]
	rank := x.Rank()
	if rank < 2 {
		c.fail("input rank %d: needs (N, C, ...)", rank)
		return nil
	}
	scale, bias, mean, variance := channelVector(c.in[1], rank), channelVector(c.in[2], rank), channelVector(c.in[3], rank), channelVector(c.in[4], rank)
	std := graphs.Sqrt(graphs.Add(variance, graphs.Scalar(c.g, c.attrFloat("epsilon", 1e-5))))
	return single(graphs.Add(graphs.Mul(graphs.Div(graphs.Sub(x, mean), std), scale), bias))
}

// importLayoutOps registers the operators that move, reshape and create data.
func importLayoutOps() {
	importOps["Constant"] = opImporter{0, noSlots, importConstant}
	importOps["Concat"] = opImporter{1, allSlots, func(c *nodeCtx) []*graphs.Value {
		axis, ok := c.attr("axis")
		if !ok {
			c.fail("attribute axis is missing")
			return nil
		}
		a, _ := axis.(int64)
		for k, v := range c.in {
			if v == nil {
				c.fail("input %d is missing", k)
				return nil
			}
		}
		return single(graphs.Concat(c.in, int(a)))
	}}
	importOps["Unsqueeze"] = opImporter{2, slots(0), func(c *nodeCtx) []*graphs.Value {
		return single(graphs.Unsqueeze(c.in[0], c.knownInts(1, "axes")))
	}}
	importOps["Squeeze"] = opImporter{1, slots(0), func(c *nodeCtx) []*graphs.Value {
		return single(graphs.Squeeze(c.in[0], c.knownInts(1, "axes")...))
	}}
	importOps["Flatten"] = opImporter{1, slots(0), func(c *nodeCtx) []*graphs.Value {
		return single(graphs.Flatten(c.in[0], int(c.attrInt("axis", 1))))
	}}
	importOps["Reshape"] = opImporter{2, slots(0), func(c *nodeCtx) []*graphs.Value {
		if c.attrInt("allowzero", 0) != 0 {
			// allowzero=1 differs from the default only where the shape holds a 0.
			sh, ok := c.in[1].KnownInts()
			for _, d := range sh {
				ok = ok && d != 0
			}
			if !ok {
				c.fail("allowzero=1 is supported only for constant shapes without zeros")
				return nil
			}
		}
		return single(graphs.Reshape(c.in[0], c.in[1]))
	}}
	importOps["Shape"] = opImporter{1, noSlots, func(c *nodeCtx) []*graphs.Value {
		x := c.in[0]
		rank := int64(x.Rank())
		clamp := func(v int64) int {
			if v < 0 {
				v += rank
			}
			return int(min(max(v, 0), rank))
		}
		start, end := clamp(c.attrInt("start", 0)), clamp(c.attrInt("end", rank))
		s := graphs.ShapeOf(x)
		if start == 0 && end == int(rank) {
			return single(s)
		}
		return single(graphs.SliceAxis(s, 0, start, max(start, end)))
	}}
	importOps["Gather"] = opImporter{2, slots(0), func(c *nodeCtx) []*graphs.Value {
		return single(graphs.Gather(c.in[0], c.in[1], int(c.attrInt("axis", 0))))
	}}
	importOps["Transpose"] = opImporter{1, slots(0), func(c *nodeCtx) []*graphs.Value {
		return single(graphs.Transpose(c.in[0], c.attrInts("perm")...))
	}}
	importOps["Slice"] = opImporter{3, slots(0), func(c *nodeCtx) []*graphs.Value {
		starts, axes, steps := c.in[1], c.input(3), c.input(4)
		n := starts.Shape()
		for k, v := range []*graphs.Value{starts, c.in[2], axes, steps} {
			if v != nil && (len(n) != 1 || n[0] < 0 || !v.Shape().Equal(n)) {
				c.fail("starts, ends, axes and steps must be 1-D vectors of one known length (input %d is %v, starts %v)", k+1, v.Shape(), n)
				return nil
			}
		}
		if steps != nil && axes == nil {
			all := make([]int64, n[0])
			for k := range all {
				all[k] = int64(k)
			}
			axes = graphs.ConstInts(c.g, all...)
		}
		return single(graphs.Slice(c.in[0], starts, c.in[2], axes, steps))
	}}
	importOps["Expand"] = opImporter{2, slots(0), func(c *nodeCtx) []*graphs.Value {
		return single(graphs.Expand(c.in[0], c.in[1]))
	}}
	importOps["Cast"] = opImporter{1, castDiff, func(c *nodeCtx) []*graphs.Value {
		to := c.attrInt("to", 0)
		dt, err := castType(to)
		if err != nil {
			c.fail("%v", err)
			return nil
		}
		return single(graphs.Cast(c.in[0], dt))
	}}
	importOps["ConstantOfShape"] = opImporter{1, noSlots, importConstantOfShape}
	importOps["Split"] = opImporter{1, slots(0), importSplit}
}

// castDiff lets gradients through float-to-float casts only.
func castDiff(op *decodedOp, i int) bool {
	to, _ := op.attrs["to"].(int64)
	dt, err := castType(to)
	return i == 0 && err == nil && dt == tensor.Float32
}

// castType maps a Cast target element type to the IR's.
func castType(to int64) (tensor.DType, error) {
	switch to {
	case 1, 11: // FLOAT, DOUBLE
		return tensor.Float32, nil
	case 6, 7: // INT32, INT64
		return tensor.Int64, nil
	case 9:
		return tensor.Bool, nil
	}
	return 0, fmt.Errorf("cast to %s is not supported", onnxElemName(int32(to)))
}

// importConstant reads the value, value_float(s) or value_int(s) attribute.
func importConstant(c *nodeCtx) []*graphs.Value {
	if t := c.attrTensor("value"); t != nil {
		return single(graphs.Const(c.g, t))
	}
	if _, ok := c.attr("value_float"); ok {
		return single(graphs.Scalar(c.g, c.attrFloat("value_float", 0)))
	}
	if v, ok := c.attr("value_floats"); ok {
		fs, ok := v.([]float32)
		if !ok {
			c.fail("attribute value_floats: want a list of floats, got %T", v)
			return nil
		}
		return single(graphs.Const(c.g, tensor.FromFloat32(append([]float32{}, fs...), len(fs))))
	}
	if _, ok := c.attr("value_int"); ok {
		return single(graphs.Const(c.g, tensor.FromInt64([]int64{c.attrInt("value_int", 0)})))
	}
	if v, ok := c.attr("value_ints"); ok {
		is, ok := v.([]int64)
		if !ok {
			c.fail("attribute value_ints: want a list of ints, got %T", v)
			return nil
		}
		return single(graphs.ConstInts(c.g, is...))
	}
	c.fail("needs a value, value_float(s) or value_int(s) attribute")
	return nil
}

// importConstantOfShape fills a tensor of the shape given by input 0 with the value attribute
// (float 0 by default).
func importConstantOfShape(c *nodeCtx) []*graphs.Value {
	shape := c.in[0]
	val := c.attrTensor("value")
	if val == nil {
		val = tensor.FromFloat32([]float32{0}, 1)
	}
	if c.err != nil {
		return nil
	}
	if val.Len() != 1 {
		c.fail("value must hold one element, has %d", val.Len())
		return nil
	}
	if val.DType == tensor.Float32 {
		return single(graphs.ConstantOfShape(shape, val.Float32[0]))
	}
	if s := shape.Shape(); len(s) == 1 && s[0] == 0 {
		return single(graphs.Const(c.g, tensor.FromInt64([]int64{val.Int64[0]})))
	}
	return single(graphs.Expand(graphs.Const(c.g, tensor.FromInt64([]int64{val.Int64[0]}, 1)), shape))
}

// importSplit cuts input 0 along axis by the sizes of input 1, or into as many equal pieces as
// the node has outputs (num_outputs in opset 18, the last piece smaller when the axis does
// not divide evenly).
func importSplit(c *nodeCtx) []*graphs.Value {
	x := c.in[0]
	axis := int(c.attrInt("axis", 0))
	sizes := c.knownInts(1, "split")
	if c.input(1) == nil {
		n := int(c.attrInt("num_outputs", int64(c.nout)))
		r := x.Rank()
		a := axis
		if a < 0 {
			a += r
		}
		if a < 0 || a >= r {
			c.fail("axis %d out of range for rank %d", axis, r)
			return nil
		}
		dim := x.Shape()[a]
		if dim < 0 || n <= 0 {
			c.fail("splitting an axis of unknown length needs the split input")
			return nil
		}
		chunk := (dim + n - 1) / n
		for left := dim; left > 0; left -= chunk {
			sizes = append(sizes, min(chunk, left))
		}
	}
	if c.err != nil {
		return nil
	}
	if len(sizes) != c.nout {
		c.fail("%d pieces for %d outputs", len(sizes), c.nout)
		return nil
	}
	return graphs.Split(x, axis, sizes...)
}
