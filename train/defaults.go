package train

import (
	"strings"

	"github.com/cdrl-go/cdrl/infer"
	"github.com/cdrl-go/cdrl/models/cdrl"
)

// Defaults returns the configuration a run on the given data starts from: the method's
// constants (cdrl-method.md sections 1-6) with the small-scale sizes, learning rates and
// iteration counts of section 10 for a 2-core CPU.
func Defaults(dataSpec string) Config {
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
