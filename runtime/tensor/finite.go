package tensor

import (
	"fmt"
	"math"
)

// CheckFinite returns an error naming the first NaN or infinite element, or nil when every
// element is finite. Int64 tensors are always finite.
func (t *Tensor) CheckFinite() error {
	if t == nil {
		return fmt.Errorf("tensor: nil tensor")
	}
	bad, v := -1, 0.0
	switch t.DType {
	case Float32:
		for i, x := range t.Float32 {
			if f := float64(x); math.IsNaN(f) || math.IsInf(f, 0) {
				bad, v = i, f
				break
			}
		}
	case Float64:
		for i, x := range t.Float64 {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				bad, v = i, x
				break
			}
		}
	}
	if bad < 0 {
		return nil
	}
	return fmt.Errorf("tensor: element %d%s is %v", bad, t.Shape.indexString(bad), v)
}

// indexString formats flat index i as a multi-index " (index [1,2])" in this shape, or "" when the shape
// does not describe i (unknown dimensions, rank below 2, or out of range).
func (s Shape) indexString(i int) string {
	if len(s) < 2 || i < 0 || i >= s.Size() {
		return ""
	}
	idx := make([]int, len(s))
	for d := len(s) - 1; d >= 0; d-- {
		idx[d] = i % s[d]
		i /= s[d]
	}
	out := " (index ["
	for d, v := range idx {
		if d > 0 {
			out += ","
		}
		out += fmt.Sprint(v)
	}
	return out + "])"
}
