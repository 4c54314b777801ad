package optim

import (
	"slices"
	"strings"
	"testing"
)

func TestNewParams(t *testing.T) {
	p, err := NewParams([]string{"w", "b", "s"}, [][]int{{2, 3}, {3}, {}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Len(), 3; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	if got, want := p.NumValues(), 10; got != want {
		t.Errorf("NumValues() = %d, want %d", got, want)
	}
	for i, want := range []int{6, 3, 1} {
		if got := len(p.Data[i]); got != want {
			t.Errorf("len(Data[%d]) = %d, want %d", i, got, want)
		}
	}
	for name, want := range map[string]int{"w": 0, "b": 1, "s": 2, "x": -1, "": -1} {
		if got := p.Index(name); got != want {
			t.Errorf("Index(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestNewParamsErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		names  []string
		shapes [][]int
		want   string
	}{
		{"count", []string{"a"}, [][]int{{1}, {2}}, "optim: params: 1 names for 2 shapes"},
		{"negative", []string{"a"}, [][]int{{2, -1}}, `optim: params: "a": shape [2 -1] has a negative dimension`},
		{"empty name", []string{""}, [][]int{{1}}, "optim: params: tensor 0 has an empty name"},
		{"duplicate", []string{"a", "a"}, [][]int{{1}, {1}}, `optim: params: name "a" appears twice`},
		{"overflow", []string{"a"}, [][]int{{1 << 40, 1 << 40}}, `optim: params: "a": shape [1099511627776 1099511627776] has too many values`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewParams(tc.names, tc.shapes)
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *Params
		want string // substring; empty means valid
	}{
		{"ok", &Params{Names: []string{"a"}, Shapes: [][]int{{2}}, Data: [][]float32{{1, 2}}}, ""},
		{"nil", nil, "optim: params: nil"},
		{"lengths", &Params{Names: []string{"a"}, Shapes: [][]int{{2}}}, "1 names, 1 shapes and 0 data slices"},
		{"values", &Params{Names: []string{"a"}, Shapes: [][]int{{2, 2}}, Data: [][]float32{{1, 2}}},
			`"a" of shape [2 2] has 2 values, want 4`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestCloneZerosLikeZero(t *testing.T) {
	p := &Params{Names: []string{"a", "b"}, Shapes: [][]int{{2}, {}}, Data: [][]float32{{1, 2}, {3}}}
	c := p.Clone()
	z := p.ZerosLike()
	c.Data[0][0], c.Shapes[0][0], c.Names[0] = 9, 9, "x"
	if p.Data[0][0] != 1 || p.Shapes[0][0] != 2 || p.Names[0] != "a" {
		t.Errorf("Clone shares memory with the original: %+v", p)
	}
	if !slices.Equal(z.Names, p.Names) || !slices.Equal(z.Shapes[0], p.Shapes[0]) {
		t.Errorf("ZerosLike layout %v %v, want %v %v", z.Names, z.Shapes, p.Names, p.Shapes)
	}
	if got := z.Data; !slices.Equal(got[0], []float32{0, 0}) || !slices.Equal(got[1], []float32{0}) {
		t.Errorf("ZerosLike data %v, want [[0 0] [0]]", got)
	}
	p.Zero()
	if got := p.Data; !slices.Equal(got[0], []float32{0, 0}) || !slices.Equal(got[1], []float32{0}) {
		t.Errorf("after Zero data %v, want [[0 0] [0]]", got)
	}
	var nilp *Params
	nilp.Zero()
	if nilp.Clone() != nil || nilp.ZerosLike() != nil || nilp.Len() != 0 || nilp.NumValues() != 0 || nilp.Index("a") != -1 {
		t.Error("nil Params: want nil clones, zero sizes and Index -1")
	}
}

func TestCopy(t *testing.T) {
	dst := [][]float32{{0, 0}, {0}}
	if err := Copy(dst, [][]float32{{1, 2}, {3}}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(dst[0], []float32{1, 2}) || !slices.Equal(dst[1], []float32{3}) {
		t.Errorf("dst %v, want [[1 2] [3]]", dst)
	}
	for _, tc := range []struct {
		src  [][]float32
		want string
	}{
		{[][]float32{{1, 2}}, "optim: copy: src has 1 tensors, dst has 2"},
		{[][]float32{{1, 2}, {3, 4}}, "optim: copy: tensor 1: src has 2 values, dst has 1"},
	} {
		if err := Copy(dst, tc.src); err == nil || err.Error() != tc.want {
			t.Errorf("Copy error %v, want %q", err, tc.want)
		}
	}
}
