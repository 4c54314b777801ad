package nn

import (
	"math"
	"testing"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// refAttention computes softmax_j(q_i . k_j / sqrt(c)) v_j for (n, c, p) tensors.
func refAttention(q, k, v []float64, n, c, p int) []float64 {
	out := make([]float64, n*c*p)
	for b := 0; b < n; b++ {
		at := func(x []float64, ch, pos int) float64 { return x[(b*c+ch)*p+pos] }
		for i := 0; i < p; i++ {
			logits := make([]float64, p)
			mx := math.Inf(-1)
			for j := range logits {
				for ch := 0; ch < c; ch++ {
					logits[j] += at(q, ch, i) * at(k, ch, j)
				}
				logits[j] /= math.Sqrt(float64(c))
				mx = math.Max(mx, logits[j])
			}
			sum := 0.0
			for j := range logits {
				logits[j] = math.Exp(logits[j] - mx)
				sum += logits[j]
			}
			for ch := 0; ch < c; ch++ {
				s := 0.0
				for j := range logits {
					s += logits[j] / sum * at(v, ch, j)
				}
				out[(b*c+ch)*p+i] = s
			}
		}
	}
	return out
}

func TestAttention(t *testing.T) {
	rng := newTestRand(t)
	const n, c, h, w = 2, 4, 3, 3
	g := graphs.New("attn")
	in := func(name string) *graphs.Value { return graphs.Input(g, name, tensor.Float32, -1, c, h, w) }
	y := Attention(in("q"), in("k"), in("v"))
	if got := y.Shape(); !got.Equal(tensor.Shape{-1, c, h, w}) {
		t.Errorf("shape %v", got)
	}
	size := n * c * h * w
	q, k, v := randData(rng, size), randData(rng, size), randData(rng, size)
	for j := range q {
		q[j] *= 3 // sharper attention than uniform
	}
	got := evaluate(t, map[string]*tensor.Tensor{
		"q": tensor.FromFloat64(q, n, c, h, w), "k": tensor.FromFloat64(k, n, c, h, w), "v": tensor.FromFloat64(v, n, c, h, w),
	}, y)[0]
	checkClose(t, "Attention", got.Float64, refAttention(q, k, v, n, c, h*w), 1e-12)
}

func TestSelfAttention(t *testing.T) {
	rng := newTestRand(t)
	const n, c, h, w, groups = 2, 4, 2, 3, 2
	g := graphs.New("self attn")
	x := graphs.Input(g, "x", tensor.Float32, -1, c, h, w)
	y := SelfAttention(Scope{G: g, Prefix: "unet/attn0", Rng: rng}, x, groups)
	if err := g.Err(); err != nil {
		t.Fatal(err)
	}
	want := map[string]tensor.Shape{
		"unet/attn0/norm/w": {c}, "unet/attn0/norm/b": {c},
		"unet/attn0/qkv/w": {3 * c, c, 1, 1}, "unet/attn0/qkv/b": {3 * c},
		"unet/attn0/out/w": {c, c, 1, 1}, "unet/attn0/out/b": {c},
	}
	if len(g.Params()) != len(want) {
		t.Errorf("%d params, want %d", len(g.Params()), len(want))
	}
	for name, shape := range want {
		if s := paramValue(t, g, name).Shape; !s.Equal(shape) {
			t.Errorf("%s: shape %v, want %v", name, s, shape)
		}
	}
	xs := randData(rng, n*c*h*w)
	p := h * w
	feeds := map[string]*tensor.Tensor{"x": tensor.FromFloat64(xs, n, c, h, w)}

	// At init the output convolution is zero: y = x + out bias.
	ob := paramValue(t, g, "unet/attn0/out/b").AsFloat64()
	init := make([]float64, len(xs))
	for j := range xs {
		init[j] = xs[j] + ob[j/p%c]
	}
	checkClose(t, "at init", evaluate(t, feeds, y)[0].Float64, init, 1e-15)

	// With every weight fed, the block matches a reference built from the pieces.
	ws := map[string][]float64{}
	for name, shape := range want {
		ws[name] = randData(rng, shape.Size())
		feeds[name] = tensor.FromFloat64(ws[name], shape...)
	}
	hn := refGroupNorm(xs, n, c, p, groups, attentionEps, ws["unet/attn0/norm/w"], ws["unet/attn0/norm/b"])
	qkv, _, _ := refConv2D(hn, n, c, h, w, ws["unet/attn0/qkv/w"], ws["unet/attn0/qkv/b"], 3*c, 1, 1, 0)
	part := func(k int) []float64 {
		var out []float64
		for b := 0; b < n; b++ {
			out = append(out, qkv[(b*3+k)*c*p:(b*3+k+1)*c*p]...)
		}
		return out
	}
	a := refAttention(part(0), part(1), part(2), n, c, p)
	o, _, _ := refConv2D(a, n, c, h, w, ws["unet/attn0/out/w"], ws["unet/attn0/out/b"], c, 1, 1, 0)
	for j := range o {
		o[j] += xs[j]
	}
	// The graph's GroupNorm eps is float32-rounded.
	checkClose(t, "fed weights", evaluate(t, feeds, y)[0].Float64, o, 1e-9)
}

func TestAttentionErrors(t *testing.T) {
	g := graphs.New("mismatch")
	q := graphs.Input(g, "q", tensor.Float32, -1, 4, 3, 3)
	k := graphs.Input(g, "k", tensor.Float32, -1, 4, 3, 2)
	Attention(q, k, q)
	wantErr(t, g, "differ in shape")

	g = graphs.New("rank")
	q = graphs.Input(g, "q", tensor.Float32, -1, 4, 3, 3)
	Attention(q, graphs.Input(g, "k", tensor.Float32, -1, 4), q)
	wantErr(t, g, "differ in shape")

	g = graphs.New("missing weights")
	AttentionBlock(graphs.Input(g, "x", tensor.Float32, -1, 4, 2, 2), AttentionWeights{}, 2, 1e-6)
	wantErr(t, g, "is nil")

	g = graphs.New("groups")
	SelfAttention(Scope{G: g, Rng: newTestRand(t)}, graphs.Input(g, "x", tensor.Float32, -1, 6, 2, 2), 4)
	wantErr(t, g, "4 groups do not divide 6 channels")
}
