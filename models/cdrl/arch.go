package cdrl

import (
	"fmt"
	"strings"

	"github.com/cdrl-go/cdrl/graphs"
	"github.com/cdrl-go/cdrl/graphs/nn"
	"github.com/cdrl-go/cdrl/models/ebm"
	"github.com/cdrl-go/cdrl/models/unet"
)

// Arch returns the networks of the named preset (the EBM and initializer presets of packages
// ebm and unet share names: toy-official, toy-small, mnist-s, mnist-m, mnist-peer, cifar10,
// cifar10-large) for data of the given per-sample shape, with classes > 0 for a
// class-conditional model. seed makes the initial weights.
func Arch(name string, shape []int, classes int, seed int64) (Nets, error) {
	e, err := ebm.Preset(name)
	if err != nil {
		return Nets{}, fmt.Errorf("cdrl: %w", err)
	}
	i, err := unet.Preset(name)
	if err != nil {
		return Nets{}, fmt.Errorf("cdrl: %w", err)
	}
	want := "image data (C,H,W)"
	if strings.HasPrefix(name, "toy") {
		want = "2-D points"
	}
	if (len(shape) == 1) != strings.HasPrefix(name, "toy") {
		return Nets{}, fmt.Errorf("cdrl: preset %s is for %s, the data has shape %v", name, want, shape)
	}
	return Nets{
		Shape:   append([]int(nil), shape...),
		Classes: classes,
		Seed:    seed,
		Energy: func(s nn.Scope, x *graphs.Value, t nn.Time, class *graphs.Value, spectral bool) *graphs.Value {
			net, err := withEBM(e, classes, spectral)
			if err != nil {
				s.G.Fail(err)
				return nil
			}
			return net.Build(s, x, t, ebm.Cond{Class: class})
		},
		Init: func(s nn.Scope, x *graphs.Value, t nn.Time, class *graphs.Value, dropout Dropout) *graphs.Value {
			net, err := withInit(i, classes, dropout)
			if err != nil {
				s.G.Fail(err)
				return nil
			}
			return net.Build(s, x, t, unet.Cond{Class: class})
		},
	}, nil
}

// StepMode returns the Langevin step-size setting of a preset: "toy" for the 2-D presets,
// "image" otherwise (cdrl-method.md 2.2).
func StepMode(name string) string {
	if strings.HasPrefix(name, "toy") {
		return "toy"
	}
	return "image"
}

// ArchNames lists the presets Arch knows.
func ArchNames() []string { return ebm.PresetNames() }

func withEBM(n ebm.Network, classes int, spectral bool) (ebm.Network, error) {
	switch c := n.(type) {
	case ebm.ToyConfig:
		c.Classes, c.Spectral = classes, c.Spectral && spectral
		return c, nil
	case ebm.ResNetConfig:
		c.Classes, c.Spectral = classes, c.Spectral && spectral
		return c, nil
	case ebm.PeerConvConfig:
		if classes > 0 {
			return nil, fmt.Errorf("cdrl: the mnist-peer EBM has no class conditioning")
		}
		c.Spectral = c.Spectral && spectral
		return c, nil
	}
	return nil, fmt.Errorf("cdrl: unknown EBM config %T", n)
}

func withInit(n unet.Network, classes int, dropout Dropout) (unet.Network, error) {
	switch c := n.(type) {
	case unet.ToyConfig:
		c.Classes = classes
		return c, nil
	case unet.Config:
		c.Classes, c.Train, c.KeyedDropout = classes, dropout != NoDropout, dropout == KeyedMasks
		return c, nil
	case unet.PeerConfig:
		c.Classes = classes
		return c, nil
	}
	return nil, fmt.Errorf("cdrl: unknown initializer config %T", n)
}
