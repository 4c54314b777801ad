package unet

import (
	"fmt"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
)

// ToyConfig sizes the 2-D toy initializer MLP (cdrl-method.md 5.5).
type ToyConfig struct {
	In     int // input dimension (2)
	Hidden int // hidden width (official 64)
	Blocks int // residual blocks (official 1)
	// Groups is the GroupNorm group count over the Hidden features (official 32: two features
	// per group, so every normalised pair is about (+1, -1); cdrl-method.md 11, item 14).
	Groups  int
	TembDim int // sinusoidal embedding size and time MLP width (official 128; no 4x here)
	// Classes makes the network class-conditional when positive: temb += Linear(onehot(class))
	// with (Classes+1) -> TembDim (cdrl-method.md 5.6).
	Classes int
}

// check reports the first invalid field of c, or an x that does not suit it.
func (c ToyConfig) check(x *graphs.Value) error {
	positive := func(name string, v int) error {
		return fmt.Errorf("unet: toy MLP config: %s %d must be positive", name, v)
	}
	switch {
	case c.In <= 0:
		return positive("In", c.In)
	case c.Hidden <= 0:
		return positive("Hidden", c.Hidden)
	case c.Blocks <= 0:
		return positive("Blocks", c.Blocks)
	case c.Groups <= 0 || c.Hidden%c.Groups != 0:
		return fmt.Errorf("unet: toy MLP config: Groups %d must be positive and divide Hidden %d", c.Groups, c.Hidden)
	case c.TembDim < 4 || c.TembDim%2 != 0:
		return fmt.Errorf("unet: toy MLP config: TembDim %d must be even and at least 4", c.TembDim)
	}
	if s := x.Shape(); len(s) != 2 || s[1] != c.In {
		return fmt.Errorf("unet: toy MLP: input %v must be (N, %d)", x, c.In)
	}
	return nil
}

// ToyMLP builds the toy initializer of cdrl-method.md 5.5: x (N, In) -> y = x + Net(x).
//
//	temb = Linear(T)(SiLU(Linear(T)(emb_T(tau))))          [+ class embedding]
//	h = Linear(Hidden)(x)
//	per block: (scale, shift) = Linear(2*Hidden)(SiLU(temb))
//	           r = Linear(Hidden)(SiLU(GN1(h)))
//	           h = h + Linear_zero(Hidden)(SiLU(GN2(r) * (1 + scale) + shift))
//	y = x + Linear_zero(In, no bias)(SiLU(h))
//
// The zero-initialised block layers keep their default bias; the output layer has none, so at
// initialisation y equals x exactly. GroupNorm uses eps 1e-6 with a learnt affine map.
func ToyMLP(s nn.Scope, x *graphs.Value, t nn.Time, cond Cond, c ToyConfig) *graphs.Value {
	g := s.G
	if x == nil {
		return nil
	}
	if err := c.check(x); err != nil {
		g.Fail(err)
		return nil
	}
	if err := checkCond(cond, c.Classes, "toy MLP"); err != nil {
		g.Fail(err)
		return nil
	}
	a, perSample := timePath(s, t, cond, c.TembDim, c.TembDim, c.Classes)
	bias := nn.DenseOpts{Bias: true}
	h := nn.Dense(s.Sub("in"), x, c.Hidden, bias)
	for i := 0; i < c.Blocks; i++ {
		bs := s.Sub(fmt.Sprintf("block%d", i))
		ss := graphs.Split(perSample(nn.Dense(bs.Sub("temb"), a, 2*c.Hidden, bias)), 1, c.Hidden, c.Hidden)
		r := nn.Dense(bs.Sub("lin1"), nn.SiLU(nn.GroupNorm(bs.Sub("norm1"), h, c.Groups, gnEps)), c.Hidden, bias)
		r = nn.GroupNorm(bs.Sub("norm2"), r, c.Groups, gnEps)
		r = nn.SiLU(graphs.Add(graphs.Mul(r, graphs.Add(ss[0], graphs.Scalar(g, 1))), ss[1]))
		h = graphs.Add(h, nn.Dense(bs.Sub("lin2"), r, c.Hidden, nn.DenseOpts{Bias: true, ZeroInit: true}))
	}
	return graphs.Add(x, nn.Dense(s.Sub("out"), nn.SiLU(h), c.In, nn.DenseOpts{ZeroInit: true}))
}
