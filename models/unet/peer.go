package unet

import (
	"fmt"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
)

// PeerConfig sizes the small UNet of the PyTorch MNIST reference (shared/bench/peer_mnist.py,
// SmallUNet), kept so that benchmarks compare like with like. Its layout, with channels
// (a, b, c) = Chans on a 28x28 input:
//
//	h0 = Block(a -> a)(Conv3x3(x))               28x28
//	h1 = Block(a -> b)(AvgPool2x2(h0))           14x14
//	h2 = Block(b -> c)(AvgPool2x2(h1))           7x7
//	u1 = Block(c+b -> b)(concat(Up2x(h2), h1))   14x14
//	u0 = Block(b+a -> a)(concat(Up2x(u1), h0))   28x28
//	y  = x + Conv3x3_zero(SiLU(GN(u0)))          weights AND bias zero: y = x at init
//
// Block is the residual block of the image UNet without resampling or dropout (time scale and
// shift from Linear(2*out)(SiLU(temb)), zero-initialised second convolution, 1x1 skip when the
// width changes), with GroupNorm eps 1e-6.
type PeerConfig struct {
	InChannels int
	Chans      [3]int // official 16, 32, 32
	TembDim    int    // official 64; the time MLP is 4x wider
	Groups     int    // GroupNorm groups of every norm (official 8)
	// Classes makes the network class-conditional when positive (an extension: the reference
	// is unconditional); the class embedding is added to temb as in the image UNet.
	Classes int
}

// check reports the first invalid field of c, or an x that does not suit it.
func (c PeerConfig) check(x *graphs.Value) error {
	switch {
	case c.InChannels <= 0:
		return fmt.Errorf("unet: peer UNet config: InChannels %d must be positive", c.InChannels)
	case c.Groups <= 0:
		return fmt.Errorf("unet: peer UNet config: Groups %d must be positive", c.Groups)
	case c.TembDim < 4 || c.TembDim%2 != 0:
		return fmt.Errorf("unet: peer UNet config: TembDim %d must be even and at least 4", c.TembDim)
	}
	for i, ch := range c.Chans {
		if ch <= 0 || ch%c.Groups != 0 {
			return fmt.Errorf("unet: peer UNet config: Chans[%d] %d must be a positive multiple of Groups %d", i, ch, c.Groups)
		}
	}
	s := x.Shape()
	if len(s) != 4 || s[1] != c.InChannels || s[2] <= 0 || s[3] <= 0 || s[2]%4 != 0 || s[3]%4 != 0 {
		return fmt.Errorf("unet: peer UNet: input %v must be (N, %d, H, W) with H and W known multiples of 4", x, c.InChannels)
	}
	return nil
}

// Peer builds the PyTorch reference's small UNet: x (N, InChannels, H, W) -> y = x + Net(x).
func Peer(s nn.Scope, x *graphs.Value, t nn.Time, cond Cond, c PeerConfig) *graphs.Value {
	g := s.G
	if x == nil {
		return nil
	}
	if err := c.check(x); err != nil {
		g.Fail(err)
		return nil
	}
	if err := checkCond(cond, c.Classes, "peer UNet"); err != nil {
		g.Fail(err)
		return nil
	}
	a, perSample := timePath(s, t, cond, c.TembDim, 4*c.TembDim, c.Classes)
	b := &blocks{s: s, groups: c.Groups, a: a, perSample: perSample}
	ca, cb, cc := c.Chans[0], c.Chans[1], c.Chans[2]
	hw := [2]int{x.Shape()[2], x.Shape()[3]}
	half, quarter := [2]int{hw[0] / 2, hw[1] / 2}, [2]int{hw[0] / 4, hw[1] / 4}
	cat := func(u, v *graphs.Value) *graphs.Value { return graphs.Concat([]*graphs.Value{u, v}, 1) }

	h0 := b.res("rb1", nn.Conv2D(s.Sub("in"), x, ca, 3, nn.Conv2DOpts{Pad: 1, Bias: true}), ca, ca, hw, nil)
	h1 := b.res("rb2", nn.AvgPool2x2(h0), ca, cb, half, nil)
	h2 := b.res("mid", nn.AvgPool2x2(h1), cb, cc, quarter, nil)
	u1 := b.res("rb3", cat(nn.Upsample2x(h2), h1), cc+cb, cb, half, nil)
	u0 := b.res("rb4", cat(nn.Upsample2x(u1), h0), cb+ca, ca, hw, nil)
	h := nn.SiLU(nn.GroupNorm(s.Sub("out/norm"), u0, c.Groups, gnEps))
	oc := s.Sub("out/conv")
	w := oc.Param("w", []int{c.InChannels, ca, 3, 3}, nn.Zeros())
	bias := oc.Param("b", []int{c.InChannels}, nn.Zeros())
	return graphs.Add(x, graphs.Conv(h, w, bias, graphs.ConvOpts{Pads: []int{1, 1, 1, 1}}))
}
