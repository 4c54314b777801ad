package ebm

import (
	"fmt"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
)

// PeerConvConfig sizes the small convolutional EBM of the PyTorch MNIST reference
// (shared/bench/peer_mnist.py): four 3x3 convolutions, the last three with stride 2, the
// time features added as per-channel biases after convolutions 2-4, and the energy the inner
// product of the spatially summed ReLU features with a time-dependent vector.
type PeerConvConfig struct {
	InChannels int
	Chans      [4]int // official 32, 64, 128, 128
	TembDim    int    // official 64; the time MLP is 4x wider
	Spectral   bool
}

// PeerConvMNIST is the reference's MNIST configuration.
func PeerConvMNIST() PeerConvConfig {
	return PeerConvConfig{InChannels: 1, Chans: [4]int{32, 64, 128, 128}, TembDim: 64, Spectral: true}
}

// PeerConv builds the network: x (N, C, H, W) -> f (N).
func PeerConv(s nn.Scope, x *graphs.Value, t nn.Time, c PeerConvConfig) *graphs.Value {
	g := s.G
	if c.InChannels <= 0 || c.TembDim <= 0 || c.Chans[0] <= 0 {
		g.Fail(fmt.Errorf("ebm: invalid conv EBM config %+v", c))
		return nil
	}
	tw := 4 * c.TembDim
	dense := func(name string, x *graphs.Value, out int, o nn.DenseOpts) *graphs.Value {
		o.Spectral = o.Spectral && c.Spectral
		return nn.Dense(s.Sub(name), x, out, o)
	}
	te := dense("tmap2", act(dense("tmap1", t.Embedding(g, c.TembDim), tw, nn.DenseOpts{Bias: true, Spectral: true})), tw, nn.DenseOpts{Bias: true, Spectral: true})
	a := act(te)
	var bias [3]*graphs.Value
	for i := range bias {
		p := act(dense(fmt.Sprintf("tproj%d", i), a, c.Chans[i+1], nn.DenseOpts{Bias: true, Spectral: true}))
		bias[i] = graphs.Unsqueeze(t.PerSample(p), []int{2, 3})
	}
	final := t.PerSample(dense("tfinal", a, c.Chans[3], nn.DenseOpts{}))
	conv := func(name string, x *graphs.Value, out, stride int) *graphs.Value {
		return nn.Conv2D(s.Sub(name), x, out, 3, nn.Conv2DOpts{Stride: stride, Pad: 1, Bias: true, Spectral: c.Spectral})
	}
	h := conv("conv0", x, c.Chans[0], 1)
	h = graphs.Add(conv("conv1", act(h), c.Chans[1], 2), bias[0])
	h = graphs.Add(conv("conv2", act(h), c.Chans[2], 2), bias[1])
	h = graphs.Add(conv("conv3", act(h), c.Chans[3], 2), bias[2])
	v := graphs.ReduceSum(graphs.Relu(h), []int{2, 3}, false)
	return graphs.ReduceSum(graphs.Mul(v, final), []int{1}, false)
}
