package onnx

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	onnxgo "github.com/owulveryck/onnx-go"
	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/simple"
	gtensor "gorgonia.org/tensor"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Import of third-party ONNX models (for example an EBM exported by torch.onnx.export).
//
// onnx-go (v0.5.0) decodes the protobuf: its public Model.UnmarshalBinary walks the model into a
// Backend that this file implements (decodeGraph, whose value nodes are onnx-go Namers and
// DataCarriers), handing over every node's operator type, attributes, input order (edge weights)
// and output names, and every initializer as a decoded tensor. Its generated protobuf types live
// in an internal package (no raw ModelProto is public), and its public API drops a few things the
// importer needs; those come from the package's own protobuf reader (parseModel in proto.go,
// indexModel here): the opset imports, the node names (for error messages), the graph inputs'
// element types and shapes (onnx-go keeps only the fixed dimensions, losing the rank of inputs
// with a dynamic batch), and external tensor data (its onnx.proto predates the external_data
// field, so such data is read here and handed over inline as raw_data). The bytes onnx-go gets
// (decoderBytes) carry graph inputs and outputs by name only and no value_info: it would
// allocate a zero tensor for each typed value at its fixed dimensions, however large, and reject
// element types the importer never needs. onnx-go panics on some malformed models; decode turns
// those panics into errors.

// Contract names: the inputs and outputs a cdrl-go EBM or initializer graph exchanges with the
// trainer and the sampler.
var (
	contractInputs  = []string{"x", "logsnr", "class"}
	contractOutputs = []string{"energy", "y"}
)

// ImportOptions control Import and ImportFile.
type ImportOptions struct {
	// IO maps contract names (x, logsnr, class, energy, y) to the model's input and output
	// names, e.g. {"x": "input_0", "energy": "output_0"}. A contract name not in the map stands
	// for itself.
	IO map[string]string
	// Freeze, when set, makes the initializers whose names it matches constants instead of
	// trainable params.
	Freeze *regexp.Regexp
	// BaseDir is the folder that external tensor data files are read from. ImportFile defaults
	// it to the model file's folder; Import requires it for models with external data.
	BaseDir string
}

// Imported is a model converted to a graph of package graphs.
type Imported struct {
	// Graph holds the model. Its inputs and outputs carry the contract names (x, logsnr,
	// class; energy, y), whatever the model called them; its params keep their file names.
	Graph *graphs.Graph
	// Inputs are the graph inputs by contract name (x, logsnr and, when the model has it,
	// class).
	Inputs map[string]*graphs.Value
	// Outputs are the graph outputs by contract name (energy and/or y), declared with
	// Graph.Output under those names.
	Outputs map[string]*graphs.Value
	// Params are the trainable parameters in file order: the float initializers that feed a
	// differentiable path to an output, not matched by ImportOptions.Freeze.
	Params []*graphs.Value
	// Opset is the model's version of the default operator set.
	Opset int64
}

// The opsets Import understands. Below 13, Squeeze, Unsqueeze, ReduceSum and Split took their
// axes as attributes, and Softmax worked on 2-D coercions; 18 moved ReduceMean's axes to an
// input and gave Split num_outputs, both of which the importer reads.
const (
	minOpset = 13
	maxOpset = 18
)

// ImportFile reads and imports an ONNX model file. External data files are read from
// o.BaseDir, or from the model's folder when o.BaseDir is empty. Errors name the file.
func ImportFile(path string, o ImportOptions) (*Imported, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("onnx: import: %w", err)
	}
	if o.BaseDir == "" {
		o.BaseDir = filepath.Dir(path)
	}
	return importModel(data, o, path)
}

// Import converts the bytes of an ONNX model into a graph. It accepts models of opset 13 to 18
// whose inputs and outputs follow the contract after the o.IO mapping: float input x, float
// input logsnr, optional int64 input class, and float output energy or y (or both). Every
// graph input must be one of the contract inputs; graph outputs outside the contract are left
// out. Dynamic input dimensions (a dim_param or no value) become -1.
//
// Initializers become graphs.Param values when they are float, feed an output through a
// differentiable input of some node (not only shapes, indices, Clip bounds or normalisation
// statistics) and are not matched by o.Freeze; every other initializer becomes a constant.
// The graph computes in float32 and int64: double tensors are narrowed to float32 and int32
// ones widened to int64.
//
// Import never panics: malformed or truncated bytes, unsupported operators (the error names
// the operator type and the node), unsupported opsets and missing contract names are
// returned as errors.
func Import(data []byte, o ImportOptions) (*Imported, error) {
	return importModel(data, o, "import")
}

// importModel runs the import; src names the model in error messages (a path or "import").
func importModel(data []byte, o ImportOptions, src string) (res *Imported, err error) {
	defer func() {
		if r := recover(); r != nil {
			res, err = nil, fmt.Errorf("onnx: %s: internal error (please report it with the model): %v", src, r)
		}
	}()
	im := &importer{src: src, opts: o}
	if err := im.run(data); err != nil {
		return nil, err
	}
	return im.out, nil
}

// importer carries one import.
type importer struct {
	src  string
	opts ImportOptions
	idx  *modelIndex
	dec  *decodeGraph
	g    *graphs.Graph
	vals map[string]*graphs.Value
	out  *Imported
}

func (im *importer) errorf(format string, args ...any) error {
	return fmt.Errorf("onnx: %s: "+format, append([]any{im.src}, args...)...)
}

func (im *importer) run(data []byte) error {
	idx, err := indexModel(data)
	if err != nil {
		return im.errorf("%v", err)
	}
	im.idx = idx
	clean, err := idx.decoderBytes(im.opts.BaseDir)
	if err != nil {
		return im.errorf("%v", err)
	}
	if err := im.checkOpset(); err != nil {
		return err
	}
	for k, n := range idx.nodes {
		if n.domain != "" && n.domain != "ai.onnx" {
			return im.errorf("%s: unsupported op %q of domain %q", n.describe(k), n.opType, n.domain)
		}
		if _, ok := importOps[n.opType]; !ok {
			return im.errorf("%s: unsupported op type %q", n.describe(k), n.opType)
		}
	}
	inMap, outMap, err := im.contract()
	if err != nil {
		return err
	}
	im.dec = newDecodeGraph()
	if err := decode(im.dec, clean); err != nil {
		// Once the decoder is at the nodes (it has set an edge or applied an op), the node
		// after the last applied one failed.
		if k := len(im.dec.ops); k < len(idx.nodes) && (k > 0 || len(im.dec.pending) > 0) {
			return im.errorf("%s: %v", idx.nodes[k].describe(k), err)
		}
		return im.errorf("%v", err)
	}
	if len(im.dec.ops) != len(idx.nodes) {
		return im.errorf("onnx-go decoder returned %d nodes, the file has %d", len(im.dec.ops), len(idx.nodes))
	}
	for k, op := range im.dec.ops {
		if op.typ != idx.nodes[k].opType {
			return im.errorf("%s: onnx-go decoder returned op type %q", idx.nodes[k].describe(k), op.typ)
		}
		if len(idx.nodes[k].inputs) == 0 {
			op.inputs = nil // onnx-go gives input-less nodes a placeholder input
		}
	}
	return im.build(inMap, outMap)
}

// decode runs onnx-go's decoder into dec. onnx-go panics on some malformed models (tensor
// data that does not fit its shape, an attribute without its value); those panics become
// errors here.
func decode(dec *decodeGraph, data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("malformed model (onnx-go decoder: %v)", r)
		}
	}()
	if err := onnxgo.NewModel(dec).UnmarshalBinary(data); err != nil {
		return fmt.Errorf("onnx-go decoder: %v", err)
	}
	return nil
}

func (im *importer) checkOpset() error {
	v, ok := im.idx.opsets[""]
	if v2, ok2 := im.idx.opsets["ai.onnx"]; ok2 {
		v, ok = v2, true
	}
	if !ok {
		return im.errorf("the model imports no version of the default operator set (ai.onnx)")
	}
	if v < minOpset || v > maxOpset {
		return im.errorf("opset %d is not supported (supported: %d to %d); export the model with opset_version between %d and %d", v, minOpset, maxOpset, minOpset, maxOpset)
	}
	return nil
}

// contract resolves the IO mapping: it returns graph input name -> contract name and contract
// output name -> graph output name.
func (im *importer) contract() (map[string]string, map[string]string, error) {
	known := map[string]bool{}
	for _, c := range append(append([]string{}, contractInputs...), contractOutputs...) {
		known[c] = true
	}
	keys := make([]string, 0, len(im.opts.IO))
	for c := range im.opts.IO {
		keys = append(keys, c)
	}
	sort.Strings(keys)
	for _, c := range keys {
		if !known[c] {
			return nil, nil, im.errorf("IO maps %q, which is not a contract name (inputs %s; outputs %s)", c, strings.Join(contractInputs, ", "), strings.Join(contractOutputs, ", "))
		}
	}
	graphName := func(c string) (string, bool) {
		if n, ok := im.opts.IO[c]; ok {
			return n, true
		}
		return c, false
	}
	var inNames []string
	hasIn := map[string]bool{}
	for _, in := range im.idx.inputs {
		if !im.idx.isInit[in.name] {
			inNames = append(inNames, in.name)
			hasIn[in.name] = true
		}
	}
	hasOut := map[string]bool{}
	for _, o := range im.idx.outputs {
		hasOut[o] = true
	}
	inMap := map[string]string{}
	for _, c := range contractInputs {
		n, mapped := graphName(c)
		switch {
		case hasIn[n]:
			if prev, dup := inMap[n]; dup {
				return nil, nil, im.errorf("contract inputs %q and %q both map to graph input %q", prev, c, n)
			}
			inMap[n] = c
		case mapped:
			return nil, nil, im.errorf("contract input %q maps to %q, which is not a graph input (graph inputs: %s)", c, n, quoteList(inNames))
		case c != "class":
			return nil, nil, im.errorf("the graph has no input %q (graph inputs: %s); map it with IO, e.g. %s=NAME", c, quoteList(inNames), c)
		}
	}
	for _, n := range inNames {
		if _, ok := inMap[n]; !ok {
			return nil, nil, im.errorf("graph input %q is not a contract input (%s); map one to it with IO", n, strings.Join(contractInputs, ", "))
		}
	}
	outMap := map[string]string{}
	for _, c := range contractOutputs {
		n, mapped := graphName(c)
		switch {
		case hasOut[n]:
			outMap[c] = n
		case mapped:
			return nil, nil, im.errorf("contract output %q maps to %q, which is not a graph output (graph outputs: %s)", c, n, quoteList(im.idx.outputs))
		}
	}
	if len(outMap) == 0 {
		return nil, nil, im.errorf("the graph has no output %q or %q (graph outputs: %s); map one with IO, e.g. energy=NAME", "energy", "y", quoteList(im.idx.outputs))
	}
	return inMap, outMap, nil
}

func quoteList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	q := make([]string, len(names))
	for k, n := range names {
		q[k] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// build creates the graph: inputs, initializers (params or constants), nodes, outputs.
func (im *importer) build(inMap, outMap map[string]string) error {
	name := im.idx.graphName
	if name == "" {
		name = "imported"
	}
	im.g = graphs.New(name)
	im.vals = map[string]*graphs.Value{}
	im.out = &Imported{Graph: im.g, Inputs: map[string]*graphs.Value{}, Outputs: map[string]*graphs.Value{}, Opset: im.idx.opset()}
	for _, in := range im.idx.inputs {
		if im.idx.isInit[in.name] {
			continue
		}
		c := inMap[in.name]
		dt, err := irDType(in.elemType)
		if err != nil {
			return im.errorf("graph input %q: %v", in.name, err)
		}
		if !in.hasShape {
			return im.errorf("graph input %q has no shape (its rank must be known)", in.name)
		}
		dims, err := inputDims(in)
		if err != nil {
			return im.errorf("graph input %q: %v", in.name, err)
		}
		want := tensor.Float32
		if c == "class" {
			want = tensor.Int64
		}
		if dt != want {
			return im.errorf("graph input %q (contract %q) is %v, the contract needs %v", in.name, c, dt, want)
		}
		v := graphs.Input(im.g, c, dt, dims...)
		im.vals[in.name] = v
		im.out.Inputs[c] = v
	}
	live := im.differentiable(outMap)
	for _, name := range im.idx.inits {
		node := im.dec.byName[name]
		if node == nil || node.t == nil {
			return im.errorf("initializer %q: onnx-go decoder returned no tensor", name)
		}
		val, err := fromGorgonia(node.t)
		if err != nil {
			return im.errorf("initializer %q: %v", name, err)
		}
		var v *graphs.Value
		if val.DType == tensor.Float32 && live[name] && (im.opts.Freeze == nil || !im.opts.Freeze.MatchString(name)) {
			v = graphs.Param(im.g, name, val)
			im.out.Params = append(im.out.Params, v)
		} else {
			v = graphs.Const(im.g, val)
		}
		if err := im.g.Err(); err != nil {
			return im.errorf("initializer %q: %v", name, err)
		}
		im.vals[name] = v
	}
	for k, op := range im.dec.ops {
		if err := im.node(k, op); err != nil {
			return err
		}
	}
	for _, c := range contractOutputs {
		n, ok := outMap[c]
		if !ok {
			continue
		}
		v := im.vals[n]
		if v == nil {
			return im.errorf("graph output %q is not computed by any node", n)
		}
		if v.DType() != tensor.Float32 {
			return im.errorf("graph output %q (contract %q) is %v, the contract needs float32", n, c, v.DType())
		}
		im.g.Output(c, v)
		im.out.Outputs[c] = v
	}
	if err := im.g.Err(); err != nil {
		return im.errorf("%v", err)
	}
	return nil
}

// differentiable returns the value names through which a gradient can flow to one of the
// contract outputs: a backward sweep over the nodes that follows only the inputs each op
// importer declares differentiable.
func (im *importer) differentiable(outMap map[string]string) map[string]bool {
	live := map[string]bool{}
	for _, n := range outMap {
		live[n] = true
	}
	for k := len(im.dec.ops) - 1; k >= 0; k-- {
		op := im.dec.ops[k]
		reached := false
		for _, o := range op.outputs {
			reached = reached || live[o]
		}
		if !reached {
			continue
		}
		diff := importOps[op.typ].diff
		for i, in := range op.inputs {
			if in != "" && diff(op, i) {
				live[in] = true
			}
		}
	}
	return live
}

// node converts the k-th node and records its outputs.
func (im *importer) node(k int, op *decodedOp) error {
	desc := im.idx.nodes[k].describe(k)
	imp := importOps[op.typ]
	c := &nodeCtx{g: im.g, opset: im.out.Opset, op: op, nout: len(op.outputs)}
	for _, name := range op.inputs {
		if name == "" {
			c.in = append(c.in, nil)
			continue
		}
		v := im.vals[name]
		if v == nil {
			return im.errorf("%s: input %q is not a graph input, an initializer or an earlier node's output", desc, name)
		}
		c.in = append(c.in, v)
	}
	for i := 0; i < imp.minIn; i++ {
		if c.input(i) == nil {
			return im.errorf("%s: needs input %d", desc, i)
		}
	}
	outs := imp.build(c)
	if c.err != nil {
		return im.errorf("%s: %v", desc, c.err)
	}
	if err := im.g.Err(); err != nil {
		return im.errorf("%s: %v", desc, err)
	}
	for j, name := range op.outputs {
		if name == "" {
			continue
		}
		if j >= len(outs) || outs[j] == nil {
			return im.errorf("%s: output %d (%q) is not supported", desc, j, name)
		}
		im.vals[name] = outs[j]
	}
	return nil
}

// irDType maps an ONNX element type of a graph input to the IR's.
func irDType(elem int32) (tensor.DType, error) {
	switch elem {
	case 1, 11: // FLOAT, DOUBLE
		return tensor.Float32, nil
	case 6, 7: // INT32, INT64
		return tensor.Int64, nil
	}
	return 0, fmt.Errorf("element type %s is not supported", onnxElemName(elem))
}

// onnxElemName names an ONNX TensorProto element type.
func onnxElemName(elem int32) string {
	names := map[int32]string{1: "float", 2: "uint8", 3: "int8", 4: "uint16", 5: "int16", 6: "int32", 7: "int64",
		8: "string", 9: "bool", 10: "float16", 11: "double", 12: "uint32", 13: "uint64", 16: "bfloat16"}
	if n, ok := names[elem]; ok {
		return n
	}
	return fmt.Sprintf("type %d", elem)
}

// fromGorgonia converts a tensor decoded by onnx-go, narrowing doubles to float32 and widening
// int32 to int64.
func fromGorgonia(t gtensor.Tensor) (*tensor.Tensor, error) {
	shape := append([]int{}, t.Shape()...)
	n := 1
	for _, d := range shape {
		n *= d
	}
	var out *tensor.Tensor
	switch d := t.Data().(type) {
	case []float32:
		out = tensor.FromFloat32(append([]float32{}, d...), shape...)
	case float32:
		out = tensor.FromFloat32([]float32{d}, shape...)
	case []float64:
		f := make([]float32, len(d))
		for k, v := range d {
			f[k] = float32(v)
		}
		out = tensor.FromFloat32(f, shape...)
	case float64:
		out = tensor.FromFloat32([]float32{float32(d)}, shape...)
	case []int64:
		out = tensor.FromInt64(append([]int64{}, d...), shape...)
	case int64:
		out = tensor.FromInt64([]int64{d}, shape...)
	case []int32:
		v := make([]int64, len(d))
		for k, x := range d {
			v[k] = int64(x)
		}
		out = tensor.FromInt64(v, shape...)
	case int32:
		out = tensor.FromInt64([]int64{int64(d)}, shape...)
	default:
		return nil, fmt.Errorf("element type %v is not supported", t.Dtype())
	}
	if out.Len() != n {
		return nil, fmt.Errorf("shape %v needs %d elements, the data has %d", shape, n, out.Len())
	}
	return out, nil
}

// decodedOp is one node as onnx-go's decoder hands it over.
type decodedOp struct {
	typ   string
	attrs map[string]interface{}
	// inputs and outputs are value names in slot order; "" marks an absent optional input.
	inputs, outputs []string
}

// decodeNode is a value (graph input, initializer, node output) in onnx-go's graph.
type decodeNode struct {
	id   int64
	name string
	t    gtensor.Tensor
}

// ID returns the node's id in the decode graph.
func (n *decodeNode) ID() int64 { return n.id }

// SetName records the ONNX value name (onnx-go's Namer).
func (n *decodeNode) SetName(s string) { n.name = s }

// GetName returns the ONNX value name.
func (n *decodeNode) GetName() string { return n.name }

// SetTensor records an initializer's value (onnx-go's DataCarrier).
func (n *decodeNode) SetTensor(t gtensor.Tensor) error {
	n.t = t
	return nil
}

// GetTensor returns the recorded value, or nil.
func (n *decodeNode) GetTensor() gtensor.Tensor { return n.t }

// decodeGraph is the onnx-go Backend the decoder fills: a gonum directed graph from each node
// output to the values it consumes, the edge weight being the input slot. Because a node can
// take the same value in two slots (x*x), which a simple graph keeps as one edge, the edges
// are also recorded in order and turned into slot lists when the decoder applies the node's
// operation.
type decodeGraph struct {
	*simple.WeightedDirectedGraph
	byName  map[string]*decodeNode
	pending []graph.WeightedEdge
	ops     []*decodedOp
}

func newDecodeGraph() *decodeGraph {
	return &decodeGraph{WeightedDirectedGraph: simple.NewWeightedDirectedGraph(0, 0), byName: map[string]*decodeNode{}}
}

// NewNode returns a new value node that can carry a name and a tensor.
func (d *decodeGraph) NewNode() graph.Node {
	return &decodeNode{id: d.WeightedDirectedGraph.NewNode().ID()}
}

// AddNode adds a node; the decoder names a node before adding it.
func (d *decodeGraph) AddNode(n graph.Node) {
	d.WeightedDirectedGraph.AddNode(n)
	if dn, ok := n.(*decodeNode); ok {
		d.byName[dn.name] = dn
	}
}

// SetWeightedEdge records the edge from a node output to one of its inputs. A node consuming
// its own output (a malformed model) is kept out of the gonum graph, which rejects self loops;
// the import then reports the undefined input.
func (d *decodeGraph) SetWeightedEdge(e graph.WeightedEdge) {
	d.pending = append(d.pending, e)
	if e.From().ID() != e.To().ID() {
		d.WeightedDirectedGraph.SetWeightedEdge(e)
	}
}

// ApplyOperation records a node: its op type and attributes, its outputs, and its inputs in
// slot order from the edges set since the previous node.
func (d *decodeGraph) ApplyOperation(op onnxgo.Operation, outs ...graph.Node) error {
	rec := &decodedOp{typ: op.Name, attrs: op.Attributes}
	for _, o := range outs {
		rec.outputs = append(rec.outputs, nodeName(o))
	}
	if len(outs) > 0 {
		slots := map[int]string{}
		last := -1
		for _, e := range d.pending {
			if e.From().ID() != outs[0].ID() {
				continue
			}
			w := int(e.Weight())
			slots[w] = nodeName(e.To())
			last = max(last, w)
		}
		rec.inputs = make([]string, last+1)
		for w, name := range slots {
			rec.inputs[w] = name
		}
	}
	d.pending = d.pending[:0]
	d.ops = append(d.ops, rec)
	return nil
}

func nodeName(n graph.Node) string {
	if dn, ok := n.(*decodeNode); ok {
		return dn.name
	}
	return ""
}

// modelIndex is what the importer reads from the model bytes itself, with the package's
// protobuf reader (parseModel; see the note at the top of this file).
type modelIndex struct {
	opsets    map[string]int64
	graph     *graphProto
	graphName string
	inputs    []*valueInfoProto
	outputs   []string
	nodes     []*nodeProto
	// inits are the initializer names in file order.
	inits  []string
	isInit map[string]bool
}

// indexModel reads the model bytes.
func indexModel(data []byte) (*modelIndex, error) {
	m, err := parseModel(data)
	if err != nil {
		return nil, err
	}
	if m.graph == nil {
		return nil, fmt.Errorf("malformed model: no graph")
	}
	g := m.graph
	idx := &modelIndex{opsets: map[string]int64{}, graph: g, graphName: g.name, inputs: g.inputs, nodes: g.nodes, isInit: map[string]bool{}}
	for _, o := range m.opsetImport {
		idx.opsets[o.domain] = o.version
	}
	for _, o := range g.outputs {
		idx.outputs = append(idx.outputs, o.name)
	}
	for _, t := range g.initializers {
		idx.inits = append(idx.inits, t.name)
		idx.isInit[t.name] = true
	}
	return idx, nil
}

// opset returns the version of the default operator set.
func (m *modelIndex) opset() int64 {
	if v, ok := m.opsets["ai.onnx"]; ok {
		return v
	}
	return m.opsets[""]
}

// decoderBytes returns the model as onnx-go's decoder gets it: a ModelProto of the graph alone,
// whose nodes and initializers are the file's own messages, except that external tensor data is
// read from baseDir into raw_data, and whose inputs and outputs carry their names only, with no
// value_info: onnx-go would allocate a zero tensor of each typed value's fixed dimensions,
// however large, and reject element types the importer never needs. onnx-go reads nothing
// else of the model.
func (m *modelIndex) decoderBytes(baseDir string) ([]byte, error) {
	var g []byte
	for _, n := range m.nodes {
		g = appendBytesField(g, 1, n.raw)
	}
	for _, t := range m.graph.initializers {
		raw := t.raw
		if t.dataLocation == 1 { // EXTERNAL
			data, err := readExternal(t.externalData, baseDir, t.dims, t.dataType)
			if err != nil {
				return nil, fmt.Errorf("initializer %q: external data: %w", t.name, err)
			}
			inline := tensorProto{dims: t.dims, dataType: t.dataType, name: t.name}
			raw = appendBytesField(inline.marshal(), 9, data)
		}
		g = appendBytesField(g, 5, raw)
	}
	for _, v := range m.inputs {
		g = appendBytesField(g, 11, appendStringField(nil, 1, v.name))
	}
	for _, name := range m.outputs {
		g = appendBytesField(g, 12, appendStringField(nil, 1, name))
	}
	return appendBytesField(nil, 7, g), nil
}

// inputDims returns the dimensions of a graph input, -1 for a dynamic one (a dim_param or no
// value).
func inputDims(v *valueInfoProto) ([]int, error) {
	dims := make([]int, len(v.dims))
	for k, d := range v.dims {
		switch {
		case !d.hasValue:
			dims[k] = -1
		case d.value < 0 || d.value > 1<<40:
			return nil, fmt.Errorf("dimension %d out of range", d.value)
		default:
			dims[k] = int(d.value)
		}
	}
	return dims, nil
}

// describe names the k-th node for error messages.
func (n *nodeProto) describe(k int) string {
	if n.name == "" {
		return fmt.Sprintf("node #%d (%s)", k, n.opType)
	}
	return fmt.Sprintf("node %q (%s)", n.name, n.opType)
}

// elemSize returns the bytes per element of an ONNX element type in raw_data (0: unknown).
func rawElemSize(elem int32) int64 {
	switch elem {
	case 2, 3, 9: // uint8, int8, bool
		return 1
	case 4, 5, 10, 16: // uint16, int16, float16, bfloat16
		return 2
	case 1, 6, 12: // float, int32, uint32
		return 4
	case 7, 11, 13: // int64, double, uint64
		return 8
	}
	return 0
}

// readExternal reads a tensor's external data: the file named by location, relative to
// baseDir, from offset for length bytes (to the end of the file when length is absent). The
// byte count must match the tensor's shape and element type.
func readExternal(ext map[string]string, baseDir string, dims []int64, dataType int32) ([]byte, error) {
	loc := ext["location"]
	if loc == "" {
		return nil, fmt.Errorf("no location given")
	}
	if !filepath.IsLocal(filepath.FromSlash(loc)) {
		return nil, fmt.Errorf("location %q is not a relative path inside the model's folder", loc)
	}
	if baseDir == "" {
		return nil, fmt.Errorf("location %q: no folder to read it from (use ImportFile or set ImportOptions.BaseDir)", loc)
	}
	num := func(key string) (int64, bool, error) {
		s, ok := ext[key]
		if !ok {
			return 0, false, nil
		}
		var v int64
		if _, err := fmt.Sscan(s, &v); err != nil || v < 0 {
			return 0, false, fmt.Errorf("%s %q is not a non-negative integer", key, s)
		}
		return v, true, nil
	}
	offset, _, err := num("offset")
	if err != nil {
		return nil, err
	}
	length, hasLength, err := num("length")
	if err != nil {
		return nil, err
	}
	size := rawElemSize(dataType)
	if size == 0 {
		return nil, fmt.Errorf("element type %s is not supported", onnxElemName(dataType))
	}
	want := size
	for _, d := range dims {
		if d < 0 || (d > 0 && want > (1<<62)/d) {
			return nil, fmt.Errorf("shape %v is out of range", dims)
		}
		want *= d
	}
	path := filepath.Join(baseDir, filepath.FromSlash(loc))
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !hasLength {
		length = st.Size() - offset
	}
	if offset > st.Size() || length > st.Size()-offset {
		return nil, fmt.Errorf("%s has %d bytes, the tensor needs %d at offset %d", path, st.Size(), length, offset)
	}
	if length != want {
		return nil, fmt.Errorf("%s: %d bytes at offset %d, shape %v of %s needs %d", path, length, offset, dims, onnxElemName(dataType), want)
	}
	data := make([]byte, length)
	if _, err := f.ReadAt(data, offset); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}
