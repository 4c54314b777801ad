package nn

import (
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

func TestResample(t *testing.T) {
	rng := newTestRand(t)
	const n, c, h, w = 2, 3, 4, 6
	xs := randData(rng, n*c*h*w)
	at := func(i, ch, y, x int) float64 { return xs[((i*c+ch)*h+y)*w+x] }
	var pooled, upsampled []float64
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			for y := 0; y < h/2; y++ {
				for x := 0; x < w/2; x++ {
					pooled = append(pooled, (at(i, ch, 2*y, 2*x)+at(i, ch, 2*y+1, 2*x)+at(i, ch, 2*y, 2*x+1)+at(i, ch, 2*y+1, 2*x+1))/4)
				}
			}
			for y := 0; y < 2*h; y++ {
				for x := 0; x < 2*w; x++ {
					upsampled = append(upsampled, at(i, ch, y/2, x/2))
				}
			}
		}
	}
	g := graphs.New("resample")
	in := graphs.Input(g, "x", tensor.Float32, -1, c, h, w)
	p, u := AvgPool2x2(in), Upsample2x(in)
	if s := p.Shape(); !s.Equal(tensor.Shape{-1, c, h / 2, w / 2}) {
		t.Errorf("AvgPool2x2 shape %v", s)
	}
	if s := u.Shape(); !s.Equal(tensor.Shape{-1, c, 2 * h, 2 * w}) {
		t.Errorf("Upsample2x shape %v", s)
	}
	res := evaluate(t, map[string]*tensor.Tensor{"x": tensor.FromFloat64(xs, n, c, h, w)}, p, u)
	checkClose(t, "AvgPool2x2", res[0].Float64, pooled, 1e-15)
	checkClose(t, "Upsample2x", res[1].Float64, upsampled, 0)
	// Pooling undoes upsampling exactly.
	back := evaluate(t, map[string]*tensor.Tensor{"x": tensor.FromFloat64(xs, n, c, h, w)}, AvgPool2x2(u))[0]
	checkClose(t, "AvgPool2x2(Upsample2x(x))", back.Float64, xs, 1e-15)
}

func TestResampleErrors(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		f     func(*graphs.Value) *graphs.Value
		want  string
	}{
		{"odd height", []int{-1, 2, 3, 4}, AvgPool2x2, "even H and W"},
		{"unknown width", []int{-1, 2, 4, -1}, AvgPool2x2, "known C, H, W"},
		{"rank 3", []int{-1, 2, 4}, Upsample2x, "(N,C,H,W)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graphs.New(tc.name)
			tc.f(graphs.Input(g, "x", tensor.Float32, tc.shape...))
			wantErr(t, g, tc.want)
		})
	}
}
