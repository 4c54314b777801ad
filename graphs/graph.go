package graphs

import (
	"fmt"
	"runtime"
	"strings"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Graph is a computation graph under construction. Nodes are kept in creation order, which is
// a topological order because a node can only consume values that already exist.
//
// A Graph is not safe for concurrent use.
type Graph struct {
	name    string
	nodes   []*Node
	outputs []NamedValue
	names   map[string]bool // input and param names in use
	err     error
}

// NamedValue is a graph output: a value and the name it is exported under.
type NamedValue struct {
	Name  string
	Value *Value
}

// Node is one operation. Op is the ONNX operator type, except for the graph's sources
// "Input" and "Param" (Attrs["name"] holds their name, a Param's initial value is Attrs["value"]).
type Node struct {
	Op      string
	Inputs  []*Value
	Outputs []*Value
	Attrs   Attrs
	// Site is the caller's file:line that created the node (for error messages).
	Site string
	id   int
}

// ID returns the node's position in creation order.
func (n *Node) ID() int { return n.id }

// Value is one output of a node: a tensor of known element type and (partly) known shape.
// Negative dimensions are unknown until run time (typically the batch dimension).
type Value struct {
	g     *Graph
	node  *Node
	index int
	dtype tensor.DType
	shape tensor.Shape
	// ints holds the contents of a small int64 vector when (partly) known at build time,
	// e.g. a constant shape or the output of Shape; intsOK marks which entries are known.
	ints   []int64
	intsOK []bool
}

// Graph returns the graph the value belongs to.
func (v *Value) Graph() *Graph { return v.g }

// Node returns the node that produces the value.
func (v *Value) Node() *Node { return v.node }

// Index returns which output of its node the value is.
func (v *Value) Index() int { return v.index }

// DType returns the element type.
func (v *Value) DType() tensor.DType { return v.dtype }

// Shape returns a copy of the static shape (negative = unknown dimension).
func (v *Value) Shape() tensor.Shape { return v.shape.Clone() }

// Rank returns the number of dimensions.
func (v *Value) Rank() int { return len(v.shape) }

// Name returns the ONNX value name: graph inputs and params use their own name, other values
// a name derived from the node.
func (v *Value) Name() string {
	switch v.node.Op {
	case "Input", "Param":
		return v.node.Attrs.String("name", "")
	}
	return fmt.Sprintf("%s_%d:%d", strings.ToLower(v.node.Op), v.node.id, v.index)
}

// KnownInts returns the build-time contents of a small int64 vector (e.g. a shape) and whether
// every entry is known.
func (v *Value) KnownInts() ([]int64, bool) {
	if v.ints == nil {
		return nil, false
	}
	for _, ok := range v.intsOK {
		if !ok {
			return append([]int64(nil), v.ints...), false
		}
	}
	return append([]int64(nil), v.ints...), true
}

// String describes the value for error messages, e.g. "Conv#12 float32(?,16,28,28)".
func (v *Value) String() string {
	return fmt.Sprintf("%s#%d %v%v", v.node.Op, v.node.id, v.dtype, v.shape)
}

// New returns an empty graph with the given name.
func New(name string) *Graph {
	return &Graph{name: name, names: map[string]bool{}}
}

// Name returns the graph's name.
func (g *Graph) Name() string { return g.name }

// Err returns the first build error recorded in the graph, or nil.
func (g *Graph) Err() error { return g.err }

// Nodes returns the nodes in creation (topological) order. The slice must not be modified.
func (g *Graph) Nodes() []*Node { return g.nodes }

// Output marks v as a graph output exported under name.
func (g *Graph) Output(name string, v *Value) {
	if v == nil || v.g != g {
		g.fail(fmt.Errorf("output %q: value from another graph or nil", name))
		return
	}
	for _, o := range g.outputs {
		if o.Name == name {
			g.fail(fmt.Errorf("output %q declared twice", name))
			return
		}
	}
	g.outputs = append(g.outputs, NamedValue{name, v})
}

// ClearOutputs forgets the declared outputs (the nodes stay), so that a program derived from a
// graph, e.g. an imported one, can declare its own.
func (g *Graph) ClearOutputs() { g.outputs = nil }

// Outputs returns the declared outputs in declaration order.
func (g *Graph) Outputs() []NamedValue { return append([]NamedValue(nil), g.outputs...) }

// Lookup returns the Input or Param named name, or nil.
func (g *Graph) Lookup(name string) *Value {
	if !g.names[name] {
		return nil
	}
	for _, n := range g.nodes {
		if (n.Op == "Input" || n.Op == "Param") && n.Attrs.String("name", "") == name {
			return n.Outputs[0]
		}
	}
	return nil
}

// Inputs returns the graph's "Input" values in creation order.
func (g *Graph) Inputs() []*Value { return g.sources("Input") }

// Params returns the graph's "Param" values in creation order.
func (g *Graph) Params() []*Value { return g.sources("Param") }

func (g *Graph) sources(op string) []*Value {
	var out []*Value
	for _, n := range g.nodes {
		if n.Op == op {
			out = append(out, n.Outputs[0])
		}
	}
	return out
}

// BuildError is a misuse of the builder: an op given inputs it cannot take. It names the op,
// the input shapes and the call site.
type BuildError struct {
	Op     string
	Inputs []string
	Site   string
	Err    error
}

func (e *BuildError) Error() string {
	return fmt.Sprintf("graphs: %s(%s) at %s: %v", e.Op, strings.Join(e.Inputs, ", "), e.Site, e.Err)
}

func (e *BuildError) Unwrap() error { return e.Err }

// Fail records err as the graph's build error (the first one wins), with the caller's site.
// Layer code outside this package uses it to reject bad configurations the same way ops do.
func (g *Graph) Fail(err error) { g.fail(err) }

func (g *Graph) fail(err error) {
	if g.err == nil {
		g.err = fmt.Errorf("graphs: %s: %w", callSite(), err)
	}
}

// callSite returns file:line of the first caller outside this package.
func callSite() string {
	pcs := make([]uintptr, 32)
	n := runtime.Callers(2, pcs)
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.Contains(f.Function, "cdrl/graphs.") {
			file := f.File
			if i := strings.LastIndex(file, "/"); i >= 0 {
				if j := strings.LastIndex(file[:i], "/"); j >= 0 {
					file = file[j+1:]
				}
			}
			return fmt.Sprintf("%s:%d", file, f.Line)
		}
		if !more {
			return "?"
		}
	}
}

// outSpec is what a shape rule says about one output.
type outSpec struct {
	dtype  tensor.DType
	shape  tensor.Shape
	ints   []int64
	intsOK []bool
}

// add creates a node of a registered op. It never panics: a failing shape rule (or a panic in
// it) is recorded as the graph's error, and placeholder outputs are returned so that building
// can go on; the error surfaces when the graph is used (Grad, Evaluate, export).
func (g *Graph) add(op string, attrs Attrs, inputs ...*Value) []*Value {
	def := registry[op]
	n := &Node{Op: op, Inputs: inputs, Attrs: attrs, id: len(g.nodes)}
	nout := 1
	if def != nil && def.numOutputs != nil {
		nout = def.numOutputs(n)
	}
	placeholder := func() []*Value {
		outs := make([]*Value, nout)
		for i := range outs {
			outs[i] = &Value{g: g, node: n, index: i, dtype: tensor.Float32, shape: tensor.Shape{}}
		}
		n.Outputs = outs
		return outs
	}
	for i, in := range inputs {
		if in == nil {
			g.fail(fmt.Errorf("%s: input %d is nil", op, i))
			return placeholder()
		}
		if in.g != g {
			g.fail(fmt.Errorf("%s: input %d belongs to another graph", op, i))
			return placeholder()
		}
	}
	if g.err != nil {
		return placeholder()
	}
	if def == nil {
		g.fail(fmt.Errorf("unknown op %q", op))
		return placeholder()
	}
	n.Site = callSite()
	specs, err := safeInfer(def, n)
	if err == nil && len(specs) != nout {
		err = fmt.Errorf("shape rule returned %d outputs, want %d", len(specs), nout)
	}
	if err != nil {
		in := make([]string, len(inputs))
		for i, v := range inputs {
			in[i] = fmt.Sprintf("%v%v", v.dtype, v.shape)
		}
		g.err = &BuildError{Op: op, Inputs: in, Site: n.Site, Err: err}
		return placeholder()
	}
	outs := make([]*Value, nout)
	for i, s := range specs {
		outs[i] = &Value{g: g, node: n, index: i, dtype: s.dtype, shape: s.shape, ints: s.ints, intsOK: s.intsOK}
	}
	n.Outputs = outs
	g.nodes = append(g.nodes, n)
	return outs
}

func safeInfer(def *opDef, n *Node) (specs []outSpec, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error in shape rule: %v", r)
		}
	}()
	return def.infer(n)
}

// Apply adds a node of any registered op with the given attributes (Go types as in Attrs) and
// returns its outputs. It is the generic form of the builder functions, for code that copies
// graphs node by node; sources are made with Input, Param and Const instead.
func Apply(g *Graph, op string, attrs Attrs, inputs ...*Value) []*Value {
	if op == "Input" || op == "Param" {
		g.fail(fmt.Errorf("Apply: %s nodes are made with graphs.%s", op, op))
		return []*Value{Scalar(g, 0)}
	}
	return g.add(op, attrs, inputs...)
}

// add1 is add for single-output ops.
func (g *Graph) add1(op string, attrs Attrs, inputs ...*Value) *Value {
	return g.add(op, attrs, inputs...)[0]
}

// graphOf returns the graph of the first non-nil value.
func graphOf(vs ...*Value) *Graph {
	for _, v := range vs {
		if v != nil {
			return v.g
		}
	}
	return nil
}

// Input adds a graph input. Negative dimensions are dynamic (e.g. -1 for the batch).
func Input(g *Graph, name string, dt tensor.DType, shape ...int) *Value {
	if g.names[name] {
		g.fail(fmt.Errorf("input/param name %q used twice", name))
	}
	g.names[name] = true
	return g.add1("Input", Attrs{"name": name, "dtype": int64(dt), "shape": toInt64s(shape)})
}

// Param adds a named trainable parameter with its initial value. Training graphs take params as
// inputs; exported inference graphs bake them in as initializers.
func Param(g *Graph, name string, init *tensor.Tensor) *Value {
	if g.names[name] {
		g.fail(fmt.Errorf("input/param name %q used twice", name))
	}
	g.names[name] = true
	return g.add1("Param", Attrs{"name": name, "value": init})
}

// Const adds a constant tensor.
func Const(g *Graph, t *tensor.Tensor) *Value {
	return g.add1("Constant", Attrs{"value": t})
}

// Scalar adds a float32 scalar constant.
func Scalar(g *Graph, v float32) *Value {
	return Const(g, tensor.FromFloat32([]float32{v}))
}

// ConstInts adds a 1-D int64 constant (shapes, axes).
func ConstInts(g *Graph, v ...int64) *Value {
	return Const(g, tensor.FromInt64(append([]int64{}, v...), len(v)))
}

func toInt64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func toInts(v []int64) []int {
	out := make([]int, len(v))
	for i, x := range v {
		out[i] = int(x)
	}
	return out
}
