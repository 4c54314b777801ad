package ebm

import (
	"fmt"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
)

// slope is the leaky-ReLU slope of every EBM (cdrl-method.md 5.2).
const slope = 0.2

func act(x *graphs.Value) *graphs.Value { return graphs.LeakyRelu(x, slope) }

// ToyConfig sizes the 2-D toy EBM (cdrl-method.md 5.3).
type ToyConfig struct {
	In       int   // input dimension (2)
	Width    int   // base width (official 128)
	ChMult   []int // width multipliers, one block each (official 1,2,2,2)
	TembDim  int   // sinusoidal embedding size (official 128); the time MLP is 4x wider
	Spectral bool  // spectral norm on every layer but the readout
	// Classes makes the network class-conditional when positive: the time features become
	// temb + Ly(onehot(class)) with Ly: (Classes+1) -> 4*TembDim (cdrl-method.md 5.6).
	Classes int
}

// ToyOfficial is the official toy EBM.
func ToyOfficial() ToyConfig {
	return ToyConfig{In: 2, Width: 128, ChMult: []int{1, 2, 2, 2}, TembDim: 128, Spectral: true}
}

// Toy builds the unconditional toy EBM: x (N, In) -> f (N). It is ToyCond without a class.
func Toy(s nn.Scope, x *graphs.Value, t nn.Time, c ToyConfig) *graphs.Value {
	return ToyCond(s, x, t, Cond{}, c)
}

// ToyCond builds the toy EBM: x (N, In) -> f (N), class-conditional when c.Classes is
// positive (cond.Class then holds the ids).
func ToyCond(s nn.Scope, x *graphs.Value, t nn.Time, cond Cond, c ToyConfig) *graphs.Value {
	g := s.G
	if c.In <= 0 || c.Width <= 0 || len(c.ChMult) == 0 || c.TembDim <= 0 {
		g.Fail(fmt.Errorf("ebm: invalid toy EBM config %+v", c))
		return nil
	}
	if err := checkCond(cond, c.Classes, "toy EBM"); err != nil {
		g.Fail(err)
		return nil
	}
	dense := func(name string, x *graphs.Value, out int, sn bool) *graphs.Value {
		return nn.Dense(s.Sub(name), x, out, nn.DenseOpts{Bias: true, Spectral: sn && c.Spectral})
	}
	// Time path: emb -> Lin(4D) -> act -> Lin(4D), then one projection per block.
	tw := 4 * c.TembDim
	temb := dense("temb2", act(dense("temb1", t.Embedding(g, c.TembDim), tw, true)), tw, true)
	temb, perSample := condTime(s, temb, tw, t, cond, c.Classes, c.Spectral)
	feats := make([]*graphs.Value, len(c.ChMult))
	for i, m := range c.ChMult {
		feats[i] = perSample(act(dense(fmt.Sprintf("block%d/t", i), act(temb), c.Width*m, true)))
	}
	h := dense("in", x, c.Width, true)
	width := c.Width
	for i, m := range c.ChMult {
		bs := s.Sub(fmt.Sprintf("block%d", i))
		out := c.Width * m
		r := nn.Dense(bs.Sub("l1"), act(h), out, nn.DenseOpts{Bias: true, Spectral: c.Spectral})
		r = graphs.Add(r, feats[i])
		r = nn.Dense(bs.Sub("l2"), act(r), out, nn.DenseOpts{Bias: true, Spectral: c.Spectral})
		r = graphs.Mul(r, bs.Param("g", []int{out}, nn.Ones()))
		skip := h
		if width != out {
			skip = nn.Dense(bs.Sub("skip"), h, out, nn.DenseOpts{Bias: true, Spectral: c.Spectral})
		}
		h, width = graphs.Add(r, skip), out
	}
	f := nn.Dense(s.Sub("out"), graphs.Relu(h), 1, nn.DenseOpts{})
	return graphs.ReshapeTo(f, -1)
}
