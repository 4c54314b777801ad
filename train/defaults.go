package train

import (
	"strings"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/cdrl"
)

// Defaults returns the configuration a run on the given data starts from: the method's
// constants (cdrl-method.md sections 1-6) with the small-scale sizes, learning rates and
// iteration counts of section 10 for a 2-core CPU, except for CIFAR-10 (cifar10:DIR), which
// starts from the paper's cifar10 preset (DefaultsFor with the arch "cifar10").
func Defaults(dataSpec string) Config {
	if strings.HasPrefix(dataSpec, "cifar10") {
		return DefaultsFor(dataSpec, "cifar10")
	}
	return cpuDefaults(dataSpec)
}

// DefaultsFor returns the configuration a run of the network preset arch on the given data
// starts from. The cifar10 presets (cifar10, cifar10-large) take the paper's CIFAR-10 training
// settings (cdrl-method.md 4.3): batch 256, K = 15, EBM lr 1e-4, initializer lr 1e-5, warmup
// over 10,000 updates with the initializer 500 ahead, EMA 0.9999, 500,001 iterations. Every
// other preset takes Defaults' settings for the data with arch as its network.
func DefaultsFor(dataSpec, arch string) Config {
	c := cpuDefaults(dataSpec)
	c.Arch, c.StepMode = arch, cdrl.StepMode(arch)
	if strings.HasPrefix(arch, "cifar10") {
		c.Batch, c.LangevinSteps, c.Iters = 256, 15, 500001
		c.EBMLR, c.InitLR = 1e-4, 1e-5
		c.EBMWarmup, c.InitWarmup, c.InitWarmupOffset = 10000, 10000, 500
		c.EMA = 0.9999
		c.SampleEvery, c.CheckpointEvery, c.SampleCount = 1000, 1000, 64
	}
	return c
}

// cpuDefaults is Defaults without the CIFAR-10 preset.
func cpuDefaults(dataSpec string) Config {
	s := infer.DefaultSchedule()
	c := Config{
		Data: dataSpec, Levels: s.Levels, LogSNRMin: s.LogSNRMin, LogSNRMax: s.LogSNRMax,
		LabelDropout: 0.1, Seed: 1, EMA: 0.999, Clip: 1, MaxEnergy: 1e5,
		EBMWarmup: 200, InitWarmup: 200, InitWarmupOffset: 10,
		LogEvery: 50, KeepCheckpoints: 3,
	}
	switch {
	case strings.HasPrefix(dataSpec, "toy2d"):
		c.Arch, c.Batch, c.LangevinSteps, c.Iters = "toy-small", 512, 15, 6000
		c.EBMLR, c.InitLR = 1e-4, 1e-4
		c.SampleEvery, c.CheckpointEvery, c.SampleCount = 1000, 500, 2000
	default: // images: MNIST tier S
		c.Arch, c.Batch, c.LangevinSteps, c.Iters = "mnist-s", 32, 10, 3000
		c.EBMLR, c.InitLR = 1e-4, 2e-4
		c.SampleEvery, c.CheckpointEvery, c.SampleCount = 500, 250, 64
	}
	c.StepMode = cdrl.StepMode(c.Arch)
	return c
}
