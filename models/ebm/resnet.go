package ebm

import (
	"fmt"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
)

// ResNetConfig sizes the image EBM of cdrl-method.md 5.2 (DRL's ResNet).
//
// The time MLP is emb_TembDim -> Lin1 (TembDim -> 4*TembDim) -> act -> Lin2 (4*TembDim ->
// 4*TembDim). The method doc writes 5.2 with TembDim = Width = 128 (hidden 512), while its
// MNIST tiers (10.2) use TembDim 32 (hidden 128) with Width 16, so the embedding size is its own
// field and the hidden width is always 4*TembDim; set TembDim = Width for the official network.
type ResNetConfig struct {
	InChannels int   // image channels (3 for CIFAR-10)
	Width      int   // base width C (official 128)
	ChMult     []int // width multipliers per resolution level (official 1, 2, 2, 2)
	Blocks     int   // residual blocks per level (official 8)
	TembDim    int   // sinusoidal embedding size (official 128 = Width); the time MLP is 4x wider
	Spectral   bool  // spectral norm on every convolution and linear map but the readout Wf
	// Classes makes the network class-conditional when positive: temb += Ly(onehot(class))
	// with Ly: (Classes+1) -> 4*TembDim, with bias and spectral norm like the other layers
	// (cdrl-method.md 5.6).
	Classes int
}

// check reports the first invalid field of c, or an x that does not suit it.
func (c ResNetConfig) check(x *graphs.Value) error {
	field := func(name string, v int) error {
		return fmt.Errorf("ebm: ResNet config: %s %d must be positive", name, v)
	}
	switch {
	case c.InChannels <= 0:
		return field("InChannels", c.InChannels)
	case c.Width <= 0:
		return field("Width", c.Width)
	case len(c.ChMult) == 0:
		return fmt.Errorf("ebm: ResNet config: ChMult is empty")
	case c.Blocks <= 0:
		return field("Blocks", c.Blocks)
	case c.TembDim < 4 || c.TembDim%2 != 0:
		return fmt.Errorf("ebm: ResNet config: TembDim %d must be even and at least 4", c.TembDim)
	}
	for i, m := range c.ChMult {
		if m <= 0 {
			return field(fmt.Sprintf("ChMult[%d]", i), m)
		}
	}
	s := x.Shape()
	div := 1 << (len(c.ChMult) - 1)
	if len(s) != 4 || s[1] != c.InChannels || s[2] <= 0 || s[3] <= 0 || s[2]%div != 0 || s[3]%div != 0 {
		return fmt.Errorf("ebm: ResNet: input %v must be (N, %d, H, W) with H and W known multiples of %d (%d levels)",
			x, c.InChannels, div, len(c.ChMult))
	}
	return nil
}

// ResNet builds the image EBM of cdrl-method.md 5.2: x (N, InChannels, H, W) -> f (N).
//
//	temb = Lin2(act(Lin1(emb(tau))))            [+ Ly(onehot(class)) when c.Classes > 0]
//	h    = Conv3x3(x)
//	per level: c.Blocks ResBlocks to Width*ChMult[level], then AvgPool2x2 (not after the last)
//	f    = < sum_HW ReLU(h), Wf act(temb) >     Wf: no bias, no spectral norm
//
// with act = LeakyRelu(0.2) and ResBlock(x) = Conv3x3_2(act(Conv3x3_1(act(x)) +
// act(Lt(act(temb))))) * g + skip(x), g a per-channel scale starting at 1 and skip a 3x3
// convolution when the width changes. Every convolution has a bias.
//
// Without classes the time path runs on the rows of t and each block's projection is mapped to
// the batch; with classes it runs per sample, since temb then depends on the class.
func ResNet(s nn.Scope, x *graphs.Value, t nn.Time, cond Cond, c ResNetConfig) *graphs.Value {
	g := s.G
	if x == nil {
		return nil
	}
	if err := c.check(x); err != nil {
		g.Fail(err)
		return nil
	}
	if err := checkCond(cond, c.Classes, "ResNet"); err != nil {
		g.Fail(err)
		return nil
	}
	dense := func(name string, v *graphs.Value, out int, o nn.DenseOpts) *graphs.Value {
		o.Spectral = o.Spectral && c.Spectral
		return nn.Dense(s.Sub(name), v, out, o)
	}
	conv := func(sc nn.Scope, v *graphs.Value, out int) *graphs.Value {
		return nn.Conv2D(sc, v, out, 3, nn.Conv2DOpts{Pad: 1, Bias: true, Spectral: c.Spectral})
	}
	sn := nn.DenseOpts{Bias: true, Spectral: true}
	tw := 4 * c.TembDim
	temb := dense("temb/lin2", act(dense("temb/lin1", t.Embedding(g, c.TembDim), tw, sn)), tw, sn)
	temb, perSample := condTime(s, temb, tw, t, cond, c.Classes, c.Spectral)
	a := act(temb)

	h := conv(s.Sub("in"), x, c.Width)
	width := c.Width
	for l, m := range c.ChMult {
		out := c.Width * m
		for b := 0; b < c.Blocks; b++ {
			name := fmt.Sprintf("level%d/block%d", l, b)
			bs := s.Sub(name)
			tp := perSample(act(dense(name+"/t", a, out, sn)))
			r := conv(bs.Sub("conv1"), act(h), out)
			r = graphs.Add(r, graphs.Unsqueeze(tp, []int{2, 3}))
			r = conv(bs.Sub("conv2"), act(r), out)
			r = graphs.Mul(r, bs.Param("g", []int{1, out, 1, 1}, nn.Ones()))
			skip := h
			if width != out {
				skip = conv(bs.Sub("skip"), h, out)
			}
			h, width = graphs.Add(r, skip), out
		}
		if l < len(c.ChMult)-1 {
			h = nn.AvgPool2x2(h)
		}
	}
	v := graphs.ReduceSum(graphs.Relu(h), []int{2, 3}, false)
	wf := perSample(dense("readout", a, width, nn.DenseOpts{}))
	return graphs.ReduceSum(graphs.Mul(v, wf), []int{1}, false)
}
