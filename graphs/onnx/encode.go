package onnx

import (
	"errors"
	"fmt"
	"sort"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/atomicfile"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// ParamMode says how a graph's params are written.
type ParamMode int

const (
	// ParamsAsInputs makes every param a graph input after the graph's Inputs, so the caller
	// feeds the current values on every run (training graphs).
	ParamsAsInputs ParamMode = iota
	// BakeParams stores every param as an initializer holding its value (inference graphs).
	BakeParams
)

// String names the mode.
func (m ParamMode) String() string {
	switch m {
	case ParamsAsInputs:
		return "params-as-inputs"
	case BakeParams:
		return "bake-params"
	}
	return fmt.Sprintf("ParamMode(%d)", int(m))
}

// Options control Marshal and Write. The zero value writes params as inputs.
type Options struct {
	// Params chooses between params as graph inputs and params baked in as initializers.
	Params ParamMode
	// Overrides maps param names to the values baked in instead of their initial values
	// (e.g. trained or EMA weights). Only valid with BakeParams; each must be float32 with the
	// param's shape, and each name must be a param of the graph.
	Overrides map[string]*tensor.Tensor
	// DocString is written into the model's doc_string.
	DocString string
	// ProducerVersion is written into the model's producer_version.
	ProducerVersion string
}

// defaultGraphName is the graph name written when the graph has none (ONNX requires one).
const defaultGraphName = "cdrl"

// batchDim is the symbolic name of a dynamic leading input dimension.
const batchDim = "N"

// Marshal encodes the graph's declared outputs and the nodes they need as an ONNX model. See
// the package documentation for how inputs, params and constants are written.
func Marshal(g *graphs.Graph, o Options) ([]byte, error) {
	m, err := buildModel(g, o)
	if err != nil {
		return nil, err
	}
	return m.marshal(), nil
}

// Write encodes the graph like Marshal and stores it at path atomically (runtime/atomicfile):
// on error no file is left behind and an existing file at path is untouched.
func Write(path string, g *graphs.Graph, o Options) error {
	data, err := Marshal(g, o)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteBytes(path, data); err != nil {
		return fmt.Errorf("onnx: write %s: %w", path, err)
	}
	return nil
}

// encoder holds the state of one Marshal.
type encoder struct {
	o       Options
	rename  map[*graphs.Value]string // values exported under an output name
	defined map[string]string        // ONNX value name -> what defines it (for clash errors)
	dynamic int                      // counter for the names of non-batch dynamic input dims
	graph   *graphProto
}

func buildModel(g *graphs.Graph, o Options) (*modelProto, error) {
	if g == nil {
		return nil, errors.New("onnx: nil graph")
	}
	if err := g.Err(); err != nil {
		return nil, fmt.Errorf("onnx: graph %q has a build error: %w", g.Name(), err)
	}
	outs := g.Outputs()
	if len(outs) == 0 {
		return nil, fmt.Errorf("onnx: graph %q declares no outputs", g.Name())
	}
	if err := checkOptions(g, o); err != nil {
		return nil, err
	}
	e := &encoder{
		o:       o,
		rename:  map[*graphs.Value]string{},
		defined: map[string]string{},
		graph:   &graphProto{name: g.Name()},
	}
	if e.graph.name == "" {
		e.graph.name = defaultGraphName
	}
	// Outputs produced by an ordinary node take the output's name; sources and values
	// exported twice need an Identity node (idents[k] is then true).
	idents := make([]bool, len(outs))
	vals := make([]*graphs.Value, len(outs))
	for k, out := range outs {
		if out.Name == "" {
			return nil, fmt.Errorf("onnx: output %d has an empty name", k)
		}
		vals[k] = out.Value
		switch out.Value.Node().Op {
		case "Input", "Param", "Constant":
			idents[k] = true
			continue
		}
		if _, taken := e.rename[out.Value]; taken {
			idents[k] = true
			continue
		}
		e.rename[out.Value] = out.Name
	}
	live := graphs.LiveNodes(vals...)

	// Every Input first (live or not), then the live nodes in order, which puts params given as
	// inputs after the Inputs, in creation order.
	for _, v := range g.Inputs() {
		if err := e.addInput(v, true); err != nil {
			return nil, err
		}
	}
	for _, n := range live {
		var err error
		switch n.Op {
		case "Input":
			// Listed above, live or not.
		case "Param":
			if o.Params == ParamsAsInputs {
				err = e.addInput(n.Outputs[0], false)
			} else {
				err = e.addParamInitializer(n)
			}
		case "Constant":
			err = e.addInitializer(e.name(n.Outputs[0]), n.Attrs.Tensor("value"), fmt.Sprintf("constant %s_%d", n.Op, n.ID()))
		default:
			err = e.addNode(n)
		}
		if err != nil {
			return nil, err
		}
	}

	for k, out := range outs {
		if idents[k] {
			src := e.name(out.Value)
			if src == out.Name {
				return nil, fmt.Errorf("onnx: output %q is the %s of the same name; export it under another name", out.Name, out.Value.Node().Op)
			}
			node := &nodeProto{name: fmt.Sprintf("output_%d_Identity", k), opType: "Identity", inputs: []string{src}, outputs: []string{out.Name}}
			if err := e.define(out.Name, "output "+out.Name); err != nil {
				return nil, err
			}
			e.graph.nodes = append(e.graph.nodes, node)
		}
		vi, err := valueInfo(out.Name, out.Value, nil)
		if err != nil {
			return nil, err
		}
		e.graph.outputs = append(e.graph.outputs, vi)
	}
	return &modelProto{
		irVersion:       IRVersion,
		producerName:    ProducerName,
		producerVersion: o.ProducerVersion,
		docString:       o.DocString,
		graph:           e.graph,
		opsetImport:     []opsetIDProto{{domain: "", version: Opset}},
	}, nil
}

// checkOptions validates the param mode and the overrides.
func checkOptions(g *graphs.Graph, o Options) error {
	switch o.Params {
	case ParamsAsInputs:
		if len(o.Overrides) > 0 {
			return errors.New("onnx: param overrides need BakeParams; with ParamsAsInputs the values are fed at run time")
		}
		return nil
	case BakeParams:
	default:
		return fmt.Errorf("onnx: unknown param mode %d", int(o.Params))
	}
	params := map[string]*graphs.Value{}
	for _, p := range g.Params() {
		params[p.Name()] = p
	}
	names := make([]string, 0, len(o.Overrides))
	for name := range o.Overrides {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		t := o.Overrides[name]
		p, ok := params[name]
		if !ok {
			return fmt.Errorf("onnx: override %q names no param of graph %q", name, g.Name())
		}
		if t == nil {
			return fmt.Errorf("onnx: override %q is nil", name)
		}
		if t.DType != tensor.Float32 {
			return fmt.Errorf("onnx: override %q has dtype %v, param is float32", name, t.DType)
		}
		if !t.Shape.Equal(p.Shape()) {
			return fmt.Errorf("onnx: override %q has shape %v, param has shape %v", name, t.Shape, p.Shape())
		}
		if err := t.Validate(); err != nil {
			return fmt.Errorf("onnx: override %q: %w", name, err)
		}
	}
	return nil
}

// name returns the ONNX name of a value.
func (e *encoder) name(v *graphs.Value) string {
	if s, ok := e.rename[v]; ok {
		return s
	}
	return v.Name()
}

// define records that name is defined by what, failing on a second definition.
func (e *encoder) define(name, what string) error {
	if prev, ok := e.defined[name]; ok {
		return fmt.Errorf("onnx: name %q is used by both %s and %s", name, prev, what)
	}
	e.defined[name] = what
	return nil
}

// addInput lists v (an Input or a Param) as a graph input.
func (e *encoder) addInput(v *graphs.Value, isInput bool) error {
	what := "param " + v.Name()
	if isInput {
		what = "input " + v.Name()
	}
	if err := e.define(v.Name(), what); err != nil {
		return err
	}
	vi, err := valueInfo(v.Name(), v, e.inputDimName)
	if err != nil {
		return err
	}
	e.graph.inputs = append(e.graph.inputs, vi)
	return nil
}

// inputDimName names the dynamic dimension k of an input.
func (e *encoder) inputDimName(k int) string {
	if k == 0 {
		return batchDim
	}
	s := fmt.Sprintf("d%d", e.dynamic)
	e.dynamic++
	return s
}

// addParamInitializer bakes a param's value (or its override) in.
func (e *encoder) addParamInitializer(n *graphs.Node) error {
	name := n.Attrs.String("name", "")
	t := n.Attrs.Tensor("value")
	if ov, ok := e.o.Overrides[name]; ok {
		t = ov
	}
	return e.addInitializer(name, t, "param "+name)
}

func (e *encoder) addInitializer(name string, t *tensor.Tensor, what string) error {
	if err := e.define(name, what); err != nil {
		return err
	}
	p, err := tensorToProto(name, t)
	if err != nil {
		return fmt.Errorf("onnx: %s: %w", what, err)
	}
	e.graph.initializers = append(e.graph.initializers, p)
	return nil
}

// addNode writes an ordinary IR node as the ONNX node of the same op type.
func (e *encoder) addNode(n *graphs.Node) error {
	node := &nodeProto{name: fmt.Sprintf("%s_%d", n.Op, n.ID()), opType: n.Op}
	for k, in := range n.Inputs {
		if in == nil {
			return fmt.Errorf("onnx: node %s: input %d is nil", node.name, k)
		}
		node.inputs = append(node.inputs, e.name(in))
	}
	for _, out := range n.Outputs {
		s := e.name(out)
		if err := e.define(s, "node "+node.name); err != nil {
			return err
		}
		if _, err := elemType(out); err != nil {
			return fmt.Errorf("onnx: node %s: %w", node.name, err)
		}
		node.outputs = append(node.outputs, s)
	}
	keys := make([]string, 0, len(n.Attrs))
	for k := range n.Attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		a, err := attribute(k, n.Attrs[k])
		if err != nil {
			return fmt.Errorf("onnx: node %s: %w", node.name, err)
		}
		node.attributes = append(node.attributes, a)
	}
	e.graph.nodes = append(e.graph.nodes, node)
	return nil
}

// attribute converts one IR attribute to an AttributeProto by its Go type.
func attribute(name string, v any) (*attributeProto, error) {
	a := &attributeProto{name: name}
	switch x := v.(type) {
	case int64:
		a.typ, a.i = attrInt, x
	case float32:
		a.typ, a.f = attrFloat, x
	case string:
		a.typ, a.s = attrString, []byte(x)
	case []int64:
		a.typ, a.ints = attrInts, x
	case []float32:
		a.typ, a.floats = attrFloats, x
	case *tensor.Tensor:
		t, err := tensorToProto("", x)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		a.typ, a.t = attrTensor, t
	default:
		return nil, fmt.Errorf("attribute %q has unsupported Go type %T", name, v)
	}
	return a, nil
}

// elemType returns the ONNX element type of a value.
func elemType(v *graphs.Value) (int32, error) {
	switch dt := v.DType(); dt {
	case tensor.Float32, tensor.Int64, tensor.Bool, tensor.Float64:
		return int32(dt), nil
	default:
		return 0, fmt.Errorf("value %s has unknown dtype %v", v.Name(), dt)
	}
}

// valueInfo describes v under name. dynName names dynamic dimensions by position; nil leaves
// them unnamed.
func valueInfo(name string, v *graphs.Value, dynName func(k int) string) (*valueInfoProto, error) {
	et, err := elemType(v)
	if err != nil {
		return nil, fmt.Errorf("onnx: %q: %w", name, err)
	}
	vi := &valueInfoProto{name: name, elemType: et, hasShape: true}
	for k, d := range v.Shape() {
		switch {
		case d >= 0:
			vi.dims = append(vi.dims, dimProto{value: int64(d), hasValue: true})
		case dynName != nil:
			vi.dims = append(vi.dims, dimProto{param: dynName(k)})
		default:
			vi.dims = append(vi.dims, dimProto{})
		}
	}
	return vi, nil
}
