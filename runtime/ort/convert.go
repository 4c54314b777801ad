package ort

import (
	"fmt"

	onnx "github.com/yalue/onnxruntime_go"

	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// ortShape converts a concrete tensor shape to ORT's.
func ortShape(s tensor.Shape) onnx.Shape {
	out := make(onnx.Shape, len(s))
	for i, d := range s {
		out[i] = int64(d)
	}
	return out
}

// newValue wraps t's data (not copied) in an ORT value; rank-0 tensors are copied into a
// scalar. The caller destroys the value and keeps t alive and unchanged until then.
func newValue(t *tensor.Tensor) (onnx.Value, error) {
	if len(t.Shape) == 0 {
		switch t.DType {
		case tensor.Float32:
			return onnx.NewScalar(t.Float32[0])
		case tensor.Int64:
			return onnx.NewScalar(t.Int64[0])
		case tensor.Float64:
			return onnx.NewScalar(t.Float64[0])
		}
		return nil, fmt.Errorf("unsupported dtype %v", t.DType)
	}
	shape := ortShape(t.Shape)
	switch t.DType {
	case tensor.Float32:
		return onnx.NewTensor(shape, t.Float32)
	case tensor.Int64:
		return onnx.NewTensor(shape, t.Int64)
	case tensor.Float64:
		return onnx.NewTensor(shape, t.Float64)
	}
	return nil, fmt.Errorf("unsupported dtype %v", t.DType)
}

// newEmptyValue allocates a zeroed ORT tensor of the given type and concrete shape.
func newEmptyValue(dt tensor.DType, s tensor.Shape) (onnx.Value, error) {
	if len(s) == 0 {
		return newScalar(dt)
	}
	shape := ortShape(s)
	switch dt {
	case tensor.Float32:
		return onnx.NewEmptyTensor[float32](shape)
	case tensor.Int64:
		return onnx.NewEmptyTensor[int64](shape)
	case tensor.Float64:
		return onnx.NewEmptyTensor[float64](shape)
	}
	return nil, fmt.Errorf("unsupported dtype %v", dt)
}

// newScalar allocates a zero ORT scalar of the given type.
func newScalar(dt tensor.DType) (onnx.Value, error) {
	switch dt {
	case tensor.Float32:
		return onnx.NewEmptyScalar[float32]()
	case tensor.Int64:
		return onnx.NewEmptyScalar[int64]()
	case tensor.Float64:
		return onnx.NewEmptyScalar[float64]()
	}
	return nil, fmt.Errorf("unsupported dtype %v", dt)
}

// tensorFromValue turns an ORT output into a tensor. The data slice of a Go-backed ORT tensor is
// taken over, not copied: the caller must destroy v and not reuse it.
func tensorFromValue(v onnx.Value) (*tensor.Tensor, error) {
	switch v := v.(type) {
	case *onnx.Tensor[float32]:
		return tensor.FromFloat32(v.GetData(), intShape(v.GetShape())...), nil
	case *onnx.Tensor[int64]:
		return tensor.FromInt64(v.GetData(), intShape(v.GetShape())...), nil
	case *onnx.Tensor[float64]:
		return tensor.FromFloat64(v.GetData(), intShape(v.GetShape())...), nil
	case *onnx.Scalar[float32]:
		return tensor.FromFloat32([]float32{v.GetData()}), nil
	case *onnx.Scalar[int64]:
		return tensor.FromInt64([]int64{v.GetData()}), nil
	case *onnx.Scalar[float64]:
		return tensor.FromFloat64([]float64{v.GetData()}), nil
	case nil:
		return nil, fmt.Errorf("no value")
	}
	return nil, fmt.Errorf("unsupported ONNX value (%v, element type %d)", v.GetONNXType(), v.DataType())
}

func intShape(s onnx.Shape) []int {
	out := make([]int, len(s))
	for i, d := range s {
		out[i] = int(d)
	}
	return out
}

// destroyValues releases every non-nil value.
func destroyValues(vs []onnx.Value) {
	for i, v := range vs {
		if v != nil {
			v.Destroy()
			vs[i] = nil
		}
	}
}
