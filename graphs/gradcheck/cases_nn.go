package gradcheck

import (
	"math"
	"math/rand"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// Cases for the composites of package nn. Their gradients come from autodiff of primitives;
// these check the wiring (reshapes that keep a dynamic batch, broadcasts, the attention
// transposes). The functional forms get every tensor as an input, so weight gradients are
// checked too; the layer forms (parameters made by a Scope with a fixed seed) are checked with
// respect to their input.

// positiveUnit returns a constant unit vector with entries in [0.5, 1.5) before normalising,
// drawn from a fixed seed: with a positive weight it keeps sigma = u^T W v well away from 0.
func positiveUnit(g *graphs.Graph, seed int64, n int) *graphs.Value {
	rng := rand.New(rand.NewSource(seed))
	v := make([]float64, n)
	norm := 0.0
	for k := range v {
		v[k] = 0.5 + rng.Float64()
		norm += v[k] * v[k]
	}
	out := make([]float32, n)
	for k := range v {
		out[k] = float32(v[k] / math.Sqrt(norm))
	}
	return graphs.Const(g, tensor.FromFloat32(out, n))
}

// layerScope is a Scope with a fixed seed for the layer cases.
func layerScope(g *graphs.Graph, prefix string) nn.Scope {
	return nn.Scope{G: g, Prefix: prefix, Rng: rand.New(rand.NewSource(7))}
}

func init() {
	Add(
		Case{Name: "nn SiLU", Inputs: []Input{{Name: "x", Shape: []int{3, 4}, Lo: -4, Hi: 4}},
			Build: func(v []*graphs.Value) *graphs.Value { return nn.SiLU(v[0]) }},
		Case{Name: "nn GroupNormalize 4-D dynamic batch",
			Inputs: []Input{{Name: "x", Shape: []int{2, 6, 2, 3}, Dynamic: true}, {Name: "w", Shape: []int{6}}, {Name: "b", Shape: []int{6}}},
			Build:  func(v []*graphs.Value) *graphs.Value { return nn.GroupNormalize(v[0], v[1], v[2], 3, 1e-5) }},
		// Two features per group, as in the toy initializer (cdrl-method.md 5.5).
		Case{Name: "nn GroupNormalize 2-D two per group dynamic batch",
			Inputs: []Input{{Name: "x", Shape: []int{3, 8}, Dynamic: true}, {Name: "w", Shape: []int{8}}, {Name: "b", Shape: []int{8}}},
			Build:  func(v []*graphs.Value) *graphs.Value { return nn.GroupNormalize(v[0], v[1], v[2], 4, 1e-6) }},
		Case{Name: "nn GroupNorm layer", Inputs: []Input{{Name: "x", Shape: []int{2, 4, 3, 3}, Dynamic: true}},
			Build: func(v []*graphs.Value) *graphs.Value {
				return nn.GroupNorm(layerScope(v[0].Graph(), "gn"), v[0], 2, 1e-6)
			}},
		// logSNR values inside the clamp range [-20, 20], where the embedding is smooth.
		Case{Name: "nn TimeEmbedding", Inputs: []Input{{Name: "logsnr", Shape: []int{4}, Lo: -6, Hi: 10, Dynamic: true}},
			Build: func(v []*graphs.Value) *graphs.Value { return nn.TimeEmbedding(v[0], 8) }},
		Case{Name: "nn Attention dynamic batch",
			Inputs: []Input{{Name: "q", Shape: []int{2, 4, 3, 3}, Dynamic: true}, {Name: "k", Shape: []int{2, 4, 3, 3}, Dynamic: true},
				{Name: "v", Shape: []int{2, 4, 3, 3}, Dynamic: true}},
			Build: func(v []*graphs.Value) *graphs.Value { return nn.Attention(v[0], v[1], v[2]) }},
		// What SelfAttention builds, with every weight an input (its output convolution starts
		// at zero, which would hide the attention's gradient).
		Case{Name: "nn SelfAttention block N=2 C=4 H=W=3",
			Inputs: []Input{{Name: "x", Shape: []int{2, 4, 3, 3}, Dynamic: true},
				{Name: "norm_w", Shape: []int{4}}, {Name: "norm_b", Shape: []int{4}},
				{Name: "qkv_w", Shape: []int{12, 4, 1, 1}}, {Name: "qkv_b", Shape: []int{12}},
				{Name: "out_w", Shape: []int{4, 4, 1, 1}}, {Name: "out_b", Shape: []int{4}}},
			Build: func(v []*graphs.Value) *graphs.Value {
				w := nn.AttentionWeights{NormW: v[1], NormB: v[2], QKVW: v[3], QKVB: v[4], OutW: v[5], OutB: v[6]}
				return nn.AttentionBlock(v[0], w, 2, 1e-6)
			}},
		Case{Name: "nn SpectralNormalize conv weight", Inputs: []Input{{Name: "w", Shape: []int{4, 3, 2, 2}, Lo: 0.5, Hi: 2}},
			Build: func(v []*graphs.Value) *graphs.Value {
				g := v[0].Graph()
				return nn.SpectralNormalize(v[0], positiveUnit(g, 1, 4), positiveUnit(g, 2, 12))
			}},
		Case{Name: "nn SpectralNormalize matrix", Inputs: []Input{{Name: "w", Shape: []int{5, 3}, Lo: 0.5, Hi: 2}},
			Build: func(v []*graphs.Value) *graphs.Value {
				g := v[0].Graph()
				return nn.SpectralNormalize(v[0], positiveUnit(g, 3, 5), positiveUnit(g, 4, 3))
			}},
		// What Dense builds with Bias.
		Case{Name: "nn Linear dynamic batch",
			Inputs: []Input{{Name: "x", Shape: []int{3, 4}, Dynamic: true}, {Name: "w", Shape: []int{5, 4}}, {Name: "b", Shape: []int{5}}},
			Build:  func(v []*graphs.Value) *graphs.Value { return nn.Linear(v[0], v[1], v[2]) }},
		// What Dense builds with Spectral and no bias.
		Case{Name: "nn spectral Linear",
			Inputs: []Input{{Name: "x", Shape: []int{3, 4}, Dynamic: true}, {Name: "w", Shape: []int{5, 4}, Lo: 0.5, Hi: 2}},
			Build: func(v []*graphs.Value) *graphs.Value {
				g := v[0].Graph()
				return nn.Linear(v[0], nn.SpectralNormalize(v[1], positiveUnit(g, 5, 5), positiveUnit(g, 6, 4)), nil)
			}},
		// What Conv2D builds with Stride 2, Pad 1, Bias and Spectral.
		Case{Name: "nn spectral Conv2D stride 2",
			Inputs: []Input{{Name: "x", Shape: []int{2, 2, 5, 5}, Dynamic: true}, {Name: "w", Shape: []int{3, 2, 3, 3}, Lo: 0.5, Hi: 2},
				{Name: "b", Shape: []int{3}}},
			Build: func(v []*graphs.Value) *graphs.Value {
				g := v[0].Graph()
				w := nn.SpectralNormalize(v[1], positiveUnit(g, 7, 3), positiveUnit(g, 8, 18))
				return graphs.Conv(v[0], w, v[2], graphs.ConvOpts{Strides: []int{2, 2}, Pads: []int{1, 1, 1, 1}})
			}},
		Case{Name: "nn Dense layer", Inputs: []Input{{Name: "x", Shape: []int{3, 4}, Dynamic: true}},
			Build: func(v []*graphs.Value) *graphs.Value {
				return nn.Dense(layerScope(v[0].Graph(), "lin"), v[0], 5, nn.DenseOpts{Bias: true})
			}},
		Case{Name: "nn Conv2D layer stride 2", Inputs: []Input{{Name: "x", Shape: []int{2, 3, 5, 5}, Dynamic: true}},
			Build: func(v []*graphs.Value) *graphs.Value {
				return nn.Conv2D(layerScope(v[0].Graph(), "conv"), v[0], 4, 3, nn.Conv2DOpts{Stride: 2, Pad: 1, Bias: true})
			}},
		Case{Name: "nn AvgPool2x2 dynamic batch", Inputs: []Input{{Name: "x", Shape: []int{2, 3, 4, 6}, Dynamic: true}},
			Build: func(v []*graphs.Value) *graphs.Value { return nn.AvgPool2x2(v[0]) }},
		Case{Name: "nn Upsample2x dynamic batch", Inputs: []Input{{Name: "x", Shape: []int{2, 3, 2, 3}, Dynamic: true}},
			Build: func(v []*graphs.Value) *graphs.Value { return nn.Upsample2x(v[0]) }},
	)
}
