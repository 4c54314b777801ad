package unet

import (
	"fmt"
	"sort"
	"strings"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
)

// Network is an initializer network with its sizes: Config, ToyConfig and PeerConfig implement
// it, so a preset can be built without knowing its kind. To change a size, assert the concrete
// config, edit the copy and use it (for example to set Classes or Train).
type Network interface {
	// Build returns the proposal mean y (the shape of x) for x under the noise level t and
	// the conditioning cond.
	Build(s nn.Scope, x *graphs.Value, t nn.Time, cond Cond) *graphs.Value
}

// Build implements Network with UNet.
func (c Config) Build(s nn.Scope, x *graphs.Value, t nn.Time, cond Cond) *graphs.Value {
	return UNet(s, x, t, cond, c)
}

// Build implements Network with ToyMLP.
func (c ToyConfig) Build(s nn.Scope, x *graphs.Value, t nn.Time, cond Cond) *graphs.Value {
	return ToyMLP(s, x, t, cond, c)
}

// Build implements Network with Peer.
func (c PeerConfig) Build(s nn.Scope, x *graphs.Value, t nn.Time, cond Cond) *graphs.Value {
	return Peer(s, x, t, cond, c)
}

// ToyOfficial is the official toy initializer (cdrl-method.md 5.5): hidden 64, one block,
// GroupNorm with 32 groups (two features per group), temb 128.
func ToyOfficial() ToyConfig {
	return ToyConfig{In: 2, Hidden: 64, Blocks: 1, Groups: 32, TembDim: 128}
}

// ToySmall is the toy initializer suggested for a 2-core CPU (cdrl-method.md 10.1): hidden
// 64, two blocks, GroupNorm with 8 groups (a deviation from the official 32), temb 128.
func ToySmall() ToyConfig {
	return ToyConfig{In: 2, Hidden: 64, Blocks: 2, Groups: 8, TembDim: 128}
}

// MNISTTierS is the MNIST initializer of tier S (cdrl-method.md 10.2): d = 16, dim_mults
// (1, 1, 1) over 28 -> 14 -> 7, one residual block per level, attention only at 7x7 and in
// the middle, GroupNorm 8 groups, no dropout. The time embedding follows 5.4 (emb_d,
// hidden 4d): TembDim 16.
func MNISTTierS() Config {
	return Config{InChannels: 1, Dim: 16, DimMults: []int{1, 1, 1}, ResBlocks: 1, AttnRes: []int{7}, Groups: 8, TembDim: 16}
}

// MNISTTierM is the MNIST initializer of tier M (cdrl-method.md 10.2): d = 32, dim_mults
// (1, 1, 1), two residual blocks per level, attention at 7x7 and in the middle, GroupNorm 8
// groups, dropout 0.1, TembDim 32.
func MNISTTierM() Config {
	return Config{InChannels: 1, Dim: 32, DimMults: []int{1, 1, 1}, ResBlocks: 2, AttnRes: []int{7}, Groups: 8, Dropout: 0.1, TembDim: 32}
}

// CIFAR10 is the official CIFAR-10 initializer (cdrl-method.md 5.4): d = 64, dim_mults
// (1, 1, 1), three residual blocks per level, attention at 16 and 8 and in the middle,
// GroupNorm 32 groups, dropout 0.1, TembDim 64 (hidden 256).
func CIFAR10() Config {
	return Config{InChannels: 3, Dim: 64, DimMults: []int{1, 1, 1}, ResBlocks: 3, AttnRes: []int{16, 8}, Groups: 32, Dropout: 0.1, TembDim: 64}
}

// PeerSmallUNet is the PyTorch MNIST reference's initializer: channels 16, 32, 32, temb 64
// (hidden 256), GroupNorm 8 groups.
func PeerSmallUNet() PeerConfig {
	return PeerConfig{InChannels: 1, Chans: [3]int{16, 32, 32}, TembDim: 64, Groups: 8}
}

// presets maps the preset names to their constructors. The names match those of the EBM
// presets (package ebm) that they pair with; CDRL-large widens only the EBM, so
// cifar10-large uses the CIFAR-10 initializer.
var presets = map[string]func() Network{
	"toy-official":  func() Network { return ToyOfficial() },
	"toy-small":     func() Network { return ToySmall() },
	"mnist-s":       func() Network { return MNISTTierS() },
	"mnist-m":       func() Network { return MNISTTierM() },
	"mnist-peer":    func() Network { return PeerSmallUNet() },
	"cifar10":       func() Network { return CIFAR10() },
	"cifar10-large": func() Network { return CIFAR10() },
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

// Preset returns a fresh copy of the named initializer: toy-official, toy-small (2-D points),
// mnist-s, mnist-m (cdrl-method.md 10.2), mnist-peer (the PyTorch MNIST reference's UNet),
// cifar10 and cifar10-large (5.4). All are unconditional and built in eval mode (Train off).
func Preset(name string) (Network, error) {
	mk, ok := presets[name]
	if !ok {
		return nil, fmt.Errorf("unet: unknown preset %q (known: %s)", name, strings.Join(PresetNames(), ", "))
	}
	return mk(), nil
}
