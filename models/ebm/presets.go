package ebm

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
)

// Network is an energy network with its sizes: ToyConfig, ResNetConfig and PeerConvConfig
// implement it, so a preset can be built without knowing its kind. To change a size, assert
// the concrete config, edit the copy and use it (for example to set Classes or Spectral).
type Network interface {
	// Build returns the energy f (N) of x under the noise level t and the conditioning cond.
	Build(s nn.Scope, x *graphs.Value, t nn.Time, cond Cond) *graphs.Value
}

// Build implements Network with ToyCond.
func (c ToyConfig) Build(s nn.Scope, x *graphs.Value, t nn.Time, cond Cond) *graphs.Value {
	return ToyCond(s, x, t, cond, c)
}

// Build implements Network with ResNet.
func (c ResNetConfig) Build(s nn.Scope, x *graphs.Value, t nn.Time, cond Cond) *graphs.Value {
	return ResNet(s, x, t, cond, c)
}

// Build implements Network with PeerConv, which has no class conditioning: a set cond.Class
// is a build error.
func (c PeerConvConfig) Build(s nn.Scope, x *graphs.Value, t nn.Time, cond Cond) *graphs.Value {
	if err := checkCond(cond, 0, "conv EBM"); err != nil {
		s.G.Fail(err)
		return nil
	}
	return PeerConv(s, x, t, c)
}

// ToySmall is the toy EBM suggested for a 2-core CPU (cdrl-method.md 10.1): width 64, widths
// 64, 128, 128, 128, temb 64 (hidden 256), spectral norm on.
func ToySmall() ToyConfig {
	return ToyConfig{In: 2, Width: 64, ChMult: []int{1, 2, 2, 2}, TembDim: 64, Spectral: true}
}

// MNISTTierS is the MNIST EBM of tier S (cdrl-method.md 10.2): C = 16, ch_mult (1, 2, 2) over
// 28 -> 14 -> 7, one block per level, temb 32 (hidden 128), spectral norm on.
func MNISTTierS() ResNetConfig {
	return ResNetConfig{InChannels: 1, Width: 16, ChMult: []int{1, 2, 2}, Blocks: 1, TembDim: 32, Spectral: true}
}

// MNISTTierM is the MNIST EBM of tier M (cdrl-method.md 10.2): C = 32, ch_mult (1, 2, 2), one
// block per level, temb 64 (hidden 256), spectral norm on.
func MNISTTierM() ResNetConfig {
	return ResNetConfig{InChannels: 1, Width: 32, ChMult: []int{1, 2, 2}, Blocks: 1, TembDim: 64, Spectral: true}
}

// CIFAR10Paper is the official CIFAR-10 EBM (cdrl-method.md 5.2): C = 128, ch_mult
// (1, 2, 2, 2), 8 blocks per level, temb 128 (hidden 512), spectral norm on.
func CIFAR10Paper() ResNetConfig {
	return ResNetConfig{InChannels: 3, Width: 128, ChMult: []int{1, 2, 2, 2}, Blocks: 8, TembDim: 128, Spectral: true}
}

// CIFAR10Large is "CDRL-large": CIFAR10Paper with every layer twice as wide. The official code
// ties the embedding size to the base width, so TembDim doubles too (256, hidden 1024).
func CIFAR10Large() ResNetConfig {
	c := CIFAR10Paper()
	c.Width, c.TembDim = 2*c.Width, 2*c.TembDim
	return c
}

// presets maps the preset names to their constructors.
var presets = map[string]func() Network{
	"toy-official":  func() Network { return ToyOfficial() },
	"toy-small":     func() Network { return ToySmall() },
	"mnist-s":       func() Network { return MNISTTierS() },
	"mnist-m":       func() Network { return MNISTTierM() },
	"mnist-peer":    func() Network { return PeerConvMNIST() },
	"cifar10":       func() Network { return CIFAR10Paper() },
	"cifar10-large": func() Network { return CIFAR10Large() },
}

// PresetNames lists the names Preset knows, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns a fresh copy of the named architecture: toy-official, toy-small (2-D points),
// mnist-s, mnist-m (cdrl-method.md 10.2), mnist-peer (the PyTorch MNIST reference's conv EBM),
// cifar10 and cifar10-large (5.2). All are unconditional with spectral norm on.
func Preset(name string) (Network, error) {
	mk, ok := presets[name]
	if !ok {
		return nil, fmt.Errorf("ebm: unknown preset %q (known: %s)", name, strings.Join(PresetNames(), ", "))
	}
	return mk(), nil
}
