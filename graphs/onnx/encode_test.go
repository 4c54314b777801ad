package onnx

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

func parseOrFail(t *testing.T, data []byte) *modelProto {
	t.Helper()
	m, err := parseModel(data)
	if err != nil {
		t.Fatalf("parseModel: %v", err)
	}
	if m.graph == nil {
		t.Fatal("decoded model has no graph")
	}
	return m
}

func marshalOrFail(t *testing.T, g *graphs.Graph, o Options) *modelProto {
	t.Helper()
	data, err := Marshal(g, o)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return parseOrFail(t, data)
}

func valueNames(vs []*valueInfoProto) []string {
	out := make([]string, len(vs))
	for k, v := range vs {
		out[k] = v.name
	}
	return out
}

// rawTensor decodes a float32, int64 or float64 TensorProto whose data is raw_data, as Marshal
// writes it.
func rawTensor(p *tensorProto) (*tensor.Tensor, error) {
	shape := make([]int, len(p.dims))
	n := 1
	for k, d := range p.dims {
		if d < 0 {
			return nil, fmt.Errorf("tensor %q: negative dimension in %v", p.name, p.dims)
		}
		shape[k] = int(d)
		n *= int(d)
	}
	size := map[tensor.DType]int{tensor.Float32: 4, tensor.Int64: 8, tensor.Float64: 8}[tensor.DType(p.dataType)]
	if size == 0 {
		return nil, fmt.Errorf("tensor %q: unsupported data type %d", p.name, p.dataType)
	}
	if len(p.rawData) != n*size {
		return nil, fmt.Errorf("tensor %q: %d bytes of raw data for shape %v", p.name, len(p.rawData), shape)
	}
	t := tensor.New(tensor.DType(p.dataType), shape...)
	for k := 0; k < n; k++ {
		switch t.DType {
		case tensor.Float32:
			t.Float32[k] = math.Float32frombits(binary.LittleEndian.Uint32(p.rawData[4*k:]))
		case tensor.Int64:
			t.Int64[k] = int64(binary.LittleEndian.Uint64(p.rawData[8*k:]))
		case tensor.Float64:
			t.Float64[k] = math.Float64frombits(binary.LittleEndian.Uint64(p.rawData[8*k:]))
		}
	}
	return t, nil
}

func initializer(t *testing.T, g *graphProto, name string) *tensor.Tensor {
	t.Helper()
	for _, p := range g.initializers {
		if p.name == name {
			v, err := rawTensor(p)
			if err != nil {
				t.Fatalf("initializer %q: %v", name, err)
			}
			return v
		}
	}
	t.Fatalf("no initializer %q", name)
	return nil
}

// dimsString formats value-info dims as e.g. "[N 3 d0 ?]".
func dimsString(v *valueInfoProto) string {
	if !v.hasShape {
		return "no shape"
	}
	parts := make([]string, len(v.dims))
	for k, d := range v.dims {
		switch {
		case d.hasValue:
			parts[k] = fmt.Sprint(d.value)
		case d.param != "":
			parts[k] = d.param
		default:
			parts[k] = "?"
		}
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func TestModelHeader(t *testing.T) {
	g := graphs.New("")
	x := graphs.Input(g, "x", tensor.Float32, -1, 3)
	g.Output("y", graphs.Tanh(x))
	m := marshalOrFail(t, g, Options{DocString: "doc", ProducerVersion: "v1.2"})
	if m.irVersion != 8 {
		t.Errorf("ir_version = %d, want 8", m.irVersion)
	}
	if want := []opsetIDProto{{domain: "", version: 17}}; !reflect.DeepEqual(m.opsetImport, want) {
		t.Errorf("opset_import = %+v, want %+v", m.opsetImport, want)
	}
	if m.producerName != "cdrl-go" || m.producerVersion != "v1.2" || m.docString != "doc" {
		t.Errorf("producer %q %q, doc %q; want cdrl-go v1.2, doc", m.producerName, m.producerVersion, m.docString)
	}
	if m.graph.name != defaultGraphName {
		t.Errorf("graph name %q, want %q for an unnamed graph", m.graph.name, defaultGraphName)
	}
}

// TestGraphStructure checks inputs, params, constants, nodes, attributes and outputs of one
// graph in both param modes.
func TestGraphStructure(t *testing.T) {
	g := graphs.New("structure")
	early := graphs.Param(g, "early", tensor.FromFloat32([]float32{1, 2, 3}, 3))
	x := graphs.Input(g, "x", tensor.Float32, -1, 3)
	graphs.Input(g, "class", tensor.Int64, -1) // unused, but declared inputs are kept
	z := graphs.Input(g, "z", tensor.Float32, 2, -1, -1)
	unused := graphs.Param(g, "unused", tensor.FromFloat32([]float32{5}, 1))
	w := graphs.Param(g, "w", tensor.FromFloat32([]float32{0.5, -1, 2}, 3))
	h := graphs.LeakyRelu(graphs.Mul(graphs.Add(x, w), early), 0.25)
	y := graphs.ReduceSum(h, []int{1}, false)
	g.Output("energy", y)
	g.Output("z_out", graphs.Exp(z))
	_ = unused
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}

	m := marshalOrFail(t, g, Options{Params: ParamsAsInputs})
	gp := m.graph
	if got, want := valueNames(gp.inputs), []string{"x", "class", "z", "early", "w"}; !reflect.DeepEqual(got, want) {
		t.Errorf("inputs %v, want %v (Inputs, then live params, in creation order)", got, want)
	}
	wantDims := map[string]string{"x": "[N 3]", "class": "[N]", "z": "[2 d0 d1]", "early": "[3]", "w": "[3]"}
	wantType := map[string]int32{"x": 1, "class": 7, "z": 1, "early": 1, "w": 1}
	for _, v := range gp.inputs {
		if got := dimsString(v); got != wantDims[v.name] {
			t.Errorf("input %s: dims %s, want %s", v.name, got, wantDims[v.name])
		}
		if v.elemType != wantType[v.name] {
			t.Errorf("input %s: elem type %d, want %d", v.name, v.elemType, wantType[v.name])
		}
	}
	if got, want := valueNames(gp.outputs), []string{"energy", "z_out"}; !reflect.DeepEqual(got, want) {
		t.Errorf("outputs %v, want %v", got, want)
	}
	if got := dimsString(gp.outputs[0]); got != "[?]" {
		t.Errorf("output energy: dims %s, want [?] (dynamic output dims are unnamed)", got)
	}
	if got := dimsString(gp.outputs[1]); got != "[2 ? ?]" {
		t.Errorf("output z_out: dims %s, want [2 ? ?]", got)
	}
	// The only constant is ReduceSum's axes.
	if len(gp.initializers) != 1 || gp.initializers[0].dataType != 7 {
		t.Fatalf("initializers %+v, want the int64 axes of ReduceSum", gp.initializers)
	}
	if axes := initializer(t, gp, gp.initializers[0].name); !reflect.DeepEqual(axes.Int64, []int64{1}) {
		t.Errorf("ReduceSum axes %v, want [1]", axes.Int64)
	}
	var ops []string
	names := map[string]bool{}
	for _, n := range gp.nodes {
		ops = append(ops, n.opType)
		if names[n.name] {
			t.Errorf("node name %q used twice", n.name)
		}
		names[n.name] = true
		if n.domain != "" {
			t.Errorf("node %s: domain %q, want the default", n.name, n.domain)
		}
	}
	if want := []string{"Add", "Mul", "LeakyRelu", "ReduceSum", "Exp"}; !reflect.DeepEqual(ops, want) {
		t.Errorf("node ops %v, want %v", ops, want)
	}
	for _, n := range gp.nodes {
		switch n.opType {
		case "LeakyRelu":
			if len(n.attributes) != 1 || n.attributes[0].name != "alpha" || n.attributes[0].typ != attrFloat || n.attributes[0].f != 0.25 {
				t.Errorf("LeakyRelu attributes %+v, want alpha FLOAT 0.25", n.attributes[0])
			}
		case "ReduceSum":
			if len(n.attributes) != 1 || n.attributes[0].name != "keepdims" || n.attributes[0].typ != attrInt || n.attributes[0].i != 0 {
				t.Errorf("ReduceSum attributes %+v, want keepdims INT 0", n.attributes)
			}
			if !reflect.DeepEqual(n.outputs, []string{"energy"}) {
				t.Errorf("ReduceSum outputs %v, want [energy] (the output's name)", n.outputs)
			}
		}
	}

	m = marshalOrFail(t, g, Options{Params: BakeParams})
	gp = m.graph
	if got, want := valueNames(gp.inputs), []string{"x", "class", "z"}; !reflect.DeepEqual(got, want) {
		t.Errorf("baked: inputs %v, want %v", got, want)
	}
	var inits []string
	for _, p := range gp.initializers {
		inits = append(inits, p.name)
	}
	if len(inits) != 3 || inits[0] != "early" || inits[1] != "w" {
		t.Errorf("baked: initializers %v, want early, w, then the axes; unused params left out", inits)
	}
	if v := initializer(t, gp, "w"); !reflect.DeepEqual(v.Float32, []float32{0.5, -1, 2}) || !v.Shape.Equal(tensor.Shape{3}) {
		t.Errorf("baked w = %v%v, want [0.5 -1 2](3)", v.Float32, v.Shape)
	}
}

func TestOverrides(t *testing.T) {
	g := graphs.New("overrides")
	x := graphs.Input(g, "x", tensor.Float32, -1, 2)
	w := graphs.Param(g, "w", tensor.FromFloat32([]float32{1, 2}, 2))
	b := graphs.Param(g, "b", tensor.FromFloat32([]float32{3}, 1))
	g.Output("y", graphs.Add(graphs.Mul(x, w), b))
	ow := tensor.FromFloat32([]float32{-7, 8}, 2)
	m := marshalOrFail(t, g, Options{Params: BakeParams, Overrides: map[string]*tensor.Tensor{"w": ow}})
	if v := initializer(t, m.graph, "w"); !reflect.DeepEqual(v.Float32, ow.Float32) {
		t.Errorf("w = %v, want the override %v", v.Float32, ow.Float32)
	}
	if v := initializer(t, m.graph, "b"); !reflect.DeepEqual(v.Float32, []float32{3}) {
		t.Errorf("b = %v, want its initial value [3]", v.Float32)
	}

	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"wrong shape", Options{Params: BakeParams, Overrides: map[string]*tensor.Tensor{"w": tensor.FromFloat32([]float32{1, 2, 3}, 3)}},
			`onnx: override "w" has shape (3), param has shape (2)`},
		{"wrong dtype", Options{Params: BakeParams, Overrides: map[string]*tensor.Tensor{"b": tensor.FromInt64([]int64{1}, 1)}},
			`onnx: override "b" has dtype int64, param is float32`},
		{"too little data", Options{Params: BakeParams, Overrides: map[string]*tensor.Tensor{"w": tensor.FromFloat32([]float32{1}, 2)}},
			`onnx: override "w": tensor: shape (2) needs 2 elements, have 1`},
		{"nil", Options{Params: BakeParams, Overrides: map[string]*tensor.Tensor{"w": nil}},
			`onnx: override "w" is nil`},
		{"unknown name", Options{Params: BakeParams, Overrides: map[string]*tensor.Tensor{"v": ow}},
			`onnx: override "v" names no param of graph "overrides"`},
		{"with params as inputs", Options{Overrides: map[string]*tensor.Tensor{"w": ow}},
			`onnx: param overrides need BakeParams`},
		{"unknown mode", Options{Params: 7}, `onnx: unknown param mode 7`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Marshal(g, tc.o)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Marshal error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestOutputNaming checks outputs that need an Identity node: a graph input, a param, a
// constant, and a value exported twice.
func TestOutputNaming(t *testing.T) {
	g := graphs.New("naming")
	x := graphs.Input(g, "x", tensor.Float32, 2)
	p := graphs.Param(g, "p", tensor.FromFloat32([]float32{1, 2}, 2))
	c := graphs.Const(g, tensor.FromFloat32([]float32{4, 5}, 2))
	s := graphs.Sin(x)
	g.Output("s", s)
	g.Output("s_again", s)
	g.Output("x_out", x)
	g.Output("p_out", p)
	g.Output("c_out", c)
	for _, mode := range []ParamMode{ParamsAsInputs, BakeParams} {
		gp := marshalOrFail(t, g, Options{Params: mode}).graph
		idents := map[string]string{}
		for _, n := range gp.nodes {
			if n.opType == "Identity" {
				idents[n.outputs[0]] = n.inputs[0]
			}
		}
		cname := c.Name()
		want := map[string]string{"s_again": "s", "x_out": "x", "p_out": "p", "c_out": cname}
		if !reflect.DeepEqual(idents, want) {
			t.Errorf("%v: Identity nodes (output <- input) %v, want %v", mode, idents, want)
		}
		if got, want := valueNames(gp.outputs), []string{"s", "s_again", "x_out", "p_out", "c_out"}; !reflect.DeepEqual(got, want) {
			t.Errorf("%v: outputs %v, want %v", mode, got, want)
		}
	}

	clash := graphs.New("clash")
	a := graphs.Input(clash, "a", tensor.Float32, 2)
	clash.Output("a", graphs.Exp(a))
	if _, err := Marshal(clash, Options{}); err == nil || !strings.Contains(err.Error(), `onnx: name "a" is used by both input a and node Exp_1`) {
		t.Errorf("output named like an input: error %v", err)
	}
	self := graphs.New("self")
	b := graphs.Input(self, "b", tensor.Float32, 2)
	self.Output("b", b)
	if _, err := Marshal(self, Options{}); err == nil || !strings.Contains(err.Error(), `onnx: output "b" is the Input of the same name`) {
		t.Errorf("input exported under its own name: error %v", err)
	}
}

func TestMarshalErrors(t *testing.T) {
	broken := graphs.New("broken")
	a := graphs.Input(broken, "a", tensor.Float32, 2, 3)
	b := graphs.Input(broken, "b", tensor.Float32, 4)
	broken.Output("y", graphs.Add(a, b))
	if broken.Err() == nil {
		t.Fatal("test graph has no build error")
	}

	noOut := graphs.New("no outputs")
	graphs.Input(noOut, "x", tensor.Float32, 2)

	// A param's value of an unknown dtype (changed after building) is caught when baked.
	badParam := graphs.New("bad param")
	x := graphs.Input(badParam, "x", tensor.Float32, 2)
	p := graphs.Param(badParam, "p", tensor.FromFloat32([]float32{1, 2}, 2))
	badParam.Output("y", graphs.Mul(x, p))
	p.Node().Attrs["value"] = &tensor.Tensor{DType: 5, Shape: tensor.Shape{2}}

	// So is an attribute tensor of an unknown dtype, or of an unsupported Go type.
	badAttr := graphs.New("bad attr")
	ones := graphs.ConstantOfShape(graphs.ConstInts(badAttr, 2), 1)
	badAttr.Output("y", ones)
	ones.Node().Attrs["value"] = &tensor.Tensor{DType: 10, Shape: tensor.Shape{1}}
	badType := graphs.New("bad type")
	r := graphs.LeakyRelu(graphs.Input(badType, "x", tensor.Float32, 2), 0.1)
	badType.Output("y", r)
	r.Node().Attrs["flag"] = true

	for _, tc := range []struct {
		name string
		g    *graphs.Graph
		o    Options
		want string
	}{
		{"nil graph", nil, Options{}, "onnx: nil graph"},
		{"build error", broken, Options{}, `onnx: graph "broken" has a build error: graphs: Add(`},
		{"no outputs", noOut, Options{}, `onnx: graph "no outputs" declares no outputs`},
		{"unknown param dtype", badParam, Options{Params: BakeParams}, `onnx: param p: tensor "p": unknown dtype dtype(5)`},
		{"unknown attribute dtype", badAttr, Options{}, `onnx: node ConstantOfShape_1: attribute "value": tensor "": unknown dtype dtype(10)`},
		{"unsupported attribute type", badType, Options{}, `onnx: node LeakyRelu_1: attribute "flag" has unsupported Go type bool`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := Marshal(tc.g, tc.o)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("Marshal error %v, want prefix %q", err, tc.want)
			}
			if data != nil {
				t.Errorf("Marshal returned %d bytes with its error", len(data))
			}
		})
	}
	if _, err := tensorToProto("t", &tensor.Tensor{DType: 42}); err == nil || err.Error() != `tensor "t": unknown dtype dtype(42)` {
		t.Errorf("tensorToProto of dtype 42: error %v", err)
	}
}

func TestMarshalDeterministic(t *testing.T) {
	g := graphs.New("det")
	x := graphs.Input(g, "x", tensor.Float32, -1, 4)
	y := graphs.Gemm(x, graphs.Param(g, "w", tensor.New(tensor.Float32, 3, 4)), nil, graphs.GemmOpts{TransB: true, Alpha: 2, Beta: 3})
	g.Output("y", graphs.Softmax(graphs.Pad(y, graphs.ConstInts(g, 0, 1, 0, 1)), -1))
	first, err := Marshal(g, Options{Params: BakeParams})
	if err != nil {
		t.Fatal(err)
	}
	for k := 0; k < 20; k++ {
		again, err := Marshal(g, Options{Params: BakeParams})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, again) {
			t.Fatal("two Marshal calls gave different bytes")
		}
	}
	// Attributes come sorted by name, with their declared kinds.
	for _, n := range parseOrFail(t, first).graph.nodes {
		if n.opType != "Gemm" {
			continue
		}
		var got []string
		for _, a := range n.attributes {
			got = append(got, fmt.Sprintf("%s:%d", a.name, a.typ))
		}
		if want := []string{"alpha:1", "beta:1", "transB:2"}; !reflect.DeepEqual(got, want) {
			t.Errorf("Gemm attributes %v, want %v", got, want)
		}
	}
}

func TestAttributeKinds(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want attributeProto
	}{
		{int64(-3), attributeProto{name: "a", typ: attrInt, i: -3}},
		{float32(1.5), attributeProto{name: "a", typ: attrFloat, f: 1.5}},
		{"constant", attributeProto{name: "a", typ: attrString, s: []byte("constant")}},
		{[]int64{1, -1, 300}, attributeProto{name: "a", typ: attrInts, ints: []int64{1, -1, 300}}},
		{[]float32{0.5, -2}, attributeProto{name: "a", typ: attrFloats, floats: []float32{0.5, -2}}},
	} {
		a, err := attribute("a", tc.v)
		if err != nil {
			t.Fatalf("attribute(%v): %v", tc.v, err)
		}
		back, err := parseAttribute(a.marshal())
		if err != nil {
			t.Fatalf("decode attribute %v: %v", tc.v, err)
		}
		if !reflect.DeepEqual(*back, tc.want) {
			t.Errorf("attribute %T %v: decoded %+v, want %+v", tc.v, tc.v, *back, tc.want)
		}
	}
	a, err := attribute("value", tensor.FromFloat32([]float32{2.5}, 1))
	if err != nil {
		t.Fatal(err)
	}
	back, err := parseAttribute(a.marshal())
	if err != nil {
		t.Fatal(err)
	}
	if back.typ != attrTensor || back.t == nil {
		t.Fatalf("tensor attribute decoded as %+v", back)
	}
	if v, err := rawTensor(back.t); err != nil || !reflect.DeepEqual(v.Float32, []float32{2.5}) || !v.Shape.Equal(tensor.Shape{1}) {
		t.Errorf("tensor attribute holds %v (%v), want [2.5](1)", v, err)
	}
}

// TestTensorRoundTrip checks the raw-data encoding of every dtype, read back.
func TestTensorRoundTrip(t *testing.T) {
	for _, in := range []*tensor.Tensor{
		tensor.FromFloat32([]float32{1, -2.5, float32(math.Inf(1)), 3e-39}, 2, 2),
		tensor.FromInt64([]int64{math.MinInt64, -1, 0, math.MaxInt64}, 4),
		tensor.FromFloat64([]float64{math.Pi, -1e300}, 2, 1),
		tensor.FromFloat32([]float32{7}),
		tensor.FromFloat32([]float32{}, 0, 3),
	} {
		p, err := tensorToProto("t", in)
		if err != nil {
			t.Fatal(err)
		}
		back, err := parseTensor(p.marshal())
		if err != nil {
			t.Fatal(err)
		}
		got, err := rawTensor(back)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, in) {
			t.Errorf("tensor %v%v came back as %v%v", in.DType, in.Shape, got.DType, got.Shape)
		}
		if back.name != "t" {
			t.Errorf("name %q, want t", back.name)
		}
	}
}

// TestReadTensorExternal checks that reading keeps a tensor's own bytes and its external data
// entries, and skips the typed data fields (onnx-go decodes tensor values).
func TestReadTensorExternal(t *testing.T) {
	entry := func(k, v string) []byte { return appendStringField(appendStringField(nil, 1, k), 2, v) }
	var b []byte
	b = appendPackedInt64s(b, 1, []int64{2, 3})
	b = appendVarintField(b, 2, uint64(tensor.Float32))
	b = appendStringField(b, 8, "w")
	b = appendBytesField(b, 13, entry("location", "w.bin"))
	b = appendBytesField(b, 13, entry("offset", "64"))
	b = appendVarintField(b, 14, 1)
	b = appendPackedFloats(b, 4, []float32{1, 2}) // float_data: skipped
	p, err := parseTensor(b)
	if err != nil {
		t.Fatal(err)
	}
	want := &tensorProto{dims: []int64{2, 3}, dataType: 1, name: "w", externalData: map[string]string{"location": "w.bin", "offset": "64"}, dataLocation: 1, raw: b}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("parsed %+v, want %+v", p, want)
	}
}

func TestDecodeErrors(t *testing.T) {
	graph := func(fields ...[]byte) []byte { return appendBytesField(nil, 7, bytes.Join(fields, nil)) }
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"truncated", []byte{0x3a, 0x05, 0x0a}, "malformed protobuf: field 7:"},
		{"wrong wire type", appendVarintField(nil, 7, 1), "malformed protobuf: field 7 has wire type 0, want 2"},
		{"bad graph", graph(appendVarintField(nil, 1, 3)), "graph: malformed protobuf: field 1 has wire type 0, want 2"},
		{"two graphs", append(graph(), graph()...), "more than one graph"},
		{"sparse initializer", graph(appendBytesField(nil, 15, nil)), "graph: sparse initializers are not supported"},
		{"bad external data", graph(appendBytesField(nil, 5, appendBytesField(nil, 13, appendVarintField(nil, 1, 1)))),
			"graph: initializer 0: external_data: malformed protobuf: field 1 has wire type 0, want 2"},
	} {
		if _, err := parseModel(tc.data); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want prefix %q", tc.name, err, tc.want)
		}
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.onnx")
	g := graphs.New("w")
	x := graphs.Input(g, "x", tensor.Float32, -1)
	g.Output("y", graphs.Sigmoid(x))
	if err := Write(path, g, Options{}); err != nil {
		t.Fatal(err)
	}
	want, err := Marshal(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("written file differs from Marshal's bytes")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("file mode %v (%v), want 0644", fi.Mode(), err)
	}

	// A failing Write keeps the old file and leaves nothing else behind.
	broken := graphs.New("broken")
	graphs.Add(graphs.Input(broken, "a", tensor.Float32, 2), graphs.Input(broken, "b", tensor.Float32, 3))
	if err := Write(path, broken, Options{}); err == nil {
		t.Fatal("Write of a broken graph succeeded")
	}
	if err := Write(filepath.Join(dir, "other.onnx"), g, Options{Params: BakeParams, Overrides: map[string]*tensor.Tensor{"w": nil}}); err == nil {
		t.Fatal("Write with a bad override succeeded")
	}
	if err := Write(filepath.Join(dir, "missing", "m.onnx"), g, Options{}); err == nil || !strings.HasPrefix(err.Error(), "onnx: write ") {
		t.Errorf("Write into a missing folder: error %v", err)
	}
	if err := Write(dir, g, Options{}); err == nil || !strings.HasPrefix(err.Error(), "onnx: write ") {
		t.Errorf("Write over a folder: error %v", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !reflect.DeepEqual(names, []string{"model.onnx"}) {
		t.Errorf("folder holds %v after failed writes, want only model.onnx", names)
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, want) {
		t.Error("a failed Write changed the existing file")
	}
}
