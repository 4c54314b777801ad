package nn

import (
	"math"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// refGroupNorm normalises x (n, c, per) over groups of channels and applies w, b per channel.
func refGroupNorm(x []float64, n, c, per, groups int, eps float64, w, b []float64) []float64 {
	out := make([]float64, len(x))
	size := c / groups * per
	for i := 0; i < n; i++ {
		for gi := 0; gi < groups; gi++ {
			blk := x[(i*groups+gi)*size : (i*groups+gi+1)*size]
			var mean, vr float64
			for _, v := range blk {
				mean += v
			}
			mean /= float64(size)
			for _, v := range blk {
				vr += (v - mean) * (v - mean)
			}
			vr /= float64(size)
			for k, v := range blk {
				ch := gi*(c/groups) + k/per
				out[(i*groups+gi)*size+k] = (v-mean)/math.Sqrt(vr+eps)*w[ch] + b[ch]
			}
		}
	}
	return out
}

func TestGroupNormalize(t *testing.T) {
	rng := newTestRand(t)
	tests := []struct {
		name   string
		shape  []int
		groups int
	}{
		{"4-D", []int{3, 6, 2, 3}, 3},
		{"4-D one group", []int{2, 4, 3, 3}, 1},
		{"2-D two per group", []int{5, 8}, 4},
		{"2-D one per group", []int{2, 4}, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graphs.New(tc.name)
			dyn := append([]int{-1}, tc.shape[1:]...)
			c := tc.shape[1]
			x := graphs.Input(g, "x", tensor.Float32, dyn...)
			w := graphs.Input(g, "w", tensor.Float32, c)
			b := graphs.Input(g, "b", tensor.Float32, c)
			y := GroupNormalize(x, w, b, tc.groups, 1e-5)
			if got := y.Shape(); !got.Equal(dyn) {
				t.Errorf("shape %v, want %v", got, dyn)
			}
			xs := randData(rng, tensor.Shape(tc.shape).Size())
			ws, bs := randData(rng, c), randData(rng, c)
			got := evaluate(t, map[string]*tensor.Tensor{
				"x": tensor.FromFloat64(xs, tc.shape...),
				"w": tensor.FromFloat64(ws, c),
				"b": tensor.FromFloat64(bs, c),
			}, y)[0]
			per := tensor.Shape(tc.shape[2:]).Size()
			want := refGroupNorm(xs, tc.shape[0], c, per, tc.groups, 1e-5, ws, bs)
			checkClose(t, "GroupNormalize", got.Float64, want, 1e-9) // eps is rounded to float32 in the graph
		})
	}
}

func TestGroupNormPairs(t *testing.T) {
	// Two features per group (the toy initializer) normalise each pair to about (+1, -1).
	g := graphs.New("pairs")
	x := graphs.Input(g, "x", tensor.Float32, -1, 4)
	y := GroupNorm(Scope{G: g, Prefix: "gn"}, x, 2, 1e-6)
	got := evaluate(t, map[string]*tensor.Tensor{"x": tensor.FromFloat32([]float32{3, 1, -2, 5}, 1, 4)}, y)[0].Float64
	want := []float64{1, -1, -1, 1}
	checkClose(t, "pairs", got, want, 1e-6)
	for _, name := range []string{"gn/w", "gn/b"} {
		paramValue(t, g, name)
	}
}

func TestGroupNormErrors(t *testing.T) {
	tests := []struct {
		name   string
		shape  []int
		groups int
		want   string
	}{
		{"groups do not divide", []int{-1, 6, 2, 2}, 4, "4 groups do not divide 6 channels"},
		{"zero groups", []int{-1, 6}, 0, "0 groups"},
		{"rank 3", []int{-1, 6, 2}, 2, "must be (N,C) or (N,C,H,W)"},
		{"unknown channels", []int{2, -1}, 2, "known channel"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graphs.New(tc.name)
			x := graphs.Input(g, "x", tensor.Float32, tc.shape...)
			GroupNorm(Scope{G: g}, x, tc.groups, 1e-5)
			wantErr(t, g, tc.want)
		})
	}
}
