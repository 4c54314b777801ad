package nn

import (
	"fmt"

	"github.com/cdrl-go/cdrl/graphs"
)

// Conv2DOpts are the options of Conv2D.
type Conv2DOpts struct {
	// Stride is the step on both spatial axes (0 means 1).
	Stride int
	// Pad is the zero padding on every side (1 keeps the size of a stride-1 3x3 convolution).
	Pad int
	// Bias adds a learnt bias "b" (out), drawn like the weights.
	Bias bool
	// ZeroInit starts the weights at zero (the bias keeps its default init).
	ZeroInit bool
	// Spectral divides the weight by its spectral norm estimate (see SpectralNormalize); the
	// graph gets the inputs "<prefix>/w/sn_u" (out) and "<prefix>/w/sn_v" (in*k*k). Do not
	// combine it with ZeroInit: sigma would be 0.
	Spectral bool
}

// Conv2D is a k x k convolution: x (N, in, H, W) -> (N, out, H', W'), with the weight "w"
// (out, in, k, k) and, with opts.Bias, the bias "b" (out) created in s and initialised like
// PyTorch's nn.Conv2d (uniform in ±1/sqrt(in*k*k)). The batch may be dynamic; in must be known.
func Conv2D(s Scope, x *graphs.Value, out, k int, opts Conv2DOpts) *graphs.Value {
	if x == nil {
		return nil
	}
	if err := s.check(x, "Conv2D"); err != nil {
		return fail(x.Graph(), err)
	}
	sh := x.Shape()
	if len(sh) != 4 || sh[1] <= 0 || out <= 0 || k <= 0 || opts.Stride < 0 || opts.Pad < 0 {
		return fail(x.Graph(), fmt.Errorf("nn: Conv2D %s: input %v must be (N, in, H, W) with known in, to %d outputs with kernel %d, stride %d, pad %d",
			s.Prefix, x, out, k, opts.Stride, opts.Pad))
	}
	w, b := layerParams(s, []int{out, sh[1], k, k}, opts.Bias, opts.ZeroInit)
	if opts.Spectral {
		w = spectralWeight(s, w, "w")
	}
	stride := max(opts.Stride, 1)
	p := opts.Pad
	return graphs.Conv(x, w, b, graphs.ConvOpts{Strides: []int{stride, stride}, Pads: []int{p, p, p, p}})
}
