package nn

import (
	"math"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// refConv2D convolves x (n, in, h, w) with wt (out, in, k, k), square stride and zero
// padding, and adds b (out) when not nil.
func refConv2D(x []float64, n, in, h, w int, wt, b []float64, out, k, stride, pad int) ([]float64, int, int) {
	oh, ow := (h+2*pad-k)/stride+1, (w+2*pad-k)/stride+1
	y := make([]float64, n*out*oh*ow)
	for i := 0; i < n; i++ {
		for o := 0; o < out; o++ {
			for r := 0; r < oh; r++ {
				for c := 0; c < ow; c++ {
					s := 0.0
					if b != nil {
						s = b[o]
					}
					for ch := 0; ch < in; ch++ {
						for dy := 0; dy < k; dy++ {
							for dx := 0; dx < k; dx++ {
								yy, xx := r*stride-pad+dy, c*stride-pad+dx
								if yy < 0 || yy >= h || xx < 0 || xx >= w {
									continue
								}
								s += x[((i*in+ch)*h+yy)*w+xx] * wt[((o*in+ch)*k+dy)*k+dx]
							}
						}
					}
					y[((i*out+o)*oh+r)*ow+c] = s
				}
			}
		}
	}
	return y, oh, ow
}

func TestConv2D(t *testing.T) {
	rng := newTestRand(t)
	const n, in, h, w, out = 2, 3, 5, 6, 4
	xs := randData(rng, n*in*h*w)
	tests := []struct {
		name string
		k    int
		opts Conv2DOpts
	}{
		{"3x3 same", 3, Conv2DOpts{Pad: 1, Bias: true}},
		{"3x3 stride 2", 3, Conv2DOpts{Stride: 2, Pad: 1}},
		{"1x1", 1, Conv2DOpts{Bias: true}},
		{"zero init", 3, Conv2DOpts{Pad: 1, Bias: true, ZeroInit: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graphs.New(tc.name)
			y := Conv2D(Scope{G: g, Prefix: "c", Rng: rng}, graphs.Input(g, "x", tensor.Float32, -1, in, h, w), out, tc.k, tc.opts)
			wt := paramValue(t, g, "c/w")
			if !wt.Shape.Equal(tensor.Shape{out, in, tc.k, tc.k}) {
				t.Fatalf("weight shape %v", wt.Shape)
			}
			bound := 1 / math.Sqrt(float64(in*tc.k*tc.k))
			for _, v := range wt.Float32 {
				if tc.opts.ZeroInit && v != 0 || math.Abs(float64(v)) > bound {
					t.Fatalf("weight %g: zero init %v, bound %g", v, tc.opts.ZeroInit, bound)
				}
			}
			var b []float64
			if tc.opts.Bias {
				b = paramValue(t, g, "c/b").AsFloat64()
			}
			want, oh, ow := refConv2D(xs, n, in, h, w, wt.AsFloat64(), b, out, tc.k, max(tc.opts.Stride, 1), tc.opts.Pad)
			if got := y.Shape(); !got.Equal(tensor.Shape{-1, out, oh, ow}) {
				t.Errorf("shape %v, want (?,%d,%d,%d)", got, out, oh, ow)
			}
			got := evaluate(t, map[string]*tensor.Tensor{"x": tensor.FromFloat64(xs, n, in, h, w)}, y)[0]
			checkClose(t, "Conv2D", got.Float64, want, 1e-14)
		})
	}
}

func TestConv2DSpectral(t *testing.T) {
	rng := newTestRand(t)
	const n, in, h, w, out, k = 2, 2, 4, 4, 3, 3
	g := graphs.New("sn conv")
	s := Scope{G: g, Prefix: "ebm", Rng: rng}
	x := graphs.Input(g, "x", tensor.Float32, -1, in, h, w)
	h1 := Conv2D(s.Sub("conv1"), x, out, k, Conv2DOpts{Pad: 1, Bias: true, Spectral: true})
	y := Conv2D(s.Sub("conv2"), h1, out, k, Conv2DOpts{Pad: 1, Spectral: true})
	sp := SpectralParams(g)
	if len(sp) != 2 || sp[0].Weight != "ebm/conv1/w" || sp[1].Weight != "ebm/conv2/w" ||
		sp[0].Rows != out || sp[0].Cols != in*k*k || sp[1].Cols != out*k*k || sp[1].V != "ebm/conv2/w/sn_v" {
		t.Fatalf("SpectralParams = %+v", sp)
	}
	xs := randData(rng, n*in*h*w)
	feeds := map[string]*tensor.Tensor{"x": tensor.FromFloat64(xs, n, in, h, w)}
	normed := map[string][]float64{}
	for _, p := range sp {
		wt := paramValue(t, g, p.Weight)
		u, v, sigma := PowerIteration(wt.Float32, p.Rows, p.Cols, unitVector(rng, p.Rows), 100)
		feeds[p.U] = tensor.FromFloat32(u, p.Rows)
		feeds[p.V] = tensor.FromFloat32(v, p.Cols)
		ws := wt.AsFloat64()
		for j := range ws {
			ws[j] /= sigma
		}
		normed[p.Weight] = ws
	}
	r1, _, _ := refConv2D(xs, n, in, h, w, normed["ebm/conv1/w"], paramValue(t, g, "ebm/conv1/b").AsFloat64(), out, k, 1, 1)
	want, _, _ := refConv2D(r1, n, out, h, w, normed["ebm/conv2/w"], nil, out, k, 1, 1)
	got := evaluate(t, feeds, y)[0]
	checkClose(t, "spectral Conv2D", got.Float64, want, 1e-6)
}

func TestConv2DErrors(t *testing.T) {
	tests := []struct {
		name  string
		shape []int
		k     int
		opts  Conv2DOpts
		want  string
	}{
		{"rank 2", []int{-1, 3}, 3, Conv2DOpts{}, "must be (N, in, H, W)"},
		{"unknown channels", []int{2, -1, 4, 4}, 3, Conv2DOpts{}, "known in"},
		{"negative pad", []int{2, 3, 4, 4}, 3, Conv2DOpts{Pad: -1}, "pad -1"},
		{"kernel too large", []int{2, 3, 2, 2}, 5, Conv2DOpts{}, "Conv"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := graphs.New(tc.name)
			Conv2D(Scope{G: g, Prefix: "c", Rng: newTestRand(t)}, graphs.Input(g, "x", tensor.Float32, tc.shape...), 4, tc.k, tc.opts)
			wantErr(t, g, tc.want)
		})
	}
}
