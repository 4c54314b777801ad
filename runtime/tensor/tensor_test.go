package tensor

import (
	"math"
	"strings"
	"testing"
)

func TestDTypeString(t *testing.T) {
	for dt, want := range map[DType]string{Float32: "float32", Int64: "int64", Float64: "float64", DType(42): "dtype(42)"} {
		if got := dt.String(); got != want {
			t.Errorf("DType(%d).String() = %q, want %q", int32(dt), got, want)
		}
	}
	// The values are ONNX TensorProto codes.
	if Float32 != 1 || Int64 != 7 || Float64 != 11 {
		t.Errorf("ONNX codes: float32=%d int64=%d float64=%d, want 1, 7, 11", Float32, Int64, Float64)
	}
}

func TestShape(t *testing.T) {
	cases := []struct {
		s     Shape
		size  int
		known bool
		str   string
	}{
		{Shape{}, 1, true, "()"},
		{Shape{3}, 3, true, "(3)"},
		{Shape{2, 3, 4}, 24, true, "(2,3,4)"},
		{Shape{2, 0, 4}, 0, true, "(2,0,4)"},
		{Shape{-1, 3}, -1, false, "(?,3)"},
		{Shape{2, -1, -1}, -1, false, "(2,?,?)"},
	}
	for _, c := range cases {
		if got := c.s.Size(); got != c.size {
			t.Errorf("%v.Size() = %d, want %d", []int(c.s), got, c.size)
		}
		if got := c.s.Known(); got != c.known {
			t.Errorf("%v.Known() = %v, want %v", []int(c.s), got, c.known)
		}
		if got := c.s.String(); got != c.str {
			t.Errorf("%v.String() = %q, want %q", []int(c.s), got, c.str)
		}
		if !c.s.Equal(c.s.Clone()) {
			t.Errorf("%v is not Equal to its Clone", c.s)
		}
	}
	if (Shape{2, 3}).Equal(Shape{3, 2}) || (Shape{2}).Equal(Shape{2, 1}) || !(Shape{}).Equal(nil) {
		t.Error("Equal compares wrongly")
	}
	s := Shape{1, 2}
	c := s.Clone()
	c[0] = 9
	if s[0] != 1 {
		t.Error("Clone shares memory with the original")
	}
}

func TestNewAndLen(t *testing.T) {
	cases := []struct {
		dt    DType
		shape []int
		want  DType
		n     int
	}{
		{Float32, []int{2, 3}, Float32, 6},
		{Int64, []int{4}, Int64, 4},
		{Float64, nil, Float64, 1},
		{DType(42), []int{2}, Float32, 2}, // unknown types become float32
		{Float32, []int{-1, 2}, Float32, 0},
	}
	for _, c := range cases {
		tt := New(c.dt, c.shape...)
		if tt.DType != c.want || tt.Len() != c.n {
			t.Errorf("New(%v, %v): got %v with %d elements, want %v with %d", c.dt, c.shape, tt.DType, tt.Len(), c.want, c.n)
		}
	}
	shape := []int{2, 2}
	tt := New(Float32, shape...)
	shape[0] = 5
	if tt.Shape[0] != 2 {
		t.Error("New kept the caller's shape slice")
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name string
		t    *Tensor
		want string // "" for valid
	}{
		{"float32", FromFloat32([]float32{1, 2, 3, 4, 5, 6}, 2, 3), ""},
		{"int64", FromInt64([]int64{1, 2}, 2), ""},
		{"float64 scalar", FromFloat64([]float64{1}), ""},
		{"empty", FromFloat32(nil, 0, 5), ""},
		{"nil", nil, "tensor: nil tensor"},
		{"short", FromFloat32([]float32{1, 2}, 3), "tensor: shape (3) needs 3 elements, have 2"},
		{"long", FromInt64([]int64{1, 2, 3}, 2), "tensor: shape (2) needs 2 elements, have 3"},
		{"unknown dim", FromFloat32([]float32{1}, -1), "tensor: shape (?) has an unknown dimension"},
		{"bad dtype", &Tensor{DType: DType(5)}, "tensor: unsupported dtype dtype(5)"},
		{"wrong slice", &Tensor{DType: Int64, Shape: Shape{2}, Float32: []float32{1, 2}}, "needs 2 elements, have 0"},
	}
	for _, c := range cases {
		err := c.t.Validate()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: Validate() = %v, want nil", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: Validate() = %v, want %q", c.name, err, c.want)
		}
	}
}

func TestClone(t *testing.T) {
	for _, orig := range []*Tensor{
		FromFloat32([]float32{1, 2, 3}, 3),
		FromInt64([]int64{4, 5}, 1, 2),
		FromFloat64([]float64{6}),
	} {
		c := orig.Clone()
		if c.DType != orig.DType || !c.Shape.Equal(orig.Shape) || c.Len() != orig.Len() {
			t.Fatalf("Clone of %v%v is %v%v with %d elements", orig.DType, orig.Shape, c.DType, c.Shape, c.Len())
		}
		for i, v := range orig.AsFloat64() {
			if c.AsFloat64()[i] != v {
				t.Fatalf("Clone element %d differs", i)
			}
		}
		// Writing the clone leaves the original alone.
		if len(c.Shape) > 0 {
			c.Shape[0] = 99
		}
		switch c.DType {
		case Float32:
			c.Float32[0] = -1
		case Int64:
			c.Int64[0] = -1
		case Float64:
			c.Float64[0] = -1
		}
		if orig.AsFloat64()[0] == -1 || (len(orig.Shape) > 0 && orig.Shape[0] == 99) {
			t.Errorf("Clone of %v shares memory", orig.DType)
		}
	}
}

func TestAsFloat64(t *testing.T) {
	got := FromInt64([]int64{-3, 1 << 50}, 2).AsFloat64()
	if got[0] != -3 || got[1] != math.Pow(2, 50) {
		t.Errorf("AsFloat64 of int64 = %v", got)
	}
	if got := FromFloat32([]float32{0.5}, 1).AsFloat64(); got[0] != 0.5 {
		t.Errorf("AsFloat64 of float32 = %v", got)
	}
}

func TestCheckFinite(t *testing.T) {
	nan32, inf32 := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		name string
		t    *Tensor
		want string // "" for finite
	}{
		{"finite", FromFloat32([]float32{1, -2, math.MaxFloat32}, 3), ""},
		{"int64", FromInt64([]int64{math.MaxInt64}, 1), ""},
		{"empty", FromFloat32(nil, 0), ""},
		{"nan first", FromFloat32([]float32{nan32, inf32}, 2), "tensor: element 0 is NaN"},
		{"inf in 2d", FromFloat32([]float32{0, 0, 0, 0, 0, inf32}, 2, 3), "tensor: element 5 (index [1,2]) is +Inf"},
		{"float64 -inf", FromFloat64([]float64{1, math.Inf(-1)}, 2), "tensor: element 1 is -Inf"},
		{"float64 nan 3d", FromFloat64([]float64{0, 0, 0, math.NaN()}, 2, 1, 2), "element 3 (index [1,0,1]) is NaN"},
		{"nil", nil, "tensor: nil tensor"},
	}
	for _, c := range cases {
		err := c.t.CheckFinite()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: CheckFinite() = %v, want nil", c.name, err)
		case c.want != "" && (err == nil || err.Error() != c.want && !strings.HasSuffix(err.Error(), c.want)):
			t.Errorf("%s: CheckFinite() = %v, want %q", c.name, err, c.want)
		}
	}
}
