package ort

import (
	"errors"
	"fmt"

	onnx "github.com/yalue/onnxruntime_go"
	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of the ONNX protobuf messages that readSignature walks (onnx.proto).
const (
	modelGraph        = 7  // ModelProto.graph
	graphInitializer  = 5  // GraphProto.initializer
	graphInput        = 11 // GraphProto.input
	graphOutput       = 12 // GraphProto.output
	tensorName        = 8  // TensorProto.name
	valueInfoName     = 1  // ValueInfoProto.name
	valueInfoType     = 2  // ValueInfoProto.type
	typeTensor        = 1  // TypeProto.tensor_type
	tensorTypeElem    = 1  // TypeProto.Tensor.elem_type
	tensorTypeShape   = 2  // TypeProto.Tensor.shape
	shapeDim          = 1  // TensorShapeProto.dim
	dimValue          = 1  // TensorShapeProto.Dimension.dim_value
	elemTypeUndefined = 0  // TensorProto.UNDEFINED: not a tensor, or no type given
)

// errIncomplete marks a model whose inputs or outputs readSignature cannot fully describe.
var errIncomplete = errors.New("a value that is not a tensor or has no declared shape")

// modelInfos returns the declared inputs and outputs of a model. It reads them from the model's
// bytes (readSignature), which takes well under a millisecond; ONNX Runtime's own listing
// builds and optimises a temporary session, which took 15-95 ms per graph of the embedded mnist
// model, about as long as the real session. Models the reader cannot describe completely (a
// value that is not a tensor, a missing shape) are listed by ONNX Runtime.
func modelInfos(model []byte) (ins, outs []onnx.InputOutputInfo, err error) {
	if ins, outs, err := readSignature(model); err == nil {
		return ins, outs, nil
	}
	return onnx.GetInputOutputInfoWithONNXData(model)
}

// readSignature reads the graph inputs and outputs of a serialised ONNX model from its value
// infos, leaving out the inputs that an initializer of the same name feeds, as ONNX Runtime
// does; symbolic or unknown dimensions are -1. It reads nothing else of the model. (The
// graphs/onnx package has a full decoder, but it cannot be imported here: its tests run their
// graphs through this package.)
func readSignature(model []byte) (ins, outs []onnx.InputOutputInfo, err error) {
	var graph []byte
	graphs := 0
	err = eachBytesField(model, func(num protowire.Number, b []byte) error {
		if num == modelGraph {
			graph, graphs = b, graphs+1
		}
		return nil
	})
	if err == nil && graphs != 1 {
		err = fmt.Errorf("%d graphs, want 1", graphs)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("ort: read model signature: %w", err)
	}
	inits := map[string]bool{}
	var declared []onnx.InputOutputInfo
	err = eachBytesField(graph, func(num protowire.Number, b []byte) error {
		switch num {
		case graphInitializer:
			return eachBytesField(b, func(num protowire.Number, b []byte) error {
				if num == tensorName {
					inits[string(b)] = true
				}
				return nil
			})
		case graphInput, graphOutput:
			info, err := readValueInfo(b)
			if err != nil {
				return err
			}
			if num == graphInput {
				declared = append(declared, info)
			} else {
				outs = append(outs, info)
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("ort: read model signature: %w", err)
	}
	for _, info := range declared {
		if !inits[info.Name] {
			ins = append(ins, info)
		}
	}
	return ins, outs, nil
}

// readValueInfo reads a ValueInfoProto of a tensor with a declared shape.
func readValueInfo(b []byte) (onnx.InputOutputInfo, error) {
	info := onnx.InputOutputInfo{OrtValueType: onnx.ONNXTypeTensor}
	elem, shaped := int64(elemTypeUndefined), false
	err := eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
		switch {
		case num == valueInfoName && typ == protowire.BytesType:
			info.Name = string(b)
		case num == valueInfoType && typ == protowire.BytesType:
			return eachBytesField(b, func(num protowire.Number, b []byte) error {
				if num != typeTensor {
					return nil
				}
				return eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error {
					switch {
					case num == tensorTypeElem && typ == protowire.VarintType:
						elem = int64(v)
					case num == tensorTypeShape && typ == protowire.BytesType:
						shaped = true
						info.Dimensions = onnx.Shape{}
						return eachBytesField(b, func(num protowire.Number, b []byte) error {
							if num != shapeDim {
								return nil
							}
							d := int64(-1)
							err := eachField(b, func(num protowire.Number, typ protowire.Type, v uint64, _ []byte) error {
								if num == dimValue && typ == protowire.VarintType {
									d = int64(v)
								}
								return nil
							})
							info.Dimensions = append(info.Dimensions, d)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	if err != nil {
		return info, err
	}
	if elem == elemTypeUndefined || !shaped {
		return info, fmt.Errorf("%q: %w", info.Name, errIncomplete)
	}
	info.DataType = onnx.TensorElementDataType(elem)
	return info, nil
}

// eachField calls f for every field of a protobuf message: its number and wire type, the value
// of a varint field and the contents of a length-delimited one.
func eachField(b []byte, f func(num protowire.Number, typ protowire.Type, v uint64, b []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v uint64
		var val []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			val, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := f(num, typ, v, val); err != nil {
			return err
		}
	}
	return nil
}

// eachBytesField calls f for every length-delimited field of a protobuf message.
func eachBytesField(b []byte, f func(num protowire.Number, b []byte) error) error {
	return eachField(b, func(num protowire.Number, typ protowire.Type, _ uint64, b []byte) error {
		if typ != protowire.BytesType {
			return nil
		}
		return f(num, b)
	})
}
