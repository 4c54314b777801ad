package nn

import (
	"fmt"

	"github.com/cdrl-go/cdrl/graphs"
)

// Linear returns x w^T + b for x (N, in), w (out, in) (PyTorch's layout) and b (out), or
// x w^T when b is nil: one Gemm with transB.
func Linear(x, w, b *graphs.Value) *graphs.Value {
	if x == nil || w == nil {
		return nil
	}
	return graphs.Gemm(x, w, b, graphs.GemmOpts{TransB: true})
}

// DenseOpts are the options of Dense.
type DenseOpts struct {
	// Bias adds a learnt bias "b" (out), drawn like the weights.
	Bias bool
	// ZeroInit starts the weights at zero (the bias keeps its default init).
	ZeroInit bool
	// Spectral divides the weight by its spectral norm estimate (see SpectralNormalize); the
	// graph gets the inputs "<prefix>/w/sn_u" (out) and "<prefix>/w/sn_v" (in). Do not combine
	// it with ZeroInit: sigma would be 0.
	Spectral bool
}

// Dense is a fully connected layer: x (N, in) -> (N, out), with the weight "w" (out, in) and,
// with opts.Bias, the bias "b" (out) created in s and initialised like PyTorch's nn.Linear
// (uniform in ±1/sqrt(in)). The batch may be dynamic; in must be known.
func Dense(s Scope, x *graphs.Value, out int, opts DenseOpts) *graphs.Value {
	if x == nil {
		return nil
	}
	if err := s.check(x, "Dense"); err != nil {
		return fail(x.Graph(), err)
	}
	sh := x.Shape()
	if len(sh) != 2 || sh[1] <= 0 || out <= 0 {
		return fail(x.Graph(), fmt.Errorf("nn: Dense %s: input %v must be (N, in) with known in, to %d outputs", s.Prefix, x, out))
	}
	w, b := layerParams(s, []int{out, sh[1]}, opts.Bias, opts.ZeroInit)
	if opts.Spectral {
		w = spectralWeight(s, w, "w")
	}
	return Linear(x, w, b)
}

// layerParams creates a layer's weight "w" of shape wshape = (out, in, ...) and, when bias is
// set, its bias "b" (out), both drawn from U(±1/sqrt(fan_in)) with fan_in the product of
// wshape[1:] (PyTorch's default), or with zero weights when zeroInit is set.
func layerParams(s Scope, wshape []int, bias, zeroInit bool) (w, b *graphs.Value) {
	fanIn := 1
	for _, d := range wshape[1:] {
		fanIn *= d
	}
	winit := Uniform(fanIn)
	if zeroInit {
		winit = Zeros()
	}
	w = s.Param("w", wshape, winit)
	if bias {
		b = s.Param("b", wshape[:1], Uniform(fanIn))
	}
	return w, b
}
