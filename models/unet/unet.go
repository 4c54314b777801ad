package unet

import (
	"fmt"
	"slices"
	"strings"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/runtime/tensor"
)

// gnEps is the GroupNorm epsilon of every initializer network (cdrl-method.md 5.4; the PyTorch
// reference scripts use it for the toy MLP too).
const gnEps = 1e-6

// DropoutSuffix ends the names of the dropout noise inputs of a UNet built with Config.Train
// and a positive Config.Dropout.
const DropoutSuffix = "/dropout"

// DropoutKey names the int64 input (N) of a UNet built with Config.Train, Config.KeyedDropout
// and a positive Config.Dropout: one key per sample, in [0, nn.CounterKeyLimit), from which
// the graph draws every dropout mask of that sample (nn.CounterUniform, one stream per block).
const DropoutKey = "dropout_key"

// Cond is what a network is conditioned on besides the noise level. The zero value is
// unconditional. A network's config says how many classes its embedding table has (its
// Classes field); Cond carries the graph input that selects the rows. It mirrors ebm.Cond, so
// that the two packages stay independent; the caller fills both from the same input.
type Cond struct {
	// Class holds the int64 class id of every sample, shape (N): ids 1..Classes are the
	// labels and 0 is the null class (cdrl-method.md 5.6). It must be set exactly when the
	// config's Classes is positive.
	Class *graphs.Value
}

// checkCond reports an error when cond does not suit a network with the given number of
// classes; net names the network in the message.
func checkCond(cond Cond, classes int, net string) error {
	switch {
	case classes < 0:
		return fmt.Errorf("unet: %s config: Classes %d must not be negative", net, classes)
	case classes > 0 && cond.Class == nil:
		return fmt.Errorf("unet: %s config: Classes %d needs Cond.Class", net, classes)
	case classes == 0 && cond.Class != nil:
		return fmt.Errorf("unet: %s config: Cond.Class is set but Classes is 0", net)
	case cond.Class != nil && (cond.Class.DType() != tensor.Int64 || cond.Class.Rank() != 1):
		return fmt.Errorf("unet: %s: Cond.Class %v must be int64 of shape (N)", net, cond.Class)
	}
	return nil
}

// timePath builds the time MLP emb_dim -> Linear(hidden) -> SiLU -> Linear(hidden) in the
// scope "temb" and, with classes, adds the class embedding Linear((classes+1) -> hidden) of
// one-hot ids, computed as a row gather from its weight "class/w" (kept in PyTorch's layout
// (hidden, classes+1)) plus its bias "class/b". It returns SiLU(temb), the input of every
// block's scale and shift, and the map of block features to the batch: t.PerSample without
// classes (the MLP ran on t's rows), the identity with classes (temb is per sample).
func timePath(s nn.Scope, t nn.Time, cond Cond, dim, hidden, classes int) (*graphs.Value, func(*graphs.Value) *graphs.Value) {
	bias := nn.DenseOpts{Bias: true}
	e := nn.Dense(s.Sub("temb/lin1"), t.Embedding(s.G, dim), hidden, bias)
	temb := nn.Dense(s.Sub("temb/lin2"), nn.SiLU(e), hidden, bias)
	if classes == 0 {
		return nn.SiLU(temb), t.PerSample
	}
	y := nn.ClassEmbedding(s.Sub("class"), cond.Class, classes, hidden, false)
	return nn.SiLU(graphs.Add(t.PerSample(temb), y)), func(v *graphs.Value) *graphs.Value { return v }
}

// blocks builds residual blocks that share a network's time features.
type blocks struct {
	s         nn.Scope
	groups    int
	a         *graphs.Value // SiLU(temb)
	perSample func(*graphs.Value) *graphs.Value
	dropout   float64       // active when positive
	batch     int           // x's batch dimension, for the dropout inputs
	keyed     bool          // draw the masks from DropoutKey (Config.KeyedDropout)
	key       *graphs.Value // the DropoutKey input, made by the first block with dropout
	streams   int           // the dropout streams used so far, one per block
}

// res is the residual block of cdrl-method.md 5.4 from in to out channels on an input of
// spatial size hw after the optional resample (applied to both branches):
//
//	h = Conv3x3(resample(SiLU(GN1(x))));  (scale, shift) = Linear(2*out)(SiLU(temb))
//	h = Conv3x3_zero(dropout(SiLU(GN2(h) * (1 + scale) + shift)))
//	return h + skip(resample(x)),  skip = Conv1x1 when in != out
//
// The zero-initialised convolution keeps its default bias.
func (b *blocks) res(name string, x *graphs.Value, in, out int, hw [2]int, resample func(*graphs.Value) *graphs.Value) *graphs.Value {
	s := b.s.Sub(name)
	h := nn.SiLU(nn.GroupNorm(s.Sub("norm1"), x, b.groups, gnEps))
	if resample != nil {
		h, x = resample(h), resample(x)
	}
	h = nn.Conv2D(s.Sub("conv1"), h, out, 3, nn.Conv2DOpts{Pad: 1, Bias: true})
	ss := b.perSample(nn.Dense(s.Sub("temb"), b.a, 2*out, nn.DenseOpts{Bias: true}))
	parts := graphs.Split(graphs.Unsqueeze(ss, []int{2, 3}), 1, out, out)
	g := s.G
	h = nn.GroupNorm(s.Sub("norm2"), h, b.groups, gnEps)
	h = nn.SiLU(graphs.Add(graphs.Mul(h, graphs.Add(parts[0], graphs.Scalar(g, 1))), parts[1]))
	if b.dropout > 0 {
		var u *graphs.Value
		if b.keyed {
			if b.key == nil {
				b.key = graphs.Input(g, DropoutKey, tensor.Int64, -1)
			}
			u = nn.CounterUniform(b.key, b.streams, []int{out, hw[0], hw[1]})
			b.streams++
		} else {
			u = graphs.Input(g, s.Name(DropoutSuffix[1:]), tensor.Float32, b.batch, out, hw[0], hw[1])
		}
		keep := graphs.Where(graphs.Less(u, graphs.Scalar(g, float32(b.dropout))),
			graphs.Scalar(g, 0), graphs.Scalar(g, float32(1/(1-b.dropout))))
		h = graphs.Mul(h, keep)
	}
	h = nn.Conv2D(s.Sub("conv2"), h, out, 3, nn.Conv2DOpts{Pad: 1, Bias: true, ZeroInit: true})
	if in != out {
		x = nn.Conv2D(s.Sub("skip"), x, out, 1, nn.Conv2DOpts{Bias: true})
	}
	return graphs.Add(h, x)
}

// DropoutInputs lists the dropout noise inputs of g (names ending in DropoutSuffix) in creation
// order; the caller feeds each with uniform draws in [0, 1) of its shape, the batch
// dimension set to the batch size.
func DropoutInputs(g *graphs.Graph) []*graphs.Value {
	var out []*graphs.Value
	for _, in := range g.Inputs() {
		if strings.HasSuffix(in.Name(), DropoutSuffix) {
			out = append(out, in)
		}
	}
	return out
}

// DropoutKeyInput returns g's DropoutKey input, or nil when g has no dropout.
func DropoutKeyInput(g *graphs.Graph) *graphs.Value {
	for _, in := range g.Inputs() {
		if in.Name() == DropoutKey {
			return in
		}
	}
	return nil
}

// Config sizes the image initializer UNet of cdrl-method.md 5.4.
type Config struct {
	InChannels int   // image channels (3 for CIFAR-10)
	Dim        int   // base width d (official 64)
	DimMults   []int // width multipliers per resolution level (official 1, 1, 1)
	ResBlocks  int   // residual blocks per level on the down path (official 3); the up path has one more
	// AttnRes lists the spatial sizes (the height H of the feature maps) whose residual blocks
	// are followed by self-attention (official 16, 8); the middle always has it.
	AttnRes []int
	Groups  int     // GroupNorm groups; must divide Dim*m for every m of DimMults (official 32)
	Dropout float64 // dropout rate of the residual blocks, in [0, 1) (official 0.1); see Train
	TembDim int     // sinusoidal embedding size (official 64 = Dim); the time MLP is 4x wider
	// Classes makes the network class-conditional when positive: temb += Linear(onehot(class))
	// with (Classes+1) -> 4*TembDim (cdrl-method.md 5.6).
	Classes int
	// Train builds the training form: with Dropout > 0 every residual block drops activations
	// (see the package doc). Without it dropout is the identity (eval mode).
	Train bool
	// KeyedDropout makes the training form draw its masks in the graph from one key per
	// sample (DropoutKey) instead of taking each block's uniform draws as an input
	// (DropoutSuffix): only the keys cross to the runtime, at the cost of computing the draws
	// in the graph.
	KeyedDropout bool
}

// check reports the first invalid field of c, or an x that does not suit it.
func (c Config) check(x *graphs.Value) error {
	positive := func(name string, v int) error {
		return fmt.Errorf("unet: UNet config: %s %d must be positive", name, v)
	}
	switch {
	case c.InChannels <= 0:
		return positive("InChannels", c.InChannels)
	case c.Dim <= 0:
		return positive("Dim", c.Dim)
	case len(c.DimMults) == 0:
		return fmt.Errorf("unet: UNet config: DimMults is empty")
	case c.ResBlocks <= 0:
		return positive("ResBlocks", c.ResBlocks)
	case c.Groups <= 0:
		return positive("Groups", c.Groups)
	case c.TembDim < 4 || c.TembDim%2 != 0:
		return fmt.Errorf("unet: UNet config: TembDim %d must be even and at least 4", c.TembDim)
	case c.Dropout < 0 || c.Dropout >= 1:
		return fmt.Errorf("unet: UNet config: Dropout %g must be in [0, 1)", c.Dropout)
	}
	for i, m := range c.DimMults {
		if m <= 0 {
			return positive(fmt.Sprintf("DimMults[%d]", i), m)
		}
		if ch := c.Dim * m; ch%c.Groups != 0 {
			return fmt.Errorf("unet: UNet config: Groups %d do not divide the %d channels of level %d", c.Groups, ch, i)
		}
	}
	s := x.Shape()
	div := 1 << (len(c.DimMults) - 1)
	if len(s) != 4 || s[1] != c.InChannels || s[2] <= 0 || s[3] <= 0 || s[2]%div != 0 || s[3]%div != 0 {
		return fmt.Errorf("unet: UNet: input %v must be (N, %d, H, W) with H and W known multiples of %d (%d levels)",
			x, c.InChannels, div, len(c.DimMults))
	}
	sizes := make([]int, len(c.DimMults))
	for i := range sizes {
		sizes[i] = s[2] >> i
	}
	for _, r := range c.AttnRes {
		if !slices.Contains(sizes, r) {
			return fmt.Errorf("unet: UNet config: AttnRes %d is never reached (levels at %v)", r, sizes)
		}
	}
	return nil
}

// skipEntry is a down-path output waiting for the up path, with its channel count.
type skipEntry struct {
	v  *graphs.Value
	ch int
}

// UNet builds the image initializer of cdrl-method.md 5.4: x (N, InChannels, H, W) -> y = x +
// Net(x) of the same shape.
//
//	temb = Linear(4T)(SiLU(Linear(4T)(emb_T(tau))))        [+ class embedding]
//	h0 = Conv3x3(x) to Dim*DimMults[0];  skips S = [h0]
//	down, per level: ResBlocks blocks (each then attention at AttnRes), every output pushed
//	      to S; except at the last level a downsampling block (AvgPool2x2), also pushed
//	middle: block, attention, block
//	up, levels in reverse: ResBlocks+1 blocks on concat(h, S.pop()), each then attention at
//	      AttnRes; except at level 0 an upsampling block (nearest 2x)
//	y = x + Conv3x3_zero(SiLU(GN(h)))
//
// Every pushed tensor is consumed. The output convolution starts with zero weights and its
// default bias, so at initialisation y = x plus a per-channel constant.
func UNet(s nn.Scope, x *graphs.Value, t nn.Time, cond Cond, c Config) *graphs.Value {
	g := s.G
	if x == nil {
		return nil
	}
	if err := c.check(x); err != nil {
		g.Fail(err)
		return nil
	}
	if err := checkCond(cond, c.Classes, "UNet"); err != nil {
		g.Fail(err)
		return nil
	}
	a, perSample := timePath(s, t, cond, c.TembDim, 4*c.TembDim, c.Classes)
	b := &blocks{s: s, groups: c.Groups, a: a, perSample: perSample, batch: x.Shape()[0], keyed: c.KeyedDropout}
	if c.Train {
		b.dropout = c.Dropout
	}
	hw := [2]int{x.Shape()[2], x.Shape()[3]}
	attn := func(name string, h *graphs.Value) *graphs.Value {
		if slices.Contains(c.AttnRes, hw[0]) {
			return nn.SelfAttention(s.Sub(name), h, c.Groups)
		}
		return h
	}
	down := func(v *graphs.Value) *graphs.Value { return nn.AvgPool2x2(v) }
	up := func(v *graphs.Value) *graphs.Value { return nn.Upsample2x(v) }
	last := len(c.DimMults) - 1

	ch := c.Dim * c.DimMults[0]
	h := nn.Conv2D(s.Sub("in"), x, ch, 3, nn.Conv2DOpts{Pad: 1, Bias: true})
	stack := []skipEntry{{h, ch}}
	for l, m := range c.DimMults {
		out := c.Dim * m
		for j := 0; j < c.ResBlocks; j++ {
			h = b.res(fmt.Sprintf("down%d/res%d", l, j), h, ch, out, hw, nil)
			ch = out
			h = attn(fmt.Sprintf("down%d/attn%d", l, j), h)
			stack = append(stack, skipEntry{h, ch})
		}
		if l < last {
			hw = [2]int{hw[0] / 2, hw[1] / 2}
			h = b.res(fmt.Sprintf("down%d/down", l), h, ch, ch, hw, down)
			stack = append(stack, skipEntry{h, ch})
		}
	}
	h = b.res("mid/res0", h, ch, ch, hw, nil)
	h = nn.SelfAttention(s.Sub("mid/attn"), h, c.Groups)
	h = b.res("mid/res1", h, ch, ch, hw, nil)
	for l := last; l >= 0; l-- {
		out := c.Dim * c.DimMults[l]
		for j := 0; j <= c.ResBlocks; j++ {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			h = b.res(fmt.Sprintf("up%d/res%d", l, j), graphs.Concat([]*graphs.Value{h, top.v}, 1), ch+top.ch, out, hw, nil)
			ch = out
			h = attn(fmt.Sprintf("up%d/attn%d", l, j), h)
		}
		if l > 0 {
			hw = [2]int{hw[0] * 2, hw[1] * 2}
			h = b.res(fmt.Sprintf("up%d/up", l), h, ch, ch, hw, up)
		}
	}
	h = nn.SiLU(nn.GroupNorm(s.Sub("out/norm"), h, c.Groups, gnEps))
	h = nn.Conv2D(s.Sub("out/conv"), h, c.InChannels, 3, nn.Conv2DOpts{Pad: 1, Bias: true, ZeroInit: true})
	return graphs.Add(x, h)
}
