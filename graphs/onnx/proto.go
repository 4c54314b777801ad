package onnx

import (
	"encoding/binary"
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// The subset of onnx.proto this package writes and reads back. Field numbers are those of
// onnx.proto (syntax proto2). Marshal writes it; parseModel reads it, for the importer (what
// onnx-go's decoder drops; see import.go) and for the tests of Marshal. Fields not listed here
// are skipped when reading.

// modelProto is ModelProto.
type modelProto struct {
	irVersion       int64  // 1
	producerName    string // 2
	producerVersion string // 3
	docString       string // 6
	graph           *graphProto
	opsetImport     []opsetIDProto // 8
}

// opsetIDProto is OperatorSetIdProto.
type opsetIDProto struct {
	domain  string // 1
	version int64  // 2
}

// graphProto is GraphProto.
type graphProto struct {
	nodes        []*nodeProto      // 1
	name         string            // 2
	initializers []*tensorProto    // 5
	inputs       []*valueInfoProto // 11
	outputs      []*valueInfoProto // 12
}

// nodeProto is NodeProto.
type nodeProto struct {
	inputs     []string          // 1
	outputs    []string          // 2
	name       string            // 3
	opType     string            // 4
	attributes []*attributeProto // 5
	domain     string            // 7
	raw        []byte            // the message as read, all fields; nil for one to write
}

// attrType is AttributeProto.AttributeType.
type attrType int32

// The attribute kinds this package knows.
const (
	attrFloat  attrType = 1
	attrInt    attrType = 2
	attrString attrType = 3
	attrTensor attrType = 4
	attrFloats attrType = 6
	attrInts   attrType = 7
)

// attributeProto is AttributeProto.
type attributeProto struct {
	name   string       // 1
	f      float32      // 2
	i      int64        // 3
	s      []byte       // 4
	t      *tensorProto // 5
	floats []float32    // 7
	ints   []int64      // 8
	typ    attrType     // 20
}

// tensorProto is TensorProto. Marshal writes data only as rawData. Reading skips the typed data
// fields (float_data, int64_data, ...): tensor values are onnx-go's to decode.
type tensorProto struct {
	dims         []int64           // 1
	dataType     int32             // 2
	name         string            // 8
	rawData      []byte            // 9
	externalData map[string]string // 13: StringStringEntryProto key (1) -> value (2)
	dataLocation int32             // 14 (1 = EXTERNAL)
	raw          []byte            // the message as read, all fields; nil for one to write
}

// valueInfoProto is a ValueInfoProto whose type is a tensor type.
type valueInfoProto struct {
	name     string // 1
	elemType int32  // type(2).tensor_type(1).elem_type(1)
	// hasShape says whether a shape is given (type.tensor_type.shape, field 2); a rank-0
	// shape is written as an empty TensorShapeProto.
	hasShape bool
	dims     []dimProto
}

// dimProto is TensorShapeProto.Dimension: a value, a symbolic name, or neither (unknown).
type dimProto struct {
	value    int64  // 1
	hasValue bool   // whether dim_value is set (it may be 0)
	param    string // 2
}

// ---- writing ----

func appendVarintField(b []byte, num protowire.Number, v uint64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// appendStringField writes a string field unless it is empty (the proto2 default).
func appendStringField(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

// appendBytesField writes a length-delimited field, also when v is empty.
func appendBytesField(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendPackedInt64s(b []byte, num protowire.Number, vs []int64) []byte {
	if len(vs) == 0 {
		return b
	}
	var p []byte
	for _, v := range vs {
		p = protowire.AppendVarint(p, uint64(v))
	}
	return appendBytesField(b, num, p)
}

func appendPackedFloats(b []byte, num protowire.Number, vs []float32) []byte {
	if len(vs) == 0 {
		return b
	}
	p := make([]byte, 0, 4*len(vs))
	for _, v := range vs {
		p = protowire.AppendFixed32(p, math.Float32bits(v))
	}
	return appendBytesField(b, num, p)
}

func (m *modelProto) marshal() []byte {
	var b []byte
	b = appendVarintField(b, 1, uint64(m.irVersion))
	b = appendStringField(b, 2, m.producerName)
	b = appendStringField(b, 3, m.producerVersion)
	b = appendStringField(b, 6, m.docString)
	if m.graph != nil {
		b = appendBytesField(b, 7, m.graph.marshal())
	}
	for _, o := range m.opsetImport {
		var ob []byte
		ob = appendStringField(ob, 1, o.domain)
		ob = appendVarintField(ob, 2, uint64(o.version))
		b = appendBytesField(b, 8, ob)
	}
	return b
}

func (g *graphProto) marshal() []byte {
	var b []byte
	for _, n := range g.nodes {
		b = appendBytesField(b, 1, n.marshal())
	}
	b = appendStringField(b, 2, g.name)
	for _, t := range g.initializers {
		b = appendBytesField(b, 5, t.marshal())
	}
	for _, v := range g.inputs {
		b = appendBytesField(b, 11, v.marshal())
	}
	for _, v := range g.outputs {
		b = appendBytesField(b, 12, v.marshal())
	}
	return b
}

func (n *nodeProto) marshal() []byte {
	var b []byte
	for _, s := range n.inputs {
		b = appendBytesField(b, 1, []byte(s)) // an empty name marks an omitted optional input
	}
	for _, s := range n.outputs {
		b = appendBytesField(b, 2, []byte(s))
	}
	b = appendStringField(b, 3, n.name)
	b = appendStringField(b, 4, n.opType)
	for _, a := range n.attributes {
		b = appendBytesField(b, 5, a.marshal())
	}
	b = appendStringField(b, 7, n.domain)
	return b
}

func (a *attributeProto) marshal() []byte {
	var b []byte
	b = appendStringField(b, 1, a.name)
	switch a.typ {
	case attrFloat:
		b = protowire.AppendTag(b, 2, protowire.Fixed32Type)
		b = protowire.AppendFixed32(b, math.Float32bits(a.f))
	case attrInt:
		b = appendVarintField(b, 3, uint64(a.i))
	case attrString:
		b = appendBytesField(b, 4, a.s)
	case attrTensor:
		b = appendBytesField(b, 5, a.t.marshal())
	case attrFloats:
		b = appendPackedFloats(b, 7, a.floats)
	case attrInts:
		b = appendPackedInt64s(b, 8, a.ints)
	}
	return appendVarintField(b, 20, uint64(a.typ))
}

func (t *tensorProto) marshal() []byte {
	var b []byte
	b = appendPackedInt64s(b, 1, t.dims)
	b = appendVarintField(b, 2, uint64(t.dataType))
	b = appendStringField(b, 8, t.name)
	if len(t.rawData) > 0 {
		b = appendBytesField(b, 9, t.rawData)
	}
	return b
}

func (v *valueInfoProto) marshal() []byte {
	var tt []byte // TypeProto.Tensor
	tt = appendVarintField(tt, 1, uint64(v.elemType))
	if v.hasShape {
		var sh []byte // TensorShapeProto
		for _, d := range v.dims {
			var db []byte
			switch {
			case d.hasValue:
				db = appendVarintField(db, 1, uint64(d.value))
			case d.param != "":
				db = appendStringField(db, 2, d.param)
			}
			sh = appendBytesField(sh, 1, db)
		}
		tt = appendBytesField(tt, 2, sh)
	}
	var b []byte
	b = appendStringField(b, 1, v.name)
	return appendBytesField(b, 2, appendBytesField(nil, 1, tt))
}

// ---- reading ----

// field is one decoded protobuf field: u holds varint and fixed-width values, b the payload of
// length-delimited ones and raw the field as encoded, tag included (both aliasing the input).
type field struct {
	num protowire.Number
	typ protowire.Type
	u   uint64
	b   []byte
	raw []byte
}

// eachField calls f for every field of the message encoded in b, in order.
func eachField(b []byte, f func(fl field) error) error {
	for len(b) > 0 {
		start := b
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("malformed protobuf: %w", protowire.ParseError(n))
		}
		b = b[n:]
		fl := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			fl.u, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			fl.u = uint64(v)
		case protowire.Fixed64Type:
			fl.u, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			fl.b, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("malformed protobuf: field %d: %w", num, protowire.ParseError(n))
		}
		fl.raw = start[:len(start)-len(b)+n]
		b = b[n:]
		if err := f(fl); err != nil {
			return err
		}
	}
	return nil
}

// want checks the field's wire type.
func (fl field) want(typ protowire.Type) error {
	if fl.typ != typ {
		return fmt.Errorf("malformed protobuf: field %d has wire type %d, want %d", fl.num, fl.typ, typ)
	}
	return nil
}

// varints appends the values of a repeated varint field, packed or not.
func (fl field) varints(dst []int64) ([]int64, error) {
	switch fl.typ {
	case protowire.VarintType:
		return append(dst, int64(fl.u)), nil
	case protowire.BytesType:
		for b := fl.b; len(b) > 0; {
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, fmt.Errorf("field %d: %w", fl.num, protowire.ParseError(n))
			}
			dst = append(dst, int64(v))
			b = b[n:]
		}
		return dst, nil
	}
	return nil, fmt.Errorf("field %d has wire type %d, want varint or packed", fl.num, fl.typ)
}

// fixed32s appends the values of a repeated float field, packed or not.
func (fl field) fixed32s(dst []float32) ([]float32, error) {
	switch fl.typ {
	case protowire.Fixed32Type:
		return append(dst, math.Float32frombits(uint32(fl.u))), nil
	case protowire.BytesType:
		if len(fl.b)%4 != 0 {
			return nil, fmt.Errorf("field %d: packed floats of %d bytes", fl.num, len(fl.b))
		}
		for k := 0; k < len(fl.b); k += 4 {
			dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(fl.b[k:])))
		}
		return dst, nil
	}
	return nil, fmt.Errorf("field %d has wire type %d, want fixed32 or packed", fl.num, fl.typ)
}

// parseModel parses the bytes of an ONNX ModelProto. Byte fields of the result (raw tensor
// data, the raw messages) alias data. A model with more than one graph is an error.
func parseModel(data []byte) (*modelProto, error) {
	m := &modelProto{}
	err := eachField(data, func(fl field) error {
		switch fl.num {
		case 1:
			if err := fl.want(protowire.VarintType); err != nil {
				return err
			}
			m.irVersion = int64(fl.u)
		case 2, 3, 6:
			if err := fl.want(protowire.BytesType); err != nil {
				return err
			}
			switch fl.num {
			case 2:
				m.producerName = string(fl.b)
			case 3:
				m.producerVersion = string(fl.b)
			default:
				m.docString = string(fl.b)
			}
		case 7:
			if err := fl.want(protowire.BytesType); err != nil {
				return err
			}
			if m.graph != nil {
				return fmt.Errorf("more than one graph")
			}
			g, err := parseGraph(fl.b)
			if err != nil {
				return fmt.Errorf("graph: %w", err)
			}
			m.graph = g
		case 8:
			if err := fl.want(protowire.BytesType); err != nil {
				return err
			}
			o, err := parseOpsetID(fl.b)
			if err != nil {
				return fmt.Errorf("opset_import: %w", err)
			}
			m.opsetImport = append(m.opsetImport, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

func parseOpsetID(b []byte) (opsetIDProto, error) {
	var o opsetIDProto
	err := eachField(b, func(fl field) error {
		switch fl.num {
		case 1:
			if err := fl.want(protowire.BytesType); err != nil {
				return err
			}
			o.domain = string(fl.b)
		case 2:
			if err := fl.want(protowire.VarintType); err != nil {
				return err
			}
			o.version = int64(fl.u)
		}
		return nil
	})
	return o, err
}

// parseGraph parses a GraphProto: nodes, name, initializers, inputs and outputs (value_info is
// skipped). Sparse initializers, which it cannot represent, are an error.
func parseGraph(b []byte) (*graphProto, error) {
	g := &graphProto{}
	err := eachField(b, func(fl field) error {
		switch fl.num {
		case 1, 2, 5, 11, 12:
			if err := fl.want(protowire.BytesType); err != nil {
				return err
			}
		case 15:
			return fmt.Errorf("sparse initializers are not supported")
		default:
			return nil
		}
		switch fl.num {
		case 1:
			n, err := parseNode(fl.b)
			if err != nil {
				return fmt.Errorf("node %d: %w", len(g.nodes), err)
			}
			g.nodes = append(g.nodes, n)
		case 2:
			g.name = string(fl.b)
		case 5:
			t, err := parseTensor(fl.b)
			if err != nil {
				return fmt.Errorf("initializer %d: %w", len(g.initializers), err)
			}
			g.initializers = append(g.initializers, t)
		case 11, 12:
			v, err := parseValueInfo(fl.b)
			if err != nil {
				return fmt.Errorf("value info: %w", err)
			}
			if fl.num == 11 {
				g.inputs = append(g.inputs, v)
			} else {
				g.outputs = append(g.outputs, v)
			}
		}
		return nil
	})
	return g, err
}

func parseNode(b []byte) (*nodeProto, error) {
	n := &nodeProto{raw: b}
	err := eachField(b, func(fl field) error {
		switch fl.num {
		case 1, 2, 3, 4, 5, 7:
			if err := fl.want(protowire.BytesType); err != nil {
				return err
			}
		default:
			return nil
		}
		switch fl.num {
		case 1:
			n.inputs = append(n.inputs, string(fl.b))
		case 2:
			n.outputs = append(n.outputs, string(fl.b))
		case 3:
			n.name = string(fl.b)
		case 4:
			n.opType = string(fl.b)
		case 5:
			a, err := parseAttribute(fl.b)
			if err != nil {
				return fmt.Errorf("attribute: %w", err)
			}
			n.attributes = append(n.attributes, a)
		case 7:
			n.domain = string(fl.b)
		}
		return nil
	})
	return n, err
}

func parseAttribute(b []byte) (*attributeProto, error) {
	a := &attributeProto{}
	err := eachField(b, func(fl field) error {
		var err error
		switch fl.num {
		case 1:
			err = fl.want(protowire.BytesType)
			a.name = string(fl.b)
		case 2:
			err = fl.want(protowire.Fixed32Type)
			a.f = math.Float32frombits(uint32(fl.u))
		case 3:
			err = fl.want(protowire.VarintType)
			a.i = int64(fl.u)
		case 4:
			err = fl.want(protowire.BytesType)
			a.s = fl.b
		case 5:
			if err = fl.want(protowire.BytesType); err == nil {
				a.t, err = parseTensor(fl.b)
			}
		case 7:
			a.floats, err = fl.fixed32s(a.floats)
		case 8:
			a.ints, err = fl.varints(a.ints)
		case 20:
			err = fl.want(protowire.VarintType)
			a.typ = attrType(fl.u)
		}
		return err
	})
	return a, err
}

func parseTensor(b []byte) (*tensorProto, error) {
	t := &tensorProto{raw: b}
	err := eachField(b, func(fl field) error {
		var err error
		switch fl.num {
		case 1:
			t.dims, err = fl.varints(t.dims)
		case 2:
			err = fl.want(protowire.VarintType)
			t.dataType = int32(fl.u)
		case 8:
			err = fl.want(protowire.BytesType)
			t.name = string(fl.b)
		case 9:
			err = fl.want(protowire.BytesType)
			t.rawData = fl.b
		case 13:
			if err = fl.want(protowire.BytesType); err == nil {
				err = t.parseExternal(fl.b)
			}
		case 14:
			err = fl.want(protowire.VarintType)
			t.dataLocation = int32(fl.u)
		}
		return err
	})
	return t, err
}

// parseExternal reads one external_data entry, a StringStringEntryProto, into t.externalData.
func (t *tensorProto) parseExternal(b []byte) error {
	var k, v string
	err := eachField(b, func(fl field) error {
		if fl.num != 1 && fl.num != 2 {
			return nil
		}
		if err := fl.want(protowire.BytesType); err != nil {
			return err
		}
		if fl.num == 1 {
			k = string(fl.b)
		} else {
			v = string(fl.b)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("external_data: %w", err)
	}
	if t.externalData == nil {
		t.externalData = map[string]string{}
	}
	t.externalData[k] = v
	return nil
}

func parseValueInfo(b []byte) (*valueInfoProto, error) {
	v := &valueInfoProto{}
	err := eachField(b, func(fl field) error {
		switch fl.num {
		case 1:
			if err := fl.want(protowire.BytesType); err != nil {
				return err
			}
			v.name = string(fl.b)
		case 2: // TypeProto
			if err := fl.want(protowire.BytesType); err != nil {
				return err
			}
			return eachField(fl.b, func(fl field) error {
				if fl.num != 1 { // only tensor_type
					return nil
				}
				if err := fl.want(protowire.BytesType); err != nil {
					return err
				}
				return v.parseTensorType(fl.b)
			})
		}
		return nil
	})
	return v, err
}

// parseTensorType reads a TypeProto.Tensor into v.
func (v *valueInfoProto) parseTensorType(b []byte) error {
	return eachField(b, func(fl field) error {
		switch fl.num {
		case 1:
			if err := fl.want(protowire.VarintType); err != nil {
				return err
			}
			v.elemType = int32(fl.u)
		case 2:
			if err := fl.want(protowire.BytesType); err != nil {
				return err
			}
			v.hasShape = true
			return eachField(fl.b, func(fl field) error {
				if fl.num != 1 {
					return nil
				}
				if err := fl.want(protowire.BytesType); err != nil {
					return err
				}
				var d dimProto
				err := eachField(fl.b, func(fl field) error {
					switch fl.num {
					case 1:
						if err := fl.want(protowire.VarintType); err != nil {
							return err
						}
						d.value, d.hasValue = int64(fl.u), true
					case 2:
						if err := fl.want(protowire.BytesType); err != nil {
							return err
						}
						d.param = string(fl.b)
					}
					return nil
				})
				v.dims = append(v.dims, d)
				return err
			})
		}
		return nil
	})
}

// ---- tensors ----

// tensorToProto encodes t as a TensorProto with little-endian raw data.
func tensorToProto(name string, t *tensor.Tensor) (*tensorProto, error) {
	if t == nil {
		return nil, fmt.Errorf("tensor %q is nil", name)
	}
	switch t.DType {
	case tensor.Float32, tensor.Int64, tensor.Float64:
	default:
		return nil, fmt.Errorf("tensor %q: unknown dtype %v", name, t.DType)
	}
	if err := t.Validate(); err != nil {
		return nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	p := &tensorProto{name: name, dataType: int32(t.DType), dims: make([]int64, len(t.Shape))}
	for k, d := range t.Shape {
		p.dims[k] = int64(d)
	}
	switch t.DType {
	case tensor.Float32:
		p.rawData = make([]byte, 4*len(t.Float32))
		for k, v := range t.Float32 {
			binary.LittleEndian.PutUint32(p.rawData[4*k:], math.Float32bits(v))
		}
	case tensor.Int64:
		p.rawData = make([]byte, 8*len(t.Int64))
		for k, v := range t.Int64 {
			binary.LittleEndian.PutUint64(p.rawData[8*k:], uint64(v))
		}
	default: // Float64
		p.rawData = make([]byte, 8*len(t.Float64))
		for k, v := range t.Float64 {
			binary.LittleEndian.PutUint64(p.rawData[8*k:], math.Float64bits(v))
		}
	}
	return p, nil
}
