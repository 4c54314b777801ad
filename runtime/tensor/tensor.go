package tensor

import (
	"fmt"
	"strings"
)

// DType is the element type of a tensor. Its values are the ONNX TensorProto data-type codes,
// so they can be written into ONNX files unchanged.
type DType int32

// The element types cdrl-go uses.
const (
	Float32 DType = 1
	Int64   DType = 7
	Bool    DType = 9 // graph-internal only (comparison results); no Tensor holds it
	Float64 DType = 11
)

// String returns the lower-case name of the type ("float32", "int64", "float64").
func (d DType) String() string {
	switch d {
	case Float32:
		return "float32"
	case Int64:
		return "int64"
	case Float64:
		return "float64"
	case Bool:
		return "bool"
	}
	return fmt.Sprintf("dtype(%d)", int32(d))
}

// Size returns the bytes of one element: 4 for float32, 8 for int64 and float64, 1 for bool,
// 0 for an unknown type.
func (d DType) Size() int {
	switch d {
	case Float32:
		return 4
	case Int64, Float64:
		return 8
	case Bool:
		return 1
	}
	return 0
}

// Shape lists a tensor's dimensions, outermost first. A negative dimension means "not known
// yet" (a symbolic batch dimension in a graph); concrete tensors never have one.
type Shape []int

// Size returns the number of elements, or -1 when a dimension is unknown.
func (s Shape) Size() int {
	n := 1
	for _, d := range s {
		if d < 0 {
			return -1
		}
		n *= d
	}
	return n
}

// Known reports whether every dimension is known.
func (s Shape) Known() bool { return s.Size() >= 0 }

// Equal reports whether two shapes have the same rank and dimensions.
func (s Shape) Equal(o Shape) bool {
	if len(s) != len(o) {
		return false
	}
	for i := range s {
		if s[i] != o[i] {
			return false
		}
	}
	return true
}

// Clone returns a copy of the shape.
func (s Shape) Clone() Shape { return append(Shape(nil), s...) }

// String formats the shape as (2,3,?) with ? for unknown dimensions.
func (s Shape) String() string {
	parts := make([]string, len(s))
	for i, d := range s {
		if d < 0 {
			parts[i] = "?"
		} else {
			parts[i] = fmt.Sprint(d)
		}
	}
	return "(" + strings.Join(parts, ",") + ")"
}

// Tensor is a dense row-major tensor. Exactly one of the data slices is used, selected by DType.
type Tensor struct {
	DType   DType
	Shape   Shape
	Float32 []float32
	Int64   []int64
	Float64 []float64
}

// New returns a zero tensor of the given type and shape; the shape must be fully known.
func New(dt DType, shape ...int) *Tensor {
	s := Shape(shape).Clone()
	n := s.Size()
	if n < 0 {
		n = 0
	}
	t := &Tensor{DType: dt, Shape: s}
	switch dt {
	case Int64:
		t.Int64 = make([]int64, n)
	case Float64:
		t.Float64 = make([]float64, n)
	default:
		t.DType = Float32
		t.Float32 = make([]float32, n)
	}
	return t
}

// FromFloat32 wraps data (not copied) as a float32 tensor of the given shape.
func FromFloat32(data []float32, shape ...int) *Tensor {
	return &Tensor{DType: Float32, Shape: Shape(shape).Clone(), Float32: data}
}

// FromInt64 wraps data (not copied) as an int64 tensor of the given shape.
func FromInt64(data []int64, shape ...int) *Tensor {
	return &Tensor{DType: Int64, Shape: Shape(shape).Clone(), Int64: data}
}

// FromFloat64 wraps data (not copied) as a float64 tensor of the given shape.
func FromFloat64(data []float64, shape ...int) *Tensor {
	return &Tensor{DType: Float64, Shape: Shape(shape).Clone(), Float64: data}
}

// Len returns the number of elements held by the active data slice.
func (t *Tensor) Len() int {
	switch t.DType {
	case Int64:
		return len(t.Int64)
	case Float64:
		return len(t.Float64)
	}
	return len(t.Float32)
}

// Bytes returns the size of the tensor's data in bytes: Len elements of its type.
func (t *Tensor) Bytes() int64 { return int64(t.Len()) * int64(t.DType.Size()) }

// Validate checks that the shape is known and matches the amount of data.
func (t *Tensor) Validate() error {
	if t == nil {
		return fmt.Errorf("tensor: nil tensor")
	}
	switch t.DType {
	case Float32, Int64, Float64:
	default:
		return fmt.Errorf("tensor: unsupported dtype %v", t.DType)
	}
	n := t.Shape.Size()
	if n < 0 {
		return fmt.Errorf("tensor: shape %v has an unknown dimension", t.Shape)
	}
	if n != t.Len() {
		return fmt.Errorf("tensor: shape %v needs %d elements, have %d", t.Shape, n, t.Len())
	}
	return nil
}

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{DType: t.DType, Shape: t.Shape.Clone()}
	c.Float32 = append([]float32(nil), t.Float32...)
	c.Int64 = append([]int64(nil), t.Int64...)
	c.Float64 = append([]float64(nil), t.Float64...)
	return c
}

// AsFloat64 returns the elements converted to float64 (a new slice).
func (t *Tensor) AsFloat64() []float64 {
	out := make([]float64, t.Len())
	switch t.DType {
	case Int64:
		for i, v := range t.Int64 {
			out[i] = float64(v)
		}
	case Float64:
		copy(out, t.Float64)
	default:
		for i, v := range t.Float32 {
			out[i] = float64(v)
		}
	}
	return out
}
