package main

import (
	"github.com/cdrl-go/cdrl/tools/internal/cli"
	ucli "github.com/urfave/cli/v2"
)

// Flag categories of cdrl-infer's --help, beside cli.CategoryIO and cli.CategoryRuntime.
const (
	categoryModel    = "model"
	categorySampling = "sampling"
)

// defaultBatch is --batch's default for energy and ood: inputs per network call, which bounds
// memory.
const defaultBatch = 256

// The flags of the sampling commands, declared once; each command lists the ones it takes.
var (
	modelFlag = &ucli.StringFlag{
		Name: "model", Value: "mnist", EnvVars: []string{"CDRL_MODEL"}, Category: categoryModel,
		Usage: "the model: a bundle `DIR` (e.g. runs/mnist/model) or the NAME of an embedded model (toy2d, mnist)",
	}
	classFlag = &ucli.StringFlag{
		Name: "class", Category: categoryModel,
		Usage: "class `LABEL` of a conditional model (a label of its manifest, e.g. 7); unset or none: unconditional (the null class)",
	}
	guidanceFlag = &ucli.Float64Flag{
		Name: "guidance", Category: categorySampling, DefaultText: "the model's guidance_default (inpaint: its inpaint_guidance, when set)",
		Usage: "classifier-free guidance weight `W` >= 0 (applies with --class)",
	}
	stepsFlag = &ucli.IntFlag{
		Name: "steps", Category: categorySampling,
		Usage: "Langevin steps `K` per noise level; 0 = the K the model was trained with",
	}
	seedFlag = &ucli.Uint64Flag{
		Name: "seed", Value: 1, Category: categorySampling,
		Usage: "random seed; the same seed, model, --n and --batch give the same output",
	}
	batchFlag = &ucli.IntFlag{
		Name: "batch", Value: defaultBatch, EnvVars: []string{"CDRL_BATCH"}, Category: cli.CategoryRuntime,
		Usage: "chunk size `B` for large N: at most B inputs per network call; 0 = all at once",
	}
	// sampleBatchFlag is --batch of the sampling commands, whose default is the model's
	// (infer.Sampler.DefaultBatch).
	sampleBatchFlag = &ucli.IntFlag{
		Name: "batch", EnvVars: []string{"CDRL_BATCH"}, Category: cli.CategoryRuntime, DefaultText: "256 for images, 4096 for points",
		Usage: "chunk size `B` for large N: at most B inputs per network call (guidance and composition multiply it), and the samples an .npy or .csv output holds at once; 0 = all at once",
	}
)

// sampleFlags returns the flags sample, inpaint and compose share, then the runtime flags.
func sampleFlags(own ...ucli.Flag) []ucli.Flag {
	flags := append(own, modelFlag, stepsFlag, seedFlag, sampleBatchFlag)
	return append(flags, cli.RuntimeFlags()...)
}

// genOptions are the sampling settings sample, inpaint and compose share.
type genOptions struct {
	Model    string
	N        int
	Seed     uint64
	Steps    int
	Batch    *int     // nil: the model's (infer.Sampler.DefaultBatch)
	Guidance *float64 // nil: the manifest's guidance_default
	Out      string
	Runtime  cli.Runtime
}

// genFrom reads the shared sampling flags.
func genFrom(c *ucli.Context) genOptions {
	o := genOptions{
		Model: c.String(modelFlag.Name), N: c.Int("n"), Seed: c.Uint64(seedFlag.Name),
		Steps: c.Int(stepsFlag.Name), Out: c.String("out"), Runtime: cli.RuntimeFrom(c),
	}
	if c.IsSet(sampleBatchFlag.Name) {
		b := c.Int(sampleBatchFlag.Name)
		o.Batch = &b
	}
	if c.IsSet(guidanceFlag.Name) {
		w := c.Float64(guidanceFlag.Name)
		o.Guidance = &w
	}
	return o
}
