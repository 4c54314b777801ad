package ort

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	onnx "github.com/yalue/onnxruntime_go"
	"google.golang.org/protobuf/encoding/protowire"
)

// message appends length-delimited fields (number, contents) to a protobuf message.
func message(fields ...any) []byte {
	var b []byte
	for i := 0; i < len(fields); i += 2 {
		num := protowire.Number(fields[i].(int))
		switch v := fields[i+1].(type) {
		case string:
			b = protowire.AppendTag(b, num, protowire.BytesType)
			b = protowire.AppendString(b, v)
		case []byte:
			b = protowire.AppendTag(b, num, protowire.BytesType)
			b = protowire.AppendBytes(b, v)
		case int:
			b = protowire.AppendTag(b, num, protowire.VarintType)
			b = protowire.AppendVarint(b, uint64(v))
		}
	}
	return b
}

// tensorInfo is a ValueInfoProto of a tensor with element type elem and dims (-1: symbolic).
func tensorInfo(name string, elem int, dims ...int) []byte {
	var shape []byte
	for _, d := range dims {
		if d < 0 {
			shape = append(shape, message(shapeDim, message(2, "N"))...)
		} else {
			shape = append(shape, message(shapeDim, message(dimValue, d))...)
		}
	}
	return message(valueInfoName, name, valueInfoType, message(typeTensor, message(tensorTypeElem, elem, tensorTypeShape, shape)))
}

func TestReadSignature(t *testing.T) {
	graph := message(
		graphInput, tensorInfo("x", 1, -1, 2),
		graphInput, tensorInfo("w", 1, 2),
		graphInput, tensorInfo("level", 7, -1),
		graphInitializer, message(tensorName, "w"),
		graphOutput, tensorInfo("y", 11),
	)
	ins, outs, err := readSignature(message(1, 8, modelGraph, graph))
	if err != nil {
		t.Fatal(err)
	}
	tensorOf := func(name string, dt onnx.TensorElementDataType, dims ...int64) onnx.InputOutputInfo {
		return onnx.InputOutputInfo{Name: name, OrtValueType: onnx.ONNXTypeTensor, DataType: dt, Dimensions: onnx.Shape(append([]int64{}, dims...))}
	}
	wantIn := []onnx.InputOutputInfo{tensorOf("x", onnx.TensorElementDataTypeFloat, -1, 2), tensorOf("level", onnx.TensorElementDataTypeInt64, -1)}
	wantOut := []onnx.InputOutputInfo{tensorOf("y", onnx.TensorElementDataTypeDouble)}
	if !reflect.DeepEqual(ins, wantIn) || !reflect.DeepEqual(outs, wantOut) {
		t.Errorf("got %v, %v\nwant %v, %v", ins, outs, wantIn, wantOut)
	}

	noShape := message(valueInfoName, "s", valueInfoType, message(typeTensor, message(tensorTypeElem, 1)))
	if _, _, err := readSignature(message(modelGraph, message(graphInput, noShape))); !errors.Is(err, errIncomplete) {
		t.Errorf("input without a shape: error %v, want errIncomplete", err)
	}
	for _, c := range []struct {
		name string
		data []byte
		want string
	}{
		{"garbage", []byte{0xff, 0xff, 0xff}, "read model signature"},
		{"no graph", message(1, 8), "0 graphs"},
	} {
		if _, _, err := readSignature(c.data); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
