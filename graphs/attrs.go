package graphs

import "github.com/cdrl-go/cdrl/runtime/tensor"

// Attrs holds a node's attributes. Values have the Go types of ONNX attribute kinds:
// int64 (INT), float32 (FLOAT), string (STRING), []int64 (INTS), []float32 (FLOATS) and
// *tensor.Tensor (TENSOR).
type Attrs map[string]any

// Int returns an INT attribute or def when absent.
func (a Attrs) Int(name string, def int64) int64 {
	if v, ok := a[name].(int64); ok {
		return v
	}
	return def
}

// Float returns a FLOAT attribute or def when absent.
func (a Attrs) Float(name string, def float32) float32 {
	if v, ok := a[name].(float32); ok {
		return v
	}
	return def
}

// String returns a STRING attribute or def when absent.
func (a Attrs) String(name, def string) string {
	if v, ok := a[name].(string); ok {
		return v
	}
	return def
}

// Ints returns an INTS attribute or def when absent.
func (a Attrs) Ints(name string, def []int64) []int64 {
	if v, ok := a[name].([]int64); ok {
		return v
	}
	return def
}

// Tensor returns a TENSOR attribute or nil when absent.
func (a Attrs) Tensor(name string) *tensor.Tensor {
	if v, ok := a[name].(*tensor.Tensor); ok {
		return v
	}
	return nil
}
